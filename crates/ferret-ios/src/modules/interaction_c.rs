//! `interaction_c` module (not written yet).

//! `safari_history` module (not written yet).

//! `locationd` module (not written yet).

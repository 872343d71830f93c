//! `tcc` module (not written yet).

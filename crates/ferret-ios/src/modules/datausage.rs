//! `datausage` module (not written yet).

//! `shortcuts` module (not written yet).

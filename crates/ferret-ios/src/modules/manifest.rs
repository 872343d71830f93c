//! `manifest` module (not written yet).

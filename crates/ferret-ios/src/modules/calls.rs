//! `calls` module (not written yet).

//! `contacts` module (not written yet).

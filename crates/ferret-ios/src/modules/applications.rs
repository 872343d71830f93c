//! `applications` module (not written yet).

//! `firefox_history` module (not written yet).

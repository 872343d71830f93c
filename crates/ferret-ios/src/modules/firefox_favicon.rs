//! `firefox_favicon` module (not written yet).

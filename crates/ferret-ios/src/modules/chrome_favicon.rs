//! `chrome_favicon` module (not written yet).

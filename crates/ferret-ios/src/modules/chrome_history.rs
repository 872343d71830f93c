//! `chrome_history` module (not written yet).

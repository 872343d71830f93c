//! `safari_browser_state` module (not written yet).

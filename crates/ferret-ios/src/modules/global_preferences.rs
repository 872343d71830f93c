//! `global_preferences` module (not written yet).

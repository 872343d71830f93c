//! `profile_events` module (not written yet).

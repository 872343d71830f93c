//! `sms` module (not written yet).

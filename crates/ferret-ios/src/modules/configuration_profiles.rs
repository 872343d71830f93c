//! `configuration_profiles` module (not written yet).

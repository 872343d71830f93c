//! `calendar` module (not written yet).

//! `webkit_session_resource_log` module (not written yet).

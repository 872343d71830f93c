//! `os_analytics_addaily` module (not written yet).

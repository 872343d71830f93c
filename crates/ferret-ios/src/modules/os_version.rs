//! `os_version` module (being written).

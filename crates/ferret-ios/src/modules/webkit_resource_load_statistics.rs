//! `webkit_resource_load_statistics` module (not written yet).

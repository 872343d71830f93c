//! `id_status_cache` module (not written yet).

//! `backup_info` module (not written yet).

//! iOS backup folders: detection, Manifest.db, file lookup (see module docs).

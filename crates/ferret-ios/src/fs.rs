//! iOS full-filesystem dumps.

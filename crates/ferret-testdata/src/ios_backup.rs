//! Writes generated artifacts as an iTunes-style backup folder.

//! iOS sysdiagnose archives.

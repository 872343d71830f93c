//! Pure parsers (text/bytes → typed values), unit-tested and panic-free.

pub mod aqf;
pub mod dumpsys;
pub mod props;
pub mod protobuf;
pub mod ps;
pub mod tombstone;

//! Pure parsers (text/bytes → typed values), unit-tested and panic-free.

pub mod aqf;
pub mod dumpsys;
pub mod misc;
pub mod protobuf;

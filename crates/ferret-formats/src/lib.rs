//! placeholder
pub mod typedstream;

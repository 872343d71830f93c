//! iOS artifact generators, one file per artifact.
pub mod gen_util;
pub mod calls;
pub mod contacts;

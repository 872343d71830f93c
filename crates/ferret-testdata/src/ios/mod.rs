//! iOS artifact generators, one file per artifact.

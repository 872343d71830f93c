//! iOS artifact generators, one file per artifact.
pub mod gen_util;
pub mod calls;
pub mod contacts;
pub mod calendar;
pub mod sms;
pub mod safari_history;
pub mod datausage;
pub mod tcc;
pub mod whatsapp;

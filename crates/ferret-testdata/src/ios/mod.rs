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
pub mod chrome_history;
pub mod chrome_favicon;
pub mod firefox_history;
pub mod firefox_favicon;

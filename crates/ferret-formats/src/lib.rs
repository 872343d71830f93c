//! # ferret-formats
//!
//! Readers for Apple formats that are safe on hostile input (no panics, no stack overflows,
//! bounded memory):
//! * [`parse_plist`]: property lists (binary, XML, ASCII) with a non-recursive depth pre-scan,
//!   because the `plist` crate aborts the process on deeply nested input;
//! * [`KeyedArchive`]: an iterative NSKeyedArchiver resolver to `serde_json::Value`;
//! * [`parse_mbfile`]: the typed `MBFile` record of backup `Manifest.db` rows;
//! * [`Cursor`]: a bounds-checked byte cursor with labelled reads for binary/TLV formats;
//! * [`typedstream`]: text of archived `NSAttributedString`s (`sms.db` `attributedBody`).
//!
//! One error type: [`FormatError`].

pub mod cursor;
pub mod error;
pub mod keyed;
pub mod mbfile;
pub mod plist_json;
pub mod plist_load;
pub mod typedstream;

pub use cursor::Cursor;
pub use error::FormatError;
pub use keyed::{KeyedArchive, is_keyed_archive, parse_keyed_archive};
pub use mbfile::{MbFile, mbfile_from_value, parse_mbfile};
pub use plist_json::{plist_date, plist_to_json};
pub use plist_load::{
    MAX_DEPTH, MAX_PLIST_SIZE, check_depth, check_plist, expanded_size, expansion_limit, parse_plist,
};

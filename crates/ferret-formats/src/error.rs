//! The one error type of this crate.

/// Why a binary or property-list input could not be read. Every variant says where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Fewer bytes were left than a read needed.
    #[error("truncated {what} at offset {offset}: need {need} bytes, {have} left")]
    Truncated {
        /// What was being read (e.g. `keybag tag length`).
        what: &'static str,
        /// Offset of the read.
        offset: usize,
        /// Bytes the read needed.
        need: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// The input is bigger than the bound for its kind.
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// What was being read.
        what: &'static str,
        /// Its size (bytes or nodes).
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// The input nests deeper than the bound (a hostile or broken file).
    #[error("{what} nests deeper than {limit} levels (at offset {offset})")]
    TooDeep {
        /// What was being read.
        what: &'static str,
        /// The bound.
        limit: usize,
        /// Byte offset (or object index for keyed archives) where the bound was hit.
        offset: usize,
    },
    /// Expanded, the input would be far larger than any real file of its kind: shared objects
    /// referenced many times (a "billion laughs" input).
    #[error(
        "{what} expands to more than {limit} bytes (measured {size}+, at offset {offset}): objects are shared too many times, the file may be crafted"
    )]
    TooExpanded {
        /// What was being read.
        what: &'static str,
        /// Expanded size measured when the limit was crossed (saturating).
        size: u64,
        /// The bound.
        limit: u64,
        /// Byte offset of the object whose expansion crossed the bound.
        offset: usize,
    },
    /// The property-list parser rejected the input.
    #[error("invalid property list: {0}")]
    Plist(String),
    /// A structural problem in a binary format, with its offset.
    #[error("invalid {what} at offset {offset}: {reason}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// Offset.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A structural problem in an NSKeyedArchiver archive, with the object path.
    #[error("invalid keyed archive at {at}: {reason}")]
    Archive {
        /// Where: `$objects[12].NS.keys[3]`, `$top.root`, ...
        at: String,
        /// What is wrong.
        reason: String,
    },
}

impl FormatError {
    pub(crate) fn archive(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Archive { at: at.into(), reason: reason.into() }
    }
}

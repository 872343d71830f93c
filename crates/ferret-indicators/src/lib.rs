//! # ferret-indicators
//!
//! Loads indicators of compromise and answers the [`ferret_core::Indicators`] questions modules
//! ask about evidence values.
//!
//! * [`pattern`]: the STIX 2.1 patterning language, parsed with `winnow` into an AST;
//! * [`kind`]: indicator kinds, supported object paths and value normalisation;
//! * [`IndicatorIndex`]: the compiled, read-only index (see [`index`] for matching rules);
//! * [`load()`]: files, folders, environment variables, the cache and the built-in sets, with a
//!   [`LoadReport`] (per-file SHA-256 and counts, rejected patterns with reasons, cache age);
//! * [`mod@update`]: `iocs update` / `iocs list` and the local cache;
//! * [`prepared`]: compiled copies of large indicator files that make repeated loads fast.
//!
//! Supported object paths (STIX standard plus MVT's custom ones):
//! `domain-name:value`, `ipv4-addr:value`, `ipv6-addr:value` (address or CIDR), `url:value`,
//! `email-addr:value`, `process:name`, `file:name`, `file:path`,
//! `file:hashes.md5|sha1|sha256|'SHA-256'|'SHA-1'|MD5`, `app:id`,
//! `app:cert.md5|sha1|sha256`, `configuration-profile:id`, `android-property:name`, and the
//! ferret extension `phone-number:value` for phone numbers / messaging handles (digits compared
//! after removing formatting). Anything else is rejected with a reason in the load report.
//!
//! ```
//! use ferret_core::Indicators;
//! let bundle = r#"{"type":"bundle","id":"bundle--1","objects":[
//!   {"type":"malware","id":"malware--1","name":"Example"},
//!   {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix"},
//!   {"type":"relationship","id":"relationship--1","relationship_type":"indicates",
//!    "source_ref":"indicator--1","target_ref":"malware--1"}]}"#;
//! let (index, report) = ferret_indicators::load_bytes(bundle.as_bytes(), "example.stix2");
//! assert_eq!(report.total, 1);
//! let hit = index.check_url("https://a.b.evil.example/x").expect("matches");
//! assert_eq!((hit.name.as_str(), hit.kind.as_str()), ("Example", "domains"));
//! assert!(index.check_url("https://notevil.example/").is_none());
//! ```

mod compile;
mod formats;
pub mod index;
pub mod kind;
pub mod load;
pub mod pattern;
pub mod prepared;
mod split;
mod stix;
pub mod update;

pub use index::{IndexBuilder, IndicatorIndex};
pub use kind::Kind;
pub use load::{
    BUILTIN_SETS, FileReport, Format, IndicatorSources, LoadError, LoadReport, MAX_REFERENCES, MERCENARY_IMPLANTS,
    PARAGON_GRAPHITE, Reference, RejectedFile, RejectedPattern, load, load_bytes, load_files,
};
#[doc(hidden)]
pub use prepared::fuzz_prepared;
pub use prepared::{cache_dir, default_prepared_dir};
#[doc(hidden)]
pub use stix::fuzz_split_agrees;
pub use update::{
    CacheStatus, CachedSet, Manifest, SetOutcome, SetStatus, UpdateError, UpdateOptions, UpdateReport, cache_status,
    default_cache_dir, list_cache, update,
};

//! # ferret-core
//!
//! The vocabulary every other ferret crate speaks:
//!
//! * [`time`]: timestamps from the epochs phones use (Unix, Mac absolute/Cocoa, WebKit/Chrome) and
//!   the MVT-compatible text form `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) used in every result file;
//! * [`alert`]: [`Alert`], its [`Level`] and the [`MatchedIndicator`] that caused it;
//! * [`indicators`]: the [`Indicators`] matching contract (implemented by `ferret-indicators`),
//!   so artifact modules never depend on how indicators are loaded or indexed;
//! * [`acquisition`]: the platform facades' shared types ([`Secrets`], [`Opened`], [`DeviceInfo`]);
//! * [`evidence`]: the read-only [`Evidence`] view of an acquisition and the [`Locator`] that names
//!   an artifact in every acquisition type, with a plain-folder implementation;
//! * [`safe_root`]: the only way a file of an on-disk acquisition is opened (canonical root,
//!   regular files only, no link followed inside);
//! * [`sqlite`]: the only way ferret opens an evidence database (immutable, or a private copy
//!   when a `-wal`/`-journal` sidecar exists; hardened connection);
//! * [`tar`]: `.tar`/`.tar.gz` archives read in place ([`tar::TarEvidence`]);
//! * [`module`]: the [`Module`] contract and its typed form [`ArtifactModule`];
//! * [`toolkit`]: what artifact modules read evidence with (locating, plists, SQLite cells);
//! * [`runner`]: executes modules in parallel, isolates their failures and streams their output
//!   to sinks.
//!
//! Data flows one way: evidence → modules → records → checks → alerts → outputs.

pub mod acquisition;
pub mod alert;
pub mod budget;
pub mod custody;
pub mod evidence;
pub mod file_index;
pub mod indicators;
pub mod module;
pub mod observe;
pub mod runner;
pub mod safe_root;
mod seek;
pub mod sqlite;
pub mod tar;
pub mod time;
pub mod toolkit;
pub mod urls;
pub mod wal;
pub mod zip;

pub use acquisition::{DeviceInfo, Opened, Secrets};
pub use alert::{Alert, Finding, Level, MatchedIndicator};
pub use custody::Custody;
pub use evidence::{
    AcquisitionKind, BackupPath, Detection, Evidence, EvidenceError, EvidenceFile, Locator, Platform, Recorder,
};
pub use indicators::{Indicators, NoIndicators};
pub use module::{
    ArtifactModule, Context, Module, ModuleError, ModuleInfo, Out, Outcome, OutputShape, RecordSink, RunOptions,
    TimelineEvent, TimelineSink,
};
pub use module::{Output, Typed, ioc_finding};
pub use runner::{ModuleReport, ModuleStatus, NoProgress, PostRun, Progress, SinkFactory, run_modules, run_post};
pub use sqlite::SqliteDb;

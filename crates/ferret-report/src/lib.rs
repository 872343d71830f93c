//! # ferret-report
//!
//! Writes a results folder, MVT-compatible first, then more. Give a [`ResultsFolder`] to
//! [`ferret_core::run_modules`] as its [`ferret_core::SinkFactory`], then call
//! [`ResultsFolder::finish`] with the module reports. Runs without `--output` use [`NullSinks`]
//! and [`Summary::from_reports`].
//!
//! ## Files (all UTF-8; same input and indicators → byte-identical files, except
//! `started_at`/`finished_at` in `info.json`)
//!
//! | File | Content |
//! |------|---------|
//! | `<module>.json` | the module's records: a JSON array, one compact record per line (`[\n{..},\n{..}\n]\n`), or one object for single-object modules; **absent** when the module produced no record (as MVT). See [`records`]. |
//! | `<module>_detected.json` | that module's alerts (same shape as `alerts.json`); only when it has alerts |
//! | `alerts.json` | every alert, canonical order ([`ferret_core::alert::sort_alerts`]): `[{level, module, message, event_time, event, matched_indicator: {value, type, name, stix2_file_name} or null}]`; `[]` when none (MVT writes nothing) |
//! | `alerts_timeline.csv` | `"Event Time","Module","Message","Event"`: alerts with a time, in time order; `Event` is the record as compact JSON; header only when none |
//! | `timeline.csv` | `"UTC Timestamp","Plugin","Event","Description"`, Plugin being the module's MVT class name ([`mvt::plugin_name`]: `SMS`, `SafariHistory`; ferret's own modules in the same style), every field quoted (RFC 4180: `"` doubled, newlines kept inside quotes), sorted by (timestamp, module, event, description), identical rows once; absent when no module produced an event |
//! | `timeline.jsonl` | the same events for Timesketch, one object per line: `message`, `datetime` (RFC 3339 UTC, µs), `timestamp` (µs since 1970), `timestamp_desc` (event kind), `module`, and `alert` (level) + `alert_message` when an alert of the same module has exactly that time (the highest level wins) |
//! | `observables.jsonl` | campaign observables ([`ferret_core::observe`]): one object per line, `{kind, value, first_seen, last_seen, count, modules}`, every distinct value the modules checked against indicators, sorted by kind and value; written by checks (not by `check-iocs`) |
//! | `incidents.json` | the incident windows ([`mod@incidents`]): `[{id, level, max_member_level, raised, start, end, agreeing_artifacts, artifacts, reason, members: [{level, module, artifact, event_time, message, matched_indicator}]}]`, in time order; `[]` when none |
//! | `info.json` | [`InfoFile`]: the [`RunInfo`] given by the CLI, each module's status / records / warnings / error, alert counts per level, number of timeline events |
//! | `report.html` | one self-contained page for people, in the language of [`FolderOptions::lang`] (see [`write_report`]) |
//! | `report.pdf` | only after `ferret report --pdf`: the same page printed by a headless Chromium (see [`pdf`]) |
//!
//! Timeline events are kept in bounded memory (see [`timeline`]). `check-iocs` writes its
//! results into a folder of its own, never into the results it re-checks (see [`recheck`]).
//! Every folder also gets the marker file [`MARKER`] and is locked while it is written.

mod changes;
mod chart;
pub mod error;
mod evidence;
mod firstscreen;
mod folder;
mod html;
pub mod i18n;
pub mod incidents;
pub mod info;
mod labels;
pub mod mvt;
pub mod pdf;
pub mod recheck;
pub mod records;
pub mod timeline;
pub mod urls;
pub mod verdict;

pub use error::ReportError;
pub use firstscreen::FIRST_SCREEN_FAMILIES;
pub use folder::{ALERTS_TIMELINE_HEADER, FolderOptions, MARKER, NullSinks, OBSERVABLES, ResultsFolder};
pub use html::{MAX_ALERT_CARDS, MAX_STRING, TIMELINE_PAGE, esc, report_language, write_report};
pub use i18n::{Lang, UnknownLang};
pub use incidents::{INCIDENTS_FILE, Incident, IncidentCounts, incidents};
pub use info::{DeviceInfo, FileHash, InfoFile, LevelCounts, RunInfo, Summary, TargetInfo, terminal_safe};
pub use pdf::write_pdf;
pub use recheck::{check_iocs, check_iocs_with};
pub use records::for_each_record;
pub use timeline::TIMELINE_HEADER;
pub use verdict::{ExitStatus, IndicatorCoverage, Verdict, VerdictState};

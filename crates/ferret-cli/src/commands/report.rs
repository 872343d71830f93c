//! `ferret report RESULTS`: rebuilds `RESULTS/report.html` from `info.json`, `alerts.json` and
//! `timeline.csv`, and prints its path; with `--pdf`, also prints it to `RESULTS/report.pdf`.
//!
//! The language is `--lang`, else the one the existing report was written in (so the page is
//! rebuilt byte for byte), else the locale's.

use std::path::Path;

use anyhow::Context as _;
use ferret_report::{ExitStatus, Lang};

/// Runs `report`.
pub fn run(dir: &Path, lang: Option<Lang>, pdf: bool) -> anyhow::Result<ExitStatus> {
    let lang = lang.or_else(|| ferret_report::report_language(dir)).unwrap_or_else(Lang::from_locale_env);
    let path = ferret_report::write_report(dir, lang)
        .with_context(|| format!("cannot rebuild the report in {}", dir.display()))?;
    crate::console::out(&path.display().to_string());
    if pdf {
        let pdf = ferret_report::write_pdf(dir)
            .with_context(|| format!("cannot print the report in {} to PDF", dir.display()))?;
        crate::console::out(&pdf.display().to_string());
    }
    Ok(ExitStatus::Clean)
}

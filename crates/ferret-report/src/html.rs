//! `report.html` (work in progress: full report lands next).

use std::path::Path;

use ferret_core::Alert;

use crate::error::ReportError;
use crate::info::InfoFile;
use crate::timeline::Selector;

pub(crate) fn write(dir: &Path, info: &InfoFile, alerts: &[Alert], _sel: &Selector) -> Result<(), ReportError> {
    let path = dir.join("report.html");
    let text = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ferret report</title></head><body><p>{} alerts. {}</p></body></html>\n",
        alerts.len(),
        html_escape::encode_text(&info.run.target.path)
    );
    std::fs::write(&path, text).map_err(|e| ReportError::io("write", &path, e))
}

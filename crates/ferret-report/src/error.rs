//! Errors of the results writers. Every variant names the file it was about.

use std::path::PathBuf;

/// Why writing or reading a results folder failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done (`create`, `write`, `read`...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The results path exists and is not a folder.
    #[error("{path}: exists and is not a folder")]
    NotAFolder {
        /// The path given.
        path: PathBuf,
    },
    /// The results folder is not empty.
    #[error(
        "the results folder {path} is not empty: it holds {holds}. Choose a new folder{}",
        if *force_helps { ", or add --force to replace ferret's files in it" } else { "" }
    )]
    NotEmpty {
        /// The folder.
        path: PathBuf,
        /// What it holds.
        holds: String,
        /// Whether `--force` would be accepted (it holds ferret's own results).
        force_helps: bool,
    },
    /// Another run is writing into the results folder.
    #[error("another ferret run is writing into {path}; wait for it or choose another folder")]
    Busy {
        /// The folder.
        path: PathBuf,
    },
    /// A JSON file could not be written or parsed.
    #[error("{path}: JSON error: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Underlying error (carries line and column for parse errors).
        source: serde_json::Error,
    },
    /// A CSV file could not be written or parsed.
    #[error("{path}: CSV error: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Underlying error (carries the record position for parse errors).
        source: csv::Error,
    },
    /// No browser to print the PDF with.
    #[error(
        "cannot make report.pdf: no Chromium or Google Chrome found ({searched}). Install one \
         (Debian/Ubuntu: apt-get install chromium) or set FERRET_CHROMIUM=/path/to/chromium; or open \
         report.html in any browser and print it to PDF"
    )]
    NoBrowser {
        /// Where ferret looked.
        searched: String,
    },
    /// The browser could not print the PDF.
    #[error("cannot make report.pdf with {program}: {reason}")]
    Browser {
        /// The browser.
        program: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A file has valid syntax but not the expected content.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong (with the record number when known).
        reason: String,
    },
}

impl ReportError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }
    pub(crate) fn json(path: impl Into<PathBuf>, source: serde_json::Error) -> Self {
        Self::Json { path: path.into(), source }
    }
    pub(crate) fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Self {
        Self::Csv { path: path.into(), source }
    }
}

//! `report.pdf`: the same page printed by a headless Chromium (`ferret report --pdf`).
//!
//! Helplines send PDFs. ferret does not draw PDFs itself: it asks an installed Chromium or
//! Google Chrome to print `report.html` (its print stylesheet puts the first screen on page one),
//! with networking off (`--host-resolver-rules` resolves nothing, background services
//! disabled, a private profile folder removed afterwards), no header or footer, and a time
//! limit. The browser is the one in `FERRET_CHROMIUM`, else the first of [`BROWSERS`] on
//! `PATH`; without one, the error says how to get one (or to print from any browser).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::ReportError;

/// Program names looked for on `PATH`, in order.
pub const BROWSERS: [&str; 5] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];
/// Longest time the browser may take.
pub const PDF_TIMEOUT: Duration = Duration::from_secs(120);

/// The browser to print with: `FERRET_CHROMIUM` when set (it must exist), else the first of
/// [`BROWSERS`] found on `PATH`.
pub fn find_chromium() -> Result<PathBuf, ReportError> {
    if let Some(p) = std::env::var_os("FERRET_CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(ReportError::NoBrowser { searched: format!("FERRET_CHROMIUM={} (no such file)", p.display()) })
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in BROWSERS {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(ReportError::NoBrowser {
        searched: format!("FERRET_CHROMIUM is not set; none of {} on PATH", BROWSERS.join(", ")),
    })
}

/// `file://` URL of an absolute path (bytes outside the unreserved set percent-encoded).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Whether this process runs as root (Chromium's sandbox refuses root; it then runs without).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().is_some_and(|s| {
        s.lines().any(|l| l.strip_prefix("Uid:").is_some_and(|rest| rest.split_whitespace().next() == Some("0")))
    })
}

/// Prints `dir/report.html` to `dir/report.pdf` with `browser` (see the module docs).
pub fn print_pdf(browser: &Path, dir: &Path) -> Result<PathBuf, ReportError> {
    let html = std::path::absolute(dir.join("report.html")).map_err(|e| ReportError::io("find", dir, e))?;
    if !html.is_file() {
        return Err(ReportError::Format { path: html, reason: "no report.html to print".into() });
    }
    let pdf = html.with_file_name("report.pdf");
    if pdf.exists() {
        std::fs::remove_file(&pdf).map_err(|e| ReportError::io("remove the old", &pdf, e))?;
    }
    let profile = tempfile::Builder::new()
        .prefix("ferret-chromium-")
        .tempdir()
        .map_err(|e| ReportError::io("create a temporary folder in", std::env::temp_dir(), e))?;
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
    ]);
    if is_root() {
        cmd.arg("--no-sandbox");
    }
    cmd.arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(file_url(&html))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().map_err(|e| ReportError::Browser {
        program: browser.to_path_buf(),
        reason: format!("cannot start it: {e}"),
    })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > PDF_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReportError::Browser {
                    program: browser.to_path_buf(),
                    reason: format!("did not finish in {} s", PDF_TIMEOUT.as_secs()),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(ReportError::Browser { program: browser.to_path_buf(), reason: e.to_string() }),
        }
    };
    let head = std::fs::read(&pdf).ok().and_then(|b| b.get(..5).map(<[u8]>::to_vec));
    if head.as_deref() != Some(b"%PDF-") {
        return Err(ReportError::Browser {
            program: browser.to_path_buf(),
            reason: format!("wrote no PDF ({status})"),
        });
    }
    Ok(pdf)
}

/// Prints `dir/report.html` to `dir/report.pdf` with the browser [`find_chromium`] finds.
pub fn write_pdf(dir: &Path) -> Result<PathBuf, ReportError> {
    print_pdf(&find_chromium()?, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(file_url(Path::new("/tmp/a b/ré#port.html")), "file:///tmp/a%20b/r%C3%A9%23port.html");
    }

    #[test]
    fn a_missing_browser_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tmp");
        let e = print_pdf(Path::new("/nonexistent/chromium"), dir.path()).expect_err("no report");
        assert!(e.to_string().contains("no report.html"), "{e}");
        std::fs::write(dir.path().join("report.html"), "<p>x</p>").expect("write");
        let e = print_pdf(Path::new("/nonexistent/chromium"), dir.path()).expect_err("no browser");
        assert!(e.to_string().contains("/nonexistent/chromium") && e.to_string().contains("cannot start"), "{e}");
        let e = ReportError::NoBrowser { searched: "x".into() };
        assert!(e.to_string().contains("FERRET_CHROMIUM") && e.to_string().contains("print"), "{e}");
    }
}

//! `mobile_installation`: app installs and removals logged by `installd`.
//!
//! Format facts (DFRWS 2019 "iOS Mobile Installation Logs"; sysdiagnose samples, iOS 13–18):
//! * Locations: sysdiagnose `logs/MobileInstallation/mobile_installation.log.*`; filesystem dump
//!   `private/var/installd/Library/Logs/MobileInstallation/mobile_installation.log.*` (iOS 10+;
//!   earlier `private/var/mobile/Library/Logs/MobileInstallation/`). `.0` is the newest.
//! * One entry per line: `Mon Apr  7 06:13:52 2025 [234] <notice> (0x16b48f000) -[Class method]:
//!   message`. The time is device-local with no zone; it is recorded as written
//!   (`timestamp_local`) and, like MVT does for naive times, also as `isodate` read as UTC.
//! * Messages used: `Install Successful for (<Type>:<bundle id>)` (install/update done),
//!   `Uninstalling identifier <bundle id>`, `Destroying container <bundle id> ... at <path>`,
//!   `Made container live for <bundle id> at <path>`. Other lines are skipped.
//!
//! Record: `{isodate, timestamp_local, operation (install|uninstall|destroy_container|
//! container_live), bundle_id, install_type, path, message, log_file}`.
//!
//! Check (CRITICAL): `bundle_id` matches an app indicator. Timeline: `app_<operation>`.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::shutdown_log::truncate;

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct MobileInstallation;

/// One install-related event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallEvent {
    /// Local time read as UTC (the log has no zone).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Time as written in the log.
    pub timestamp_local: String,
    /// `install`, `uninstall`, `destroy_container` or `container_live`.
    pub operation: String,
    /// Bundle identifier.
    pub bundle_id: String,
    /// Install type for installs (`Customer`, `System`, `Placeholder`, ...).
    pub install_type: Option<String>,
    /// Container path, when logged.
    pub path: Option<String>,
    /// The log message (after the method name), truncated to 500 characters.
    pub message: String,
    /// Log file.
    pub log_file: String,
}

static LOCATOR: Locator = Locator {
    backup: &[],
    paths: &[
        "logs/MobileInstallation/mobile_installation.log*",
        "private/var/installd/Library/Logs/MobileInstallation/mobile_installation.log*",
        "private/var/mobile/Library/Logs/MobileInstallation/mobile_installation.log*",
    ],
};

const LIMIT: u64 = 256 * 1024 * 1024;

fn parse_local(s: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, day, hms, year] = parts.as_slice() else { return None };
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| m == mon)?
        + 1;
    let day: i8 = day.parse().ok()?;
    let mut t = hms.split(':').map(|x| x.parse::<i8>().ok());
    let (h, mi, se) = (t.next()??, t.next()??, t.next()??);
    let dt = jiff::civil::DateTime::new(year.parse().ok()?, i8::try_from(month).ok()?, day, h, mi, se, 0).ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

fn word_after<'a>(s: &'a str, marker: &str) -> Option<&'a str> {
    let i = s.find(marker)?;
    let rest = s.get(i + marker.len()..)?.trim_start();
    let end = rest.find(|c: char| c.is_whitespace() || c == ';' || c == ')').unwrap_or(rest.len());
    rest.get(..end).filter(|w| !w.is_empty())
}

fn path_after_at(s: &str) -> Option<String> {
    let i = s.rfind(" at /")?;
    s.get(i + 4..).map(|p| p.trim().to_string())
}

/// Parses one log line; `None` for lines that are not install events.
pub fn parse_line(line: &str, log_file: &str) -> Option<InstallEvent> {
    let bracket = line.find(" [")?;
    let local = line.get(..bracket)?.trim().to_string();
    let msg = match line.find("]: ") {
        Some(i) => line.get(i + 3..)?,
        None => line.get(bracket..)?,
    };
    let (operation, bundle_id, install_type, path) = if let Some(i) = msg.find("Install Successful for (") {
        let inner = msg.get(i + "Install Successful for (".len()..)?;
        let inner = inner.get(..inner.find(')')?)?;
        let (ty, id) = inner.split_once(':').map_or((None, inner), |(t, id)| (Some(t.to_string()), id));
        ("install", id.trim().to_string(), ty, None)
    } else if msg.contains("Uninstalling identifier ") {
        ("uninstall", word_after(msg, "Uninstalling identifier ")?.to_string(), None, None)
    } else if msg.contains("Destroying container ") {
        ("destroy_container", word_after(msg, "Destroying container ")?.to_string(), None, path_after_at(msg))
    } else if msg.contains("Made container live for ") {
        ("container_live", word_after(msg, "Made container live for ")?.to_string(), None, path_after_at(msg))
    } else {
        return None;
    };
    if bundle_id.is_empty() {
        return None;
    }
    Some(InstallEvent {
        isodate: parse_local(&local),
        timestamp_local: local,
        operation: operation.to_string(),
        bundle_id,
        install_type,
        path,
        message: msg.chars().take(500).collect(),
        log_file: log_file.to_string(),
    })
}

impl ArtifactModule for MobileInstallation {
    type Record = InstallEvent;
    const NAME: &'static str = "mobile_installation";
    const DESCRIPTION: &'static str = "App installs and removals (MobileInstallation logs)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for file in &files {
            let bytes = ctx.evidence.read(file, LIMIT)?;
            let text = String::from_utf8_lossy(&bytes);
            for (no, line) in text.lines().enumerate() {
                let interesting = [
                    "Install Successful for",
                    "Uninstalling identifier",
                    "Destroying container",
                    "Made container live",
                ]
                .iter()
                .any(|k| line.contains(k));
                match parse_line(line, &file.path) {
                    Some(ev) => out.record(ev)?,
                    None if interesting => {
                        out.warn(format!("{}: line {}: unreadable entry {:?}", file.path, no + 1, truncate(line)))
                    }
                    None => {}
                }
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &InstallEvent, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                format!("app_{}", r.operation),
                format!("{} {} (local time {})", r.operation, r.bundle_id, r.timestamp_local),
            ));
        }
    }

    fn changes(&self, r: &InstallEvent, changes: &mut Vec<(Timestamp, String)>) {
        let what = match r.operation.as_str() {
            "install" => "installed or updated",
            "uninstall" => "uninstalled",
            _ => return,
        };
        if let Some(t) = r.isodate {
            let kind = r.install_type.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
            changes.push((t, format!("App {:?} {what}{kind}", r.bundle_id)));
        }
    }

    fn check(&self, r: &InstallEvent, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.bundle_id) {
            f.push(ioc_finding(Level::Critical, &format!("App {} event for", r.operation), &r.bundle_id, r.isodate, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::exact_on_both;

    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::sysdiagnose::mobile_installation(2, 30, &mut truth);
        let r = exact_on_both(MobileInstallation, &files, &truth, "mobile_installation");
        assert_eq!(r.records.len(), 31 * 2 + 1);
    }

    #[test]
    fn lines() {
        let l = "Mon Apr  7 07:40:47 2025 [446] <err> (0x16fc9b000) -[MIUninstaller x:]: Destroying container org.example.app with persona (null) at /private/var/containers/Bundle/Application/1EC2";
        let e = parse_line(l, "f").expect("event");
        assert_eq!(e.operation, "destroy_container");
        assert_eq!(e.bundle_id, "org.example.app");
        assert_eq!(e.path.as_deref(), Some("/private/var/containers/Bundle/Application/1EC2"));
        assert_eq!(e.isodate.map(|t| t.to_string()).as_deref(), Some("2025-04-07T07:40:47Z"));
        let i = parse_line("Mon Apr  7 06:13:52 2025 [234] <notice> (0x1) -[MIInstaller p]: Install Successful for (Placeholder:com.x.y); Staging: 0.03s", "f").expect("install");
        assert_eq!((i.install_type.as_deref(), i.bundle_id.as_str()), (Some("Placeholder"), "com.x.y"));
        assert!(parse_line("garbage", "f").is_none());
        assert!(parse_line("Xyz [1] -[a b]: Uninstalling identifier ", "f").is_none());
        let odd = parse_line("Feb 30 99:99 [1] x]: Uninstalling identifier a.b", "f").expect("event without time");
        assert_eq!(odd.isodate, None);
    }
}

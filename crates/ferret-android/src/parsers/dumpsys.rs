//! Parsers for `dumpsys` sections of a bugreport. Pure functions over text; panic-free.
//!
//! Format facts used (AOSP `dumpsys` output, several Android versions):
//! * `package`: a `Packages:` list of `  Package [name] (hash):` blocks with `key=value` lines
//!   (`userId`, `versionCode`, `versionName`, `codePath`, `timeStamp`, `firstInstallTime`,
//!   `lastUpdateTime`, `installerPackageName`, `pkgFlags=[ SYSTEM ... ]`,
//!   `signatures=PackageSignatures{... signatures:[a1b2c3d4], ...}`), sub-lists
//!   `requested permissions:`, `install permissions:` (`perm: granted=true`), and per-user
//!   blocks `User 0: ... enabled=N` (2, 3, 4: disabled) holding `runtime permissions:` and
//!   `disabledComponents:`. Before it,
//!   `Activity Resolver Table:` / `Receiver Resolver Table:` list, under `Non-Data Actions:`, each
//!   intent action (6-space indent) and its components (8-space indent, `hash pkg/.Cls filter hash`).
//! * `accessibility`: old form `installed services: {` with `N : pkg/svc` lines until `}`; both old
//!   and AOSP >= 14 forms have `Enabled services:{{pkg/svc}, {pkg2/svc2}}`.
//! * `appops`: `  Uid X:` / `    Package p:` / `      OP (mode...):` / entries with
//!   `Access: [state] YYYY-MM-DD HH:MM:SS.mmm` or `Reject: ...`.
//! * `device_policy`: under a line starting `Enabled Device Admins`, one `pkg/cls:` line per admin.
//! * `notification`: under `Notification listeners:`, the block `All notification listeners (N)
//!   enabled for current profiles:` lists components; else `Live notification listeners (N):` with
//!   `ManagedServiceInfo[component=pkg/cls,...]`.
//! * `batterystats`: `  Daily from A to B:` blocks with `Update <pkg> vers=<n>` lines (`vers=0` is
//!   an uninstall).
//! * `dbinfo`: `Connection pool for <path>:` then `Most recently executed operations:` rows
//!   `N: [YYYY-MM-DD HH:MM:SS.mmm] [Pid:(n)] action ... sql="..."`.
//! * `adb`: `user_keys=` lines of `<base64 key> <user@host>`; keystore lines `<adbKey key="..."
//!   lastConnection="...">` (newer) are read too.
//! * `platform_compat`: `ChangeId(...; name=X; ...rawOverrides={pkg=..., pkg2=...}...)`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::text::{indent, kv, parse_wallclock};

/// One package of `dumpsys package`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Package name.
    pub package_name: String,
    /// Linux uid (`userId`).
    pub uid: Option<u32>,
    /// `versionCode`.
    pub version_code: Option<i64>,
    /// `versionName`.
    pub version_name: Option<String>,
    /// APK folder (`codePath`).
    pub code_path: Option<String>,
    /// `timeStamp` (device wall clock).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub timestamp: Option<Timestamp>,
    /// `firstInstallTime` (device wall clock).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub first_install_time: Option<Timestamp>,
    /// `lastUpdateTime` (device wall clock).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_update_time: Option<Timestamp>,
    /// `installerPackageName` (`None` when `null` or absent).
    pub installer: Option<String>,
    /// `pkgFlags`.
    pub flags: Vec<String>,
    /// `SYSTEM` in the flags.
    pub system: bool,
    /// `UPDATED_SYSTEM_APP` in the flags.
    pub updated_system_app: bool,
    /// Short signature digests printed by `PackageSignatures{...}`.
    pub signatures: Vec<String>,
    /// Requested permissions.
    pub requested_permissions: Vec<String>,
    /// Install and (user 0) runtime permissions with `granted=true`.
    pub granted_permissions: Vec<String>,
    /// Components disabled for user 0.
    pub disabled_components: Vec<String>,
    /// Activities handling `android.intent.action.MAIN` (launcher entries).
    pub launcher_activities: Vec<String>,
    /// Every launcher activity is disabled: the app hides its icon.
    pub hidden_launcher: bool,
    /// The package is disabled for user 0 (`User 0: ... enabled=2|3|4`).
    #[serde(default)]
    pub disabled: bool,
}

/// One resolver-table entry (activity or receiver) for an intent action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolverEntry {
    /// Intent action.
    pub intent: String,
    /// Package.
    pub package_name: String,
    /// Full component class name.
    pub component: String,
}

/// `pkg/.Cls` or `pkg/pkg.Cls` → (`pkg`, `pkg.Cls`).
pub fn split_component(c: &str) -> Option<(String, String)> {
    let c = c.trim().trim_start_matches('{').trim_end_matches('}');
    let (pkg, cls) = c.split_once('/')?;
    if pkg.is_empty() || cls.is_empty() || pkg.contains(' ') {
        return None;
    }
    let full = if let Some(rest) = cls.strip_prefix('.') { format!("{pkg}.{rest}") } else { cls.to_string() };
    Some((pkg.to_string(), full))
}

/// Parses a resolver table (`Activity Resolver Table:` or `Receiver Resolver Table:`), its
/// `Non-Data Actions:` part.
pub fn parse_resolver(text: &str, table: &str) -> Vec<ResolverEntry> {
    let mut out = Vec::new();
    let mut in_table = false;
    let mut in_actions = false;
    let mut intent: Option<String> = None;
    for line in text.lines() {
        let ind = indent(line);
        let t = line.trim();
        if ind == 0 && !t.is_empty() {
            in_table = t == table;
            in_actions = false;
            intent = None;
            continue;
        }
        if !in_table || t.is_empty() {
            continue;
        }
        if ind <= 2 {
            in_actions = t == "Non-Data Actions:";
            intent = None;
            continue;
        }
        if !in_actions {
            continue;
        }
        if ind <= 6 && t.ends_with(':') && !t.contains(' ') {
            intent = Some(t.trim_end_matches(':').to_string());
            continue;
        }
        if let Some(i) = &intent
            && ind >= 8
            && let Some(comp) = t.split_whitespace().nth(1)
            && let Some((pkg, cls)) = split_component(comp)
        {
            out.push(ResolverEntry { intent: i.clone(), package_name: pkg, component: cls });
        }
    }
    out
}

fn bracket_list(v: &str) -> Vec<String> {
    v.trim().trim_start_matches('[').trim_end_matches(']').split_whitespace().map(str::to_string).collect()
}

/// Whether an unindented `dumpsys package` line starts a new section.
fn is_section_header(t: &str) -> bool {
    t.ends_with(':') || t.starts_with("DUMP OF SERVICE") || t.starts_with("----")
}

/// Parses the `Packages:` list of `dumpsys package`, then marks hidden launchers from the
/// activity resolver table.
pub fn parse_packages(text: &str) -> Vec<Package> {
    #[derive(PartialEq)]
    enum Sub {
        None,
        Requested,
        Install,
        Runtime,
        Disabled,
        Other,
    }
    let mut out: Vec<Package> = Vec::new();
    let mut in_list = false;
    let mut cur: Option<Package> = None;
    let mut sub = Sub::None;
    let mut sub_indent = 0;
    let mut user: Option<u32> = None;
    for line in text.lines() {
        let ind = indent(line);
        let t = line.trim();
        // Only a section header ends the list: an unindented line that is not one can be the rest
        // of an app-controlled value printed with a newline in it (versionName "1\nx"), and must
        // not hide the packages listed after it.
        if ind == 0 && !t.is_empty() && (!in_list || is_section_header(t)) {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            in_list = t == "Packages:";
            continue;
        }
        if !in_list || t.is_empty() || ind == 0 {
            continue;
        }
        if ind == 2 {
            if let Some(p) = cur.take() {
                out.push(p);
            }
            if let Some(rest) = t.strip_prefix("Package [")
                && let Some(end) = rest.find(']')
            {
                cur = Some(Package { package_name: rest[..end].to_string(), ..Package::default() });
                sub = Sub::None;
                user = None;
            }
            continue;
        }
        let Some(p) = cur.as_mut() else { continue };
        if sub != Sub::None && ind > sub_indent {
            let item = t.split(':').next().unwrap_or(t).trim();
            match sub {
                Sub::Requested => p.requested_permissions.push(item.to_string()),
                Sub::Install if t.contains("granted=true") => p.granted_permissions.push(item.to_string()),
                Sub::Runtime if user == Some(0) && t.contains("granted=true") => {
                    p.granted_permissions.push(item.to_string())
                }
                Sub::Disabled if user == Some(0) => p.disabled_components.push(t.to_string()),
                _ => {}
            }
            continue;
        }
        sub = Sub::None;
        if let Some(rest) = t.strip_prefix("User ")
            && let Some((n, _)) = rest.split_once(':')
        {
            user = n.trim().parse().ok();
            if user == Some(0)
                && let Some(e) = kv(rest, "enabled")
            {
                // COMPONENT_ENABLED_STATE_DISABLED(2), _DISABLED_USER(3), _DISABLED_UNTIL_USED(4)
                p.disabled = matches!(e, "2" | "3" | "4");
            }
            continue;
        }
        if t.ends_with(':') && !t.contains('=') {
            sub_indent = ind;
            sub = match t {
                "requested permissions:" => Sub::Requested,
                "install permissions:" => Sub::Install,
                "runtime permissions:" => Sub::Runtime,
                "disabledComponents:" => Sub::Disabled,
                _ => Sub::Other,
            };
            continue;
        }
        if let Some(v) = kv(t, "userId") {
            p.uid = v.parse().ok();
        } else if let Some(v) = kv(t, "versionCode") {
            p.version_code = v.parse().ok();
        } else if let Some(v) = t.strip_prefix("versionName=") {
            p.version_name = Some(v.to_string());
        } else if let Some(v) = t.strip_prefix("codePath=") {
            p.code_path = Some(v.to_string());
        } else if let Some(v) = t.strip_prefix("timeStamp=") {
            p.timestamp = parse_wallclock(v);
        } else if let Some(v) = t.strip_prefix("firstInstallTime=") {
            if p.first_install_time.is_none() || user == Some(0) {
                p.first_install_time = parse_wallclock(v);
            }
        } else if let Some(v) = t.strip_prefix("lastUpdateTime=") {
            p.last_update_time = parse_wallclock(v);
        } else if let Some(v) = t.strip_prefix("installerPackageName=") {
            p.installer = Some(v.trim().to_string()).filter(|s| !s.is_empty() && s != "null");
        } else if let Some(v) = t.strip_prefix("pkgFlags=") {
            p.flags = bracket_list(v);
            p.system = p.flags.iter().any(|f| f == "SYSTEM");
            p.updated_system_app = p.flags.iter().any(|f| f == "UPDATED_SYSTEM_APP");
        } else if t.starts_with("signatures=")
            && let Some(i) = t.find("signatures:[")
        {
            let rest = &t[i + "signatures:[".len()..];
            let end = rest.find(']').unwrap_or(rest.len());
            p.signatures = rest[..end].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
    }
    if let Some(p) = cur.take() {
        out.push(p);
    }
    let mut launchers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in parse_resolver(text, "Activity Resolver Table:") {
        if e.intent == "android.intent.action.MAIN" {
            launchers.entry(e.package_name).or_default().insert(e.component);
        }
    }
    for p in &mut out {
        if let Some(l) = launchers.get(&p.package_name) {
            p.launcher_activities = l.iter().cloned().collect();
            p.hidden_launcher = !l.is_empty() && l.iter().all(|a| p.disabled_components.contains(a));
        }
    }
    out
}

/// One accessibility service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessibilityService {
    /// Package.
    pub package_name: String,
    /// Full service class.
    pub service: String,
    /// Listed as enabled (`Enabled services:`); `None` when the dump has no such line.
    pub enabled: Option<bool>,
}

/// Parses `dumpsys accessibility` (old and AOSP >= 14 forms).
pub fn parse_accessibility(text: &str) -> Vec<AccessibilityService> {
    let mut installed: Vec<(String, String)> = Vec::new();
    let mut enabled: BTreeSet<(String, String)> = BTreeSet::new();
    let mut saw_enabled = false;
    let mut in_installed = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("installed services:") {
            in_installed = true;
            continue;
        }
        if in_installed {
            if t.starts_with('}') {
                in_installed = false;
                continue;
            }
            if let Some((_, comp)) = t.split_once(" : ")
                && let Some(c) = split_component(comp)
            {
                installed.push(c);
            }
            continue;
        }
        if let Some(i) = t.find("Enabled services:") {
            saw_enabled = true;
            let rest = &t[i + "Enabled services:".len()..];
            for part in rest.split(['{', '}', ',']) {
                if let Some(c) = split_component(part) {
                    enabled.insert(c);
                }
            }
        }
    }
    let mut out: Vec<AccessibilityService> = Vec::new();
    let mut seen = BTreeSet::new();
    for (pkg, svc) in installed.iter().chain(enabled.iter()) {
        if !seen.insert((pkg.clone(), svc.clone())) {
            continue;
        }
        let en = saw_enabled.then(|| enabled.contains(&(pkg.clone(), svc.clone())));
        out.push(AccessibilityService { package_name: pkg.clone(), service: svc.clone(), enabled: en });
    }
    out
}

/// One app-op of one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppOp {
    /// `Uid` header value (`u0a123`, `1000`...).
    pub uid: String,
    /// Package.
    pub package_name: String,
    /// Operation (`REQUEST_INSTALL_PACKAGES`, `CAMERA`...).
    pub permission: String,
    /// Mode (`allow`, `ignore`, `deny`, `default`...).
    pub mode: String,
    /// Access times.
    pub access: Vec<String>,
    /// Rejection times.
    pub reject: Vec<String>,
    /// Latest access (device wall clock).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_access: Option<Timestamp>,
}

fn entry_time(s: &str) -> Option<(String, Option<Timestamp>)> {
    let s = s.trim();
    let s = if s.starts_with('[') { s.split_once("] ").map_or(s, |(_, r)| r) } else { s };
    let raw: String = s.chars().take(23).collect();
    let t = parse_wallclock(&raw);
    Some((raw, t))
}

/// Parses `dumpsys appops`.
pub fn parse_appops(text: &str) -> Vec<AppOp> {
    let mut out: Vec<AppOp> = Vec::new();
    let mut uid = String::new();
    let mut pkg: Option<String> = None;
    for line in text.lines() {
        let ind = indent(line);
        let t = line.trim();
        if ind == 2 && t.starts_with("Uid ") {
            uid = t.trim_start_matches("Uid ").trim_end_matches(':').to_string();
            pkg = None;
            continue;
        }
        if ind <= 2 && !t.is_empty() {
            pkg = None;
            continue;
        }
        if ind == 4 {
            pkg = t.strip_prefix("Package ").map(|p| p.trim_end_matches(':').to_string());
            continue;
        }
        let Some(p) = &pkg else { continue };
        if ind == 6
            && t.ends_with("):")
            && let Some((op, mode)) = t.split_once(" (")
        {
            let mode = mode.trim_end_matches("):");
            let mode = mode.split([' ', '/']).next().unwrap_or(mode);
            out.push(AppOp {
                uid: uid.clone(),
                package_name: p.clone(),
                permission: op.to_string(),
                mode: mode.to_string(),
                access: Vec::new(),
                reject: Vec::new(),
                last_access: None,
            });
            continue;
        }
        if ind >= 8
            && let Some(op) = out.last_mut()
            && op.package_name == *p
        {
            if let Some(i) = t.find("Access: ") {
                if let Some((raw, ts)) = entry_time(&t[i + 8..]) {
                    op.access.push(raw);
                    if ts > op.last_access {
                        op.last_access = ts;
                    }
                }
            } else if let Some(i) = t.find("Reject: ")
                && let Some((raw, _)) = entry_time(&t[i + 8..])
            {
                op.reject.push(raw);
            }
        }
    }
    out
}

/// A device-admin component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAdmin {
    /// Package.
    pub package_name: String,
    /// Receiver class.
    pub component: String,
}

/// Parses `dumpsys device_policy` for enabled device admins.
pub fn parse_device_admins(text: &str) -> Vec<DeviceAdmin> {
    let mut out = Vec::new();
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let ind = indent(line);
        let t = line.trim();
        if t.starts_with("Enabled Device Admins") {
            block = Some(ind);
            continue;
        }
        let Some(b) = block else { continue };
        if t.is_empty() {
            continue;
        }
        if ind <= b {
            block = None;
            continue;
        }
        if t.ends_with(':')
            && t.contains('/')
            && let Some((pkg, comp)) = split_component(t.trim_end_matches(':'))
            && !out.iter().any(|a: &DeviceAdmin| a.component == comp)
        {
            out.push(DeviceAdmin { package_name: pkg, component: comp });
        }
    }
    out
}

/// An enabled notification listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationListener {
    /// Package.
    pub package_name: String,
    /// Listener class.
    pub component: String,
}

/// Parses `dumpsys notification` for enabled notification listeners.
pub fn parse_notification_listeners(text: &str) -> Vec<NotificationListener> {
    let mut enabled = Vec::new();
    let mut live = Vec::new();
    let mut in_listeners = false;
    let mut block: Option<(usize, bool)> = None;
    for line in text.lines() {
        let ind = indent(line);
        let t = line.trim();
        if t == "Notification listeners:" {
            in_listeners = true;
            block = None;
            continue;
        }
        if !in_listeners || t.is_empty() {
            continue;
        }
        if let Some((b, _)) = block
            && ind <= b
        {
            block = None;
        }
        if t.starts_with("All notification listeners") && t.contains("enabled for current profiles") {
            block = Some((ind, true));
            continue;
        }
        if t.starts_with("Live notification listeners") {
            block = Some((ind, false));
            continue;
        }
        match block {
            Some((_, true)) => {
                if let Some(c) = split_component(t) {
                    enabled.push(c);
                }
            }
            Some((_, false)) => {
                if let Some(c) = kv(t.trim_start_matches("ManagedServiceInfo["), "component").and_then(split_component)
                {
                    live.push(c);
                }
            }
            None => {
                if ind <= 2 && t.ends_with(':') {
                    in_listeners = false;
                }
            }
        }
    }
    let src = if enabled.is_empty() { live } else { enabled };
    let mut seen = BTreeSet::new();
    src.into_iter()
        .filter(|c| seen.insert(c.clone()))
        .map(|(p, c)| NotificationListener { package_name: p, component: c })
        .collect()
}

/// One job or foreground ("top") event of the `Battery History` of `dumpsys batterystats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatteryHistory {
    /// Time since the history's reset, as written (`+1m2s345ms`).
    pub time_elapsed: String,
    /// `start_job`, `end_job`, `start_top` or `end_top`.
    pub event: String,
    /// The app's uid as written (`u0a226`).
    pub uid: Option<String>,
    /// Package.
    pub package_name: String,
    /// The job's service class (jobs only).
    pub service: Option<String>,
}

/// Most history events read (a history holds at most a few hundred thousand lines).
pub const MAX_HISTORY_EVENTS: usize = 1_000_000;

/// Parses the event lines of the `Battery History` block of `dumpsys batterystats`
/// (`<elapsed> (<n>) <level> ... +job=<uid>:"<pkg>/<service>" ... -top=<uid>:"<pkg>"`), from
/// the `Battery History` heading to the first line that is not an event (the `Daily stats`,
/// a blank line...).
pub fn parse_battery_history(text: &str) -> Vec<BatteryHistory> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Battery History") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        let starts_event = t.starts_with('+') || t.starts_with(|c: char| c.is_ascii_digit());
        if !starts_event {
            inside = false;
            continue;
        }
        let elapsed = t.split_whitespace().next().unwrap_or_default();
        for (key, start, end) in [("job=", "start_job", "end_job"), ("top=", "start_top", "end_top")] {
            let mut rest = t;
            while let Some(i) = rest.find(key) {
                let sign = rest[..i].chars().last();
                let after = &rest[i + key.len()..];
                rest = after;
                let event = match sign {
                    Some('+') => start,
                    Some('-') => end,
                    _ => continue,
                };
                let (uid, quoted) = match after.split_once(":\"") {
                    Some((u, q)) if !u.contains(char::is_whitespace) => (Some(u.to_string()), q),
                    _ => continue,
                };
                let Some((value, _)) = quoted.split_once('"') else { continue };
                let (pkg, service) = match value.split_once('/') {
                    Some((p, s)) => (p, Some(s.to_string())),
                    None => (value, None),
                };
                if pkg.is_empty() || out.len() >= MAX_HISTORY_EVENTS {
                    continue;
                }
                out.push(BatteryHistory {
                    time_elapsed: elapsed.to_string(),
                    event: event.to_string(),
                    uid,
                    package_name: pkg.to_string(),
                    service,
                });
            }
        }
    }
    out
}

/// One `Update <pkg> vers=<n>` line of the daily battery history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatteryDaily {
    /// `update`, `uninstall` (vers=0) or `downgrade`.
    pub action: String,
    /// Block start as written.
    pub from: String,
    /// Block end as written (first 10 chars: the day).
    pub to: String,
    /// Package.
    pub package_name: String,
    /// Version code.
    pub vers: i64,
    /// Version before a downgrade.
    pub previous_vers: Option<i64>,
}

/// Parses the `Daily from A to B:` blocks of `dumpsys batterystats`; detects downgrades across
/// chronologically sorted blocks.
pub fn parse_battery_daily(text: &str) -> Vec<BatteryDaily> {
    type Block = (String, String, Vec<(String, i64)>);
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("Daily from ")
            && let Some((a, b)) = rest.trim_end_matches(':').split_once(" to ")
        {
            blocks.push((a.to_string(), b.chars().take(10).collect(), Vec::new()));
            continue;
        }
        if let Some(rest) = t.strip_prefix("Update ")
            && let Some(b) = blocks.last_mut()
            && let Some((pkg, v)) = rest.split_once(" vers=")
            && let Ok(v) = v.trim().parse::<i64>()
            && !b.2.iter().any(|(p, x)| p == pkg && *x == v)
        {
            b.2.push((pkg.to_string(), v));
        }
    }
    blocks.sort_by(|a, b| a.0.cmp(&b.0));
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    let mut out = Vec::new();
    for (from, to, ups) in blocks {
        for (pkg, vers) in ups {
            let mut rec = BatteryDaily {
                action: if vers == 0 { "uninstall".into() } else { "update".into() },
                from: from.clone(),
                to: to.clone(),
                package_name: pkg.clone(),
                vers,
                previous_vers: None,
            };
            if vers > 0 {
                if let Some(prev) = last.get(&pkg)
                    && vers < *prev
                {
                    rec.action = "downgrade".into();
                    rec.previous_vers = Some(*prev);
                }
                last.insert(pkg, vers);
            }
            out.push(rec);
        }
    }
    out
}

/// One recently executed database operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbOperation {
    /// Database path.
    pub path: String,
    /// Time as written.
    pub isodate: String,
    /// Operation (`executeForCursorWindow`...).
    pub action: String,
    /// SQL text, if any.
    pub sql: Option<String>,
    /// Process id, if printed.
    pub pid: Option<u32>,
}

/// Parses `dumpsys dbinfo`.
pub fn parse_dbinfo(text: &str) -> Vec<DbOperation> {
    let mut out = Vec::new();
    let mut path: Option<String> = None;
    let mut in_ops = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(p) = t.strip_prefix("Connection pool for ") {
            path = Some(p.trim_end_matches(':').to_string());
            in_ops = false;
            continue;
        }
        if t.starts_with("Most recently executed operations") {
            in_ops = true;
            continue;
        }
        if !in_ops || t.is_empty() {
            continue;
        }
        let Some(p) = &path else { continue };
        let Some(rest) = t.split_once(": [").map(|(_, r)| r) else { continue };
        let Some((date, rest)) = rest.split_once(']') else { continue };
        let mut rest = rest.trim_start();
        let mut pid = None;
        if let Some(r) = rest.strip_prefix("[Pid:(")
            && let Some((n, r2)) = r.split_once(")]")
        {
            pid = n.parse().ok();
            rest = r2.trim_start();
        }
        let action = rest.split_whitespace().next().unwrap_or("").to_string();
        let sql = rest.find("sql=\"").map(|i| {
            let s = &rest[i + 5..];
            s.rfind('"').map_or(s, |j| &s[..j]).to_string()
        });
        out.push(DbOperation { path: p.clone(), isodate: date.to_string(), action, sql, pid });
    }
    out
}

/// A trusted ADB key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdbKey {
    /// The comment after the key (`user@host`).
    pub user: String,
    /// SHA-256 (hex) of the decoded key, or `None` when the key is not valid base64.
    pub sha256: Option<String>,
    /// The base64 key.
    pub key: String,
    /// `lastConnection` (keystore form), as written.
    pub last_connection: Option<String>,
}

/// Parses `dumpsys adb` for trusted keys.
pub fn parse_adb(text: &str) -> Vec<AdbKey> {
    use base64::Engine;
    use sha2::Digest;
    let mut out: Vec<AdbKey> = Vec::new();
    let mut push = |key: &str, user: &str, last: Option<String>| {
        if out.iter().any(|k| k.key == key) {
            return;
        }
        let sha256 =
            base64::engine::general_purpose::STANDARD.decode(key).ok().map(|b| hex::encode(sha2::Sha256::digest(&b)));
        out.push(AdbKey { user: user.to_string(), sha256, key: key.to_string(), last_connection: last });
    };
    for line in text.lines() {
        let t = line.trim();
        let t = t.strip_prefix("user_keys=").unwrap_or(t);
        if let Some(i) = t.find("<adbKey key=\"") {
            let rest = &t[i + 13..];
            let key_end = rest.find('"').unwrap_or(rest.len());
            let (key, user) = rest[..key_end].split_once(' ').unwrap_or((&rest[..key_end], ""));
            let last = t.find("lastConnection=\"").map(|j| {
                let r = &t[j + 16..];
                r[..r.find('"').unwrap_or(r.len())].to_string()
            });
            push(key, user, last);
            continue;
        }
        let mut parts = t.splitn(2, ' ');
        let (Some(k), Some(u)) = (parts.next(), parts.next()) else { continue };
        if k.len() >= 100 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
            push(k, u.trim(), None);
        }
    }
    out
}

/// A package named in a platform-compat override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatOverride {
    /// Change name.
    pub change: String,
    /// Package.
    pub package_name: String,
}

/// Parses `dumpsys platform_compat` raw overrides.
pub fn parse_platform_compat(text: &str) -> Vec<CompatOverride> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if !t.starts_with("ChangeId(") {
            continue;
        }
        let change = kv(t.replace(';', ",").as_str(), "name").map(str::to_string).unwrap_or_default();
        let Some(i) = t.find("rawOverrides={") else { continue };
        let rest = &t[i + 14..];
        let end = rest.find('}').unwrap_or(rest.len());
        for part in rest[..end].split(',') {
            if let Some((pkg, _)) = part.split_once('=') {
                let pkg = pkg.trim();
                if !pkg.is_empty() {
                    out.push(CompatOverride { change: change.clone(), package_name: pkg.to_string() });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_hidden_launcher() {
        let lines = [
            "Activity Resolver Table:",
            "  Non-Data Actions:",
            "      android.intent.action.MAIN:",
            "        1a2b com.spy/.Main filter 3c",
            "        4d5e com.ok/.Main filter 6f",
            "Receiver Resolver Table:",
            "  Non-Data Actions:",
            "      android.provider.Telephony.SMS_RECEIVED:",
            "        1a2b com.spy/.SmsRx filter 3c",
            "Packages:",
            "  Package [com.spy] (abc):",
            "    userId=10200",
            "    versionCode=7 minSdk=21 targetSdk=30",
            "    versionName=1.0",
            "junk from a versionName with a newline in it",
            "    codePath=/data/app/com.spy-1",
            "    timeStamp=2024-01-02 03:04:05",
            "    firstInstallTime=2024-01-02 03:04:06",
            "    lastUpdateTime=2024-01-02 03:04:07",
            "    installerPackageName=null",
            "    signatures=PackageSignatures{1 version:2, signatures:[abcd1234], past signatures:[]}",
            "    pkgFlags=[ HAS_CODE ALLOW_BACKUP ]",
            "    requested permissions:",
            "      android.permission.READ_SMS",
            "      android.permission.RECORD_AUDIO: restricted=true",
            "    install permissions:",
            "      android.permission.INTERNET: granted=true",
            "      android.permission.X: granted=false",
            "    User 0: ceDataInode=1 installed=true hidden=false enabled=3",
            "      runtime permissions:",
            "        android.permission.READ_SMS: granted=true, flags=[ USER_SET ]",
            "      disabledComponents:",
            "        com.spy.Main",
            "    User 10: installed=true",
            "      runtime permissions:",
            "        android.permission.CAMERA: granted=true",
            "  Package [com.ok] (def):",
            "    userId=10201",
            "    pkgFlags=[ SYSTEM UPDATED_SYSTEM_APP ]",
            "    installerPackageName=com.android.vending",
            "Hidden system packages:",
            "  Package [com.hidden] (x):",
            "",
        ];
        let joined = lines.join("\n");
        let text = joined.as_str();
        let p = parse_packages(text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].package_name, "com.spy");
        assert_eq!(p[0].uid, Some(10200));
        assert_eq!(p[0].version_code, Some(7));
        assert_eq!(p[0].installer, None);
        assert_eq!(p[0].signatures, vec!["abcd1234"]);
        assert_eq!(p[0].requested_permissions, vec!["android.permission.READ_SMS", "android.permission.RECORD_AUDIO"]);
        assert_eq!(p[0].granted_permissions, vec!["android.permission.INTERNET", "android.permission.READ_SMS"]);
        assert!(p[0].hidden_launcher);
        assert!(p[0].disabled && !p[1].disabled);
        assert!(p[0].first_install_time.is_some());
        assert!(!p[1].hidden_launcher && p[1].system && p[1].updated_system_app);
        let r = parse_resolver(text, "Receiver Resolver Table:");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].component, "com.spy.SmsRx");
    }

    #[test]
    fn accessibility_forms() {
        let old = "User state[\n  installed services: {\n    0 : com.a/.Svc\n    1 : com.b/com.b.Svc\n  }\n  Enabled services:{{com.b/com.b.Svc}}\n";
        let a = parse_accessibility(old);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].enabled, Some(false));
        assert_eq!(a[1].enabled, Some(true));
        let new = "ACCESSIBILITY MANAGER\nUser state[\n     Enabled services:{{com.x/.A}, {com.y/com.y.B}}\n";
        let a = parse_accessibility(new);
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|s| s.enabled == Some(true)));
        assert!(parse_accessibility("").is_empty());
    }

    #[test]
    fn appops_admins_listeners() {
        let ops = "Current AppOps Service state:\n  Uid u0a200:\n    state=top\n    Package com.spy:\n      REQUEST_INSTALL_PACKAGES (allow):\n        null=[\n          Access: [top-s] 2024-01-01 10:00:00.123 (-1d)\n        ]\n      CAMERA (deny / switch COARSE):\n          Reject: [bg-s] 2024-01-01 11:00:00.000\n";
        let o = parse_appops(ops);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].mode, "allow");
        assert_eq!(o[0].access, vec!["2024-01-01 10:00:00.123"]);
        assert!(o[0].last_access.is_some());
        assert_eq!(o[1].mode, "deny");
        let dp = "Current Device Policy Manager state:\n  Enabled Device Admins (User 0, provisioningState: 0):\n    com.spy/.Admin:\n      uid=10200\n    com.b/com.b.A:\n  Other:\n    com.c/.X:\n";
        let d = parse_device_admins(dp);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].component, "com.spy.Admin");
        let nl = "  Notification listeners:\n    All notification listeners (2) enabled for current profiles:\n      com.spy/com.spy.N\n      com.w/.W\n    Live notification listeners (1):\n      ManagedServiceInfo[component=com.z/.Z,userid=0]\n  Other:\n";
        let n = parse_notification_listeners(nl);
        assert_eq!(n.len(), 2);
        let live = "Notification listeners:\n    Live notification listeners (1):\n      ManagedServiceInfo[component=com.z/.Z,userid=0,isSystem=false]\n";
        assert_eq!(parse_notification_listeners(live)[0].component, "com.z.Z");
    }

    #[test]
    fn battery_dbinfo_adb_compat() {
        let b = "  Daily stats:\n    Daily from 2024-01-02-00-00-00 to 2024-01-03-00-00-00:\n      Update com.a vers=5\n      Update com.gone vers=0\n    Daily from 2024-01-01-00-00-00 to 2024-01-02-00-00-00:\n      Update com.a vers=9\n      Update com.a vers=9\n";
        let d = parse_battery_daily(b);
        assert_eq!(d.len(), 3);
        assert_eq!(d[1].action, "downgrade");
        assert_eq!(d[1].previous_vers, Some(9));
        assert_eq!(d[2].action, "uninstall");
        let db = "Connection pool for /data/user/0/com.spy/databases/x.db:\n  Most recently executed operations:\n    0: [2024-01-01 10:00:00.000] [Pid:(123)] executeForCursorWindow took 1ms - succeeded, sql=\"SELECT 1\"\n    1: [01-01 10:00:00.000] prepare took 0ms\n";
        let o = parse_dbinfo(db);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].pid, Some(123));
        assert_eq!(o[0].sql.as_deref(), Some("SELECT 1"));
        let key = "A".repeat(120);
        let adb = format!(
            "  debugging_manager={{\n    user_keys={key} user@host\n    <adbKey key=\"{key}B user2@h\" lastConnection=\"1700000000000\" />\n"
        );
        let k = parse_adb(&adb);
        assert_eq!(k.len(), 2);
        assert_eq!(k[0].user, "user@host");
        assert!(k[0].sha256.is_some());
        assert_eq!(k[1].last_connection.as_deref(), Some("1700000000000"));
        let pc = "ChangeId(168419799; name=DOWNSCALED; disabled; rawOverrides={com.gone=false, com.x=true})\n";
        let c = parse_platform_compat(pc);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].change, "DOWNSCALED");
    }
}

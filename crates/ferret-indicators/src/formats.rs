//! Indicator formats besides STIX 2.1.
//!
//! * **AssoEchap stalkerware `ioc.yaml`**: a YAML list of apps, each
//!   `{name, packages[], certificates[], websites[], distribution[], c2: {ips[], domains[]}}`.
//!   `packages` → app ids, `certificates` → app certificate hashes, `websites` and
//!   `c2.domains` → domains, `c2.ips` → IP addresses. `distribution` lists where the app is sold
//!   or downloaded (often generic hosting or app stores), so it is not loaded as an indicator.
//!   The indicator name is the app's `name`. Unknown keys are ignored; non-string values are
//!   skipped with a warning.
//! * **One value per line** lists as published in Amnesty's investigations repository, typed by
//!   file name: `domains.txt`, `ips.txt`, `urls.txt`, `processes.txt`, `emails.txt`,
//!   `files.txt`/`file_names.txt`, `file_paths.txt`, `package_names.txt`, `sha256.txt`,
//!   `sha1.txt`, `md5.txt` (an explicitly named file may also end in `_domains.txt` etc.).
//!   `#` starts a comment line; blank lines are skipped; defanged values (`evil[.]example`,
//!   `hxxps://`) are refanged. The set name is the parent folder's name.

use std::sync::Arc;

use serde_yaml_ng::Value as Yaml;

use crate::compile::Rule;
use crate::index::prepare_noted;
use crate::kind::Kind;
use crate::load::{Format, Parsed, RejectedPattern};

/// The kind of a list file, from its name (`exact` = only the canonical names).
pub(crate) fn list_kind(file_name: &str, exact: bool) -> Option<Kind> {
    let n = file_name.to_ascii_lowercase();
    let table: [(&str, Kind); 13] = [
        ("domains.txt", Kind::Domain),
        ("ips.txt", Kind::Ipv4),
        ("urls.txt", Kind::Url),
        ("processes.txt", Kind::Process),
        ("emails.txt", Kind::Email),
        ("files.txt", Kind::FileName),
        ("file_names.txt", Kind::FileName),
        ("file_paths.txt", Kind::FilePath),
        ("package_names.txt", Kind::AppId),
        ("sha256.txt", Kind::FileSha256),
        ("sha1.txt", Kind::FileSha1),
        ("md5.txt", Kind::FileMd5),
        ("phone_numbers.txt", Kind::Phone),
    ];
    for (name, kind) in table {
        if n == name || (!exact && n.ends_with(&format!("_{name}"))) {
            return Some(kind);
        }
    }
    None
}

fn refang(s: &str) -> String {
    let mut v = s.replace("[.]", ".").replace("(.)", ".").replace("[:]", ":").replace("[@]", "@");
    for (from, to) in
        [("hxxps://", "https://"), ("hxxp://", "http://"), ("HXXPS://", "https://"), ("HXXP://", "http://")]
    {
        if let Some(rest) = v.strip_prefix(from) {
            v = format!("{to}{rest}");
        }
    }
    v
}

fn add_value(parsed: &mut Parsed, file_label: &str, where_: &str, kind: Kind, raw: &str, name: &Arc<str>) {
    let value = refang(raw.trim());
    // a value in an IP list may be v6; a value in a domain list may be an IP literal
    let kind = if kind == Kind::Ipv4 && value.contains(':') { Kind::Ipv6 } else { kind };
    match prepare_noted(kind, &value) {
        Ok((key, note)) => {
            if let Some(n) = note {
                parsed.warnings.push(format!("{file_label} {where_}: {n}"));
            }
            let k = match &key {
                crate::index::Key::Exact(k, _) => *k,
                crate::index::Key::Net(n) if n.addr().is_ipv4() => Kind::Ipv4,
                crate::index::Key::Net(_) => Kind::Ipv6,
            };
            parsed.push(Rule::Exact { kind: k, key, value: Arc::from(value) }, name.clone());
        }
        Err(reason) => parsed.rejected.push(RejectedPattern {
            file: file_label.to_string(),
            indicator_id: where_.to_string(),
            pattern: value.chars().take(300).collect(),
            reason,
        }),
    }
}

/// Parses a one-value-per-line list of `kind`.
pub(crate) fn parse_list(text: &str, kind: Kind, file_label: &str, set_name: &str) -> Parsed {
    let mut parsed = Parsed::new(Format::List, set_name.to_string());
    let name: Arc<str> = Arc::from(set_name);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        add_value(&mut parsed, file_label, &format!("line {}", n + 1), kind, line, &name);
    }
    parsed
}

/// Parses an AssoEchap `ioc.yaml`. `Err` = the file is not such a list.
pub(crate) fn parse_ioc_yaml(text: &str, file_label: &str, set_name: &str) -> Result<Parsed, String> {
    let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let Yaml::Sequence(apps) = doc else {
        return Err("not a stalkerware ioc.yaml (expected a list of apps)".into());
    };
    let mut parsed = Parsed::new(Format::IocYaml, set_name.to_string());
    for (n, app) in apps.iter().enumerate() {
        let Yaml::Mapping(map) = app else {
            parsed.warnings.push(format!("{file_label}: entry {n} is not a mapping; skipped"));
            continue;
        };
        let app_name = map.get("name").and_then(Yaml::as_str).unwrap_or(set_name);
        let name: Arc<str> = Arc::from(app_name);
        let strings = |v: Option<&Yaml>, field: &str, warnings: &mut Vec<String>| -> Vec<String> {
            match v {
                None | Some(Yaml::Null) => Vec::new(),
                Some(Yaml::Sequence(items)) => items
                    .iter()
                    .filter_map(|i| match i {
                        Yaml::String(s) => Some(s.clone()),
                        Yaml::Number(num) => Some(num.to_string()),
                        _ => {
                            warnings.push(format!("{file_label}: {app_name}: non-string value in {field}; skipped"));
                            None
                        }
                    })
                    .collect(),
                Some(Yaml::String(s)) => vec![s.clone()],
                Some(_) => {
                    warnings.push(format!("{file_label}: {app_name}: {field} is not a list; skipped"));
                    Vec::new()
                }
            }
        };
        let mut warnings = Vec::new();
        let c2 = map.get("c2");
        let fields: [(Vec<String>, Kind, &str); 5] = [
            (strings(map.get("packages"), "packages", &mut warnings), Kind::AppId, "packages"),
            (strings(map.get("certificates"), "certificates", &mut warnings), Kind::AppCertHash, "certificates"),
            (strings(map.get("websites"), "websites", &mut warnings), Kind::Domain, "websites"),
            (strings(c2.and_then(|c| c.get("domains")), "c2.domains", &mut warnings), Kind::Domain, "c2.domains"),
            (strings(c2.and_then(|c| c.get("ips")), "c2.ips", &mut warnings), Kind::Ipv4, "c2.ips"),
        ];
        parsed.warnings.extend(warnings);
        for (values, kind, field) in fields {
            for v in values {
                add_value(&mut parsed, file_label, &format!("{app_name}/{field}"), kind, &v, &name);
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names() {
        assert_eq!(list_kind("domains.txt", true), Some(Kind::Domain));
        assert_eq!(list_kind("v4_domains.txt", true), None);
        assert_eq!(list_kind("v4_domains.txt", false), Some(Kind::Domain));
        assert_eq!(list_kind("notes.txt", false), None);
    }

    #[test]
    fn lists_skip_comments_and_refang() {
        let p = parse_list(
            "# c\n\nevil[.]example\n  b.example  \n\u{feff}c.example\nnot a domain\n",
            Kind::Domain,
            "domains.txt",
            "set",
        );
        assert_eq!(p.entries.len(), 3);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].indicator_id, "line 6");
        let p = parse_list("hxxps://evil.example/x\n", Kind::Url, "urls.txt", "set");
        assert!(matches!(&p.entries[0].0, Rule::Exact { value, .. } if &**value == "https://evil.example/x"));
    }

    #[test]
    fn ioc_yaml() {
        let y = r#"
- name: SpyApp
  type: stalkerware
  packages:
    - com.spy.app
  certificates:
    - AABBCCDDEEFF00112233445566778899AABBCCDD
  websites:
    - spyapp.example
  distribution:
    - store.example
  c2:
    ips:
      - 198.51.100.7
    domains:
      - c2.spyapp.example
- name: Other
  packages: [org.other.x, 12]
  c2: {}
- just a string
"#;
        let p = parse_ioc_yaml(y, "ioc.yaml", "stalkerware").expect("loads");
        let kinds: Vec<Kind> = p.entries.iter().map(|(r, _)| r.kind()).collect();
        assert_eq!(
            kinds,
            vec![Kind::AppId, Kind::AppCertHash, Kind::Domain, Kind::Domain, Kind::Ipv4, Kind::AppId, Kind::AppId]
        );
        assert_eq!(&*p.entries[0].1, "SpyApp");
        assert_eq!(p.warnings.len(), 1);
        assert!(parse_ioc_yaml("a: b", "ioc.yaml", "s").is_err());
        assert!(parse_ioc_yaml(": : :\n  - [", "ioc.yaml", "s").is_err());
    }
}

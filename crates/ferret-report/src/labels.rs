//! Human labels for what the report shows people: record fields, checks (modules), codes.
//!
//! The label table is data, in the translation files (`[field]`, `[module]`, `[tcc]`,
//! `[macb]` in `i18n/<lang>.toml`); the raw key always stays visible in a tooltip (`title`).
//! A field or module without a label is shown humanised (`is_full_backup` → "Is full backup",
//! `bundleShortVersionString` → "Bundle short version string").

use crate::i18n::Text;

/// `snake_case`, `camelCase` or `Spaced Words` made readable: words split, the first one
/// capitalised, the others lower-case unless they are all capitals (`UDID`, `ROWID`).
pub(crate) fn humanize(key: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c == '_' || c == ' ' || c == '-' || c == '.' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let all_caps = w.chars().all(|c| !c.is_lowercase()) && w.chars().count() > 1;
        if all_caps {
            out.push_str(w);
        } else if i == 0 {
            let mut cs = w.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(&cs.as_str().to_lowercase());
            }
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    if out.is_empty() { key.to_string() } else { out }
}

/// The label of a record field.
pub(crate) fn field(t: &Text, key: &str) -> String {
    t.get(&format!("field.{key}")).map_or_else(|| humanize(key), str::to_string)
}

/// The label of a check (module slug).
pub(crate) fn module(t: &Text, name: &str) -> String {
    t.get(&format!("module.{name}")).map_or_else(|| humanize(name), str::to_string)
}

/// What a TCC service name means (`kTCCServiceCamera` → "camera"), if known.
pub(crate) fn tcc_service(t: &Text, service: &str) -> Option<&'static str> {
    service.strip_prefix("kTCCService").and_then(|s| t.get(&format!("tcc.{s}")))
}

/// What a MACB-style file-time code means (`M-C-` → "modified, metadata changed"), if it is
/// one.
pub(crate) fn macb(t: &Text, code: &str) -> Option<String> {
    let b = code.as_bytes();
    if b.len() != 4 || !code.chars().all(|c| matches!(c, 'M' | 'A' | 'C' | 'B' | '-')) {
        return None;
    }
    let parts: Vec<&str> = [(0, b'M', "macb.M"), (1, b'A', "macb.A"), (2, b'C', "macb.C"), (3, b'B', "macb.B")]
        .iter()
        .filter(|(i, c, _)| b.get(*i) == Some(c))
        .map(|(_, _, k)| t.s(k))
        .collect();
    if parts.is_empty() { None } else { Some(parts.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn humanized_keys() {
        for (k, want) in [
            ("is_full_backup", "Is full backup"),
            ("bundleShortVersionString", "Bundle short version string"),
            ("Build Version", "Build version"),
            ("ROWID", "ROWID"),
            ("udid", "Udid"),
            ("wifi_in", "Wifi in"),
            ("com.apple.iTunesStore.downloadInfo", "Com apple i tunes store download info"),
            ("", ""),
            ("_", "_"),
        ] {
            assert_eq!(humanize(k), want, "{k}");
        }
    }

    #[test]
    fn the_common_fields_have_labels_in_every_language() {
        for lang in Lang::ALL {
            let t = Text::new(lang);
            for k in ["udid", "is_full_backup", "text_from_attributed_body", "relative_path", "isodate", "service"] {
                let own = crate::i18n::parse(lang.source()).expect("parses");
                assert!(own.contains_key(&format!("field.{k}")), "{lang}: field.{k}");
                assert_ne!(field(&t, k), k, "{lang}: {k} has a label");
            }
            assert_ne!(module(&t, "safari_history"), "Safari history".to_lowercase());
        }
        let t = Text::new(Lang::En);
        assert_eq!(field(&t, "udid"), "Device identifier (UDID)");
        assert_eq!(field(&t, "no_such_field_here"), "No such field here");
        assert_eq!(module(&t, "sms"), "SMS and iMessage");
    }

    #[test]
    fn codes_are_explained() {
        let t = Text::new(Lang::En);
        assert_eq!(macb(&t, "---B").as_deref(), Some("created"));
        assert_eq!(macb(&t, "M-C-").as_deref(), Some("modified, metadata changed"));
        assert_eq!(macb(&t, "M-CB").as_deref(), Some("modified, metadata changed, created"));
        assert_eq!(macb(&t, "sms_received"), None);
        assert_eq!(macb(&t, "----"), None);
        assert_eq!(tcc_service(&t, "kTCCServiceCamera"), Some("camera"));
        assert_eq!(tcc_service(&t, "kTCCServiceNoSuch"), None);
        assert_eq!(tcc_service(&t, "Camera"), None);
    }
}

//! Key/value text artifacts: `getprop` output and androidqf `settings_<namespace>.txt`.
//! Pure functions; panic-free.
//!
//! Format facts:
//! * getprop: `[name]: [value]` per line (value may be empty);
//! * settings: `key=value` per line (androidqf `settings_<namespace>.txt`).

use serde::{Deserialize, Serialize};

/// One system property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// For `ro.build.version.security_patch` only: when the acquisition was made (so the patch
    /// age can be checked again from the stored record).
    #[serde(with = "ferret_core::time::serde_opt_ts", default, skip_serializing_if = "Option::is_none")]
    pub acquired: Option<jiff::Timestamp>,
}

/// Parses one getprop line.
pub fn parse_getprop_line(line: &str) -> Option<Property> {
    let t = line.trim();
    let rest = t.strip_prefix('[')?;
    let (name, rest) = rest.split_once("]: [")?;
    let value = rest.strip_suffix(']')?;
    if name.is_empty() {
        return None;
    }
    Some(Property { name: name.to_string(), value: value.to_string(), acquired: None })
}

/// Parses getprop text. A value may span lines (`[name]: [first` … `last]`): the lines are
/// joined with `\n` until one closes the value. A value never closed (the next property starts,
/// the text ends, or it passes 64 KiB) is dropped.
pub fn parse_getprop(text: &str) -> Vec<Property> {
    const MAX_VALUE: usize = 64 << 10;
    let starts_property = |l: &str| l.trim_start().starts_with('[') && l.contains("]: [");
    let mut out = Vec::new();
    let mut open: Option<String> = None;
    for line in text.lines() {
        if let Some(mut pending) = open.take()
            && !starts_property(line)
        {
            pending.push('\n');
            pending.push_str(line);
            if line.trim_end().ends_with(']') {
                out.extend(parse_getprop_line(&pending));
            } else if pending.len() <= MAX_VALUE {
                open = Some(pending);
            }
            continue;
        }
        match parse_getprop_line(line) {
            Some(p) => out.push(p),
            None if starts_property(line) => open = Some(line.to_string()),
            None => {}
        }
    }
    out
}

/// Parses `key=value` settings text.
pub fn parse_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim_end().split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(' ')).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getprop_settings() {
        let p = parse_getprop("[ro.debuggable]: [1]\n[empty]: []\ngarbage\n[]: [x]\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].value, "");
        let s = parse_settings("package_verifier_enable=0\nbad line\nx=a=b\n");
        // a value on two lines; one never closed before the next property
        let p = parse_getprop("[a]: [one\ntwo]\n[b]: [open\n[c]: [3]\n[d]: [x\n");
        let got: Vec<_> = p.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(got, [("a", "one\ntwo"), ("c", "3")]);
        assert_eq!(s, vec![("package_verifier_enable".into(), "0".into()), ("x".into(), "a=b".into())]);
    }
}

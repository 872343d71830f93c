//! A small exact-match [`Indicators`] test double built from a [`Truth`], so module tests do not
//! depend on the real indicator engine. Semantics are deliberately simple: exact values, domain
//! suffix walk, process basename with the 16-character truncation rule, path prefix by component.
//! End-to-end tests use `ferret-indicators` instead.

use std::collections::HashMap;

use ferret_core::{Indicators, MatchedIndicator};

use crate::truth::{IndicatorKind, Truth};

/// Test double for [`Indicators`].
#[derive(Debug, Default, Clone)]
pub struct TruthIndicators {
    by_kind: HashMap<IndicatorKind, HashMap<String, String>>,
}

fn bucket(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Domain | IndicatorKind::Ipv4 => "domains",
        IndicatorKind::Url => "urls",
        IndicatorKind::Process => "processes",
        IndicatorKind::Email => "emails",
        IndicatorKind::FileName => "file_names",
        IndicatorKind::FilePath => "file_paths",
        IndicatorKind::FileSha256 => "files_sha256",
        IndicatorKind::AppId => "app_ids",
        IndicatorKind::AppCertSha256 => "app_cert_hashes",
        IndicatorKind::ProfileId => "ios_profile_ids",
        IndicatorKind::AndroidProperty => "android_property_names",
    }
}

impl TruthIndicators {
    /// Indexes the planted indicators of `truth`.
    pub fn new(truth: &Truth) -> Self {
        let mut by_kind: HashMap<IndicatorKind, HashMap<String, String>> = HashMap::new();
        for p in &truth.indicators {
            let v = match p.kind {
                IndicatorKind::FilePath | IndicatorKind::Process | IndicatorKind::FileName => p.value.clone(),
                _ => p.value.to_lowercase(),
            };
            by_kind.entry(p.kind).or_default().insert(v, p.malware.clone());
        }
        Self { by_kind }
    }

    fn hit(&self, kind: IndicatorKind, key: &str) -> Option<MatchedIndicator> {
        self.by_kind.get(&kind)?.get(key).map(|name| MatchedIndicator {
            value: key.to_string(),
            kind: bucket(kind).to_string(),
            name: name.clone(),
            stix2_file_name: "truth.stix2".to_string(),
        })
    }
}

fn host_of(url: &str) -> String {
    let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let hp = &rest[..end];
    let hp = hp.rsplit('@').next().unwrap_or(hp);
    hp.split(':').next().unwrap_or(hp).trim_end_matches('.').to_lowercase()
}

impl Indicators for TruthIndicators {
    fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }
    fn check_url(&self, url: &str) -> Option<MatchedIndicator> {
        if let Some(m) = self.hit(IndicatorKind::Url, &url.to_lowercase()) {
            return Some(m);
        }
        self.check_domain(&host_of(url))
    }
    fn check_domain(&self, host: &str) -> Option<MatchedIndicator> {
        let host = host.trim_end_matches('.').to_lowercase();
        if host.parse::<std::net::IpAddr>().is_ok() {
            return self.hit(IndicatorKind::Ipv4, &host);
        }
        let mut h = host.as_str();
        loop {
            if let Some(m) = self.hit(IndicatorKind::Domain, h) {
                return Some(m);
            }
            match h.find('.') {
                Some(i) => h = &h[i + 1..],
                None => return None,
            }
        }
    }
    fn check_process(&self, name: &str) -> Option<MatchedIndicator> {
        let base = name.rsplit('/').next().unwrap_or(name);
        if let Some(m) = self.hit(IndicatorKind::Process, base) {
            return Some(m);
        }
        if base.chars().count() == 16 {
            let procs = self.by_kind.get(&IndicatorKind::Process)?;
            let mut keys: Vec<&String> = procs.keys().filter(|k| k.starts_with(base)).collect();
            keys.sort();
            return keys.first().and_then(|k| self.hit(IndicatorKind::Process, k));
        }
        None
    }
    fn check_email(&self, email: &str) -> Option<MatchedIndicator> {
        let e = email.trim().to_lowercase();
        self.hit(IndicatorKind::Email, e.strip_prefix("mailto:").unwrap_or(&e))
    }
    fn check_phone(&self, _number: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_file_path(&self, path: &str) -> Option<MatchedIndicator> {
        let base = path.rsplit('/').next().unwrap_or(path);
        if let Some(m) = self.check_file_name(base) {
            return Some(m);
        }
        let paths = self.by_kind.get(&IndicatorKind::FilePath)?;
        let mut keys: Vec<&String> = paths
            .keys()
            .filter(|k| {
                let k = k.trim_end_matches('/');
                path == k || path.starts_with(&format!("{k}/"))
            })
            .collect();
        keys.sort();
        keys.first().and_then(|k| self.hit(IndicatorKind::FilePath, k))
    }
    fn check_file_name(&self, name: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::FileName, name)
    }
    fn check_file_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::FileSha256, &hash.to_lowercase())
    }
    fn check_app_id(&self, id: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::AppId, &id.to_lowercase())
    }
    fn check_app_cert_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::AppCertSha256, &hash.to_lowercase())
    }
    fn check_profile(&self, id: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::ProfileId, &id.to_lowercase())
    }
    fn check_android_property(&self, name: &str) -> Option<MatchedIndicator> {
        self.hit(IndicatorKind::AndroidProperty, &name.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let mut t = Truth::default();
        t.plant(IndicatorKind::Domain, "evil.example", "X");
        t.plant(IndicatorKind::Process, "averyveryverylongproc", "X");
        let ind = TruthIndicators::new(&t);
        assert!(ind.check_url("https://a.b.evil.example/x").is_some());
        assert!(ind.check_url("https://notevil.example/x").is_none());
        assert!(ind.check_process("/usr/bin/averyveryverylon").is_some());
        assert!(ind.check_process("averyvery").is_none());
    }
}

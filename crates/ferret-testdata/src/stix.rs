//! STIX 2.1 bundle generator.
//!
//! [`bundle`] writes a valid STIX 2.1 bundle with one `malware` object per planted malware name
//! (plus one for the decoys), one `indicator` per value and an `indicates` relationship from each
//! indicator to its malware. Decoys are spread over every indicator kind and drawn from value
//! spaces the artifact generators never use, so they can never cause an alert:
//!
//! * domains: a random 8–12 letter label under a common TLD (`.com`, `.net`, `.org`, `.info`,
//!   `.io`, `.xyz`); generators use `example.*`, `apple.com`, `wikipedia.org`-style hosts;
//! * IPv4 addresses in the benchmarking range 198.18.0.0/15;
//! * processes, file names, e-mails, app ids, Android properties built from random words with
//!   fixed `dcy`/`decoy` markers; hashes and certificate hashes of random hex; profile UUIDs;
//!   file paths under `/private/var/decoy-<word>`;
//! * about 2% of decoys are compound patterns (`[domain-name:value = 'a' OR
//!   domain-name:value = 'b']`) so the parser's OR handling is exercised.

use std::fmt::Write as _;

use rand::Rng;

use crate::rng::{TestRng, hex_string, rng_for, uuid, word};
use crate::truth::{IndicatorKind, PlantedIndicator};

/// Name of the malware object the decoys are attributed to.
pub const DECOY_MALWARE: &str = "Decoy Set";

const CREATED: &str = "2024-01-01T00:00:00.000Z";

/// The STIX object path for a kind.
pub fn object_path(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Domain => "domain-name:value",
        IndicatorKind::Url => "url:value",
        IndicatorKind::Ipv4 => "ipv4-addr:value",
        IndicatorKind::Process => "process:name",
        IndicatorKind::Email => "email-addr:value",
        IndicatorKind::FileName => "file:name",
        IndicatorKind::FilePath => "file:path",
        IndicatorKind::FileSha256 => "file:hashes.sha256",
        IndicatorKind::AppId => "app:id",
        IndicatorKind::AppCertSha256 => "app:cert.sha256",
        IndicatorKind::ProfileId => "configuration-profile:id",
        IndicatorKind::AndroidProperty => "android-property:name",
    }
}

/// A STIX string literal: `'` and `\` escaped.
pub fn stix_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `[path = 'value']`
pub fn equality_pattern(kind: IndicatorKind, value: &str) -> String {
    format!("[{} = {}]", object_path(kind), stix_quote(value))
}

const KINDS: [IndicatorKind; 12] = [
    IndicatorKind::Domain,
    IndicatorKind::Url,
    IndicatorKind::Ipv4,
    IndicatorKind::Process,
    IndicatorKind::Email,
    IndicatorKind::FileName,
    IndicatorKind::FilePath,
    IndicatorKind::FileSha256,
    IndicatorKind::AppId,
    IndicatorKind::AppCertSha256,
    IndicatorKind::ProfileId,
    IndicatorKind::AndroidProperty,
];

const TLDS: [&str; 6] = ["com", "net", "org", "info", "io", "xyz"];

fn decoy_domain(rng: &mut TestRng) -> String {
    let len = rng.random_range(8..=12);
    let tld = TLDS[rng.random_range(0..TLDS.len())];
    format!("{}.{tld}", word(rng, len))
}

/// A decoy value of `kind`.
pub fn decoy_value(rng: &mut TestRng, kind: IndicatorKind) -> String {
    match kind {
        IndicatorKind::Domain => decoy_domain(rng),
        IndicatorKind::Url => format!("https://{}/{}", decoy_domain(rng), word(rng, 6)),
        IndicatorKind::Ipv4 => {
            format!("198.{}.{}.{}", rng.random_range(18..=19), rng.random_range(0..=255), rng.random_range(1..=254))
        }
        IndicatorKind::Process => format!("dcy{}", word(rng, 9)),
        IndicatorKind::Email => format!("{}.decoy@{}", word(rng, 8), decoy_domain(rng)),
        IndicatorKind::FileName => format!("decoy-{}.plist", word(rng, 8)),
        IndicatorKind::FilePath => format!("/private/var/decoy-{}/{}", word(rng, 8), word(rng, 5)),
        IndicatorKind::FileSha256 | IndicatorKind::AppCertSha256 => hex_string(rng, 64),
        IndicatorKind::AppId => format!("com.decoy{}.{}", word(rng, 6), word(rng, 5)),
        IndicatorKind::ProfileId => uuid(rng),
        IndicatorKind::AndroidProperty => format!("persist.decoy.{}", word(rng, 8)),
    }
}

struct Writer {
    out: String,
    first: bool,
}

impl Writer {
    fn object(&mut self, json: std::fmt::Arguments<'_>) {
        if !self.first {
            self.out.push_str(",\n");
        }
        self.first = false;
        let _ = self.out.write_fmt(json);
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn id(rng: &mut TestRng, ty: &str) -> String {
    format!("{ty}--{}", uuid(rng).to_lowercase())
}

/// A STIX 2.1 bundle with every `planted` indicator (attributed to its malware) and `decoys`
/// random indicators (attributed to [`DECOY_MALWARE`]). Deterministic for a seed.
pub fn bundle(planted: &[PlantedIndicator], decoys: usize, seed: u64) -> String {
    let mut rng = rng_for(seed, "stix-bundle");
    let mut w = Writer { out: String::with_capacity(400 * (planted.len() + decoys) + 1024), first: true };
    let bundle_id = id(&mut rng, "bundle");
    let _ = writeln!(w.out, "{{\"type\":\"bundle\",\"id\":\"{bundle_id}\",\"objects\":[");

    let mut names: Vec<&str> = planted.iter().map(|p| p.malware.as_str()).collect();
    names.push(DECOY_MALWARE);
    names.sort_unstable();
    names.dedup();
    let mut malware_ids = Vec::with_capacity(names.len());
    for name in &names {
        let mid = id(&mut rng, "malware");
        w.object(format_args!(
            "{{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"{mid}\",\"created\":\"{CREATED}\",\"modified\":\"{CREATED}\",\"name\":{},\"is_family\":true}}",
            json_str(name)
        ));
        malware_ids.push(mid);
    }
    let malware_id = |name: &str| -> String {
        names.iter().position(|n| *n == name).and_then(|i| malware_ids.get(i)).cloned().unwrap_or_default()
    };

    let emit = |w: &mut Writer, rng: &mut TestRng, pattern: &str, target: &str| {
        let iid = id(rng, "indicator");
        let rid = id(rng, "relationship");
        w.object(format_args!(
            "{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"{iid}\",\"created\":\"{CREATED}\",\"modified\":\"{CREATED}\",\"pattern\":{},\"pattern_type\":\"stix\",\"valid_from\":\"{CREATED}\"}}",
            json_str(pattern)
        ));
        w.object(format_args!(
            "{{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":\"{rid}\",\"created\":\"{CREATED}\",\"modified\":\"{CREATED}\",\"relationship_type\":\"indicates\",\"source_ref\":\"{iid}\",\"target_ref\":\"{target}\"}}"
        ));
    };

    for p in planted {
        let target = malware_id(&p.malware);
        emit(&mut w, &mut rng, &equality_pattern(p.kind, &p.value), &target);
    }
    let decoy_target = malware_id(DECOY_MALWARE);
    for n in 0..decoys {
        let pattern = if n % 50 == 49 {
            format!(
                "[domain-name:value = {} OR domain-name:value = {}]",
                stix_quote(&decoy_domain(&mut rng)),
                stix_quote(&decoy_domain(&mut rng))
            )
        } else {
            let kind = KINDS[rng.random_range(0..KINDS.len())];
            equality_pattern(kind, &decoy_value(&mut rng, kind))
        };
        emit(&mut w, &mut rng, &pattern, &decoy_target);
    }
    w.out.push_str("\n]}\n");
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_json_and_deterministic() {
        let planted = vec![
            PlantedIndicator { kind: IndicatorKind::Domain, value: "evil.example".into(), malware: "Spy".into() },
            PlantedIndicator {
                kind: IndicatorKind::FileName,
                value: "it's\\odd.plist".into(),
                malware: "Other".into(),
            },
        ];
        let a = bundle(&planted, 200, 7);
        assert_eq!(a, bundle(&planted, 200, 7));
        assert_ne!(a, bundle(&planted, 200, 8));
        let v: serde_json::Value = serde_json::from_str(&a).expect("valid JSON");
        let objects = v["objects"].as_array().expect("objects");
        let count = |t: &str| objects.iter().filter(|o| o["type"] == t).count();
        assert_eq!(count("malware"), 3);
        assert_eq!(count("indicator"), 202);
        assert_eq!(count("relationship"), 202);
        assert!(a.contains(r"it\\'s\\\\odd.plist"), "STIX escapes inside JSON");
        assert!(objects.iter().any(|o| o["pattern"].as_str().is_some_and(|p| p.contains(" OR "))));
    }
}

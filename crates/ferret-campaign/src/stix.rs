//! `candidates.stix2`: the leads of each cluster as a STIX 2.1 bundle, ready to share or to feed
//! `ferret hunt` (and any STIX consumer, MVT included).
//!
//! One `identity` (ferret's correlation, the producer), one `campaign` per cluster, one
//! `indicator` per lead with a STIX pattern ferret and MVT read, and an `indicates` relationship
//! from each indicator to its campaign. Nothing names a device: a campaign's description says how
//! many devices share its leads, out of how many. Identifiers are derived from the content
//! (name-based UUIDs), and times from the data (the leads' last-seen), so the same results give
//! the same bundle.

use ferret_core::observe::ObservableKind;
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::correlate::Correlation;

/// A name-based id: `type--uuid` from the SHA-256 of `seed` (version 5-like layout).
fn stix_id(kind: &str, seed: &str) -> String {
    let h = Sha256::digest(format!("ferret-campaign/{kind}/{seed}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{kind}--{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

fn stix_time(t: Option<Timestamp>) -> String {
    let t = t.unwrap_or(Timestamp::UNIX_EPOCH);
    format!("{}Z", t.strftime("%Y-%m-%dT%H:%M:%S%.3f"))
}

/// The STIX pattern for an observable; `None` for kinds STIX consumers have no path for.
pub fn pattern(kind: ObservableKind, value: &str) -> Option<String> {
    let v = value.replace('\\', "\\\\").replace('\'', "\\'");
    let hash_path = |prefix: &str| match value.len() {
        32 => Some(format!("{prefix}md5")),
        40 => Some(format!("{prefix}sha1")),
        64 => Some(format!("{prefix}sha256")),
        _ => None,
    };
    let path = match kind {
        ObservableKind::Domain => "domain-name:value".to_string(),
        ObservableKind::Url => "url:value".to_string(),
        ObservableKind::Ip => {
            if value.contains(':') {
                "ipv6-addr:value".to_string()
            } else {
                "ipv4-addr:value".to_string()
            }
        }
        ObservableKind::Email => "email-addr:value".to_string(),
        ObservableKind::Phone => "phone-number:value".to_string(),
        ObservableKind::Process => "process:name".to_string(),
        ObservableKind::FilePath => "file:path".to_string(),
        ObservableKind::FileName => "file:name".to_string(),
        ObservableKind::FileHash => match value.len() {
            32 => "file:hashes.'MD5'".to_string(),
            40 => "file:hashes.'SHA-1'".to_string(),
            64 => "file:hashes.'SHA-256'".to_string(),
            _ => return None,
        },
        ObservableKind::AppId => "app:id".to_string(),
        ObservableKind::CertHash => hash_path("app:cert.")?,
        ObservableKind::Profile => "configuration-profile:id".to_string(),
        ObservableKind::AndroidProperty => "android-property:name".to_string(),
    };
    Some(format!("[{path} = '{v}']"))
}

/// The bundle of the correlation's clusters (only leads; candidates that are not leads stay out).
pub fn bundle(c: &Correlation) -> Value {
    let producer = stix_id("identity", "producer");
    let newest = c.leads.iter().filter(|l| l.lead).filter_map(|l| l.last_seen).max();
    let mut objects = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": producer,
        "created": stix_time(newest),
        "modified": stix_time(newest),
        "name": "ferret campaign correlation",
        "identity_class": "system",
        "description": "Candidate indicators from values that several checked devices share, rare in the population and close in time to alerts. Unconfirmed: review before acting on them.",
    })];
    for cluster in &c.clusters {
        let leads: Vec<&crate::correlate::Lead> =
            cluster.leads.iter().filter_map(|&rank| c.leads.get(rank - 1)).collect();
        let seed: Vec<String> = leads.iter().map(|l| format!("{}={}", l.kind.as_str(), l.value)).collect();
        let campaign = stix_id("campaign", &seed.join("|"));
        let created = stix_time(cluster.last_seen);
        objects.push(json!({
            "type": "campaign",
            "spec_version": "2.1",
            "id": campaign,
            "created_by_ref": producer,
            "created": created,
            "modified": created,
            "name": format!("ferret candidate campaign {}", cluster.id.trim_start_matches("cluster-")),
            "description": format!(
                "{} shared values link {} of {} checked devices between {} and {}.",
                leads.len(),
                cluster.devices.len(),
                c.device_count,
                stix_time(cluster.first_seen),
                stix_time(cluster.last_seen)
            ),
            "first_seen": stix_time(cluster.first_seen),
            "last_seen": stix_time(cluster.last_seen),
        }));
        for l in leads {
            let Some(p) = pattern(l.kind, &l.value) else { continue };
            let id = stix_id("indicator", &format!("{}={}", l.kind.as_str(), l.value));
            objects.push(json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": id,
                "created_by_ref": producer,
                "created": created,
                "modified": created,
                "name": format!("{} {}", l.kind.as_str(), l.value),
                "description": format!("Candidate: {} (score {:.3}).", l.why, l.score),
                "indicator_types": ["unknown"],
                "pattern": p,
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": stix_time(l.first_seen),
                "confidence": if l.known_indicator { 85 } else { 50 },
            }));
            objects.push(json!({
                "type": "relationship",
                "spec_version": "2.1",
                "id": stix_id("relationship", &format!("{id}>{campaign}")),
                "created": created,
                "modified": created,
                "relationship_type": "indicates",
                "source_ref": id,
                "target_ref": campaign,
            }));
        }
    }
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &objects.iter().filter_map(|o| o["id"].as_str()).collect::<Vec<_>>().join(",")),
        "objects": objects,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_quotes_and_pick_paths() {
        assert_eq!(pattern(ObservableKind::Domain, "a.b").as_deref(), Some("[domain-name:value = 'a.b']"));
        assert_eq!(pattern(ObservableKind::Url, "x'y\\z").as_deref(), Some("[url:value = 'x\\'y\\\\z']"));
        assert_eq!(pattern(ObservableKind::Ip, "::1").as_deref(), Some("[ipv6-addr:value = '::1']"));
        assert_eq!(pattern(ObservableKind::FileHash, "ab"), None);
        assert_eq!(
            pattern(ObservableKind::CertHash, &"a".repeat(40)).as_deref(),
            Some(&*format!("[app:cert.sha1 = '{}']", "a".repeat(40)))
        );
    }

    #[test]
    fn ids_are_uuids_from_content() {
        let a = stix_id("indicator", "x");
        assert_eq!(a, stix_id("indicator", "x"));
        assert_ne!(a, stix_id("indicator", "y"));
        let uuid = a.trim_start_matches("indicator--");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'5');
    }
}

//! Configuration-profile stubs as iOS keeps them in a backup:
//! `SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles` /
//! `Library/ConfigurationProfiles/profile-<hex>.stub` (binary plists with `PayloadUUID`,
//! `PayloadIdentifier`, `PayloadDisplayName`, `PayloadType` = `Configuration`, `PayloadContent`
//! [payload dicts with `PayloadType`], `InstallDate`, `SignerCerts` [DER data]).
//!
//! Benign profiles (signed, Wi-Fi/mail payloads) plus planted cases, each with a unique
//! `PayloadDisplayName` marker:
//! * `PayloadUUID` is a profile indicator → CRITICAL;
//! * installs a root certificate (`com.apple.security.root`) → MEDIUM;
//! * sets a global HTTP proxy (`com.apple.proxy.http.global`) → MEDIUM;
//! * installs a managed VPN (`com.apple.vpn.managed`) → MEDIUM;
//! * changes notification settings (`com.apple.notificationsettings`) → MEDIUM;
//! * unsigned (no `SignerCerts`) → LOW.

use plist::{Dictionary, Value};
use rand::Rng;

use crate::ArtifactFile;
use crate::rng::{hex_string, rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};
use ferret_core::Level;

/// The backup domain of profile stubs.
pub const DOMAIN: &str = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles";
const FS_ROOT: &str = "private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles";

fn payload(kind: &str, rng: &mut crate::rng::TestRng) -> Value {
    let mut d = Dictionary::new();
    d.insert("PayloadType".into(), Value::String(kind.into()));
    d.insert("PayloadUUID".into(), Value::String(uuid(rng)));
    d.insert("PayloadIdentifier".into(), Value::String(format!("com.example.payload.{}", word(rng, 6))));
    d.insert("PayloadVersion".into(), Value::Integer(1.into()));
    if kind == "com.apple.security.root" {
        d.insert("PayloadContent".into(), Value::Data(vec![0x30, 0x82, 0x01, 0x00]));
    }
    Value::Dictionary(d)
}

struct Spec<'a> {
    name: String,
    payloads: &'a [&'a str],
    signed: bool,
    uuid: String,
}

fn stub(spec: &Spec<'_>, t: i64, rng: &mut crate::rng::TestRng) -> ArtifactFile {
    let mut d = Dictionary::new();
    d.insert("PayloadDisplayName".into(), Value::String(spec.name.clone()));
    d.insert("PayloadIdentifier".into(), Value::String(format!("com.example.profile.{}", spec.name)));
    d.insert("PayloadUUID".into(), Value::String(spec.uuid.clone()));
    d.insert("PayloadType".into(), Value::String("Configuration".into()));
    d.insert("PayloadVersion".into(), Value::Integer(1.into()));
    d.insert("PayloadContent".into(), Value::Array(spec.payloads.iter().map(|k| payload(k, rng)).collect()));
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(t).unwrap_or(0));
    d.insert("InstallDate".into(), Value::Date(st.into()));
    if spec.signed {
        d.insert("SignerCerts".into(), Value::Array(vec![Value::Data(vec![0x30, 0x82, 0x02, 0x10, 0x42])]));
    }
    let rel = format!("Library/ConfigurationProfiles/profile-{}.stub", hex_string(rng, 32));
    ArtifactFile {
        domain: DOMAIN.into(),
        fs_path: format!("{FS_ROOT}/{rel}"),
        relative_path: rel,
        bytes: crate::ios_backup::encode_bplist(&Value::Dictionary(d)),
        mtime: t,
    }
}

/// Generates `scale` benign profiles plus the planted ones.
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios-configuration-profiles");
    let mut out = Vec::new();
    for i in 0..scale {
        let kinds: &[&str] = if i % 2 == 0 {
            &["com.apple.wifi.managed"]
        } else {
            &["com.apple.mail.managed", "com.apple.webClip.managed"]
        };
        let spec = Spec {
            name: format!("benign-{i}-{}", word(&mut rng, 5)),
            payloads: kinds,
            signed: true,
            uuid: uuid(&mut rng),
        };
        let t = 1_700_000_000 + rng.random_range(0..10_000_000);
        out.push(stub(&spec, t, &mut rng));
    }
    let m = |rng: &mut crate::rng::TestRng, what: &str| format!("ferretprofile-{what}-{}", word(rng, 6));
    // indicator hit (signed, benign payload: only the CRITICAL)
    let name = m(&mut rng, "ioc");
    let id = uuid(&mut rng);
    truth.plant(IndicatorKind::ProfileId, id.clone(), "TestSpyware");
    truth.expect("configuration_profiles", Level::Critical, Some(&id.to_lowercase()), name.clone());
    out.push(stub(
        &Spec { name, payloads: &["com.apple.wifi.managed"], signed: true, uuid: id },
        1_712_000_000,
        &mut rng,
    ));
    for (what, kind) in [
        ("rootcert", "com.apple.security.root"),
        ("proxy", "com.apple.proxy.http.global"),
        ("vpn", "com.apple.vpn.managed"),
        ("notifications", "com.apple.notificationsettings"),
    ] {
        let name = m(&mut rng, what);
        truth.expect("configuration_profiles", Level::Medium, None, name.clone());
        let u = uuid(&mut rng);
        out.push(stub(&Spec { name, payloads: &[kind], signed: true, uuid: u }, 1_712_100_000, &mut rng));
    }
    let name = m(&mut rng, "unsigned");
    truth.expect("configuration_profiles", Level::Low, None, name.clone());
    let u = uuid(&mut rng);
    out.push(stub(
        &Spec { name, payloads: &["com.apple.wifi.managed"], signed: false, uuid: u },
        1_712_200_000,
        &mut rng,
    ));
    out
}

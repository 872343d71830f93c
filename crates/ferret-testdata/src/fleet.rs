//! A synthetic fleet for campaign correlation: many small acquisitions of both platforms, a few
//! of them hit by one of two distinct campaigns, with the ground truth of who belongs to which.
//!
//! Each device is one acquisition in `DIR/devices/`: an iOS backup folder `dev-NNN/` (`sms.db`
//! and `DataUsage.sqlite`) or an Android `adb backup` file `dev-NNN.ab` (its SMS). What is in
//! them:
//! * **background noise shared by everyone**: the carrier's service number and its link, Apple's
//!   processes, common web sites;
//! * **popular noise**: a news site and a delivery company's number on about a third of the
//!   devices, at unrelated times;
//! * **per-device values**: the owner's own contacts and links, seen on that device only;
//! * **campaign traces**: each campaign has its own sender account, link domain (a per-target
//!   token in the path) and, on iOS, implant process name; on an iOS victim the implant's
//!   network usage row points to a process record that was deleted (a HIGH heuristic alert
//!   without any indicator) minutes after the message arrived. Victims are hit within a few days
//!   of each other;
//! * **decoys**: a rare value shared by exactly two unrelated devices, months apart, with nothing
//!   else happening near it;
//! * **quiet anomalies**: some uninvolved iOS devices have the same deleted-process anomaly at
//!   an unrelated time (so an alert alone does not make a campaign).
//!
//! [`FleetTruth`] (`fleet-truth.json`) lists every device with the results folder name a batch
//! check gives it (`ferret check DIR/devices/* -o OUT` names folders after the acquisitions),
//! each campaign with its devices and traces, the noise values and the decoys.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::Rng;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::ArtifactFile;
use crate::ios::{datausage, sms};
use crate::rng::{TestRng, hex_string, rng_for, uuid, word};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct FleetSpec {
    /// Number of devices (at least 12, so both campaigns and the decoys fit).
    pub devices: usize,
    /// Seed.
    pub seed: u64,
}

/// One device of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetDevice {
    /// The results folder name a batch check gives it (the acquisition's file or folder name).
    pub id: String,
    /// `ios` or `android`.
    pub platform: String,
    /// The acquisition, relative to the fleet folder.
    pub acquisition: PathBuf,
    /// The campaign that hit it, if any.
    pub campaign: Option<String>,
}

/// One planted value: its observable kind (as in `observables.jsonl`) and value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Trace {
    /// `domain`, `phone`, `email`, `process`...
    pub kind: String,
    /// The value as `observables.jsonl` writes it (normalised).
    pub value: String,
}

/// One campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTruth {
    /// Name.
    pub name: String,
    /// Its devices' ids, sorted.
    pub devices: Vec<String>,
    /// The values every one of its devices holds (sender account, link domain); plus the
    /// implant process, held by its iOS devices.
    pub traces: Vec<Trace>,
}

/// A value shared by two unrelated devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoy {
    /// The value.
    pub trace: Trace,
    /// The two devices.
    pub devices: Vec<String>,
}

/// The ground truth of a fleet (`fleet-truth.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetTruth {
    /// Every device, in id order.
    pub devices: Vec<FleetDevice>,
    /// The two campaigns.
    pub campaigns: Vec<CampaignTruth>,
    /// Values on every device.
    pub universal: Vec<Trace>,
    /// Values on about a third of the devices.
    pub popular: Vec<Trace>,
    /// Rare values on exactly two unrelated devices.
    pub decoys: Vec<Decoy>,
    /// Uninvolved iOS devices with the planted "quiet anomaly": a network usage row whose
    /// process record was deleted (one HIGH `datausage` alert each, on purpose, with no campaign
    /// behind it), sorted.
    #[serde(default)]
    pub quiet_anomalies: Vec<String>,
}

impl FleetTruth {
    /// The acquisitions, in id order (to pass to `ferret check ... -o OUT`).
    pub fn acquisitions(&self, dir: &Path) -> Vec<PathBuf> {
        self.devices.iter().map(|d| dir.join(&d.acquisition)).collect()
    }
}

/// 2025-02-01 00:00 UTC.
const T0: i64 = 1_738_368_000;
const DAY: i64 = 86_400;

/// One SMS of a device.
#[derive(Debug, Clone)]
struct Sms {
    sender: String,
    text: String,
    unix: i64,
}

/// One process with network usage on an iOS device.
#[derive(Debug, Clone)]
struct Proc {
    name: String,
    bundle: Option<String>,
    unix: i64,
    /// A usage row pointing to a process record that is gone (the deleted-process anomaly).
    orphan_at: Option<i64>,
}

#[derive(Debug, Default)]
struct Device {
    sms: Vec<Sms>,
    procs: Vec<Proc>,
    anomaly_at: Option<i64>,
}

fn trace(kind: &str, value: &str) -> Trace {
    Trace { kind: kind.into(), value: value.into() }
}

struct Campaign {
    name: String,
    sender: String,
    sender_kind: &'static str,
    domain: String,
    process: String,
    start: i64,
    members: Vec<usize>,
}

/// Writes the fleet under `dir` (`devices/`, `fleet-truth.json`) and returns its truth.
pub fn write_fleet(dir: &Path, spec: FleetSpec) -> std::io::Result<FleetTruth> {
    let n = spec.devices.max(12);
    let mut rng = rng_for(spec.seed, "fleet");
    let platform = |i: usize| if i % 3 == 2 { "android" } else { "ios" };
    let id = |i: usize| {
        let base = format!("dev-{:03}", i + 1);
        if platform(i) == "android" { format!("{base}.ab") } else { base }
    };
    let mut devices: Vec<Device> = (0..n).map(|_| Device::default()).collect();

    // Universal noise.
    let carrier = "+18005550100".to_string();
    let carrier_link = "https://my.carrier-example.com/bill".to_string();
    let apple_procs = ["mDNSResponder", "nsurlsessiond", "apsd", "itunesstored", "cloudd", "assistantd"];
    for (i, d) in devices.iter_mut().enumerate() {
        let t = T0 + rng.random_range(0..300) * DAY + rng.random_range(0..DAY);
        d.sms.push(Sms { sender: carrier.clone(), text: format!("Your bill is ready: {carrier_link}"), unix: t });
        d.sms.push(Sms {
            sender: carrier.clone(),
            text: "Welcome abroad! See https://www.wikipedia.org for travel tips".into(),
            unix: t + 40 * DAY,
        });
        if platform(i) == "ios" {
            for p in apple_procs {
                let t = T0 + rng.random_range(0..300) * DAY;
                d.procs.push(Proc { name: p.into(), bundle: Some(format!("com.apple.{p}")), unix: t, orphan_at: None });
            }
        }
    }
    let universal = vec![
        trace("phone", &carrier),
        trace("domain", "my.carrier-example.com"),
        trace("domain", "www.wikipedia.org"),
        trace("process", "mDNSResponder"),
    ];

    // Popular noise: on about a third of the devices, at unrelated times.
    let courier = "+18005550199".to_string();
    let news = "daily-news-example.org".to_string();
    for (i, d) in devices.iter_mut().enumerate() {
        if i % 3 == 0 {
            let t = T0 + rng.random_range(0..300) * DAY;
            d.sms.push(Sms {
                sender: courier.clone(),
                text: format!("Parcel {} arrives today, track at https://{news}/t/{}", hex_string(&mut rng, 6), i),
                unix: t,
            });
        }
    }
    let popular = vec![trace("phone", &courier), trace("domain", &news)];

    // Per-device values.
    for (i, d) in devices.iter_mut().enumerate() {
        for k in 0..6 {
            let t = T0 + rng.random_range(0..300) * DAY + rng.random_range(0..DAY);
            let friend = format!("+3934{:08}", rng.random_range(0..100_000_000u32));
            let text = if k % 2 == 0 {
                format!("look at https://{}-{}.example.net/p/{k}", word(&mut rng, 6), i)
            } else {
                format!("see you at {} o'clock", 1 + k)
            };
            d.sms.push(Sms { sender: friend, text, unix: t });
        }
        if platform(i) == "ios" {
            // the owner's apps: the executable is the bundle id's last component, as usual
            for _ in 0..4 {
                let name = format!("{}d", word(&mut rng, 7));
                let t = T0 + rng.random_range(0..300) * DAY;
                d.procs.push(Proc {
                    bundle: Some(format!("com.example.{}.{name}", word(&mut rng, 5))),
                    name,
                    unix: t,
                    orphan_at: None,
                });
            }
        }
    }

    // Two campaigns: members chosen among both platforms, disjoint; each has at least two iOS
    // victims (the Android `.ab` holds no alert to be close to) and one Android victim.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let size_a = (n / 8).clamp(4, 12);
    let size_b = (n / 12).clamp(3, 8);
    let mut picked: Vec<usize> = Vec::with_capacity(n);
    for size in [size_a, size_b] {
        let mut members: Vec<usize> = Vec::with_capacity(size);
        let take = |want: &dyn Fn(usize) -> bool, k: usize, members: &mut Vec<usize>| {
            for &i in &order {
                if members.len() >= k {
                    break;
                }
                if want(i) && !picked.contains(&i) && !members.contains(&i) {
                    members.push(i);
                }
            }
        };
        take(&|i| platform(i) == "ios", 2, &mut members);
        take(&|i| platform(i) == "android", 3, &mut members);
        take(&|_| true, size, &mut members);
        picked.extend(members);
    }
    picked.extend(order.iter().copied().filter(|i| !picked.contains(i)).collect::<Vec<_>>());
    let order = picked;
    let mut campaigns = vec![
        Campaign {
            name: "campaign-a".into(),
            sender: format!("+4479{:08}", rng.random_range(0..100_000_000u32)),
            sender_kind: "phone",
            domain: format!("{}-{}.com", word(&mut rng, 6), word(&mut rng, 5)),
            process: format!("{}agentd", word(&mut rng, 5)),
            start: T0 + 60 * DAY,
            members: order[..size_a].to_vec(),
        },
        Campaign {
            name: "campaign-b".into(),
            sender: format!("{}@{}-mail.net", word(&mut rng, 6), word(&mut rng, 6)),
            sender_kind: "email",
            domain: format!("{}.{}-cdn.net", word(&mut rng, 4), word(&mut rng, 7)),
            process: format!("com.apple.{}d", word(&mut rng, 6)),
            start: T0 + 150 * DAY,
            members: order[size_a..size_a + size_b].to_vec(),
        },
    ];
    for c in &mut campaigns {
        c.members.sort_unstable();
        for &m in &c.members {
            let t = c.start + rng.random_range(0..5) * DAY + rng.random_range(0..DAY);
            let token = hex_string(&mut rng, 10);
            let d = &mut devices[m];
            d.sms.push(Sms {
                sender: c.sender.clone(),
                text: format!("Your account needs a check: https://{}/v/{token}", c.domain),
                unix: t,
            });
            if platform(m) == "ios" {
                let gap = rng.random_range(120..1_800);
                d.procs.push(Proc {
                    name: c.process.clone(),
                    bundle: None,
                    unix: t + gap,
                    orphan_at: Some(t + gap + 60),
                });
                d.anomaly_at = Some(t + gap + 60);
            }
        }
    }

    // Quiet anomalies on some uninvolved iOS devices; decoys on uninvolved devices without one.
    let involved: Vec<usize> = campaigns.iter().flat_map(|c| c.members.iter().copied()).collect();
    let free: Vec<usize> = order[size_a + size_b..].to_vec();
    for (k, &i) in free.iter().enumerate() {
        if platform(i) == "ios" && k % 4 == 0 {
            let t = T0 + rng.random_range(0..300) * DAY;
            // the row left is an app of the owner's; the deleted record was another process
            let name = format!("{}d", word(&mut rng, 8));
            let bundle = Some(format!("com.example.{name}"));
            devices[i].procs.push(Proc { name, bundle, unix: t, orphan_at: Some(t + 60) });
            devices[i].anomaly_at = Some(t + 60);
        }
    }
    let quiet: Vec<usize> = free.iter().copied().filter(|&i| devices[i].anomaly_at.is_none()).collect();
    let mut decoys = Vec::new();
    for k in 0..3 {
        let (Some(&a), Some(&b)) = (quiet.get(2 * k), quiet.get(2 * k + 1)) else { break };
        let value = match k {
            0 => format!("{}-{}.org", word(&mut rng, 7), word(&mut rng, 4)),
            1 => format!("+3906{:08}", rng.random_range(0..100_000_000u32)),
            _ => format!("{}@{}.org", word(&mut rng, 5), word(&mut rng, 6)),
        };
        let kind = ["domain", "phone", "email"][k];
        for (j, &dev) in [a, b].iter().enumerate() {
            let t = T0 + (10 + 200 * j as i64) * DAY + rng.random_range(0..DAY);
            let (sender, text) = match kind {
                "domain" => {
                    (format!("+3933{:08}", rng.random_range(0..100_000_000u32)), format!("menu at https://{value}/m"))
                }
                _ => (value.clone(), "hello, long time no see".to_string()),
            };
            devices[dev].sms.push(Sms { sender, text, unix: t });
        }
        let mut ids = vec![id(a), id(b)];
        ids.sort();
        decoys.push(Decoy { trace: trace(kind, &value), devices: ids });
    }
    debug_assert!(involved.iter().all(|i| !quiet.contains(i)));

    // Write the acquisitions.
    let root = dir.join("devices");
    std::fs::create_dir_all(&root)?;
    let mut out_devices = Vec::with_capacity(n);
    for (i, d) in devices.iter_mut().enumerate() {
        d.sms.sort_by_key(|s| s.unix);
        let seed = spec.seed.wrapping_mul(1_000).wrapping_add(i as u64);
        let rel = PathBuf::from("devices").join(id(i));
        if platform(i) == "ios" {
            write_ios(&dir.join(&rel), seed, d)?;
        } else {
            std::fs::write(dir.join(&rel), ab_bytes(&d.sms)?)?;
        }
        out_devices.push(FleetDevice {
            id: id(i),
            platform: platform(i).into(),
            acquisition: rel,
            campaign: campaigns.iter().find(|c| c.members.contains(&i)).map(|c| c.name.clone()),
        });
    }
    let campaigns: Vec<CampaignTruth> = campaigns
        .iter()
        .map(|c| {
            let mut devices: Vec<String> = c.members.iter().map(|&m| id(m)).collect();
            devices.sort();
            let mut traces = vec![trace(c.sender_kind, &c.sender), trace("domain", &c.domain)];
            if c.members.iter().filter(|&&m| platform(m) == "ios").count() >= 2 {
                traces.push(trace("process", &c.process));
            }
            CampaignTruth { name: c.name.clone(), devices, traces }
        })
        .collect();
    let mut quiet_anomalies: Vec<String> =
        free.iter().filter(|&&i| devices[i].anomaly_at.is_some()).map(|&i| id(i)).collect();
    quiet_anomalies.sort();
    let truth = FleetTruth { devices: out_devices, campaigns, universal, popular, decoys, quiet_anomalies };
    let mut f = std::fs::File::create(dir.join("fleet-truth.json"))?;
    serde_json::to_writer_pretty(&mut f, &truth)?;
    f.write_all(b"\n")?;
    Ok(truth)
}

fn mac_ns(unix: i64) -> i64 {
    (unix - ferret_core::time::MAC_EPOCH_OFFSET) * 1_000_000_000
}

fn write_ios(path: &Path, seed: u64, d: &Device) -> std::io::Result<()> {
    let mut rng = rng_for(seed, "fleet/ios");
    let files = ios_files(&mut rng, d).map_err(std::io::Error::other)?;
    let device = crate::ios::device::device(seed);
    std::fs::create_dir_all(path)?;
    crate::ios_backup::write_backup(path, &files, &device)
}

fn ios_files(rng: &mut TestRng, d: &Device) -> Result<Vec<ArtifactFile>, crate::sqlite::FixtureError> {
    let sms_db = crate::sqlite::build(
        |c: &Connection| {
            c.execute_batch(sms::SCHEMA)?;
            c.execute("INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name) VALUES (1, 'chat-1', 45, 'c', 'SMS')", [])?;
            let mut handles: Vec<String> = Vec::new();
            for m in &d.sms {
                let handle = match handles.iter().position(|h| *h == m.sender) {
                    Some(p) => p as i64 + 1,
                    None => {
                        handles.push(m.sender.clone());
                        let service = if m.sender.contains('@') { "iMessage" } else { "SMS" };
                        c.execute("INSERT INTO handle (id, service) VALUES (?1, ?2)", params![m.sender, service])?;
                        handles.len() as i64
                    }
                };
                let service = if m.sender.contains('@') { "iMessage" } else { "SMS" };
                c.execute(
                    "INSERT INTO message (guid, text, handle_id, service, date, date_read, date_delivered, is_from_me, is_read, is_delivered, is_finished) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, 0, 1, 1, 1)",
                    params![uuid(rng), m.text, handle, service, mac_ns(m.unix)],
                )?;
                let id = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (1, ?1, ?2)",
                    params![id, mac_ns(m.unix)],
                )?;
            }
            Ok(())
        },
        None,
    )?;
    let usage = crate::sqlite::build(
        |c: &Connection| {
            c.execute_batch(datausage::SCHEMA)?;
            let mut live = 1i64;
            let mut procs = d.procs.clone();
            procs.sort_by(|a, b| (a.unix, &a.name).cmp(&(b.unix, &b.name)));
            let mut pk = 0i64;
            for p in &procs {
                pk += 1;
                datausage::proc_row(c, pk, &p.name, p.bundle.as_deref(), p.unix)?;
                datausage::live_row(c, live, pk, p.unix + 10, 50_000.0)?;
                live += 1;
                if let Some(t) = p.orphan_at {
                    // the implant's usage row outlives its process record (deleted)
                    pk += 1;
                    datausage::live_row(c, live, pk, t, 4_096.0)?;
                    live += 1;
                }
            }
            c.execute(
                "INSERT INTO Z_PRIMARYKEY VALUES (7, 'Process', 0, ?1), (5, 'LiveUsage', 0, ?2)",
                params![pk, live],
            )?;
            Ok(())
        },
        None,
    )?;
    let mut files = sms::artifact_files(sms::DOMAIN, sms::RELATIVE_PATH, sms::FS_PATH, sms_db, T0 + 400 * DAY);
    files.extend(sms::artifact_files(
        "WirelessDomain",
        "Library/Databases/DataUsage.sqlite",
        "private/var/wireless/Library/Databases/DataUsage.sqlite",
        usage,
        T0 + 400 * DAY,
    ));
    Ok(files)
}

/// A plain (unencrypted, compressed, version 5) `adb backup` with the telephony provider's SMS.
fn ab_bytes(sms: &[Sms]) -> std::io::Result<Vec<u8>> {
    let msgs: Vec<serde_json::Value> = sms
        .iter()
        .map(|m| {
            serde_json::json!({
                "address": m.sender,
                "body": m.text,
                "date": format!("{}", m.unix * 1000),
                "date_sent": "0",
                "type": "1",
                "read": "1",
            })
        })
        .collect();
    let mut b = tar::Builder::new(Vec::new());
    crate::android::backup::tar_add(
        &mut b,
        "apps/com.android.providers.telephony/_manifest",
        b"1\ncom.android.providers.telephony\n",
    )?;
    crate::android::backup::tar_add(
        &mut b,
        "apps/com.android.providers.telephony/d_f/000000_sms_backup",
        &crate::android::backup::zlib(&serde_json::to_vec(&msgs)?),
    )?;
    let tar = b.into_inner()?;
    let mut out = b"ANDROID BACKUP\n5\n1\nnone\n".to_vec();
    out.extend_from_slice(&crate::android::backup::zlib(&tar));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fleet_is_deterministic_and_campaigns_are_disjoint() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ta = write_fleet(a.path(), FleetSpec { devices: 24, seed: 3 }).unwrap();
        let tb = write_fleet(b.path(), FleetSpec { devices: 24, seed: 3 }).unwrap();
        assert_eq!(ta, tb);
        assert_eq!(ta.devices.len(), 24);
        let (ca, cb) = (&ta.campaigns[0], &ta.campaigns[1]);
        assert!(ca.devices.len() >= 4 && cb.devices.len() >= 3);
        assert!(ca.devices.iter().all(|d| !cb.devices.contains(d)));
        assert!(ta.devices.iter().any(|d| d.platform == "android" && d.campaign.is_some()));
        assert_eq!(ta.decoys.len(), 3);
        for d in &ta.decoys {
            assert!(d.devices.iter().all(|id| ta.devices.iter().any(|x| &x.id == id && x.campaign.is_none())));
        }
        for d in &ta.devices {
            let p = a.path().join(&d.acquisition);
            assert!(p.exists(), "{} written", p.display());
        }
        // the quiet anomalies are named: uninvolved iOS devices, not the decoys' devices
        assert!(!ta.quiet_anomalies.is_empty());
        for id in &ta.quiet_anomalies {
            let d = ta.devices.iter().find(|x| &x.id == id).expect("a device");
            assert_eq!((d.platform.as_str(), d.campaign.as_deref()), ("ios", None), "{id}");
            assert!(ta.decoys.iter().all(|x| !x.devices.contains(id)), "{id}");
        }
    }
}

//! Generated captures checked with the real indicator engine: recall and precision must be
//! exact (every planted case alerted at its level, nothing else), in pcap, pcapng and gzipped
//! pcapng, with and without `--device-ip`; benign-only traffic raises no alert at all.
#![allow(clippy::print_stderr)]

use std::net::IpAddr;
use std::path::Path;

use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Alert, Context, RunOptions, Secrets};
use ferret_net::{modules, open};
use ferret_testdata::pcap::{Format, NetSpec, write_capture_file};
use ferret_testdata::truth::{Truth, compare};

struct Run {
    alerts: Vec<Alert>,
    records: std::collections::BTreeMap<&'static str, Vec<serde_json::Value>>,
}

fn run(path: &Path, truth: &Truth, device: &[&str]) -> Run {
    let bundle = ferret_testdata::stix::bundle(&truth.indicators, 500, 7);
    let (index, report) = ferret_indicators::load_bytes(bundle.as_bytes(), "generated.stix2");
    assert!(report.total >= truth.indicators.len(), "{report:?}");
    let ev = open(path, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let opts = RunOptions {
        device_ips: device.iter().map(|d| d.parse::<IpAddr>().expect("ip")).collect(),
        ..RunOptions::default()
    };
    let ctx = Context { evidence: ev.as_ref(), indicators: &index, options: &opts };
    let mut alerts = Vec::new();
    let mut records = std::collections::BTreeMap::new();
    for m in modules(AcquisitionKind::NetCapture) {
        let r = run_one(m.as_ref(), &ctx);
        assert!(r.outcome.is_ok(), "{}: {:?}", m.info().name, r.outcome);
        alerts.extend(r.alerts);
        records.insert(m.info().name, r.records);
    }
    Run { alerts, records }
}

fn assert_exact(truth: &Truth, alerts: &[Alert]) {
    compare(&truth.alerts, alerts, None).assert_exact();
}

#[test]
fn planted_traffic_is_found_exactly_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    for (name, format) in [("c.pcap", Format::Pcap), ("c.pcapng", Format::Pcapng), ("c.pcapng.gz", Format::Pcapng)] {
        let p = dir.path().join(name);
        let spec = NetSpec { format, sessions: 120, seed: 5, ..NetSpec::default() };
        let cap = write_capture_file(&p, &spec).expect("generate");
        assert_eq!(cap.truth.alerts.len(), 10, "{name}");
        let r = run(&p, &cap.truth, &[]);
        assert_exact(&cap.truth, &r.alerts);
        // the records tie the planted traffic together
        let tls = &r.records["net_tls"];
        let evil = tls
            .iter()
            .find(|t| t["domain"] == ferret_testdata::pcap::IOC_DOMAIN)
            .unwrap_or_else(|| panic!("{name}: no TLS record of the indicator domain"));
        assert_eq!(evil["dst_ip"], "2001:db8:66::10", "{name}: the split IPv6 ClientHello");
        assert_eq!(evil["dns_name"], ferret_testdata::pcap::IOC_DOMAIN, "{name}: tied to the DNS answer");
        assert!(evil["ja4"].as_str().is_some_and(|j| j.starts_with("t13d")), "{name}: {evil}");
        let quic = &r.records["net_quic"];
        assert!(quic.iter().any(|q| q["domain"] == ferret_testdata::pcap::IOC_DOMAIN), "{name}: split Initials");
        assert!(quic.len() > 3, "{name}: benign QUIC too");
        let http = &r.records["net_http"];
        assert!(http.iter().any(|h| h["url"] == ferret_testdata::pcap::IOC_URL), "{name}: split request line");
        let flows = &r.records["net_flows"];
        let ioc_flow = flows.iter().find(|f| f["dst_ip"] == "192.0.2.70").expect("flow");
        assert_eq!((ioc_flow["src_ip"].as_str(), ioc_flow["dst_port"].as_u64()), (Some("10.8.0.2"), Some(5222)));
        // the server's data packets were cut by the snap length; bytes count what was on the wire
        assert!(ioc_flow["bytes_in"].as_u64().is_some_and(|b| b >= 400), "{ioc_flow}");
    }
}

#[test]
fn benign_traffic_raises_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    for seed in [1, 2, 3] {
        let p = dir.path().join(format!("benign-{seed}.pcapng"));
        let spec = NetSpec { sessions: 400, planted: false, seed, ..NetSpec::default() };
        let cap = write_capture_file(&p, &spec).expect("generate");
        assert!(cap.truth.alerts.is_empty());
        // with the planted indicators loaded, benign traffic must still give no alert
        let planted = write_capture_file(&dir.path().join("x.pcap"), &NetSpec { sessions: 8, ..spec }).expect("x");
        let r = run(&p, &planted.truth, &[]);
        assert!(r.alerts.is_empty(), "seed {seed}: {:#?}", r.alerts.iter().map(|a| &a.message).collect::<Vec<_>>());
        assert!(r.records["net_flows"].len() > 400, "seed {seed}");
        assert!(r.records["net_beacons"].is_empty(), "seed {seed}");
    }
}

#[test]
fn device_ip_keeps_only_that_phone() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("two.pcapng");
    let spec = NetSpec { sessions: 60, other_host: true, seed: 9, ..NetSpec::default() };
    let cap = write_capture_file(&p, &spec).expect("generate");
    assert_eq!(cap.truth.alerts.len(), cap.truth_device.alerts.len() + 1);
    assert_exact(&cap.truth, &run(&p, &cap.truth, &[]).alerts);
    let r = run(&p, &cap.truth, &["10.8.0.2", "2001:db8:8::2"]);
    assert_exact(&cap.truth_device, &r.alerts);
    assert!(r.records["net_flows"].iter().all(|f| f["src_ip"] != "10.8.0.3" && f["dst_ip"] != "10.8.0.3"));
    // only the IPv4 address: the IPv6 connection to the indicator domain is left out
    let r = run(&p, &cap.truth, &["10.8.0.2"]);
    assert!(!r.alerts.iter().any(|a| a.module == "net_tls"), "{:?}", r.alerts);
}

#[test]
fn damaged_captures_are_errors_or_partial() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("full.pcap");
    let spec = NetSpec { format: Format::Pcap, sessions: 40, seed: 3, ..NetSpec::default() };
    let cap = write_capture_file(&p, &spec).expect("generate");
    let bytes = std::fs::read(&p).expect("read");
    // cut in the middle of a packet: everything before is read, the cut is a warning
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 7]).expect("write");
    let ev = open(&cut, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &ferret_core::NoIndicators, options: &opts };
    let flows = modules(AcquisitionKind::NetCapture).into_iter().next().expect("net_flows");
    let r = run_one(flows.as_ref(), &ctx);
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert!(!r.records.is_empty());
    assert!(r.warnings.iter().any(|w| w.contains("truncated file")), "{:?}", r.warnings);
    // a packet header announcing 2 GiB in a short file: the file is cut there (a warning)
    let mut huge = bytes[..24].to_vec();
    huge.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x80]);
    huge.extend_from_slice(&[0u8; 64]);
    let hp = dir.path().join("huge.pcap");
    std::fs::write(&hp, &huge).expect("write");
    let ev = open(&hp, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let ctx = Context { evidence: ev.as_ref(), indicators: &ferret_core::NoIndicators, options: &opts };
    let r = run_one(flows.as_ref(), &ctx);
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert!(r.warnings.iter().any(|w| w.contains("truncated file")), "{:?}", r.warnings);
    // a 20 MiB packet present in full is larger than any block ferret accepts: an error of each
    // module, naming the capture
    let mut big = bytes[..24].to_vec();
    let n: u32 = 20 << 20;
    big.extend_from_slice(&[0u8; 8]);
    big.extend_from_slice(&n.to_le_bytes());
    big.extend_from_slice(&n.to_le_bytes());
    big.resize(big.len() + n as usize + 4096, 0);
    let bp = dir.path().join("big.pcap");
    std::fs::write(&bp, &big).expect("write");
    let ev = open(&bp, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let ctx = Context { evidence: ev.as_ref(), indicators: &ferret_core::NoIndicators, options: &opts };
    for m in modules(AcquisitionKind::NetCapture) {
        let r = run_one(m.as_ref(), &ctx);
        let e = r.outcome.expect_err("damaged");
        assert!(e.contains("big.pcap") && e.contains("damaged capture"), "{e}");
    }
    // not a capture at all: refused when opening
    let np = dir.path().join("not.pcap");
    std::fs::write(&np, b"hello, not a capture").expect("write");
    let e = open(&np, AcquisitionKind::NetCapture, &Secrets::default()).expect_err("not a capture");
    assert!(e.to_string().contains("not a pcap or pcapng"), "{e}");
    assert!(ferret_net::detect(&np).is_none());
    assert_eq!(ferret_net::detect(&p).map(|d| d.kind), Some(AcquisitionKind::NetCapture));
    assert!(cap.packets > 100);
}

/// Past its bounds the decoding keeps counting but stops keeping: at most `max_flows` flows and
/// `max_dns` / `max_records` records, and the warnings say which bound was reached.
#[test]
fn bounds_cap_what_is_kept() {
    use ferret_net::decode::Limits;
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("c.pcapng");
    write_capture_file(&p, &NetSpec { sessions: 150, seed: 4, ..NetSpec::default() }).expect("generate");
    let ev = open(&p, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &ferret_core::NoIndicators, options: &opts };
    let limits = Limits { max_flows: 50, max_dns: 20, max_records: 10, ..Limits::default() };
    let mut counts = std::collections::BTreeMap::new();
    let mut warnings = Vec::new();
    for m in ferret_net::modules::modules_with(ferret_net::CaptureCache::with_limits(limits)) {
        let r = run_one(m.as_ref(), &ctx);
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
        counts.insert(m.info().name, r.records.len());
        warnings.extend(r.warnings);
    }
    assert_eq!(counts["net_flows"], 50);
    assert_eq!(counts["net_dns"], 20);
    // ClientHellos and requests of untracked flows are still read (when whole in one packet)
    assert_eq!((counts["net_tls"], counts["net_http"]), (10, 10));
    for what in ["flows", "DNS records", "TLS records", "HTTP records"] {
        assert!(warnings.iter().any(|w| w.starts_with(&format!("{what}: bound reached"))), "{what}: {warnings:?}");
    }
    assert!(warnings.iter().any(|w| w.contains("packets of untracked flows")), "{warnings:?}");
}

/// Past the bounds, what matches an indicator is still kept: the indicator alerts of the
/// planted traffic are raised even when the bounds are far smaller than the capture. The one
/// exception: a plain HTTP request split over two packets, to a server whose name is not an
/// indicator (only the URL is), on a connection the full flow table does not track.
#[test]
fn indicator_hits_survive_the_bounds() {
    use ferret_net::decode::Limits;
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("c.pcapng");
    let cap = write_capture_file(&p, &NetSpec { sessions: 150, seed: 6, ..NetSpec::default() }).expect("generate");
    let bundle = ferret_testdata::stix::bundle(&cap.truth.indicators, 500, 7);
    let (index, _) = ferret_indicators::load_bytes(bundle.as_bytes(), "generated.stix2");
    let ev = open(&p, AcquisitionKind::NetCapture, &Secrets::default()).expect("open").evidence;
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &index, options: &opts };
    let limits = Limits { max_flows: 30, max_dns: 10, max_records: 5, ..Limits::default() };
    let mut alerts = Vec::new();
    for m in ferret_net::modules::modules_with(ferret_net::CaptureCache::with_limits(limits)) {
        let r = run_one(m.as_ref(), &ctx);
        assert!(r.outcome.is_ok(), "{:?}", r.outcome);
        alerts.extend(r.alerts);
    }
    let critical: Vec<_> =
        cap.truth.alerts.iter().filter(|a| a.level == ferret_core::Level::Critical).cloned().collect();
    assert_eq!(critical.len(), 6);
    let found: Vec<Alert> = alerts.into_iter().filter(|a| a.level == ferret_core::Level::Critical).collect();
    let cmp = compare(&critical, &found, None);
    assert!(cmp.unexpected.is_empty(), "{:?}", cmp.unexpected);
    let missed: Vec<&str> = cmp.missed.iter().map(|m| m.module.as_str()).collect();
    assert_eq!(missed, ["net_http"], "{:?}", cmp.missed);
}

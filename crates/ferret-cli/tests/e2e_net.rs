//! End-to-end tests of network captures through the binary: `ferret check capture.pcapng`
//! (type detected from its content) and `ferret net check-pcap --device-ip`, exact recall and
//! precision against the generator's ground truth, and the same results folder as a phone's.

use std::process::Output;

use ferret_testdata::pcap::{Format, NetSpec, write_capture_file};
use ferret_testdata::testkit::{Ferret, assert_results_exact, bundle_file, s};

fn ferret(args: &[&str]) -> Output {
    Ferret::new(env!("CARGO_BIN_EXE_ferret")).run(args)
}

#[test]
fn capture_auto_detected_into_a_results_folder() {
    let work = tempfile::tempdir().expect("tmp");
    let cap = work.path().join("capture.pcapng.gz");
    let g = write_capture_file(&cap, &NetSpec { sessions: 80, seed: 11, ..NetSpec::default() }).expect("gen");
    let iocs = bundle_file(work.path(), &g.truth);
    let before = std::fs::read(&cap).expect("read");
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&cap)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &g.truth);
    assert_eq!(before, std::fs::read(&cap).expect("read"), "evidence unchanged");
    // the same files as any acquisition: records, alerts, timeline, info, report
    for f in
        ["net_dns.json", "net_tls.json", "net_flows.json", "timeline.csv", "timeline.jsonl", "info.json", "report.html"]
    {
        assert!(out.join(f).is_file(), "{f}");
    }
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info")).expect("json");
    assert_eq!(info["run"]["target"]["kind"], "net_capture", "{}", info["run"]);
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).expect("timeline");
    assert!(timeline.contains("tls_client_hello") && timeline.contains("dns_response"));
}

#[test]
fn check_pcap_with_device_ip_and_wrong_types() {
    let work = tempfile::tempdir().expect("tmp");
    let cap = work.path().join("two.pcap");
    let spec = NetSpec { format: Format::Pcap, sessions: 60, other_host: true, seed: 12, ..NetSpec::default() };
    let g = write_capture_file(&cap, &spec).expect("gen");
    let iocs = bundle_file(work.path(), &g.truth);
    let out = work.path().join("r");
    let o = ferret(&[
        "net",
        "check-pcap",
        "--device-ip",
        "10.8.0.2,2001:db8:8::2",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "-o",
        s(&out),
        s(&cap),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &g.truth_device);
    // a capture given to another command names the right one, and the other way round
    let o = ferret(&["ios", "check-backup", "--no-default-iocs", s(&cap)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ferret net check-pcap"), "{err}");
    let o = ferret(&["net", "check-pcap", "--no-default-iocs", s(&iocs)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a network capture"), "{err}");
}

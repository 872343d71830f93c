//! The `ferret` binary on real Apple unified-log files (`../shared/real/unified-logging/`, read
//! in place and laid out in a temporary folder): the default build reads the unified log, from a
//! sysdiagnose and from a filesystem dump alike.

use std::path::Path;

use ferret_testdata::testkit::{Ferret, s, shared};

/// (file under unified-logging/, path inside system_logs.logarchive/, path in a filesystem dump)
const FILES: [(&str, &str, &str); 4] = [
    (
        "0000000000000f85.tracev3",
        "Special/0000000000000f85.tracev3",
        "private/var/db/diagnostics/Special/0000000000000f85.tracev3",
    ),
    (
        "0000000000000030.tracev3",
        "Persist/0000000000000030.tracev3",
        "private/var/db/diagnostics/Persist/0000000000000030.tracev3",
    ),
    (
        "timesync/0000000000000002.timesync",
        "timesync/0000000000000002.timesync",
        "private/var/db/diagnostics/timesync/0000000000000002.timesync",
    ),
    (
        "uuidtext/22/0D3C2953A33917B333DD8366AC25F2",
        "22/0D3C2953A33917B333DD8366AC25F2",
        "private/var/db/uuidtext/22/0D3C2953A33917B333DD8366AC25F2",
    ),
];

fn lay_out(src: &Path, dst: &Path, sysdiagnose: bool) {
    for (from, in_archive, in_fs) in FILES {
        let to = if sysdiagnose {
            dst.join("sysdiagnose_2022.04.13_10-00-00-0400_iPhone-OS_iPad_19D52/system_logs.logarchive")
                .join(in_archive)
        } else {
            dst.join(in_fs)
        };
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(src.join(from), &to).expect("copy real file to the temporary layout");
    }
}

fn unified_log_records(out: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read(out.join("unified_log.json")).expect("unified_log.json written");
    serde_json::from_slice(&text).expect("json")
}

#[test]
fn default_binary_reads_the_real_unified_log_from_sysdiagnose_and_filesystem_dump() {
    let Some(src) = shared("real/unified-logging") else { return };
    let work = tempfile::tempdir().expect("tmp");
    let iocs = work.path().join("domains.txt");
    std::fs::write(&iocs, "ls.apple.com\n").expect("write indicator list");
    let mut seen = Vec::new();
    for (cmd, sysdiagnose) in [("check-sysdiagnose", true), ("check-fs", false)] {
        let acq = work.path().join(cmd);
        lay_out(&src, &acq, sysdiagnose);
        let out = work.path().join(format!("out-{cmd}"));
        let o = Ferret::new(env!("CARGO_BIN_EXE_ferret")).run([
            "ios",
            cmd,
            "--no-default-iocs",
            "--iocs",
            s(&iocs),
            "-m",
            "unified_log",
            "-o",
            s(&out),
            s(&acq),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{cmd}: indicator in the log -> exit 1; {stderr}");
        let recs = unified_log_records(&out);
        assert!(!recs.is_empty(), "{cmd}");
        for r in &recs {
            assert_eq!(r["record_type"], "message", "{cmd}: {r}");
            assert_eq!(r["boot_uuid"], "A6EBC8E30A1C40E893B9DA3A7F671D19", "{cmd}");
            assert!(r["isodate"].is_null(), "{cmd}: no timesync for this boot, no invented date: {r}");
        }
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info.json")).expect("json");
        let text = info.to_string();
        assert!(text.contains("no timesync record"), "{cmd}: the unresolved boot is said in info.json");
        seen.push(recs.iter().map(|r| r["message"].clone()).collect::<Vec<_>>());
    }
    assert_eq!(seen[0], seen[1], "the sysdiagnose and the filesystem dump give the same messages");
}

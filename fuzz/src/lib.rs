//! Fuzz harness shared by the cargo-fuzz targets in `fuzz_targets/` and by `make_corpus`.
//!
//! [`run`] feeds untrusted bytes to one parser; a panic, abort or runaway allocation is a bug.
//! Seeds live in [`seeds`] (std only; the crates' `tests/hostile*.rs` include the same file).
#![forbid(unsafe_code)]

pub mod seeds;

/// Runs the parser of `target` on `data`. Results and errors are ignored: only crashes count.
pub fn run(target: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match target {
        "stix_pattern" => {
            let _ = ferret_indicators::pattern::parse(&text);
        }
        "stix_bundle" => {
            let _ = ferret_indicators::load_bytes(data, "fuzz.stix2");
        }
        "ioc_yaml" => {
            let _ = ferret_indicators::load_bytes(data, "ioc.yaml");
        }
        "plist" => {
            if let Ok(v) = ferret_formats::parse_plist(data) {
                let _ = ferret_formats::plist_to_json(&v);
            }
        }
        "keyed_archive" => {
            let _ = ferret_formats::parse_keyed_archive(data);
        }
        "mbfile" => {
            let _ = ferret_formats::parse_mbfile(data);
        }
        "typedstream" => {
            let _ = ferret_formats::typedstream::decode_text(data);
        }
        "sqlite_wal" => {
            // 4-byte little-endian database length, the database, then the log
            let n = data.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            let rest = data.get(4..).unwrap_or_default();
            let (db, wal) = rest.split_at(n.min(rest.len()));
            let mut db = db.to_vec();
            let _ = ferret_core::wal::apply(&mut db, wal, 1 << 24);
        }
        "process_census" => {
            let _ = ferret_ios::census::ProcessCensus::census_of_values(text.lines(), ["com.example.Chat"]);
        }
        "url_extract" => {
            let _ = ferret_core::urls::find_urls(&text);
        }
        "dumpsys" => {
            let d = ferret_android::dumpstate::Dumpstate::from_text(&text);
            let pkg = d.dumpsys("package").unwrap_or(&text);
            let _ = ferret_android::parsers::dumpsys::parse_packages(pkg);
            let _ = ferret_android::parsers::dumpsys::parse_accessibility(&text);
            let _ = ferret_android::parsers::dumpsys::parse_appops(&text);
            let _ = ferret_android::parsers::dumpsys::parse_resolver(&text, "Activity Resolver Table:");
            let _ = ferret_android::parsers::dumpsys::parse_dbinfo(&text);
            let _ = ferret_android::parsers::dumpsys::parse_battery_daily(&text);
            let _ = ferret_android::parsers::dumpsys::parse_battery_history(&text);
        }
        "getprop" => {
            let _ = ferret_android::parsers::props::parse_getprop(&text);
        }
        "settings" => {
            let _ = ferret_android::parsers::props::parse_settings(&text);
        }
        "ab_header" => {
            // A bounded read of the payload exercises the CBC/zlib stream set-up too.
            if let Ok((_, mut r)) = ferret_android::backup::open_stream(data, Some("pw"), "fuzz.ab") {
                let mut buf = Vec::new();
                let _ = std::io::Read::read_to_end(&mut std::io::Read::take(&mut r, 1 << 20), &mut buf);
            }
            // Then the tar and the streamed SMS/MMS JSON, in memory with small budgets.
            let _ = ferret_android::fuzz_ab(data);
        }
        "androidqf_json" => {
            if let Ok(list) = serde_json::from_slice::<Vec<serde_json::Value>>(data) {
                for v in list {
                    if let Ok(p) = serde_json::from_value::<ferret_android::parsers::aqf::AqfPackage>(v) {
                        let _ = p.granted();
                        let _ = p.installer();
                    }
                }
            }
            let _ = ferret_android::parsers::aqf::parse_files_json(data);
        }
        "tombstone_pb" => {
            let _ = ferret_android::parsers::protobuf::parse_tombstone_pb(data);
        }
        "android_text" => {
            let _ = ferret_android::parsers::ps::parse_ps(&text);
            let _ = ferret_android::parsers::tombstone::parse_tombstone(&text);
            let _ = text.lines().map(ferret_android::parsers::aqf::parse_mount).count();
            let _ = ferret_android::parsers::aqf::parse_hashes_csv(&text);
        }
        "stix_split" => ferret_indicators::fuzz_split_agrees(data),
        "prepared" => ferret_indicators::fuzz_prepared(data),
        "keybag" => {
            let _ = ferret_ios::backup::crypto::parse_keybag(data);
        }
        "fs_layout" => {
            let names: Vec<&str> = text.lines().collect();
            let _ = ferret_ios::fs::layout_of(names.iter().copied());
            let _ = ferret_ios::detect::classify_names(names.iter().copied());
        }
        "net_packet" => {
            let _ = ferret_net::fuzz_packet(data);
        }
        "campaign_files" => {
            let _ = ferret_campaign::fuzz_files(data);
        }
        "analytics_event" => {
            if let Some(event) = ferret_ios::modules::analytics::event_from_blob(data) {
                let _ = ferret_ios::modules::analytics::checked_strings(&event);
            }
        }
        "intrusion_logs" => {
            let _ = ferret_android::fuzz_intrusion(data);
        }
        other => panic!("unknown fuzz target {other}"),
    }
}

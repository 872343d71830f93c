//! Size and scratch budgets on generated bombs (small ones: this test binary sets an 8 MiB
//! artifact budget and a 24 MiB scratch budget before anything uses them). Every case asserts the
//! error and that no more than the budget was ever reserved in scratch.

use std::path::Path;

use ferret_core::budget;
use ferret_core::tar::TarEvidence;
use ferret_core::zip::ZipEvidence;
use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile};
use ferret_testdata::hostile::{tar_gz_bomb, zip_bomb};

const ARTIFACT: u64 = 8 << 20;
const SCRATCH: u64 = 24 << 20;
const SMS: &str = "private/var/mobile/Library/SMS/sms.db";

fn setup() {
    budget::configure(ARTIFACT, SCRATCH);
    assert_eq!((budget::artifact_limit(), budget::scratch_limit()), (ARTIFACT, SCRATCH));
}

fn sms() -> EvidenceFile {
    EvidenceFile::plain(SMS)
}

/// Files under `dir` (recursively), with their sizes.
fn bytes_under(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let m = e.metadata().expect("meta");
        n += if m.is_dir() { bytes_under(&e.path()) } else { m.len() };
    }
    n
}

#[test]
fn tar_gz_bomb_is_refused_from_its_header() {
    setup();
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("fs.tar.gz");
    tar_gz_bomb(&p, None, SMS, 64 << 20).expect("bomb");
    assert!(std::fs::metadata(&p).expect("meta").len() < 200_000, "a bomb: small compressed");
    let t = TarEvidence::open(&p, AcquisitionKind::IosFs).expect("indexes (streams, caches nothing over budget)");
    assert_eq!(t.stats().cached_files, 0, "not cached: over the scratch budget");
    let err = t.sqlite(&sms()).expect_err("refused");
    assert!(matches!(err, EvidenceError::Budget { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(SMS) && msg.contains("67108864 bytes, over the 8388608-byte budget for one artifact"),
        "{msg}"
    );
    assert!(budget::scratch_peak() <= SCRATCH);
}

#[test]
fn zip_bomb_is_refused_from_its_header_and_a_lying_header_while_streaming() {
    setup();
    let d = tempfile::tempdir().expect("tmp");
    let honest = d.path().join("honest.zip");
    zip_bomb(&honest, None, SMS, 64 << 20, None).expect("bomb");
    let z = ZipEvidence::open(&honest, AcquisitionKind::IosFs).expect("open");
    let err = z.sqlite(&sms()).expect_err("refused");
    assert!(err.to_string().contains("over the 8388608-byte budget for one artifact"), "{err}");
    // The header says 4 KiB; the data inflates to 64 MiB: stopped at the declared size.
    let liar = d.path().join("liar.zip");
    zip_bomb(&liar, None, SMS, 64 << 20, Some(4096)).expect("bomb");
    let z = ZipEvidence::open(&liar, AcquisitionKind::IosFs).expect("open");
    let before = budget::scratch_used();
    let err = z.sqlite(&sms()).expect_err("refused").to_string();
    assert!(err.contains("inflates beyond its declared size of 4096 bytes"), "{err}");
    assert!(budget::scratch_used() <= before + 4096 || budget::scratch_used() < SCRATCH, "released");
    assert!(budget::scratch_peak() <= SCRATCH);
}

#[test]
fn scratch_budget_bounds_the_total_and_copies_are_shared() {
    setup();
    let d = tempfile::tempdir().expect("tmp");
    // a real 6 MiB database with a WAL, stored in a zip: under the artifact budget
    let db = d.path().join("sms.db");
    let c = rusqlite::Connection::open(&db).expect("db");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE message(t BLOB);").expect("sql");
    for _ in 0..6 {
        c.execute("INSERT INTO message VALUES (zeroblob(1000000))", []).expect("insert");
    }
    let (main, wal) = (std::fs::read(&db).expect("db"), std::fs::read(d.path().join("sms.db-wal")).expect("wal"));
    drop(c);
    let zp = d.path().join("fs.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zp).expect("create"));
    for (n, b) in [(SMS.to_string(), &main), (format!("{SMS}-wal"), &wal)] {
        w.start_file(n, zip::write::SimpleFileOptions::default()).expect("start");
        std::io::Write::write_all(&mut w, b).expect("write");
    }
    w.finish().expect("zip");
    let z = ZipEvidence::open(&zp, AcquisitionKind::IosFs).expect("open");
    // Two modules reading sms.db at once share one private copy: copied once.
    let a = z.sqlite(&sms()).expect("first");
    let used_one = budget::scratch_used();
    let b = z.sqlite(&sms()).expect("second, sharing the copy");
    assert_eq!(a.copy_dir(), b.copy_dir());
    assert_eq!(budget::scratch_used(), used_one, "no second copy");
    let n: i64 = b.query_row("SELECT count(*) FROM message", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 6, "WAL content read");
    let dir = a.copy_dir().expect("copy").to_path_buf();
    assert!(bytes_under(&dir) <= budget::scratch_peak());
    drop((a, b));
    assert!(!dir.exists(), "removed with the last connection");
    // Several archives' copies at once: the total is bounded by the scratch budget.
    let zs: Vec<ZipEvidence> = (0..4).map(|_| ZipEvidence::open(&zp, AcquisitionKind::IosFs).expect("open")).collect();
    let mut held = Vec::new();
    let mut refused = None;
    for z in &zs {
        match z.sqlite(&sms()) {
            Ok(db) => held.push(db),
            Err(e) => {
                refused = Some(e.to_string());
                break;
            }
        }
    }
    let msg = refused.expect("the scratch budget runs out before four copies");
    assert!(msg.contains("scratch space budget exhausted"), "{msg}");
    assert!(msg.contains("FERRET_SCRATCH_LIMIT"), "{msg}");
    assert!(!held.is_empty());
    assert!(budget::scratch_peak() <= SCRATCH);
}

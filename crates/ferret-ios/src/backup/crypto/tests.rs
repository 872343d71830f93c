use std::collections::BTreeMap;

use ferret_core::module::testing::{RunResult, run_one};
use ferret_core::{Context, Evidence, Outcome, RunOptions};
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::ios;
use ferret_testdata::ios_backup::{
    DeviceSpec, EncryptionSpec, LazyFile, file_id, write_backup, write_encrypted_backup,
    write_encrypted_backup_streamed, write_encrypted_backup_with,
};
use ferret_testdata::truth::{Truth, compare};
use sha2::Digest;

use super::*;

const PW: &str = "correct horse battery staple";
const DPIC: u32 = 1000;

fn scenario(seed: u64) -> (Vec<ferret_testdata::ArtifactFile>, Truth, DeviceSpec) {
    let mut truth = Truth::default();
    let mut files = Vec::new();
    files.extend(ios::calls::generate(seed, 10, &mut truth));
    files.extend(ios::contacts::generate(seed, 10, &mut truth));
    files.extend(ios::chrome_history::generate(seed, 10, &mut truth));
    files.extend(ios::id_status_cache::generate(seed, 10, &mut truth));
    files.extend(ios::interaction_c::generate(seed, 10, &mut truth));
    files.extend(ios::locationd::generate(seed, 10, &mut truth));
    files.extend(ios::safari_browser_state::generate(seed, 10, &mut truth));
    files.extend(ios::shortcuts::generate(seed, 10, &mut truth));
    files.extend(ios::webkit_session_resource_log::generate(seed, 10, &mut truth));
    files.extend(ios::sms::generate(seed, 40, &mut truth));
    ios::os_version::expect_for_planted_version(&mut truth);
    let device = DeviceSpec { product_version: ios::os_version::VERSION.into(), ..Default::default() };
    (files, truth, device)
}

/// Runs every backup module; returns results by module name.
fn run_all(ev: &dyn Evidence, truth: &Truth) -> BTreeMap<&'static str, RunResult> {
    let ind = TruthIndicators::new(truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &ind, options: &opts };
    crate::modules::backup_modules().iter().map(|m| (m.info().name, run_one(m.as_ref(), &ctx))).collect()
}

/// Records, alerts and outcomes must be identical; warnings may name paths differently.
fn assert_same(a: &BTreeMap<&'static str, RunResult>, b: &BTreeMap<&'static str, RunResult>) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, ra) in a {
        let rb = &b[name];
        assert_eq!(ra.outcome, rb.outcome, "{name} outcome");
        assert_eq!(ra.records, rb.records, "{name} records");
        assert_eq!(ra.alerts.len(), rb.alerts.len(), "{name} alerts");
    }
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let h = sha2::Sha256::digest(std::fs::read(&p).expect("read"));
                out.insert(p.strip_prefix(dir).expect("prefix").to_path_buf(), hex::encode(h));
            }
        }
    }
    out
}

fn encrypted(seed: u64) -> (tempfile::TempDir, Vec<ferret_testdata::ArtifactFile>, Truth, DeviceSpec, [u8; 32]) {
    let (files, truth, device) = scenario(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let key = write_encrypted_backup(dir.path(), &files, &device, PW, DPIC, seed).expect("write encrypted");
    (dir, files, truth, device, key)
}

#[test]
fn keybag_round_trip_and_rfc_vectors() {
    // RFC 3394 §4.6: 256-bit key wrapped with a 256-bit KEK
    let kek: [u8; 32] = core::array::from_fn(|i| i as u8);
    let wrapped =
        hex::decode("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21").expect("hex");
    let key = unwrap32(&kek, &wrapped).expect("unwrap");
    assert_eq!(hex::encode_upper(key), "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    let mut bad = wrapped.clone();
    bad[10] ^= 1;
    assert!(unwrap32(&kek, &bad).is_none(), "integrity check");
    assert!(unwrap32(&kek, &wrapped[..32]).is_none());
    // RFC 6070: PBKDF2-HMAC-SHA1("password", "salt", 1) = 0c60c80f...; no DPSL = pre-10.2 scheme
    let kb = Keybag { salt: Some(b"salt".to_vec()), iter: Some(1), ..Keybag::default() };
    let k = derive_key("password", &kb).expect("derive");
    assert_eq!(hex::encode(&k[..20]), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
    assert!(matches!(derive_key("x", &Keybag::default()), Err(KeybagError::Missing { tag: "SALT" })));
    let zero = Keybag { salt: Some(vec![1]), iter: Some(0), ..Keybag::default() };
    assert!(derive_key("x", &zero).is_err());

    // a generated keybag parses with header and class records in place
    let (dir, ..) = encrypted(3);
    let (_, m) = manifest_plist(dir.path()).expect("plist");
    let bag = m.get("BackupKeyBag").and_then(plist::Value::as_data).expect("bag");
    let kb = parse_keybag(bag).expect("keybag");
    assert_eq!((kb.version, kb.kind, kb.iter, kb.dpic, kb.wrap), (Some(4), Some(1), Some(10_000), Some(DPIC), Some(0)));
    assert_eq!(kb.uuid.as_ref().map(Vec::len), Some(16));
    assert_eq!(kb.salt.as_ref().map(Vec::len), Some(20));
    assert_eq!(kb.classes.len(), 11);
    assert!(kb.classes.iter().all(|c| c.wrap == Some(2) && c.wrapped_key.as_ref().map(Vec::len) == Some(40)));
    assert_eq!(kb.classes.iter().map(|c| c.class.unwrap_or(0)).collect::<Vec<_>>(), (1..=11).collect::<Vec<_>>());

    // every truncation is an error (or a shorter valid bag ending on a tag boundary), never a panic
    for n in 0..bag.len() {
        let _ = parse_keybag(&bag[..n]);
    }
    let e = parse_keybag(&bag[..bag.len() - 3]).expect_err("truncated");
    assert!(matches!(&e, KeybagError::Truncated { tag, .. } if tag == "WPKY"), "{e}");
    assert!(e.to_string().contains("offset"), "{e}");
    assert_eq!(parse_keybag(b""), Err(KeybagError::Empty));
    assert!(matches!(parse_keybag(&vec![0u8; MAX_KEYBAG + 1]), Err(KeybagError::TooLarge { .. })));
    // huge declared length
    assert!(matches!(parse_keybag(b"SALT\xff\xff\xff\xffab"), Err(KeybagError::Truncated { .. })));
    // integer tag with a wrong width, non-ASCII tag names
    let e = parse_keybag(b"ITER\x00\x00\x00\x02ab").expect_err("bad int");
    assert!(e.to_string().contains("ITER") && e.to_string().contains("offset 0"), "{e}");
    let kb = parse_keybag(b"\xff\xfe\x00\x01\x00\x00\x00\x01z").expect("unknown tag ignored");
    assert_eq!(kb, Keybag::default());
    // pseudo-random hostile input never panics
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2000 {
        let mut buf = bag.to_vec();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % buf.len();
            buf[i] = (x >> 32) as u8;
        }
        let _ = parse_keybag(&buf);
    }
}

#[test]
fn round_trip_exact_recall_and_precision_on_the_encrypted_backup() {
    let (dir, files, truth, device, _) = encrypted(21);
    let before = snapshot(dir.path());
    let plain_dir = tempfile::tempdir().expect("tempdir");
    write_backup(plain_dir.path(), &files, &device).expect("plain");
    let plain = BackupEvidence::open(plain_dir.path()).expect("plain opens");

    assert!(matches!(BackupEvidence::open(dir.path()), Err(BackupError::Encrypted { .. })));
    let ev = open_encrypted(dir.path(), &KeySource::password(PW)).expect("opens");
    assert!(ev.is_encrypted());
    assert_eq!(ev.row_count(), plain.row_count());
    let enc = run_all(&ev, &truth);
    let pl = run_all(&plain, &truth);
    assert_same(&pl, &enc);
    for name in ["calls", "sms", "chrome_history", "shortcuts", "os_version"] {
        let r = &enc[name];
        assert_eq!(r.outcome, Ok(Outcome::Completed), "{name}: {:?}", r.warnings);
        assert!(!r.records.is_empty() || name == "os_version", "{name}");
    }
    let alerts: Vec<_> = enc.values().flat_map(|r| r.alerts.iter().cloned()).collect();
    // every module's alerts, not only the planted modules': exact recall and precision (the
    // modules alone: the process census is a pass after them)
    let cmp = compare(&truth.without_census().alerts, &alerts, None);
    assert!(!truth.alerts.is_empty());
    assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
    drop(ev);
    // nothing written next to the evidence
    assert_eq!(snapshot(dir.path()), before);
}

/// Content of a generated lazy file: a pattern that differs by file and by position.
fn lazy_content(f: &LazyFile) -> Vec<u8> {
    let salt = f.relative_path.len() as u64 * 7 + f.size;
    (0..f.size).map(|i| ((i * 131 + salt) % 251) as u8).collect()
}

#[test]
fn streamed_writer_writes_the_in_memory_backup_and_it_decrypts_to_the_same_files() {
    let (mut files, truth, device) = scenario(23);
    const MIB: u64 = 1 << 20;
    // sizes across the writer's 1 MiB encryption chunks and the PKCS#7 block edges
    let lazy: Vec<LazyFile> = [0, 1, 16, MIB, MIB + 5, 2 * MIB + 17]
        .iter()
        .enumerate()
        .map(|(i, &size)| LazyFile {
            domain: "CameraRollDomain".into(),
            relative_path: format!("Media/DCIM/100APPLE/IMG_{:04}.MOV", 1000 + i),
            size,
            mtime: 1_700_100_000 + i as i64,
        })
        .collect();
    let spec = EncryptionSpec { password: PW, dpic: DPIC, iter: 10, seed: 23, file_class: 3, manifest_class: 4 };
    // the content is produced in odd-sized writes, one file at a time, in order
    let mut order = Vec::new();
    let mut fill = |f: &LazyFile, out: &mut dyn std::io::Write| -> std::io::Result<()> {
        order.push(f.relative_path.clone());
        for piece in lazy_content(f).chunks(4099) {
            out.write_all(piece)?;
        }
        Ok(())
    };
    let streamed = tempfile::tempdir().expect("tempdir");
    let key = write_encrypted_backup_streamed(streamed.path(), &files, &lazy, &mut fill, &device, &spec, 3)
        .expect("streamed");
    assert_eq!(order, lazy.iter().map(|f| f.relative_path.clone()).collect::<Vec<_>>());

    files.extend(lazy.iter().map(|f| ferret_testdata::ArtifactFile {
        domain: f.domain.clone(),
        relative_path: f.relative_path.clone(),
        fs_path: String::new(),
        bytes: lazy_content(f),
        mtime: f.mtime,
    }));
    let in_memory = tempfile::tempdir().expect("tempdir");
    assert_eq!(write_encrypted_backup_with(in_memory.path(), &files, &device, &spec, 3).expect("in memory"), key);
    // byte-identical trees: Manifest.db, keybag, every encrypted file
    let tree = snapshot(streamed.path());
    assert_eq!(tree.len(), files.len() + 4, "content files, Manifest.db and three plists");
    assert_eq!(tree, snapshot(in_memory.path()));

    // ferret opens it with the key and reads back every file's bytes, the lazy ones included
    let ev = open_encrypted(streamed.path(), &KeySource::Key(key.into())).expect("opens with the key");
    assert!(ev.is_encrypted());
    let mut read: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    ev.walk(&mut |f| {
        if f.domain.as_deref() == Some("CameraRollDomain") {
            read.insert(f.relative_path.clone(), ev.read(f, u64::MAX).expect("read"));
        }
    })
    .expect("walk");
    let want: BTreeMap<String, Vec<u8>> = lazy.iter().map(|f| (f.relative_path.clone(), lazy_content(f))).collect();
    assert!(read == want, "lazy files read back differ: {:?}", read.keys().collect::<Vec<_>>());
    assert_same(
        &run_all(&open_encrypted(in_memory.path(), &KeySource::password(PW)).expect("opens"), &truth),
        &run_all(&ev, &truth),
    );
    drop(ev);

    // decrypt-backup writes every file, generated and lazy, with its bytes
    let out = tempfile::tempdir().expect("tempdir");
    let dec = out.path().join("decrypted");
    let rep = decrypt_backup(streamed.path(), &dec, &KeySource::Key(key.into()), false).expect("decrypt");
    assert_eq!((rep.files_written, rep.failed.len()), (files.len(), 0));
    for f in &files {
        let id = file_id(&f.domain, &f.relative_path);
        assert!(std::fs::read(dec.join(&id[..2]).join(&id)).expect("content") == f.bytes, "{}", f.relative_path);
    }

    // a fill that writes another size than announced is an error, not a lying manifest
    let short = tempfile::tempdir().expect("tempdir");
    let mut fill_short = |_: &LazyFile, out: &mut dyn std::io::Write| out.write_all(b"short");
    let e = write_encrypted_backup_streamed(short.path(), &[], &lazy[1..2], &mut fill_short, &device, &spec, 0)
        .expect_err("size mismatch");
    assert!(e.to_string().contains("5 bytes written for a size of 1"), "{e}");
}

#[test]
fn wrong_password_and_key_reuse() {
    let (dir, .., key) = encrypted(5);
    let e = open_encrypted(dir.path(), &KeySource::password("nope")).expect_err("wrong");
    assert!(matches!(e, CryptoError::WrongPassword), "{e}");
    assert!(e.to_string().contains("wrong password"));
    let e = open_encrypted(dir.path(), &KeySource::Key([7; 32].into())).expect_err("wrong key");
    assert!(matches!(e, CryptoError::WrongPassword), "{e}");
    let dest = tempfile::tempdir().expect("tempdir");
    let out = dest.path().join("out");
    let e = decrypt_backup(dir.path(), &out, &KeySource::password("nope"), false).expect_err("wrong");
    assert!(matches!(e, CryptoError::WrongPassword));
    assert!(!out.exists(), "nothing written on a wrong password");

    let derived = derive_backup_key(dir.path(), PW).expect("derive");
    assert_eq!(*derived, key);
    assert!(matches!(derive_backup_key(dir.path(), "nope"), Err(CryptoError::WrongPassword)));
    let ev = open_encrypted(dir.path(), &KeySource::Key((*derived).into())).expect("opens with the key");
    assert!(ev.row_count() > 0);
    // a plain backup: open_encrypted opens it plain, extract-key refuses
    let plain = tempfile::tempdir().expect("tempdir");
    write_backup(plain.path(), &[], &DeviceSpec::default()).expect("plain");
    assert!(!open_encrypted(plain.path(), &KeySource::password(PW)).expect("plain").is_encrypted());
    assert!(matches!(derive_backup_key(plain.path(), PW), Err(CryptoError::NotEncrypted { .. })));
}

#[test]
fn corrupt_keybag_and_manifest_key_name_the_file() {
    let (dir, ..) = encrypted(6);
    let mp = dir.path().join("Manifest.plist");
    let original = plist::Value::from_file(&mp).expect("plist");
    let mut v = original.clone();
    let d = v.as_dictionary_mut().expect("dict");
    let bag = d.get("BackupKeyBag").and_then(plist::Value::as_data).expect("bag").to_vec();
    d.insert("BackupKeyBag".into(), plist::Value::Data(bag[..bag.len() - 7].to_vec()));
    v.to_file_binary(&mp).expect("write");
    let e = open_encrypted(dir.path(), &KeySource::password(PW)).expect_err("corrupt");
    assert!(matches!(e, CryptoError::Keybag { .. }), "{e}");
    assert!(e.to_string().contains("Manifest.plist") && e.to_string().contains("truncated"), "{e}");

    let mut v = original.clone();
    v.as_dictionary_mut().expect("dict").insert("ManifestKey".into(), plist::Value::Data(vec![4, 0, 0, 0, 1, 2]));
    v.to_file_binary(&mp).expect("write");
    let e = open_encrypted(dir.path(), &KeySource::password(PW)).expect_err("corrupt");
    assert!(e.to_string().contains("Manifest.plist") && e.to_string().contains("ManifestKey"), "{e}");

    // a damaged Manifest.db: clear error naming it
    original.to_file_binary(&mp).expect("write");
    let db = dir.path().join("Manifest.db");
    let mut bytes = std::fs::read(&db).expect("db");
    bytes[5] ^= 0xff;
    std::fs::write(&db, &bytes).expect("write");
    let e = open_encrypted(dir.path(), &KeySource::password(PW)).expect_err("corrupt db");
    assert!(e.to_string().contains("Manifest.db"), "{e}");
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&db, &bytes).expect("write");
    let e = open_encrypted(dir.path(), &KeySource::password(PW)).expect_err("truncated db");
    assert!(e.to_string().contains("Manifest.db"), "{e}");
}

#[test]
fn truncated_file_is_reported_and_the_others_still_processed() {
    let (dir, files, truth, ..) = encrypted(7);
    let victim = files.iter().find(|f| f.relative_path.ends_with("CallHistory.storedata")).expect("calls db");
    let id = file_id(&victim.domain, &victim.relative_path);
    let p = dir.path().join(&id[..2]).join(&id);
    let len = std::fs::metadata(&p).expect("meta").len();
    std::fs::OpenOptions::new().write(true).open(&p).expect("open").set_len(len - 5).expect("truncate");

    let ev = open_encrypted(dir.path(), &KeySource::password(PW)).expect("opens");
    let r = run_all(&ev, &truth);
    let calls = &r["calls"];
    let err = format!("{:?} {:?}", calls.outcome, calls.warnings);
    assert!(err.contains("CallHistory.storedata") && err.contains("multiple of the AES block size"), "{err}");
    assert_eq!(r["sms"].outcome, Ok(Outcome::Completed));
    assert!(!r["sms"].records.is_empty());

    // a truncation on a block boundary breaks the padding instead
    std::fs::OpenOptions::new().write(true).open(&p).expect("open").set_len(len - 32).expect("truncate");
    let dest = tempfile::tempdir().expect("tempdir");
    let rep = decrypt_backup(dir.path(), dest.path(), &KeySource::password(PW), false).expect("decrypts the rest");
    assert_eq!(rep.failed.len(), 1, "{:?}", rep.failed);
    assert!(
        rep.failed[0].file.contains("CallHistory.storedata") && rep.failed[0].reason.contains("padding"),
        "{:?}",
        rep.failed
    );
    assert_eq!(rep.files_written, files.len() - 1);
    assert!(!dest.path().join(&id[..2]).join(&id).exists());
}

#[test]
fn decrypt_backup_writes_a_plain_backup_with_identical_records() {
    let (dir, files, truth, device, key) = encrypted(9);
    let before = snapshot(dir.path());
    let dest = tempfile::tempdir().expect("tempdir");
    let out = dest.path().join("decrypted");
    let rep = decrypt_backup(dir.path(), &out, &KeySource::Key(key.into()), false).expect("decrypt");
    assert_eq!(rep.files_written, files.len());
    assert_eq!(rep.bytes_written, files.iter().map(|f| f.bytes.len() as u64).sum::<u64>());
    assert!(rep.failed.is_empty() && rep.missing == 0);
    assert_eq!(snapshot(dir.path()), before, "source untouched");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777, 0o700);
    }
    for f in &files {
        let id = file_id(&f.domain, &f.relative_path);
        let p = out.join(&id[..2]).join(&id);
        assert_eq!(std::fs::read(&p).expect("content"), f.bytes, "{}", f.relative_path);
        let mtime = std::fs::metadata(&p).expect("meta").modified().expect("mtime");
        assert_eq!(mtime.duration_since(std::time::UNIX_EPOCH).expect("epoch").as_secs() as i64, f.mtime);
    }
    let ev = BackupEvidence::open(&out).expect("plain open of the decrypted tree");
    assert!(!ev.is_encrypted() && !ev.device_info().encrypted);
    let plain_dir = tempfile::tempdir().expect("tempdir");
    write_backup(plain_dir.path(), &files, &device).expect("plain");
    let plain = BackupEvidence::open(plain_dir.path()).expect("plain opens");
    assert_same(&run_all(&plain, &truth), &run_all(&ev, &truth));
    let m = plist::Value::from_file(out.join("Manifest.plist")).expect("plist");
    let m = m.as_dictionary().expect("dict");
    assert_eq!(m.get("IsEncrypted").and_then(plist::Value::as_boolean), Some(false));
    assert!(m.get("ManifestKey").is_none());
    assert!(out.join("Info.plist").is_file() && out.join("Status.plist").is_file());
}

#[test]
fn decrypt_backup_refuses_the_source_and_non_empty_destinations() {
    let (dir, ..) = encrypted(11);
    let before = snapshot(dir.path());
    let pw = KeySource::password(PW);
    for dest in [dir.path().to_path_buf(), dir.path().join("out"), dir.path().join("a/b/c"), dir.path().join("..")] {
        let e = decrypt_backup(dir.path(), &dest, &pw, true).expect_err("refused");
        assert!(matches!(e, CryptoError::Destination { .. }), "{}: {e}", dest.display());
    }
    assert_eq!(snapshot(dir.path()), before);
    let dest = tempfile::tempdir().expect("tempdir");
    std::fs::write(dest.path().join("note.txt"), b"x").expect("write");
    let e = decrypt_backup(dir.path(), dest.path(), &pw, false).expect_err("not empty");
    assert!(e.to_string().contains("not empty") && e.to_string().contains("--force"), "{e}");
    let rep = decrypt_backup(dir.path(), dest.path(), &pw, true).expect("forced");
    assert!(rep.files_written > 0);
    // a plain backup is refused
    let plain = tempfile::tempdir().expect("tempdir");
    write_backup(plain.path(), &[], &DeviceSpec::default()).expect("plain");
    let d2 = tempfile::tempdir().expect("tempdir");
    assert!(matches!(
        decrypt_backup(plain.path(), &d2.path().join("x"), &pw, false),
        Err(CryptoError::NotEncrypted { .. })
    ));
}

#[test]
fn padding_is_trusted_over_a_stale_size() {
    let keys = BackupKeys { class_keys: BTreeMap::from([(3, Zeroizing::new([9u8; 32]))]), manifest_key: None };
    let fk = [5u8; 32];
    let plain = b"SQLite format 3\0 and some more bytes".to_vec();
    let mut ek = 3u32.to_le_bytes().to_vec();
    {
        use aes_kw::KwAes256;
        let kw = KwAes256::new_from_slice(&[9u8; 32]).expect("kek");
        let mut w = [0u8; 40];
        kw.wrap_key(&fk, &mut w).expect("wrap");
        ek.extend_from_slice(&w);
    }
    let ct = ferret_testdata::ios_backup::cbc_encrypt(&fk, &plain);
    let meta = |size: u64| ManifestFile {
        file_id: "00".repeat(20),
        domain: "HomeDomain".into(),
        relative_path: "x.db".into(),
        flags: 1,
        info: Some(ferret_formats::MbFile {
            size: Some(size),
            protection_class: Some(3),
            encryption_key: Some(ek.clone()),
            ..Default::default()
        }),
    };
    // Size too small (MVT would truncate the database): the padding wins
    assert_eq!(keys.decrypt_file(&meta(4), ct.clone()).expect("dec"), plain);
    assert_eq!(keys.decrypt_file(&meta(plain.len() as u64), ct.clone()).expect("dec"), plain);
    // unknown class, no key, empty content
    let mut m = meta(1);
    if let Some(i) = m.info.as_mut() {
        i.protection_class = Some(7);
    }
    assert!(keys.decrypt_file(&m, ct.clone()).expect_err("class").to_string().contains("class 7"));
    let mut m = meta(0);
    if let Some(i) = m.info.as_mut() {
        i.encryption_key = None;
    }
    assert!(keys.decrypt_file(&m, Vec::new()).expect("empty").is_empty());
    assert!(keys.decrypt_file(&m, ct).is_err());
}

#[test]
fn large_files_are_decrypted_by_streaming_across_chunks() {
    let keys = BackupKeys { class_keys: BTreeMap::from([(3, Zeroizing::new([9u8; 32]))]), manifest_key: None };
    let fk = [6u8; 32];
    let mut ek = 3u32.to_le_bytes().to_vec();
    {
        let kw = aes_kw::KwAes256::new_from_slice(&[9u8; 32]).expect("kek");
        let mut w = [0u8; 40];
        kw.wrap_key(&fk, &mut w).expect("wrap");
        ek.extend_from_slice(&w);
    }
    let plain: Vec<u8> = (0..STREAM_CHUNK + 37).map(|i| (i * 31 % 251) as u8).collect();
    let ct = ferret_testdata::ios_backup::cbc_encrypt(&fk, &plain);
    let meta = ManifestFile {
        file_id: "11".repeat(20),
        domain: "CameraRollDomain".into(),
        relative_path: "Media/DCIM/100APPLE/IMG_0001.MOV".into(),
        flags: 1,
        info: Some(ferret_formats::MbFile {
            size: Some(plain.len() as u64),
            protection_class: Some(3),
            encryption_key: Some(ek),
            ..Default::default()
        }),
    };
    let dir = tempfile::tempdir().expect("dir");
    let (src, out) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::write(&src, &ct).expect("write");
    let create = || std::fs::File::create(&out).expect("create");
    assert_eq!(keys.decrypt_file_streaming(&meta, &src, &create(), &out).expect("stream"), plain.len() as u64);
    assert!(std::fs::read(&out).expect("out") == plain, "streamed plaintext differs");
    // same answer as the in-memory path
    assert!(keys.decrypt_file(&meta, ct.clone()).expect("mem") == plain);
    // truncated on a block boundary / mid-block: clear errors naming the file
    std::fs::write(&src, &ct[..ct.len() - 16]).expect("write");
    let e = keys.decrypt_file_streaming(&meta, &src, &create(), &out).expect_err("truncated");
    assert!(e.to_string().contains("IMG_0001.MOV") && e.to_string().contains("padding"), "{e}");
    std::fs::write(&src, &ct[..ct.len() - 5]).expect("write");
    let e = keys.decrypt_file_streaming(&meta, &src, &create(), &out).expect_err("truncated");
    assert!(e.to_string().contains("multiple of the AES block size"), "{e}");
}

#[test]
fn plan_refuses_bad_file_ids_and_rows_sharing_an_output_path() {
    let row = |id: &str, rel: &str, flags: i64| crate::backup::ManifestRow {
        file_id: id.into(),
        domain: "HomeDomain".into(),
        relative_path: rel.into(),
        flags,
        file: None,
    };
    let real = file_id("HomeDomain", "Library/SMS/sms.db");
    let rows = vec![
        row(&real, "Library/SMS/sms.db", 1),
        row(&real.to_ascii_uppercase(), "Library/Notes/twin.db", 1),
        row(&"ab".repeat(20), "a.db", 1),
        row(&"ab".repeat(20), "b.db", 1),
        row(&"cd".repeat(20), "ok.db", 1),
        row("../../etc/passwd", "x", 1),
        row(&real[..39], "short", 1),
        row(&"EF".repeat(20), "Library", 2), // a folder row writes nothing: not refused
    ];
    let (ok, failed) = plan_rows(&rows);
    assert_eq!(ok, vec![0, 4]);
    let names: Vec<&str> = failed.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(failed.len(), 5, "{names:?}");
    let twin = failed.iter().find(|f| f.file.contains("twin.db")).expect("twin refused");
    assert!(twin.file.contains(&real.to_ascii_uppercase()) && twin.reason.contains("lower-case"), "{twin:?}");
    let a = failed.iter().find(|f| f.file.contains("a.db")).expect("a");
    assert!(a.reason.contains("b.db") && a.reason.contains("same output file"), "{a:?}");
    let b = failed.iter().find(|f| f.file.contains("b.db")).expect("b");
    assert!(b.reason.contains("a.db"), "{b:?}");
    assert!(names.iter().any(|n| n.contains("etc/passwd")) && names.iter().any(|n| n.contains("short")));
}

/// Key material is held in wiping types (a compile-time guard: the types below are what the
/// decryption uses, and each must wipe itself on drop).
#[test]
fn key_material_is_zeroized_on_drop() {
    fn wipes<T: zeroize::ZeroizeOnDrop>(_: &T) {}
    fn wipes_type<T: zeroize::ZeroizeOnDrop>() {}
    let kb = Keybag { salt: Some(b"salt".to_vec()), iter: Some(1), ..Keybag::default() };
    let key: Zeroizing<[u8; 32]> = derive_key("password", &kb).expect("derive");
    wipes(&key);
    let wrapped = hex::decode("64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7").expect("hex");
    let _: Option<Zeroizing<[u8; 32]>> = unwrap32(&key, &wrapped);
    let keys = BackupKeys { class_keys: BTreeMap::from([(3, Zeroizing::new([9u8; 32]))]), manifest_key: None };
    let _: &BTreeMap<u32, Zeroizing<[u8; 32]>> = &keys.class_keys;
    let _: &Option<Zeroizing<[u8; 32]>> = &keys.manifest_key;
    // the ciphers' own key schedules (crate features `zeroize`)
    wipes_type::<aes::Aes256>();
    wipes_type::<cbc::Decryptor<aes::Aes256>>();
    wipes_type::<aes_kw::KwAes256>();
}

//! Benchmark of encrypted-backup handling (run with `--release`).
//!
//! ```text
//! cargo run --release -p ferret-ios --example encrypted_backup_bench -- [--files 15000] [--dpic 10000000] [--keep DIR]
//! ```
//! Writes a generated encrypted backup (planted artifacts plus `--files` synthetic files,
//! about 100 MB at 15k files), then times: key derivation from the password, `decrypt_backup`
//! with the derived key, and a check (all backup modules) of the encrypted backup against the
//! same check of the plain backup. With `--keep DIR` the encrypted backup is written to
//! `DIR/encrypted` and its decryption to `DIR/decrypted` and both are left there (password
//! `ferret-bench`), e.g. to try them with other tools. `--media-mb N` adds N MB of camera-roll
//! videos (64 MiB files, random bytes) so the backup has a phone's size profile: a few large
//! files no module reads next to many small ones, generated while they are written so memory
//! stays bounded whatever N; `--only-write` (with `--keep`) writes the encrypted backup and stops
//! (`bench/encrypted.sh` times the command line on it).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ferret_core::module::testing::run_one;
use ferret_core::{Context, Evidence, RunOptions};
use ferret_ios::backup::BackupEvidence;
use ferret_ios::backup::crypto::{KeySource, decrypt_backup, derive_backup_key, open_encrypted};
use ferret_testdata::ArtifactFile;
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::ios;
use ferret_testdata::ios_backup::{
    DeviceSpec, EncryptionSpec, LazyFile, write_backup_streamed, write_encrypted_backup_streamed,
};
use ferret_testdata::rng::TestRng;
use ferret_testdata::truth::Truth;
use rand::{Rng, RngCore};

const PASSWORD: &str = "ferret-bench";

fn check(ev: &dyn Evidence, truth: &Truth) -> (usize, usize) {
    let ind = TruthIndicators::new(truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &ind, options: &opts };
    let mut records = 0;
    let mut alerts = 0;
    for m in ferret_ios::modules::backup_modules() {
        let r = run_one(m.as_ref(), &ctx);
        records += r.records.len();
        alerts += r.alerts.len();
    }
    (records, alerts)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let n_files: usize = arg("--files").map_or(15_000, |v| v.parse().unwrap());
    let dpic: u32 = arg("--dpic").map_or(10_000_000, |v| v.parse().unwrap());
    let keep = arg("--keep").map(PathBuf::from);
    let media_mb: usize = arg("--media-mb").map_or(0, |v| v.parse().unwrap());
    let only_write = args.iter().any(|a| a == "--only-write");

    let seed = 42;
    let mut truth = Truth::default();
    let mut files: Vec<ArtifactFile> = Vec::new();
    files.extend(ios::calls::generate(seed, 200, &mut truth));
    files.extend(ios::sms::generate(seed, 2000, &mut truth));
    files.extend(ios::chrome_history::generate(seed, 500, &mut truth));
    files.extend(ios::safari_browser_state::generate(seed, 100, &mut truth));
    files.extend(ios::shortcuts::generate(seed, 50, &mut truth));
    files.extend(ios::locationd::generate(seed, 100, &mut truth));
    let mut rng = ferret_testdata::rng::rng_for(seed, "bench-files");
    for i in 0..n_files {
        let size = rng.random_range(64..13_000usize);
        let mut bytes = vec![0u8; size];
        rng.fill_bytes(&mut bytes);
        files.push(ArtifactFile {
            domain: format!("AppDomain-com.example.app{}", i % 40),
            relative_path: format!("Library/Caches/bench/{:03}/{i:06}.bin", i % 500),
            fs_path: String::new(),
            bytes,
            mtime: 1_700_000_000 + i as i64,
        });
    }
    // The videos are generated while they are written, one chunk at a time, from the stream
    // `rng` is at now (a clone per backup written).
    let mut media: Vec<LazyFile> = Vec::new();
    let mut left = media_mb as u64 * 1_000_000;
    while left > 0 {
        let size = left.min(64 << 20);
        let n = media.len();
        media.push(LazyFile {
            domain: "CameraRollDomain".into(),
            relative_path: format!("Media/DCIM/100APPLE/IMG_{:04}.MOV", 1000 + n),
            size,
            mtime: 1_700_100_000 + n as i64,
        });
        left -= size;
    }
    // `fill_bytes` uses whole 32-bit words: chunks of a multiple of 4 bytes give the bytes one
    // call per file would.
    let media_fill = |mut rng: TestRng| {
        move |f: &LazyFile, out: &mut dyn Write| -> std::io::Result<()> {
            let mut buf = vec![0u8; 1 << 20];
            let mut left = f.size;
            while left > 0 {
                let n = left.min(buf.len() as u64) as usize;
                rng.fill_bytes(&mut buf[..n]);
                out.write_all(&buf[..n])?;
                left -= n as u64;
            }
            Ok(())
        }
    };
    let n_total = files.len() + media.len();
    let total = files.iter().map(|f| f.bytes.len() as u64).sum::<u64>() + media.iter().map(|f| f.size).sum::<u64>();
    let device = DeviceSpec::default();

    let tmp = tempfile::tempdir().unwrap();
    let base = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let enc_dir = base.join("encrypted");
    let plain_dir = tmp.path().join("plain");
    let dec_dir = base.join("decrypted");
    for d in [&enc_dir, &dec_dir] {
        if d.exists() {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
    let t = Instant::now();
    let spec = EncryptionSpec { password: PASSWORD, dpic, iter: 10_000, seed, file_class: 3, manifest_class: 4 };
    write_encrypted_backup_streamed(&enc_dir, &files, &media, &mut media_fill(rng.clone()), &device, &spec, 0).unwrap();
    println!("generated {} files, {:.1} MB, DPIC {dpic}: written in {:.2?}", n_total, total as f64 / 1e6, t.elapsed());
    if only_write {
        assert!(keep.is_some(), "--only-write needs --keep DIR");
        println!("kept {}", enc_dir.display());
        return;
    }
    write_backup_streamed(&plain_dir, &files, &media, &mut media_fill(rng), &device, 0).unwrap();

    let t = Instant::now();
    let key = *derive_backup_key(&enc_dir, PASSWORD).unwrap();
    let t_derive = t.elapsed();

    let t = Instant::now();
    let rep = decrypt_backup(&enc_dir, &dec_dir, &KeySource::Key(key.into()), false).unwrap();
    let t_decrypt = t.elapsed();
    assert!(rep.failed.is_empty());

    let t = Instant::now();
    let plain = BackupEvidence::open(&plain_dir).unwrap();
    let (pr, pa) = check(&plain, &truth);
    let t_plain = t.elapsed();

    let t = Instant::now();
    let ev = open_encrypted(&enc_dir, &KeySource::Key(key.into())).unwrap();
    let (er, ea) = check(&ev, &truth);
    let t_enc = t.elapsed();
    assert_eq!((pr, pa), (er, ea), "same records and alerts");

    println!("| step | time |");
    println!("|---|---|");
    println!("| key derivation (extract-key, DPIC {dpic}) | {t_derive:.2?} |");
    println!(
        "| decrypt-backup with key ({} files, {:.1} MB, {} threads) | {t_decrypt:.2?} |",
        rep.files_written,
        rep.bytes_written as f64 / 1e6,
        rayon::current_num_threads()
    );
    println!("| decrypt-backup with password (derivation + decrypt) | {:.2?} |", t_derive + t_decrypt);
    println!("| check (all backup modules), plain backup | {t_plain:.2?} ({pr} records, {pa} alerts) |");
    println!(
        "| check (all backup modules), encrypted backup, key | {t_enc:.2?} (x{:.2}) |",
        t_enc.as_secs_f64() / t_plain.as_secs_f64()
    );
    if keep.is_some() {
        println!("kept {} and {}", enc_dir.display(), dec_dir.display());
    }
}

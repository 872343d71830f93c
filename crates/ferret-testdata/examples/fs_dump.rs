//! Writes a big generated iOS full-filesystem dump for the speed benchmarks (`bench/fs_dump.sh`).
//!
//! `cargo run --release -p ferret-testdata --example fs_dump -- [--gb G] [--shape folder|tar|tgz|zip] [--sms N] [--seed S] DIR`
//!
//! `--gb` is the filler's size (default 2): 40 % in ~4 KiB files (about 100,000 per GB), 60 % in
//! media files of at most 2 GiB; the filesystem scenario's artifacts (with `--sms` messages,
//! default 10,000) are spread among them. Writes `DIR/fs[.tar|.tar.gz|.zip]`, `DIR/iocs.stix2`
//! and `DIR/truth.json`, and prints the acquisition's path, its size and the file count.

use ferret_testdata::fs_dump::{self, Bulk, Shape};
use ferret_testdata::scenario::Scale;

#[allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: its output is the point
fn main() -> std::process::ExitCode {
    let mut gb = 2.0f64;
    let mut shape = Shape::Tar;
    let mut sms = 10_000usize;
    let mut seed = 1u64;
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "--gb" => gb = value().parse().unwrap_or(gb),
            "--shape" => match Shape::parse(&value()) {
                Some(s) => shape = s,
                None => {
                    eprintln!("--shape is folder, tar, tgz or zip");
                    return std::process::ExitCode::from(2);
                }
            },
            "--sms" => sms = value().parse().unwrap_or(sms),
            "--seed" => seed = value().parse().unwrap_or(seed),
            _ => dir = Some(std::path::PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: fs_dump [--gb G] [--shape folder|tar|tgz|zip] [--sms N] [--seed S] DIR");
        return std::process::ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    match fs_dump::write(&dir, seed, Scale { sms, decoys: 20_000 }, Bulk::phone(gb), shape) {
        Ok(g) => {
            println!(
                "{} planted={} secs={:.1}",
                g.acquisition.display(),
                g.truth.alerts.len(),
                started.elapsed().as_secs_f64()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the dump into {}: {e}", dir.display());
            std::process::ExitCode::FAILURE
        }
    }
}

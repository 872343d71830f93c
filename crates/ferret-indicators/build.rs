//! Computes `FERRET_INDICATORS_CODE_ID`, a fingerprint of the code that turns indicator files into
//! index entries (this crate's sources, `ferret-core`'s sources when built in the workspace, and
//! the workspace `Cargo.lock`, which pins `psl`, `url` and `ipnet`). Prepared copies of indicator
//! files (`src/prepared.rs`) record it and are ignored when it changes, so a rebuilt ferret never
//! reuses what an older build compiled.

#![allow(clippy::print_stdout)] // cargo reads build-script directives from stdout

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut inputs = Vec::new();
    for dir in [root.join("src"), root.join("../ferret-core/src")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, &mut inputs);
    }
    for f in [root.join("Cargo.toml"), root.join("../../Cargo.lock")] {
        println!("cargo:rerun-if-changed={}", f.display());
        inputs.push(f);
    }
    inputs.sort();
    // FNV-1a (64 bit) twice with different offsets: a fingerprint, not a security boundary
    let mut h = [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64];
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            for x in &mut h {
                *x = (*x ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    };
    for f in &inputs {
        if let Ok(bytes) = std::fs::read(f) {
            feed(f.strip_prefix(&root).unwrap_or(f).to_string_lossy().as_bytes());
            feed(&(bytes.len() as u64).to_le_bytes());
            feed(&bytes);
        }
    }
    feed(std::env::var("CARGO_PKG_VERSION").unwrap_or_default().as_bytes());
    println!("cargo:rustc-env=FERRET_INDICATORS_CODE_ID={:016x}{:016x}", h[0], h[1]);
}

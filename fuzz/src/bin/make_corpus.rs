//! Writes `fuzz/corpus/<target>/seed-N` for every target from [`ferret_fuzz::seeds`].
//! Usage: `cargo run --bin make_corpus [out-dir]` (default: `corpus` next to this crate).
#![forbid(unsafe_code)]

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    for t in ferret_fuzz::seeds::TARGETS {
        let dir = out.join(t);
        std::fs::create_dir_all(&dir)?;
        for (i, s) in ferret_fuzz::seeds::seeds(t).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), s)?;
        }
    }
    Ok(())
}

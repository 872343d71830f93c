//! Real names of Apple's executables for the generators, drawn from ferret's own known-good
//! catalogue (`crates/ferret-ios/data/apple_executables.tsv`, built from the file lists of real
//! iPhone images; included here, not copied), so a generated clean phone runs what a real one
//! runs and the process census (`ferret_ios::census`) finds nothing on it.

use std::sync::LazyLock;

use rand::Rng;

use crate::rng::TestRng;

/// The catalogue's text (the very file ferret-ios embeds).
const CATALOGUE: &str = include_str!("../../ferret-ios/data/apple_executables.tsv");

/// The catalogue, split once.
struct Names {
    /// Executable paths without white space, sorted.
    paths: Vec<&'static str>,
    /// The daemons and helpers among them (`/usr/...`, `/sbin/...`, frameworks' `Support/`):
    /// what a process list or a shutdown log names most.
    daemons: Vec<&'static str>,
    /// `com.apple.*` identifiers, sorted.
    ids: Vec<&'static str>,
}

static NAMES: LazyLock<Names> = LazyLock::new(|| {
    let mut paths = Vec::new();
    let mut ids = Vec::new();
    for line in CATALOGUE.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let key = line.split('\t').next().unwrap_or(line);
        if key.chars().any(char::is_whitespace) {
            continue;
        }
        if key.starts_with('/') {
            paths.push(key);
        } else {
            ids.push(key);
        }
    }
    paths.sort_unstable();
    ids.sort_unstable();
    let daemons = paths
        .iter()
        .copied()
        .filter(|p| p.starts_with("/usr/") || p.starts_with("/sbin/") || p.contains(".framework/Support/"))
        .collect();
    Names { paths, daemons, ids }
});

fn pick(rng: &mut TestRng, from: &[&'static str]) -> &'static str {
    from.get(rng.random_range(0..from.len().max(1))).copied().unwrap_or("/usr/libexec/locationd")
}

fn base(path: &'static str) -> &'static str {
    path.rsplit('/').next().unwrap_or(path)
}

/// An Apple executable's on-device path (any kind: daemon, app, extension, XPC service).
pub fn path(rng: &mut TestRng) -> &'static str {
    pick(rng, &NAMES.paths)
}

/// An Apple executable's name (the file name of [`path`]).
pub fn process(rng: &mut TestRng) -> &'static str {
    base(path(rng))
}

/// An Apple daemon's or helper's on-device path (`/usr/libexec/...`, `/usr/sbin/...`, a
/// framework's `Support/` program).
pub fn daemon_path(rng: &mut TestRng) -> &'static str {
    pick(rng, &NAMES.daemons)
}

/// An Apple daemon's name (the file name of [`daemon_path`]).
pub fn daemon(rng: &mut TestRng) -> &'static str {
    base(daemon_path(rng))
}

/// An Apple identifier (`com.apple.…`: launchd jobs, preference domains, bundle ids).
pub fn id(rng: &mut TestRng) -> &'static str {
    pick(rng, &NAMES.ids)
}

/// `n` distinct Apple executable names (fewer when the catalogue has fewer), in catalogue order
/// from a place drawn from `rng`.
pub fn distinct_processes(rng: &mut TestRng, n: usize) -> Vec<&'static str> {
    let paths = &NAMES.paths;
    let first = rng.random_range(0..paths.len().max(1));
    let mut out: Vec<&'static str> = Vec::with_capacity(n.min(paths.len()));
    let mut seen = std::collections::HashSet::new();
    for k in 0..paths.len() {
        if out.len() >= n {
            break;
        }
        let name = base(paths[(first + k) % paths.len()]);
        if seen.insert(name) {
            out.push(name);
        }
    }
    out
}

/// `n` distinct Apple daemon paths (fewer when the catalogue has fewer), in catalogue order from
/// a place drawn from `rng`.
pub fn distinct_daemon_paths(rng: &mut TestRng, n: usize) -> Vec<&'static str> {
    let d = &NAMES.daemons;
    let first = rng.random_range(0..d.len().max(1));
    (0..n.min(d.len())).map(|k| d[(first + k) % d.len()]).collect()
}

/// Every Apple identifier of the catalogue, sorted (for generators that need distinct ones).
pub fn ids() -> &'static [&'static str] {
    &NAMES.ids
}

/// Whether `name` is the file name of one of the catalogue's executables (for generators that
/// must keep a made-up name clear of Apple's).
pub fn is_apple_name(name: &str) -> bool {
    NAMES.paths.iter().any(|p| base(p) == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng_for;

    #[test]
    fn names_come_from_the_catalogue_deterministically() {
        assert!(NAMES.paths.len() > 1000, "{}", NAMES.paths.len());
        assert!(NAMES.daemons.len() > 100, "{}", NAMES.daemons.len());
        assert!(NAMES.ids.len() > 500, "{}", NAMES.ids.len());
        let draw = |seed| {
            let mut r = rng_for(seed, "apple");
            (path(&mut r), daemon(&mut r), id(&mut r))
        };
        assert_eq!(draw(3), draw(3));
        let (p, d, i) = draw(3);
        assert!(CATALOGUE.contains(&format!("\n{p}\t")), "{p}");
        assert!(is_apple_name(d), "{d}");
        assert!(i.starts_with("com.apple."), "{i}");
        assert!(NAMES.daemons.iter().all(|p| !p.contains(".app/")));
        assert!(!is_apple_name("zqxwvyjk"));
    }
}

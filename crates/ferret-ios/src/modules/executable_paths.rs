//! Where iOS executables normally live, shared by the process-centred modules (`shutdown_log`,
//! `ps`, `crash_logs`).
//!
//! Facts used (public research on Pegasus/Predator and Apple's file-system layout):
//! * Apple binaries live on the sealed system volume (`/System/`, `/usr/` except `/usr/local/`,
//!   `/sbin/`, `/bin/`, `/Applications/`), in cryptexes (`/private/preboot/Cryptexes/`,
//!   `/System/Cryptexes/`) or on the developer disk image (`/Developer/`);
//! * App Store and TestFlight apps live in `/private/var/containers/Bundle/Application/<UUID>/`
//!   (also seen without the `/private` prefix);
//! * Pegasus processes were seen running from `/private/var/db/` (e.g.
//!   `/private/var/db/com.apple.xpc.roleaccountd.staging/`) and from temporary folders; Kaspersky's
//!   iShutdown research found them in `shutdown.log` delaying reboots. No legitimate iOS binary
//!   runs from `/private/var/db/`, `/private/var/tmp/` or `/tmp/`.
//!
//! So a path is *suspicious* under a data/temporary folder, *standard* under the folders above,
//! and *unusual* anywhere else (an absolute path outside the system volume, cryptexes and app
//! bundles: jailbreak tool folders, `/private/var/mobile/...`, `/usr/local/`, ...).

/// Classification of an executable path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// Under a data or temporary folder where no legitimate executable lives.
    Suspicious,
    /// An absolute path outside the standard executable locations.
    Unusual,
    /// A standard executable location.
    Standard,
    /// Not an absolute path (a bare process name such as `kernel_task`).
    NotAPath,
}

/// Data/temporary folders no legitimate iOS binary runs from.
pub const SUSPICIOUS_PREFIXES: &[&str] =
    &["/private/var/db/", "/var/db/", "/private/var/tmp/", "/var/tmp/", "/private/tmp/", "/tmp/"];

/// Standard executable locations.
pub const STANDARD_PREFIXES: &[&str] = &[
    "/System/",
    "/usr/",
    "/sbin/",
    "/bin/",
    "/Applications/",
    "/Developer/",
    "/private/preboot/Cryptexes/",
    "/private/var/containers/Bundle/Application/",
    "/var/containers/Bundle/Application/",
];

/// Standard-looking prefixes that are not standard (checked first).
const NOT_STANDARD: &[&str] = &["/usr/local/"];

/// Classifies an executable path.
pub fn classify(path: &str) -> PathClass {
    if !path.starts_with('/') {
        return PathClass::NotAPath;
    }
    if SUSPICIOUS_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return PathClass::Suspicious;
    }
    if NOT_STANDARD.iter().any(|p| path.starts_with(p)) {
        return PathClass::Unusual;
    }
    if STANDARD_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return PathClass::Standard;
    }
    PathClass::Unusual
}

/// Checks `path` against file indicators, then each of its `/`-separated components against
/// process indicators (a process indicator naming a folder or binary anywhere in the path).
pub fn check_path_or_process(ind: &dyn ferret_core::Indicators, path: &str) -> Option<ferret_core::MatchedIndicator> {
    ind.check_executable(path)
}

#[cfg(test)]
pub(crate) mod testing {
    use ferret_core::module::testing::{RunResult, run_one};
    use ferret_core::{ArtifactModule, Context, Evidence, Indicators, RunOptions, Typed};

    /// Runs module `m` on any evidence.
    pub(crate) fn run_on<M: ArtifactModule>(m: M, ev: &dyn Evidence, ind: &dyn Indicators) -> RunResult {
        let opts = RunOptions::default();
        let ctx = Context { evidence: ev, indicators: ind, options: &opts };
        run_one(&Typed(m), &ctx)
    }

    /// A sysdiagnose written as a folder and as a tar.gz, both opened with
    /// [`crate::sysdiagnose::open`].
    pub(crate) fn both(files: &[ferret_testdata::sysdiagnose::SysFile]) -> (tempfile::TempDir, Vec<Box<dyn Evidence>>) {
        use ferret_testdata::sysdiagnose::{DEFAULT_NAME, write_folder, write_tar_gz};
        let d = tempfile::tempdir().expect("tmp");
        let folder = d.path().join("extracted");
        write_folder(&folder, DEFAULT_NAME, files).expect("folder");
        let tgz = d.path().join(format!("{DEFAULT_NAME}.tar.gz"));
        write_tar_gz(&tgz, DEFAULT_NAME, files).expect("tgz");
        let a = crate::sysdiagnose::open(&folder).expect("open folder");
        let b = crate::sysdiagnose::open(&tgz).expect("open tgz");
        (d, vec![a, b])
    }

    /// Runs `m` on `files` written as a sysdiagnose folder and as a tar.gz, and asserts what
    /// every such test asserts: the module completes without warnings, finds exactly the alerts
    /// of `truth` for `name` (recall and precision), and gives the same records from both
    /// layouts. Returns one run for further checks.
    pub(crate) fn exact_on_both<M: ArtifactModule + Copy>(
        m: M,
        files: &[ferret_testdata::sysdiagnose::SysFile],
        truth: &ferret_testdata::truth::Truth,
        name: &str,
    ) -> RunResult {
        let (_d, evs) = both(files);
        let ind = ferret_testdata::fake::TruthIndicators::new(truth);
        let mut runs: Vec<RunResult> = Vec::new();
        for ev in &evs {
            let r = run_on(m, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(ferret_core::Outcome::Completed), "{name}");
            assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
            let cmp = ferret_testdata::truth::compare(&truth.alerts, &r.alerts, Some(&[name]));
            assert!(cmp.is_exact(), "{name}: missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            runs.push(r);
        }
        assert_eq!(runs[0].records, runs[1].records, "{name}: folder and tar.gz give the same records");
        runs.swap_remove(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("/private/var/db/com.apple.xpc.roleaccountd.staging/x"), PathClass::Suspicious);
        assert_eq!(classify("/var/tmp/x"), PathClass::Suspicious);
        assert_eq!(classify("/usr/libexec/locationd"), PathClass::Standard);
        assert_eq!(classify("/usr/local/bin/x"), PathClass::Unusual);
        assert_eq!(classify("/private/var/containers/Bundle/Application/U/A.app/A"), PathClass::Standard);
        assert_eq!(classify("/private/var/mobile/Library/x"), PathClass::Unusual);
        assert_eq!(classify("/private/preboot/ABC/jb/usr/bin/x"), PathClass::Unusual);
        assert_eq!(classify("kernel_task"), PathClass::NotAPath);
        assert_eq!(classify(""), PathClass::NotAPath);
    }
}

//! # ferret-testdata
//!
//! Deterministic, seeded generators of synthetic acquisitions with ground truth. Nothing here is
//! copied from real devices or other projects: every byte is produced by code from a seed, so the
//! same seed and scale always give the same files.
//!
//! * [`truth`]: the ground truth ([`truth::Truth`]): planted indicators and the exact alerts a
//!   correct checker must raise (and nothing else);
//! * [`stix`]: STIX 2.1 bundles with the planted indicators and many decoys;
//! * [`ios`]: one generator per iOS artifact, each returning [`ArtifactFile`]s;
//! * [`ios_backup`]: writes artifacts as an iTunes-style backup folder (Manifest.db, plists);
//! * [`android`]: Android acquisitions;
//! * [`scenario`]: composes everything into a complete acquisition at a given scale.
//! * [`hostile`]: the red-team recipes (twin fileIDs, duplicate archive entries, `.ab` bombs).

pub mod android;
pub mod apple;
pub mod fake;
pub mod fleet;
pub mod fs_dump;
pub mod hostile;
pub mod ios;
pub mod ios_backup;
pub mod ios_fs;
pub mod pcap;
pub mod rng;
pub mod scenario;
pub mod sqlite;
pub mod stix;
pub mod sysdiagnose;
pub mod testkit;
pub mod truth;

/// One generated file, placed at the right spot for every acquisition layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    /// Backup domain, e.g. `HomeDomain`.
    pub domain: String,
    /// Path relative to the domain, e.g. `Library/SMS/sms.db`.
    pub relative_path: String,
    /// Path relative to a filesystem-dump root, e.g. `private/var/mobile/Library/SMS/sms.db`.
    pub fs_path: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Modification time (Unix seconds) recorded in the backup manifest / file system.
    pub mtime: i64,
}

//! What every platform crate's facade speaks: the [`Secrets`] a user gave, and the [`Opened`]
//! acquisition with its [`DeviceInfo`] and problems.
//!
//! Each platform crate (`ferret-ios`, `ferret-android`) offers the same three functions over
//! these: `detect(path) -> Option<Detection>`, `open(path, kind, &Secrets) -> Result<Opened, _>`
//! and `modules(kind)`, with one error type each.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::evidence::Evidence;

/// Passwords and keys for encrypted acquisitions, as the user gave them.
#[derive(Clone, Default)]
pub struct Secrets {
    /// The password of an encrypted iOS backup or Android `.ab` backup (wiped when dropped).
    pub password: Option<Zeroizing<String>>,
    /// A key file: an iOS backup key (from `ferret ios extract-key`), or the age identity of
    /// an encrypted androidqf collection.
    pub key_file: Option<PathBuf>,
}

impl Secrets {
    /// Secrets holding only a password.
    pub fn with_password(password: impl Into<String>) -> Self {
        Self { password: Some(Zeroizing::new(password.into())), key_file: None }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .finish()
    }
}

/// Device facts from the acquisition (all optional; evidence strings, escaped in HTML).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    /// Model, e.g. `iPhone14,2` or `Pixel 7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// OS name and version, e.g. `iOS 17.4.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Other facts (`Build Version`, `Serial Number`, ...), shown in key order.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub other: std::collections::BTreeMap<String, String>,
}

/// An opened acquisition.
pub struct Opened {
    /// The read-only view.
    pub evidence: Box<dyn Evidence>,
    /// Device facts for the report.
    pub device: DeviceInfo,
    /// Problems of the acquisition as a whole, found when opening it (listed with the verdict).
    pub problems: Vec<String>,
}

impl Opened {
    /// An acquisition with no device facts and no problems.
    pub fn plain(evidence: Box<dyn Evidence>) -> Self {
        Self { evidence, device: DeviceInfo::default(), problems: Vec::new() }
    }
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("source", &self.evidence.source())
            .field("device", &self.device)
            .field("problems", &self.problems)
            .finish()
    }
}

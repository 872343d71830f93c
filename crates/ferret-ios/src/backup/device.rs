//! Device and backup facts from `Info.plist`, `Manifest.plist` and `Status.plist`.

use jiff::Timestamp;
use plist::Value;
use serde::Serialize;

/// What the backup says about the device, for the report header.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceInfo {
    /// `Device Name` (Info.plist) or `Lockdown.DeviceName` (Manifest.plist).
    pub device_name: Option<String>,
    /// Hardware model, e.g. `iPhone14,2`.
    pub product_type: Option<String>,
    /// Marketing name for [`DeviceInfo::product_type`], when known (e.g. `iPhone 13 Pro`).
    pub product_name: Option<String>,
    /// iOS version, e.g. `17.5.1`.
    pub ios_version: Option<String>,
    /// iOS build, e.g. `21F90`.
    pub build_version: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Device UDID (`Unique Identifier`).
    pub udid: Option<String>,
    /// `Last Backup Date`.
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub last_backup_date: Option<Timestamp>,
    /// `IsEncrypted` (Manifest.plist).
    pub encrypted: bool,
    /// `IsFullBackup` (Status.plist).
    pub is_full_backup: Option<bool>,
    /// `WasPasscodeSet` (Manifest.plist).
    pub passcode_set: Option<bool>,
    /// `SnapshotState` (Status.plist), `finished` for a complete backup.
    pub snapshot_state: Option<String>,
    /// Backup format `Version` (Manifest.plist / Status.plist).
    pub backup_version: Option<String>,
    /// Software that wrote the backup (`iTunes Version`).
    pub itunes_version: Option<String>,
}

fn s(d: Option<&Value>, key: &str) -> Option<String> {
    let v = d?.as_dictionary()?.get(key)?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        _ => None,
    }
}

fn b(d: Option<&Value>, key: &str) -> Option<bool> {
    d?.as_dictionary()?.get(key)?.as_boolean()
}

/// Converts a plist date to a timestamp.
pub(crate) fn plist_ts(v: &Value) -> Option<Timestamp> {
    let st: std::time::SystemTime = v.as_date()?.into();
    Timestamp::try_from(st).ok()
}

/// The device as a results folder shows it: model, OS version, and the other facts by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFacts {
    /// `"iPhone 13 Pro (iPhone14,2)"`, or the product type alone.
    pub model: Option<String>,
    /// `"iOS 17.5.1"`.
    pub os_version: Option<String>,
    /// Every known field by its serialized name (`udid`, `build_version`...), as text.
    pub other: std::collections::BTreeMap<String, String>,
}

impl DeviceInfo {
    /// The facts for the report header and `info.json`.
    pub fn report_facts(&self) -> ReportFacts {
        let mut other = std::collections::BTreeMap::new();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(self) {
            for (k, v) in map {
                let s = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                other.insert(k, s);
            }
        }
        let model = match (&self.product_type, &self.product_name) {
            (Some(t), Some(m)) => Some(format!("{m} ({t})")),
            (Some(t), None) => Some(t.clone()),
            _ => None,
        };
        ReportFacts { model, os_version: self.ios_version.as_ref().map(|v| format!("iOS {v}")), other }
    }

    /// Builds from whichever plists could be read.
    pub fn from_plists(info: Option<&Value>, manifest: Option<&Value>, status: Option<&Value>) -> Self {
        let lockdown = manifest.and_then(|m| m.as_dictionary()?.get("Lockdown"));
        let product_type = s(info, "Product Type").or_else(|| s(lockdown, "ProductType"));
        Self {
            device_name: s(info, "Device Name").or_else(|| s(lockdown, "DeviceName")),
            product_name: product_type.as_deref().and_then(marketing_name).map(str::to_string),
            product_type,
            ios_version: s(info, "Product Version").or_else(|| s(lockdown, "ProductVersion")),
            build_version: s(info, "Build Version").or_else(|| s(lockdown, "BuildVersion")),
            serial_number: s(info, "Serial Number").or_else(|| s(lockdown, "SerialNumber")),
            udid: s(info, "Unique Identifier").or_else(|| s(lockdown, "UniqueDeviceID")),
            last_backup_date: info
                .and_then(|i| i.as_dictionary()?.get("Last Backup Date"))
                .and_then(plist_ts)
                .or_else(|| status.and_then(|st| st.as_dictionary()?.get("Date")).and_then(plist_ts)),
            encrypted: b(manifest, "IsEncrypted").unwrap_or(false),
            is_full_backup: b(status, "IsFullBackup"),
            passcode_set: b(manifest, "WasPasscodeSet"),
            snapshot_state: s(status, "SnapshotState"),
            backup_version: s(status, "Version").or_else(|| s(manifest, "Version")),
            itunes_version: s(info, "iTunes Version"),
        }
    }
}

/// Marketing names of iPhone hardware identifiers (public Apple facts; not exhaustive).
pub fn marketing_name(product_type: &str) -> Option<&'static str> {
    Some(match product_type {
        "iPhone1,1" => "iPhone",
        "iPhone1,2" => "iPhone 3G",
        "iPhone2,1" => "iPhone 3GS",
        "iPhone3,1" | "iPhone3,2" | "iPhone3,3" => "iPhone 4",
        "iPhone4,1" => "iPhone 4S",
        "iPhone5,1" | "iPhone5,2" => "iPhone 5",
        "iPhone5,3" | "iPhone5,4" => "iPhone 5c",
        "iPhone6,1" | "iPhone6,2" => "iPhone 5s",
        "iPhone7,2" => "iPhone 6",
        "iPhone7,1" => "iPhone 6 Plus",
        "iPhone8,1" => "iPhone 6s",
        "iPhone8,2" => "iPhone 6s Plus",
        "iPhone8,4" => "iPhone SE",
        "iPhone9,1" | "iPhone9,3" => "iPhone 7",
        "iPhone9,2" | "iPhone9,4" => "iPhone 7 Plus",
        "iPhone10,1" | "iPhone10,4" => "iPhone 8",
        "iPhone10,2" | "iPhone10,5" => "iPhone 8 Plus",
        "iPhone10,3" | "iPhone10,6" => "iPhone X",
        "iPhone11,2" => "iPhone XS",
        "iPhone11,4" | "iPhone11,6" => "iPhone XS Max",
        "iPhone11,8" => "iPhone XR",
        "iPhone12,1" => "iPhone 11",
        "iPhone12,3" => "iPhone 11 Pro",
        "iPhone12,5" => "iPhone 11 Pro Max",
        "iPhone12,8" => "iPhone SE (2nd generation)",
        "iPhone13,1" => "iPhone 12 mini",
        "iPhone13,2" => "iPhone 12",
        "iPhone13,3" => "iPhone 12 Pro",
        "iPhone13,4" => "iPhone 12 Pro Max",
        "iPhone14,4" => "iPhone 13 mini",
        "iPhone14,5" => "iPhone 13",
        "iPhone14,2" => "iPhone 13 Pro",
        "iPhone14,3" => "iPhone 13 Pro Max",
        "iPhone14,6" => "iPhone SE (3rd generation)",
        "iPhone14,7" => "iPhone 14",
        "iPhone14,8" => "iPhone 14 Plus",
        "iPhone15,2" => "iPhone 14 Pro",
        "iPhone15,3" => "iPhone 14 Pro Max",
        "iPhone15,4" => "iPhone 15",
        "iPhone15,5" => "iPhone 15 Plus",
        "iPhone16,1" => "iPhone 15 Pro",
        "iPhone16,2" => "iPhone 15 Pro Max",
        "iPhone17,3" => "iPhone 16",
        "iPhone17,4" => "iPhone 16 Plus",
        "iPhone17,1" => "iPhone 16 Pro",
        "iPhone17,2" => "iPhone 16 Pro Max",
        "iPhone17,5" => "iPhone 16e",
        _ => return None,
    })
}

//! `backup_info`: the device facts in the backup's `Info.plist` (`backup_info.json`, one object).
//!
//! Reads the root `Info.plist` (located with the empty backup domain) and keeps the keys MVT
//! reports, under the same names: `Build Version`, `Device Name`, `Display Name`, `GUID`,
//! `ICCID`, `IMEI`, `MEID`, `Installed Applications`, `Last Backup Date`, `Phone Number`,
//! `Product Name`, `Product Type`, `Product Version`, `Serial Number`, `Target Identifier`,
//! `Target Type`, `Unique Identifier`, `iTunes Version`; plus `Product Marketing Name` (e.g.
//! `iPhone 13 Pro`) when the hardware identifier is known. Absent keys are `null`.
//! No alerts.

use ferret_core::{ArtifactModule, BackupPath, Context, Locator, ModuleError, Out, Outcome, OutputShape};
use jiff::Timestamp;
use plist::Value;
use serde::{Deserialize, Serialize};

/// Largest Info.plist read (it can carry app icons and metadata).
const LIMIT: u64 = 256 * 1024 * 1024;

/// The `backup_info` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct BackupInfo;

/// `backup_info.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupInfoRecord {
    /// iOS build.
    #[serde(rename = "Build Version")]
    pub build_version: Option<String>,
    /// Device name.
    #[serde(rename = "Device Name")]
    pub device_name: Option<String>,
    /// Display name.
    #[serde(rename = "Display Name")]
    pub display_name: Option<String>,
    /// GUID.
    #[serde(rename = "GUID")]
    pub guid: Option<String>,
    /// SIM ICCID.
    #[serde(rename = "ICCID")]
    pub iccid: Option<String>,
    /// IMEI.
    #[serde(rename = "IMEI")]
    pub imei: Option<String>,
    /// MEID.
    #[serde(rename = "MEID")]
    pub meid: Option<String>,
    /// Bundle ids of installed apps.
    #[serde(rename = "Installed Applications")]
    pub installed_applications: Option<Vec<String>>,
    /// When the backup was made.
    #[serde(rename = "Last Backup Date", with = "ferret_core::time::serde_opt_ts", default)]
    pub last_backup_date: Option<Timestamp>,
    /// Phone number.
    #[serde(rename = "Phone Number")]
    pub phone_number: Option<String>,
    /// `iPhone`, `iPad`.
    #[serde(rename = "Product Name")]
    pub product_name: Option<String>,
    /// Hardware identifier, e.g. `iPhone14,2`.
    #[serde(rename = "Product Type")]
    pub product_type: Option<String>,
    /// Marketing name of the hardware identifier.
    #[serde(rename = "Product Marketing Name")]
    pub product_marketing_name: Option<String>,
    /// iOS version.
    #[serde(rename = "Product Version")]
    pub product_version: Option<String>,
    /// Serial number.
    #[serde(rename = "Serial Number")]
    pub serial_number: Option<String>,
    /// Target identifier (UDID).
    #[serde(rename = "Target Identifier")]
    pub target_identifier: Option<String>,
    /// `Device`.
    #[serde(rename = "Target Type")]
    pub target_type: Option<String>,
    /// UDID.
    #[serde(rename = "Unique Identifier")]
    pub unique_identifier: Option<String>,
    /// Version of the software that made the backup.
    #[serde(rename = "iTunes Version")]
    pub itunes_version: Option<String>,
}

const LOCATOR: Locator = Locator { backup: &[BackupPath { domain: "", path: "Info.plist" }], paths: &[] };

fn text(d: &plist::Dictionary, key: &str) -> Option<String> {
    match d.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

impl BackupInfoRecord {
    /// Builds the record from a parsed Info.plist dictionary.
    pub fn from_info(d: &plist::Dictionary) -> Self {
        let product_type = text(d, "Product Type");
        Self {
            build_version: text(d, "Build Version"),
            device_name: text(d, "Device Name"),
            display_name: text(d, "Display Name"),
            guid: text(d, "GUID"),
            iccid: text(d, "ICCID"),
            imei: text(d, "IMEI"),
            meid: text(d, "MEID"),
            installed_applications: d
                .get("Installed Applications")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_string().map(str::to_string)).collect()),
            last_backup_date: d.get("Last Backup Date").and_then(Value::as_date).and_then(ferret_formats::plist_date),
            phone_number: text(d, "Phone Number"),
            product_name: text(d, "Product Name"),
            product_marketing_name: product_type
                .as_deref()
                .and_then(crate::backup::device::marketing_name)
                .map(str::to_string),
            product_type,
            product_version: text(d, "Product Version"),
            serial_number: text(d, "Serial Number"),
            target_identifier: text(d, "Target Identifier"),
            target_type: text(d, "Target Type"),
            unique_identifier: text(d, "Unique Identifier"),
            itunes_version: text(d, "iTunes Version"),
        }
    }
}

impl ArtifactModule for BackupInfo {
    type Record = BackupInfoRecord;
    const NAME: &'static str = "backup_info";
    const DESCRIPTION: &'static str = "Device and backup facts from the backup's Info.plist";
    const SHAPE: OutputShape = OutputShape::Object;

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = ctx.evidence.locate(&LOCATOR)?.into_iter().next() else {
            return Ok(Outcome::NotFound);
        };
        let bytes = ctx.evidence.read(&file, LIMIT)?;
        let v = ferret_formats::parse_plist(&bytes).map_err(|e| ModuleError::format(&file.path, e.to_string()))?;
        let d = v.as_dictionary().ok_or_else(|| ModuleError::format(&file.path, "top level is not a dictionary"))?;
        out.record(BackupInfoRecord::from_info(d))?;
        Ok(Outcome::Completed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::testing::{backup, run};
    use ferret_core::NoIndicators;

    #[test]
    fn reads_info_plist() {
        let dev = ferret_testdata::ios::device::device(7);
        let (dir, ev) = backup(&[], &dev);
        let r = run(BackupInfo, &ev, &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        let rec = &r.records[0];
        assert_eq!(rec["Product Type"], dev.product_type.as_str());
        assert_eq!(rec["Product Version"], dev.product_version.as_str());
        assert_eq!(rec["Serial Number"], dev.serial_number.as_str());
        assert_eq!(rec["Target Type"], "Device");
        assert!(rec["Product Marketing Name"].is_string());
        assert_eq!(
            rec["Last Backup Date"],
            ferret_core::time::format(ferret_core::time::from_unix(dev.last_backup).expect("t")).as_str()
        );
        assert!(rec["MEID"].is_null());
        assert!(r.alerts.is_empty());
        // corrupt Info.plist: an error naming the file; missing: not found
        std::fs::write(dir.path().join("Info.plist"), b"<plist><dict><key>a</key>").expect("w");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("open");
        let r = run(BackupInfo, &ev, &NoIndicators);
        assert!(r.outcome.as_ref().is_err_and(|e| e.contains("Info.plist")), "{:?}", r.outcome);
        std::fs::write(dir.path().join("Info.plist"), b"<plist><array/></plist>").expect("w");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("open");
        assert!(run(BackupInfo, &ev, &NoIndicators).outcome.is_err());
        std::fs::remove_file(dir.path().join("Info.plist")).expect("rm");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("open");
        assert_eq!(run(BackupInfo, &ev, &NoIndicators).outcome, Ok(Outcome::NotFound));
    }
}

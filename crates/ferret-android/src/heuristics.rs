//! Shared stalkerware/spyware heuristics and their documented levels.
//!
//! | signal | level | where |
//! |---|---|---|
//! | enabled accessibility service | MEDIUM | `dumpsys_accessibility` |
//! | device-admin app | MEDIUM | `dumpsys_device_admins` |
//! | notification listener | LOW | `dumpsys_notification_listeners` |
//! | installed from outside an app store (installer null, a package installer, a browser, a file manager, any app not in [`TRUSTED_STORES`] or [`THIRD_PARTY_STORES`]), non-system | MEDIUM | `dumpsys_packages`, `aqf_packages` |
//! | installed from a third-party store ([`THIRD_PARTY_STORES`]) | INFORMATIONAL | same |
//! | >= 4 of the 5 [`SPY_PERMISSION_GROUPS`] granted, non-system | MEDIUM (video-call and messaging apps hold them too) | same |
//! | launcher icon hidden (all MAIN activities disabled) | MEDIUM | `dumpsys_packages` |
//! | known root package ([`ROOT_PACKAGES`]) | MEDIUM | same |
//! | system app updated from `/data` with an installer outside [`TRUSTED_STORES`] | MEDIUM | `dumpsys_packages` |
//! | disabled security agent or system updater ([`SECURITY_PACKAGES`], [`OTA_PACKAGES`]) | MEDIUM | `dumpsys_packages`, `aqf_packages` |
//! | security patch more than six months older than the acquisition | MEDIUM | `getprop`, `aqf_getprop` |
//! | enabled accessibility service + installed outside an app store + >= 3 [`SPY_CAPABILITIES`] (SMS, call log, location, microphone, camera, notification access, device admin) on one non-system package | HIGH "likely stalkerware" (no indicator needed) | `stalkerware_score` |
//! | a package matching an app-id indicator | CRITICAL, one alert per package listing every signal | `stalkerware_score` |
//! | >= 3 signals on one non-system package otherwise | MEDIUM "several stalkerware signals" | `stalkerware_score` |
//!
//! Every per-package heuristic message starts with the package name so an analyst sorting by
//! message sees all signals of one app together.

/// Installers that are app stores users trust (no alert).
pub const TRUSTED_STORES: &[&str] = &[
    "com.android.vending",
    "com.google.android.feedback",
    "com.amazon.venezia",
    "com.sec.android.app.samsungapps",
    "com.huawei.appmarket",
    "com.xiaomi.market",
    "com.xiaomi.mipicks",
    "com.heytap.market",
    "com.oppo.market",
    "com.bbk.appstore",
    "com.vivo.appstore",
    "com.hihonor.appmarket",
];

/// Third-party stores (INFORMATIONAL).
pub const THIRD_PARTY_STORES: &[&str] = &["org.fdroid.fdroid", "com.aurora.store"];

/// Package names of rooting tools.
pub const ROOT_PACKAGES: &[&str] = &[
    "com.topjohnwu.magisk",
    "eu.chainfire.supersu",
    "com.noshufou.android.su",
    "com.noshufou.android.su.elite",
    "com.koushikdutta.superuser",
    "com.thirdparty.superuser",
    "com.yellowes.su",
    "com.kingroot.kinguser",
    "com.kingo.root",
    "com.smedialink.oneclickroot",
    "com.zhiqupk.root.global",
    "com.alephzain.framaroot",
    "de.robv.android.xposed.installer",
    "org.lsposed.manager",
];

/// The five permission groups stalkerware typically holds together; one granted permission of a
/// group counts for the group.
pub const SPY_PERMISSION_GROUPS: &[(&str, &[&str])] = &[
    ("SMS", &["android.permission.READ_SMS", "android.permission.RECEIVE_SMS", "android.permission.SEND_SMS"]),
    ("call log", &["android.permission.READ_CALL_LOG", "android.permission.PROCESS_OUTGOING_CALLS"]),
    ("background location", &["android.permission.ACCESS_BACKGROUND_LOCATION"]),
    ("overlay", &["android.permission.SYSTEM_ALERT_WINDOW"]),
    ("record audio", &["android.permission.RECORD_AUDIO"]),
];

/// What a package can spy on, from its granted permissions; `notification access` and
/// `device admin` come from the notification and device-policy dumps instead
/// ([`CAPABILITY_NOTIFICATIONS`], [`CAPABILITY_DEVICE_ADMIN`]).
pub const SPY_CAPABILITIES: &[(&str, &[&str])] = &[
    (
        "SMS",
        &[
            "android.permission.READ_SMS",
            "android.permission.RECEIVE_SMS",
            "android.permission.SEND_SMS",
            "android.permission.RECEIVE_MMS",
        ],
    ),
    ("call log", &["android.permission.READ_CALL_LOG", "android.permission.PROCESS_OUTGOING_CALLS"]),
    ("location", &["android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_BACKGROUND_LOCATION"]),
    ("microphone", &["android.permission.RECORD_AUDIO"]),
    ("camera", &["android.permission.CAMERA"]),
];
/// The notification-access capability (an enabled notification listener).
pub const CAPABILITY_NOTIFICATIONS: &str = "notification access";
/// The device-admin capability.
pub const CAPABILITY_DEVICE_ADMIN: &str = "device admin";
/// Minimum number of capabilities that, with an enabled accessibility service and an install
/// from outside a store, make a package "likely stalkerware" (HIGH) without any indicator.
pub const STALKERWARE_CAPABILITIES_THRESHOLD: usize = 3;

/// The [`SPY_CAPABILITIES`] covered by `granted`, in the table's order.
pub fn spy_capabilities<'a>(granted: impl IntoIterator<Item = &'a str> + Clone) -> Vec<&'static str> {
    SPY_CAPABILITIES
        .iter()
        .filter(|(_, perms)| granted.clone().into_iter().any(|g| perms.contains(&g)))
        .map(|(name, _)| *name)
        .collect()
}

/// How a package was installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallSource {
    /// A trusted store.
    Store,
    /// A third-party store.
    ThirdPartyStore,
    /// Anything else (sideloaded, adb, browser, file manager, unknown).
    Outside,
}

/// Classifies an installer.
pub fn install_source(installer: Option<&str>) -> InstallSource {
    match installer {
        Some(i) if TRUSTED_STORES.contains(&i) => InstallSource::Store,
        Some(i) if THIRD_PARTY_STORES.contains(&i) => InstallSource::ThirdPartyStore,
        _ => InstallSource::Outside,
    }
}

/// Plain-language description of an installer for messages.
pub fn installer_text(installer: Option<&str>) -> String {
    match installer {
        None => "no installer recorded (adb or unknown)".into(),
        Some(i @ ("com.google.android.packageinstaller" | "com.android.packageinstaller")) => {
            format!("installer {i} (an APK opened from a browser or file manager)")
        }
        Some(i) => format!("installer {i}"),
    }
}

/// The spy permission groups covered by `granted`.
pub fn spy_groups<'a>(granted: impl IntoIterator<Item = &'a str> + Clone) -> Vec<&'static str> {
    SPY_PERMISSION_GROUPS
        .iter()
        .filter(|(_, perms)| granted.clone().into_iter().any(|g| perms.contains(&g)))
        .map(|(name, _)| *name)
        .collect()
}

/// Minimum number of spy permission groups for the HIGH alert.
pub const SPY_GROUPS_THRESHOLD: usize = 4;

/// Minimum number of coinciding signals for the MEDIUM "several stalkerware signals" alert.
pub const STALKERWARE_SIGNALS_THRESHOLD: usize = 3;

/// getprop values that weaken the device's security (MEDIUM each).
pub fn suspicious_property(name: &str, value: &str) -> Option<&'static str> {
    match (name, value) {
        ("ro.debuggable", "1") => Some("a debuggable build (ro.debuggable=1)"),
        ("ro.secure", "0") => Some("an insecure build (ro.secure=0)"),
        ("ro.build.tags", v) if v.split(',').any(|t| t == "test-keys") => Some("a build signed with test keys"),
        ("ro.boot.verifiedbootstate", "orange") => Some("an unlocked bootloader (verified boot state orange)"),
        ("ro.boot.flash.locked", "0") => Some("an unlocked bootloader (ro.boot.flash.locked=0)"),
        ("ro.boot.vbmeta.device_state", "unlocked") => Some("an unlocked bootloader (vbmeta device state unlocked)"),
        _ => None,
    }
}

/// Security-agent packages whose being disabled weakens the phone (MEDIUM).
pub const SECURITY_PACKAGES: &[&str] = &[
    "com.policydm",
    "com.samsung.android.app.omcagent",
    "com.samsung.android.securitylogagent",
    "com.sec.android.soagent",
];

/// System-update packages whose being disabled blocks security updates (MEDIUM).
pub const OTA_PACKAGES: &[&str] = &[
    "com.android.updater",
    "com.google.android.gms",
    "com.huawei.android.hwouc",
    "com.lge.lgdmsclient",
    "com.motorola.ccc.ota",
    "com.oneplus.opbackup",
    "com.oppo.ota",
    "com.transsion.systemupdate",
    "com.wssyncmldm",
];

/// MEDIUM finding when a disabled package is a security agent or a system updater.
pub fn disabled_package_finding(name: &str, disabled: bool) -> Option<ferret_core::Finding> {
    if !disabled {
        return None;
    }
    let what = if SECURITY_PACKAGES.contains(&name) {
        "a security agent"
    } else if OTA_PACKAGES.contains(&name) {
        "a system-update component"
    } else {
        return None;
    };
    Some(ferret_core::Finding::heuristic(
        ferret_core::Level::Medium,
        format!("{name}: {what} is disabled; the phone may not receive security fixes"),
        None,
    ))
}

/// Days after which a security patch level counts as outdated (MVT: six months of 31 days).
pub const PATCH_MAX_AGE_DAYS: i64 = 6 * 31;

/// MEDIUM when `ro.build.version.security_patch` (`YYYY-MM-DD`) is more than
/// [`PATCH_MAX_AGE_DAYS`] older than the acquisition time `when` (the acquisition's own date, not
/// today, so results are reproducible).
pub fn patch_age_finding(patch: &str, when: jiff::Timestamp) -> Option<ferret_core::Finding> {
    let p = jiff::civil::Date::strptime("%Y-%m-%d", patch.trim()).ok()?;
    let w = when.to_zoned(jiff::tz::TimeZone::UTC).date();
    let days = p.until(w).ok()?.get_days();
    (i64::from(days) > PATCH_MAX_AGE_DAYS).then(|| {
        ferret_core::Finding::heuristic(
            ferret_core::Level::Medium,
            format!(
                "ro.build.version.security_patch={patch}: the phone had not received security updates for more than six months when it was acquired ({days} days before {w})"
            ),
            None,
        )
    })
}

/// Settings whose value differs from the safe one (MEDIUM): `(key, safe value)`.
pub const SAFE_SETTINGS: &[(&str, &str)] = &[
    ("verifier_verify_adb_installs", "1"),
    ("package_verifier_enable", "1"),
    ("package_verifier_state", "1"),
    ("package_verifier_user_consent", "1"),
    ("upload_apk_enable", "1"),
    ("adb_install_need_confirm", "1"),
    ("send_security_reports", "1"),
    ("samsung_errorlog_agree", "1"),
    ("send_action_app_error", "1"),
    ("accessibility_enabled", "0"),
];

/// Known root binary names (lower case).
pub const ROOT_BINARIES: &[&str] = &[
    "su",
    "busybox",
    "supersu",
    "superuser.apk",
    "kingouser.apk",
    "supersu.apk",
    "magisk",
    "magiskhide",
    "magiskinit",
    "magiskpolicy",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify() {
        assert_eq!(install_source(Some("com.android.vending")), InstallSource::Store);
        assert_eq!(install_source(Some("org.fdroid.fdroid")), InstallSource::ThirdPartyStore);
        assert_eq!(install_source(None), InstallSource::Outside);
        assert_eq!(install_source(Some("com.android.chrome")), InstallSource::Outside);
        let g = spy_groups(["android.permission.READ_SMS", "android.permission.RECORD_AUDIO", "x"]);
        assert_eq!(g, vec!["SMS", "record audio"]);
        assert!(suspicious_property("ro.build.tags", "release-keys,test-keys").is_some());
        assert!(suspicious_property("ro.debuggable", "0").is_none());
        let when = ferret_core::time::parse("2024-03-01 00:00:00").expect("date");
        assert!(patch_age_finding("2023-08-01", when).is_some());
        assert!(patch_age_finding("2023-10-01", when).is_none());
        assert!(patch_age_finding("garbage", when).is_none());
        assert!(patch_age_finding("2030-01-01", when).is_none());
    }
}

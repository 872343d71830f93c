//! A synthetic device for generated backups (every identifier is fictional).

use rand::Rng;

use crate::ios_backup::DeviceSpec;
use crate::rng::{hex_string, rng_for, word};

/// iOS versions and builds used by the generator.
const VERSIONS: &[(&str, &str, &str)] = &[
    ("iPhone14,2", "17.5.1", "21F90"),
    ("iPhone15,2", "17.6", "21G80"),
    ("iPhone12,1", "16.7.8", "20H343"),
    ("iPhone16,1", "18.1", "22B83"),
];

/// A deterministic device for `seed`.
pub fn device(seed: u64) -> DeviceSpec {
    let mut rng = rng_for(seed, "ios-device");
    let (product_type, version, build) = VERSIONS[rng.random_range(0..VERSIONS.len())];
    DeviceSpec {
        device_name: format!("Test iPhone {}", word(&mut rng, 4)),
        product_type: product_type.into(),
        product_version: version.into(),
        build_version: build.into(),
        serial_number: format!("FERRET{}", hex_string(&mut rng, 6).to_uppercase()),
        udid: format!("00008110-{}", hex_string(&mut rng, 16).to_uppercase()),
        imei: format!("0000{:011}", rng.random_range(0..99_999_999_999u64)),
        phone_number: format!("+1 555 01{:02}", rng.random_range(0..100)),
        iccid: format!("8900{:015}", rng.random_range(0..999_999_999_999_999u64)),
        last_backup: 1_735_689_600 + rng.random_range(0..10_000_000),
        is_encrypted_flag: false,
        apps: Vec::new(),
    }
}

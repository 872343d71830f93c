//! Synthetic `adb backup` files (`.ab`), plain or AES-256 encrypted (any version, with the
//! version >= 2 master-key checksum quirk), holding SMS/MMS backups of the telephony provider.
//!
//! Planted: one SMS with a link on a planted domain → CRITICAL `sms`; benign messages with
//! benign links and an MMS backup → nothing.

use std::io::Write;

use aes::Aes256;
use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use ferret_core::Level;
use rand::Rng;

use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct AbSpec {
    /// Seed.
    pub seed: u64,
    /// Encrypt with this password.
    pub password: Option<String>,
    /// PBKDF2 rounds (Android uses 10 000).
    pub rounds: u32,
    /// Format version (1-5).
    pub version: u32,
    /// zlib-compress the tar.
    pub compressed: bool,
    /// Malware name for planted indicators.
    pub malware: &'static str,
}

impl Default for AbSpec {
    fn default() -> Self {
        Self { seed: 5, password: None, rounds: 10_000, version: 5, compressed: true, malware: "TestSmishing" }
    }
}

pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

pub(crate) fn tar_add(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> std::io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)?;
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(1_709_280_000);
    h.set_cksum();
    b.append(&h, data)
}

/// Java's UTF-8 of bytes as sign-extended chars (the version >= 2 checksum quirk).
fn java_utf8(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[0xEF, 0xBC | (b >> 6), 0x80 | (b & 0x3F)]);
        }
    }
    out
}

/// The `.ab` bytes and their truth.
pub fn ab_bytes(spec: &AbSpec) -> std::io::Result<(Vec<u8>, Truth)> {
    let mut rng = rng_for(spec.seed, "android-ab");
    let mut truth = Truth::default();
    let evil = format!("{}.smish{}.net", word(&mut rng, 4), word(&mut rng, 6));
    truth.plant(IndicatorKind::Domain, &evil, spec.malware);
    let link = format!("https://{evil}/p/{}", word(&mut rng, 8));
    truth.expect("sms", Level::Critical, Some(&evil), &link);
    let mut msgs = Vec::new();
    for i in 0..20u64 {
        let body = if i == 7 {
            format!("Your parcel is waiting, confirm at {link} today")
        } else if i % 3 == 0 {
            format!("see https://news{}.benignsite.org/a/{i}", word(&mut rng, 3))
        } else {
            format!("see you at {} o'clock", 1 + i % 12)
        };
        let sent = i % 2 == 0;
        msgs.push(serde_json::json!({
            "address": format!("+1555010{:04}", rng.random_range(0..10_000)),
            "body": body,
            "date": format!("{}", 1_709_000_000_000u64 + i * 60_000),
            "date_sent": if sent { format!("{}", 1_709_000_000_000u64 + i * 60_000) } else { "0".to_string() },
            "type": if sent { "2" } else { "1" },
            "read": "1",
        }));
    }
    let mms = serde_json::json!([{"address": "+15550100000", "mms_body": "photo from the trip", "date": "1709000000000", "date_sent": "0"}]);
    let mut b = tar::Builder::new(Vec::new());
    tar_add(&mut b, "apps/com.android.providers.telephony/_manifest", b"1\ncom.android.providers.telephony\n")?;
    tar_add(&mut b, "apps/com.android.providers.telephony/d_f/000000_sms_backup", &zlib(&serde_json::to_vec(&msgs)?))?;
    tar_add(&mut b, "apps/com.android.providers.telephony/d_f/000000_mms_backup", &zlib(&serde_json::to_vec(&mms)?))?;
    tar_add(&mut b, "apps/com.example.notes/f/notes.txt", b"shopping list")?;
    let tar = b.into_inner()?;
    let payload = if spec.compressed { zlib(&tar) } else { tar };
    let mut out = format!("ANDROID BACKUP\n{}\n{}\n", spec.version, u8::from(spec.compressed)).into_bytes();
    match &spec.password {
        None => {
            out.extend_from_slice(b"none\n");
            out.extend_from_slice(&payload);
        }
        Some(pw) => {
            let mut user_salt = [0u8; 64];
            let mut ck_salt = [0u8; 64];
            let mut user_iv = [0u8; 16];
            let mut mk = [0u8; 32];
            let mut miv = [0u8; 16];
            rng.fill(&mut user_salt[..]);
            rng.fill(&mut ck_salt[..]);
            rng.fill(&mut user_iv[..]);
            rng.fill(&mut mk[..]);
            rng.fill(&mut miv[..]);
            mk[0] = 0xA5; // make sure the checksum quirk matters
            let mut key = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw.as_bytes(), &user_salt, spec.rounds, &mut key);
            let ck_input = if spec.version >= 2 { java_utf8(&mk) } else { mk.to_vec() };
            let mut ck = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&ck_input, &ck_salt, spec.rounds, &mut ck);
            let mut blob = vec![16u8];
            blob.extend_from_slice(&miv);
            blob.push(32);
            blob.extend_from_slice(&mk);
            blob.push(32);
            blob.extend_from_slice(&ck);
            let enc_blob =
                cbc::Encryptor::<Aes256>::new(&key.into(), &user_iv.into()).encrypt_padded_vec::<Pkcs7>(&blob);
            let up = |b: &[u8]| hex::encode_upper(b);
            out.extend_from_slice(
                format!(
                    "AES-256\n{}\n{}\n{}\n{}\n{}\n",
                    up(&user_salt),
                    up(&ck_salt),
                    spec.rounds,
                    up(&user_iv),
                    up(&enc_blob)
                )
                .as_bytes(),
            );
            out.extend_from_slice(
                &cbc::Encryptor::<Aes256>::new(&mk.into(), &miv.into()).encrypt_padded_vec::<Pkcs7>(&payload),
            );
        }
    }
    Ok((out, truth))
}

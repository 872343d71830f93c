//! Android acquisition generators: bugreport zips ([`bugreport`]), androidqf collections
//! ([`androidqf`]: folder, zip, age-encrypted zip) and `adb backup` files ([`backup`]), each with
//! its [`crate::truth::Truth`], Android intrusion-log exports ([`intrusion`]), plus hostile zips for the zip reader ([`hostile_zip`]).

pub mod androidqf;
pub mod backup;
pub mod bugreport;
pub mod intrusion;

use std::io::Write;

/// A zip with hostile entries: `../../x` and absolute names, a symlink to `/etc/passwd`, and an
/// entry whose central directory declares a huge size (4 GiB - 1) but holds a few bytes.
pub fn hostile_zip(path: &std::path::Path) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file("main_entry.txt", o)?;
    z.write_all(b"bugreport-hostile.txt")?;
    z.start_file("bugreport-hostile.txt", o)?;
    z.write_all(b"------ SYSTEM PROPERTIES (getprop) ------\n[ro.debuggable]: [1]\n------ 0.1s was the duration of 'SYSTEM PROPERTIES' ------\n")?;
    z.start_file("../../escaped.txt", o)?;
    z.write_all(b"outside?")?;
    z.start_file("/abs/olute.txt", o)?;
    z.write_all(b"absolute")?;
    z.add_symlink("FS/data/tombstones/tombstone_09", "/etc/passwd", o).map_err(std::io::Error::other)?;
    z.start_file("huge.txt", o)?;
    z.write_all(b"small")?;
    let mut bytes = z.finish().map_err(std::io::Error::other)?;
    drop(bytes.flush());
    drop(bytes);
    // patch the declared uncompressed size of huge.txt in the central directory to 0xFFFFFFFE
    let mut data = std::fs::read(path)?;
    let name = b"huge.txt";
    let mut i = 0;
    while i + 46 < data.len() {
        if data[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let nlen = usize::from(u16::from_le_bytes([data[i + 28], data[i + 29]]));
            if data.get(i + 46..i + 46 + nlen) == Some(&name[..]) {
                data[i + 24..i + 28].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
            }
        }
        i += 1;
    }
    std::fs::write(path, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic() {
        let spec = bugreport::BugreportSpec::default();
        let (a, ta, _) = bugreport::bugreport_zip_bytes(&spec).expect("gen");
        let (b, tb, _) = bugreport::bugreport_zip_bytes(&spec).expect("gen");
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        let other = bugreport::BugreportSpec { seed: 6, ..spec };
        assert_ne!(bugreport::bugreport_zip_bytes(&other).expect("gen").0, a);
        let ab = backup::AbSpec { password: Some("x".into()), rounds: 10, ..backup::AbSpec::default() };
        assert_eq!(backup::ab_bytes(&ab).expect("gen").0, backup::ab_bytes(&ab).expect("gen").0);
        let q = androidqf::AqfSpec::default();
        assert_eq!(androidqf::androidqf_files(&q).expect("gen").0, androidqf::androidqf_files(&q).expect("gen").0);
        assert!(androidqf::age_identity_string(1).starts_with("AGE-SECRET-KEY-1"));
        assert_ne!(androidqf::age_identity_string(1), androidqf::age_identity_string(2));
    }

    #[test]
    fn hostile_zip_has_its_traps() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("h.zip");
        hostile_zip(&p).expect("gen");
        let z = zip::ZipArchive::new(std::fs::File::open(&p).expect("open")).expect("zip");
        let names: Vec<String> = z.file_names_raw().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
        assert!(
            names.iter().any(|n| n == "../../escaped.txt") && names.iter().any(|n| n == "/abs/olute.txt"),
            "{names:?}"
        );
    }
}

//! Parsers for androidqf JSON/CSV files.
//!
//! Format facts (androidqf output, as read by MVT):
//! * `packages.json`: a JSON array of `{name, files: [{path, local_name, md5, sha1, sha256, sha512,
//!   certificate: {Md5, Sha1, Sha256, ...}, ...}], installer ("null" when none), uid, disabled,
//!   system, third_party}`; some versions add `permissions` (strings or `{name, granted}`);
//! * `files.json`: a JSON array, or one JSON object per line, of `{path, size, mode, ..., sha256}`;
//! * `root_binaries.json`: a JSON array of paths;
//! * `mounts.json`: a JSON array of `"dev on /mnt type fs (opts)"` strings;
//! * `hashes.csv`: `path,sha256` lines (header optional) for every collected file.

use serde::{Deserialize, Deserializer, Serialize};

/// A list that may be `null` (Go's nil slice): `null` is an empty list.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A time as Unix seconds: a number, or an RFC 3339 text (as Go writes a `time.Time`). A text
/// that is not a time, or a number out of range, is no time rather than a refused entry.
fn unix_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Time {
        Int(i64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<Time>::deserialize(d)? {
        Some(Time::Int(i)) => Some(i),
        Some(Time::Float(f)) if f.is_finite() && f.abs() < 1e15 => Some(f as i64),
        Some(Time::Text(t)) => t.trim().parse::<jiff::Timestamp>().ok().map(|t| t.as_second()),
        Some(Time::Float(_)) | None => None,
    })
}

/// An APK file of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AqfFile {
    /// Path on the device.
    pub path: String,
    /// MD5.
    pub md5: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// SHA-256.
    pub sha256: Option<String>,
    /// Signing certificate hashes.
    pub certificate: Option<AqfCert>,
}

/// Certificate hashes as androidqf writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AqfCert {
    /// MD5.
    #[serde(rename = "Md5")]
    pub md5: Option<String>,
    /// SHA-1.
    #[serde(rename = "Sha1")]
    pub sha1: Option<String>,
    /// SHA-256.
    #[serde(rename = "Sha256")]
    pub sha256: Option<String>,
    /// Subject.
    #[serde(rename = "Subject")]
    pub subject: Option<String>,
}

/// A permission, as a bare name or `{name, granted}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AqfPermission {
    /// Bare name (granted).
    Name(String),
    /// Name and state.
    Full {
        /// Name.
        name: String,
        /// Granted.
        #[serde(default)]
        granted: bool,
    },
}

/// One androidqf package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AqfPackage {
    /// Package name.
    pub name: String,
    /// APK files (`null`, as Go writes an empty list, is none).
    #[serde(deserialize_with = "null_as_empty")]
    pub files: Vec<AqfFile>,
    /// Installer (`"null"` when none).
    pub installer: Option<String>,
    /// UID.
    pub uid: Option<i64>,
    /// Disabled.
    pub disabled: bool,
    /// System app.
    pub system: bool,
    /// Third-party app.
    pub third_party: bool,
    /// Permissions, when listed.
    #[serde(deserialize_with = "null_as_empty")]
    pub permissions: Vec<AqfPermission>,
}

impl AqfPackage {
    /// Installer, `None` for missing/`null`/empty.
    pub fn installer(&self) -> Option<&str> {
        self.installer.as_deref().filter(|s| !s.is_empty() && *s != "null")
    }

    /// Granted permission names.
    pub fn granted(&self) -> Vec<&str> {
        self.permissions
            .iter()
            .filter_map(|p| match p {
                AqfPermission::Name(n) => Some(n.as_str()),
                AqfPermission::Full { name, granted: true } => Some(name.as_str()),
                AqfPermission::Full { .. } => None,
            })
            .collect()
    }
}

/// One `files.json` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AqfFsEntry {
    /// Path.
    pub path: String,
    /// Size.
    pub size: Option<u64>,
    /// Mode string (`-rwxr-xr-x`).
    pub mode: Option<String>,
    /// Modification time (Unix seconds; an RFC 3339 text is read too).
    #[serde(deserialize_with = "unix_seconds")]
    pub modified_time: Option<i64>,
    /// SELinux context.
    pub context: Option<String>,
    /// SHA-256.
    pub sha256: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// MD5.
    pub md5: Option<String>,
}

/// Parses `files.json` (array or JSON lines). Bad lines are returned as errors with their number.
pub fn parse_files_json(bytes: &[u8]) -> (Vec<AqfFsEntry>, Vec<String>) {
    let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace()).map_or(&bytes[..0], |i| &bytes[i..]);
    if trimmed.first() == Some(&b'[') {
        // element by element (one in memory at a time): an odd entry costs that entry, not
        // the whole list
        let mut de = serde_json::Deserializer::from_slice(trimmed);
        return match de.deserialize_seq(FilesArray).and_then(|r| de.end().map(|()| r)) {
            Ok(r) => r,
            Err(e) => (Vec::new(), vec![format!("not a valid JSON array: {e}")]),
        };
    }
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<AqfFsEntry>(line) {
            Ok(e) => out.push(e),
            Err(e) => errs.push(format!("line {}: {e}", i + 1)),
        }
    }
    (out, errs)
}

/// Visits a `files.json` array: objects become entries, anything else an error naming it.
struct FilesArray;

impl<'de> serde::de::Visitor<'de> for FilesArray {
    type Value = (Vec<AqfFsEntry>, Vec<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of file entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut out, mut errs) = (Vec::new(), Vec::new());
        let mut i = 0usize;
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            i += 1;
            match v {
                serde_json::Value::Object(_) => match serde_json::from_value::<AqfFsEntry>(v) {
                    Ok(e) => out.push(e),
                    Err(e) => errs.push(format!("entry {i}: {e}")),
                },
                _ => errs.push(format!("entry {i}: not a file entry (an object)")),
            }
        }
        Ok((out, errs))
    }
}

/// One mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Device.
    pub device: String,
    /// Mount point.
    pub mount_point: String,
    /// File-system type.
    pub filesystem_type: String,
    /// Options.
    pub mount_options: Vec<String>,
    /// Under /system, /vendor, /product or /system_ext.
    pub is_system_partition: bool,
    /// Mounted read-write.
    pub is_read_write: bool,
}

/// Parses `"dev on /mnt type fs (opts)"`.
pub fn parse_mount(line: &str) -> Option<Mount> {
    let (device, rest) = line.trim().split_once(" on ")?;
    let (mount_point, rest) = rest.split_once(" type ")?;
    let (fs, opts) = rest.split_once(" (").unwrap_or((rest, ""));
    let mount_options: Vec<String> =
        opts.trim_end_matches(')').split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let is_system_partition = ["/system", "/vendor", "/product", "/system_ext"].iter().any(|p| {
        mount_point == *p || mount_point.starts_with(&format!("{p}/")) || (*p == "/system" && mount_point == "/")
    });
    let is_read_write = mount_options.iter().any(|o| o == "rw");
    Some(Mount {
        device: device.to_string(),
        mount_point: mount_point.to_string(),
        filesystem_type: fs.trim().to_string(),
        mount_options,
        is_system_partition,
        is_read_write,
    })
}

/// Parses `hashes.csv` into `(path, sha256)` pairs; header and malformed lines skipped.
pub fn parse_hashes_csv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (a, b) = l.trim().rsplit_once(',')?;
            let (a, b) = (a.trim().trim_matches('"'), b.trim().trim_matches('"'));
            (b.len() == 64 && b.bytes().all(|c| c.is_ascii_hexdigit())).then(|| (a.to_string(), b.to_lowercase()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's nil lists and `time.Time` values, as newer collectors write them.
    #[test]
    fn go_nulls_and_rfc3339_times() {
        let p: Vec<AqfPackage> =
            serde_json::from_str(r#"[{"name":"com.x","files":null,"permissions":null}]"#).expect("packages");
        assert_eq!((p[0].name.as_str(), p[0].files.len(), p[0].permissions.len()), ("com.x", 0, 0));
        let (f, e) = parse_files_json(
            br#"[{"path":"/a","modified_time":"2024-01-01T00:00:00Z"},{"path":"/b","modified_time":1700000000},7,{"path":"/c","modified_time":"soon"},{"path":"/d","modified_time":1.5e300}]"#,
        );
        let times: Vec<_> = f.iter().map(|x| (x.path.as_str(), x.modified_time)).collect();
        assert_eq!(times, [("/a", Some(1_704_067_200)), ("/b", Some(1_700_000_000)), ("/c", None), ("/d", None)]);
        assert_eq!(e, ["entry 3: not a file entry (an object)"]);
    }

    #[test]
    fn packages_and_files() {
        let j = r#"[{"name":"com.x","files":[{"path":"/data/app/x/base.apk","sha256":"ab","certificate":{"Sha256":"cd"}}],"installer":"null","system":false,"permissions":["a",{"name":"b","granted":false},{"name":"c","granted":true}],"extra":1}]"#;
        let p: Vec<AqfPackage> = serde_json::from_str(j).expect("parses");
        assert_eq!(p[0].installer(), None);
        assert_eq!(p[0].granted(), vec!["a", "c"]);
        assert_eq!(p[0].files[0].certificate.as_ref().and_then(|c| c.sha256.as_deref()), Some("cd"));
        let (f, e) = parse_files_json(b"{\"path\":\"/a\"}\nnot json\n\n{\"path\":\"/b\",\"size\":3}\n");
        assert_eq!(f.len(), 2);
        assert_eq!(e.len(), 1);
        let (f, e) = parse_files_json(b" [{\"path\":\"/a\"}]");
        assert_eq!((f.len(), e.len()), (1, 0));
        let (f, e) = parse_files_json(b"[{\"path\":");
        assert_eq!((f.len(), e.len()), (0, 1));
    }

    #[test]
    fn mounts_hashes() {
        let m = parse_mount("/dev/block/dm-0 on /system type ext4 (rw,seclabel,relatime)").expect("mount");
        assert!(m.is_system_partition && m.is_read_write);
        let m = parse_mount("tmpfs on /dev type tmpfs (ro)").expect("mount");
        assert!(!m.is_system_partition && !m.is_read_write);
        assert!(parse_mount("garbage").is_none());
        let h = parse_hashes_csv(&format!("path,sha256\nacq/a.txt,{}\nbad\n", "A".repeat(64)));
        assert_eq!(h, vec![("acq/a.txt".to_string(), "a".repeat(64))]);
    }
}

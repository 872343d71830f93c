//! Indicator kinds, the STIX object paths that map to them, and value normalisation shared by
//! indicator loading and evidence lookups (so both sides are normalised the same way).

use std::net::IpAddr;

use serde::Serialize;

/// What an indicator value is. Each kind has its own lookup structure in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `domain-name:value`
    Domain,
    /// `ipv4-addr:value` (address or CIDR range)
    Ipv4,
    /// `ipv6-addr:value` (address or CIDR range)
    Ipv6,
    /// `url:value`
    Url,
    /// `process:name`
    Process,
    /// `email-addr:value`
    Email,
    /// `phone-number:value` (ferret extension; digits only after normalisation)
    Phone,
    /// `file:name`
    FileName,
    /// `file:path`
    FilePath,
    /// `file:hashes.md5`
    FileMd5,
    /// `file:hashes.sha1`
    FileSha1,
    /// `file:hashes.sha256` / `'SHA-256'`
    FileSha256,
    /// `app:id`
    AppId,
    /// `app:cert.md5|sha1|sha256`
    AppCertHash,
    /// `configuration-profile:id`
    ProfileId,
    /// `android-property:name`
    AndroidProperty,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 16] = [
        Kind::Domain,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Url,
        Kind::Process,
        Kind::Email,
        Kind::Phone,
        Kind::FileName,
        Kind::FilePath,
        Kind::FileMd5,
        Kind::FileSha1,
        Kind::FileSha256,
        Kind::AppId,
        Kind::AppCertHash,
        Kind::ProfileId,
        Kind::AndroidProperty,
    ];

    /// The MVT bucket name quoted in `matched_indicator.type`. IP addresses use `domains`, as
    /// MVT does.
    pub fn bucket(self) -> &'static str {
        match self {
            Kind::Domain | Kind::Ipv4 | Kind::Ipv6 => "domains",
            Kind::Url => "urls",
            Kind::Process => "processes",
            Kind::Email => "emails",
            Kind::Phone => "phone_numbers",
            Kind::FileName => "file_names",
            Kind::FilePath => "file_paths",
            Kind::FileMd5 => "files_md5",
            Kind::FileSha1 => "files_sha1",
            Kind::FileSha256 => "files_sha256",
            Kind::AppId => "app_ids",
            Kind::AppCertHash => "app_cert_hashes",
            Kind::ProfileId => "ios_profile_ids",
            Kind::AndroidProperty => "android_property_names",
        }
    }

    /// The name used for counts in the load report (finer than [`Kind::bucket`]).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ipv4 => "ipv4_addrs",
            Kind::Ipv6 => "ipv6_addrs",
            other => other.bucket(),
        }
    }

    /// The kind of a STIX object-path key (see [`crate::pattern::ObjectPath::key`]).
    pub fn from_path_key(key: &str) -> Option<Kind> {
        Some(match key {
            "domain-name:value" => Kind::Domain,
            "ipv4-addr:value" => Kind::Ipv4,
            "ipv6-addr:value" => Kind::Ipv6,
            "url:value" => Kind::Url,
            "process:name" => Kind::Process,
            "email-addr:value" => Kind::Email,
            "phone-number:value" => Kind::Phone,
            "file:name" => Kind::FileName,
            "file:path" => Kind::FilePath,
            "file:hashes.md5" => Kind::FileMd5,
            "file:hashes.sha1" => Kind::FileSha1,
            "file:hashes.sha256" => Kind::FileSha256,
            "app:id" => Kind::AppId,
            "app:cert.md5" | "app:cert.sha1" | "app:cert.sha256" => Kind::AppCertHash,
            "configuration-profile:id" => Kind::ProfileId,
            "android-property:name" => Kind::AndroidProperty,
            _ => return None,
        })
    }
}

/// A host as evidence or an indicator writes it, reduced to what is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// An IP literal.
    Ip(IpAddr),
    /// A lower-case DNS name without trailing dot (IDN converted to punycode).
    Name(String),
}

/// Reduces `host[:port]`, `user@host`, `[v6]:port`, `HOST.` to a [`Host`]; `None` when nothing
/// host-like is left.
pub fn normalize_host(raw: &str) -> Option<Host> {
    let s = raw.trim();
    let s = s.rsplit('@').next().unwrap_or(s);
    // [v6] or [v6]:port
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        return rest.get(..end)?.parse::<IpAddr>().ok().map(Host::Ip);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(Host::Ip(ip));
    }
    // host:port (a single colon; several colons without brackets would be a bare IPv6, handled above)
    let s = match s.rfind(':') {
        Some(i) if s[i + 1..].chars().all(|c| c.is_ascii_digit()) && !s[..i].contains(':') => &s[..i],
        _ => s,
    };
    let s = s.trim_end_matches('.');
    if s.is_empty() {
        return None;
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(Host::Ip(ip));
    }
    let name = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        match url::Host::parse(s) {
            Ok(url::Host::Domain(d)) => d,
            Ok(url::Host::Ipv4(ip)) => return Some(Host::Ip(IpAddr::V4(ip))),
            Ok(url::Host::Ipv6(ip)) => return Some(Host::Ip(IpAddr::V6(ip))),
            Err(_) => s.to_lowercase(),
        }
    };
    Some(Host::Name(name))
}

/// Whether a lower-case name is plausible as a DNS name (labels of letters, digits, `-`, `_`).
pub fn is_plausible_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Splits a URL into `(scheme, authority, rest)`; scheme-less input gives an empty scheme.
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let url = url.trim();
    let (scheme, rest) = match url.find("://") {
        Some(i) if i > 0 && url[..i].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) => {
            (&url[..i], &url[i + 3..])
        }
        _ => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (scheme, &rest[..end], &rest[end..])
}

/// Trivial URL normalisation used on both sides of URL comparisons: scheme and authority
/// lower-cased, an empty path written as `/` when a scheme is present, surrounding whitespace
/// removed. Everything else (path, query, fragment, percent-escapes) compares exactly.
pub fn normalize_url(url: &str) -> String {
    let (scheme, authority, rest) = split_url(url);
    let mut out = String::with_capacity(url.len());
    if !scheme.is_empty() {
        out.push_str(&scheme.to_ascii_lowercase());
        out.push_str("://");
    }
    out.push_str(&authority.to_lowercase());
    if rest.is_empty() && !scheme.is_empty() {
        out.push('/');
    } else {
        out.push_str(rest);
    }
    out
}

/// The basename of a process name or path.
pub fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// E-mail: trimmed, lower-cased, `mailto:` and any `?query` removed.
pub fn normalize_email(s: &str) -> String {
    let s = s.trim();
    let s = if s.len() >= 7 && s[..7].eq_ignore_ascii_case("mailto:") { &s[7..] } else { s };
    let s = s.split('?').next().unwrap_or(s);
    s.trim().to_lowercase()
}

/// Phone: digits only, a leading international `00` removed (`+41 79…`, `0041 79…` → `4179…`).
pub fn normalize_phone(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let trimmed = if s.trim_start().starts_with("00") { digits.strip_prefix("00").unwrap_or(&digits) } else { &digits };
    trimmed.to_string()
}

/// Hex hash: trimmed, lower-cased, `:` separators removed (certificate fingerprints).
pub fn normalize_hash(s: &str) -> String {
    s.trim().chars().filter(|c| *c != ':').map(|c| c.to_ascii_lowercase()).collect()
}

/// Whether `s` is lowercase hex of exactly `len` characters.
pub fn is_hex_len(s: &str, len: usize) -> bool {
    s.len() == len && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// File path: `/var`, `/etc`, `/tmp` under `/private` are folded (`/private/var/x` ≡ `/var/x`,
/// iOS symlinks), trailing `/` removed, a missing leading `/` added. Case is kept.
pub fn normalize_path(s: &str) -> String {
    let s = s.trim();
    let mut p = if s.starts_with('/') { s.to_string() } else { format!("/{s}") };
    for dir in ["/private/var", "/private/etc", "/private/tmp"] {
        if p == dir || p.starts_with(&format!("{dir}/")) {
            p.replace_range(..8, "");
            break;
        }
    }
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let n = |s: &str| normalize_host(s);
        assert_eq!(n("WWW.Example.COM."), Some(Host::Name("www.example.com".into())));
        assert_eq!(n("user:pw@evil.example:8443"), Some(Host::Name("evil.example".into())));
        assert_eq!(n("[::1]:443"), Some(Host::Ip("::1".parse().expect("ip"))));
        assert_eq!(n("::1"), Some(Host::Ip("::1".parse().expect("ip"))));
        assert_eq!(n("1.2.3.4:80"), Some(Host::Ip("1.2.3.4".parse().expect("ip"))));
        assert_eq!(n("bücher.example"), Some(Host::Name("xn--bcher-kva.example".into())));
        assert_eq!(n(""), None);
        assert_eq!(n("[::1"), None);
    }

    #[test]
    fn urls_and_values() {
        assert_eq!(normalize_url("HTTPS://Evil.Example"), "https://evil.example/");
        assert_eq!(normalize_url("https://Evil.Example/A?b=C"), "https://evil.example/A?b=C");
        assert_eq!(normalize_url("evil.example/x"), "evil.example/x");
        assert_eq!(normalize_email(" MailTo:Bob@Example.org?subject=x"), "bob@example.org");
        assert_eq!(normalize_phone("+41 (79) 123-45-67"), "41791234567");
        assert_eq!(normalize_phone("0041791234567"), "41791234567");
        assert_eq!(normalize_hash("AB:CD:ef"), "abcdef");
        assert_eq!(normalize_path("private/var/db/x/"), "/var/db/x");
        assert_eq!(normalize_path("/private/varnish"), "/private/varnish");
        assert_eq!(basename("/usr/bin/x"), "x");
    }
}

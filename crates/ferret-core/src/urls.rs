//! Finding URLs in free text (message bodies, notes, logs).
//!
//! Finds `scheme://...` URLs and scheme-less `host.tld/path` forms. Scheme-less candidates are
//! kept only when their last label looks like a top-level domain (letters only, 2-24 chars) or
//! the host is an IPv4 literal, so `v1.2` or `file.txt`-like tokens in prose are ignored unless
//! they end in a real-looking TLD. The indicator index decides what matches; this only extracts.

/// Characters that end a URL in prose.
fn is_url_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^'))
}

/// Strips trailing punctuation that belongs to the sentence, not the URL.
fn trim_trailing(s: &str) -> &str {
    // closing minus opening brackets: a closing one at the end is stripped only when unbalanced
    // (counted once, then kept up to date: linear however many there are)
    let (mut parens, mut brackets) = (0i64, 0i64);
    for c in s.chars() {
        match c {
            '(' => parens -= 1,
            ')' => parens += 1,
            '[' => brackets -= 1,
            ']' => brackets += 1,
            _ => {}
        }
    }
    let mut s = s;
    while let Some(last) = s.chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' => true,
            ')' => parens > 0,
            ']' => brackets > 0,
            _ => false,
        };
        if !strip {
            break;
        }
        match last {
            ')' => parens -= 1,
            ']' => brackets -= 1,
            _ => {}
        }
        s = &s[..s.len() - last.len_utf8()];
    }
    s
}

/// The host of a URL with a scheme (`scheme://host...`) or of a schemeless one (`host/...`).
/// The host of a URL (with or without scheme), without user info or port; IPv6 keeps brackets.
pub fn host_of(candidate: &str) -> &str {
    match candidate.find("://") {
        Some(i) => authority_host(&candidate[i + 3..]),
        None => authority_host(candidate),
    }
}

/// The host at the start of `rest`: up to the path, query or fragment, after any user info,
/// without the port.
fn authority_host(rest: &str) -> &str {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let hostport = &rest[..end];
    let hostport = hostport.rsplit('@').next().unwrap_or(hostport);
    if hostport.starts_with('[') {
        return hostport;
    }
    hostport.split(':').next().unwrap_or(hostport)
}

fn plausible_schemeless_host(host: &str) -> bool {
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return false;
    }
    let tld = labels[labels.len() - 1];
    let tld_ok =
        (2..=24).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--");
    tld_ok && labels.iter().all(|l| l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
}

/// Byte offset of the first `://` in `token` (a `memchr` for `:` and a two-byte check: the
/// hot path runs once per word of every message).
fn scheme_separator(token: &str) -> Option<usize> {
    let b = token.as_bytes();
    let mut from = 0;
    while let Some(i) = b.get(from..).and_then(|rest| rest.iter().position(|&c| c == b':')) {
        let at = from + i;
        if b.get(at + 1..at + 3) == Some(b"//") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Punctuation that may stand before a schemeless URL in prose.
const LEADING: [char; 6] = ['(', '[', '\'', ',', ';', ':'];

/// All URLs in `text`, in order of appearance, duplicates kept.
pub fn find_urls(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !is_url_char(c)) {
        if token.is_empty() {
            continue;
        }
        // A token may carry a URL after leading punctuation: "(see https://x.y)".
        if let Some(pos) = scheme_separator(token) {
            // back up to the start of the scheme
            let scheme_start = token[..pos]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
                .map_or(0, |i| i + token[i..].chars().next().map_or(1, char::len_utf8));
            if scheme_start == pos {
                continue;
            }
            // a schemeless URL may carry another in its query ("evil.com/r?u=https://x.y"):
            // both count, the outer one first
            if scheme_start > 0 {
                let outer = trim_trailing(token.trim_start_matches(LEADING));
                let host = authority_host(outer);
                if host.contains('.') && plausible_schemeless_host(host) {
                    out.push(outer.to_string());
                }
            }
            let cand = trim_trailing(&token[scheme_start..]);
            if !host_of(cand).is_empty() {
                out.push(cand.to_string());
            }
            continue;
        }
        if !token.contains('.') {
            continue; // a schemeless URL needs a dotted host (most words end here)
        }
        let cand = trim_trailing(token.trim_start_matches(LEADING));
        if cand.contains('@') && !cand.contains('/') {
            continue; // an e-mail address, checked separately
        }
        let host = host_of(cand);
        if host.contains('.') && plausible_schemeless_host(host) {
            out.push(cand.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::find_urls;

    #[test]
    fn finds_with_and_without_scheme() {
        let t = "Hi! see https://a.evil.example/x?y=1, and www.foo.org/p. Also (http://1.2.3.4:8080/z).";
        assert_eq!(find_urls(t), vec!["https://a.evil.example/x?y=1", "www.foo.org/p", "http://1.2.3.4:8080/z"]);
    }

    /// A URL carried in another's query: the outer host is not lost.
    #[test]
    fn embedded_scheme_keeps_the_outer_url() {
        assert_eq!(
            find_urls("go evil.example/r?u=https://x.example/p now"),
            vec!["evil.example/r?u=https://x.example/p", "https://x.example/p"]
        );
        assert_eq!(
            find_urls("url=https://x.example (https://y.example)"),
            vec!["https://x.example", "https://y.example"]
        );
    }

    /// Trailing punctuation is trimmed in one pass: a long run of unbalanced closing brackets
    /// is handled at once (the former per-character recount took minutes on 1 MB).
    #[test]
    fn long_trailing_brackets() {
        let t = format!("https://a.example/x({}{}", ")".repeat(500_000), "]".repeat(500_000));
        assert_eq!(find_urls(&t), vec!["https://a.example/x()"]);
        assert_eq!(find_urls("(www.a.example/p_(b))."), vec!["www.a.example/p_(b)"]);
    }

    #[test]
    fn ignores_prose() {
        assert!(find_urls("version 1.2 is out... ok? e.g. no").is_empty());
        assert!(find_urls("mail me at bob@example.com").is_empty());
        assert!(find_urls("").is_empty());
        assert!(find_urls("://").is_empty());
    }
}

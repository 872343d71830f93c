//! The compiled [`IndicatorIndex`]: hash sets per kind, a label-suffix walk for domains, IP and
//! CIDR lookups, a 16-character prefix map for truncated process names, a component walk for
//! file paths, and a small list of "slow" rules (LIKE / MATCHES / `!=` / ISSUBSET / AND of
//! several tests on one value) evaluated exactly.
//!
//! Matching rules (each fixes an MVT defect listed in `artifacts.md` Appendix A):
//!
//! * **Domains**: the host is lower-cased, trailing dots, userinfo and port removed, IDN
//!   converted to punycode; then the host and every parent domain are looked up
//!   (`x.evil.tld` matches `a.b.x.evil.tld`, never `notx.evil.tld`). A host `h` also matches
//!   the indicator `www.h` exactly (an indicator written with `www.` names the site), but `www.`
//!   is never stripped from evidence (no A1 quirk). Nothing is ever substring-matched (no A3).
//!   Domain indicators that are a public suffix (`com`, `co.uk`, `github.io`) or a single label
//!   are rejected at load time: they would match whole registries.
//! * **IPs** compare as addresses (IPv4 and IPv6, `[::1]` in URLs) and against CIDR ranges.
//! * **URLs** compare exactly after trivial normalisation (scheme and authority lower-cased,
//!   empty path = `/`); the host of a URL indicator is not a domain indicator.
//! * **Processes**: the basename is compared; a name of exactly 16 characters also matches an
//!   indicator that starts with it (iOS truncation).
//! * **File paths**: component-aware prefix (`/var/foo` matches `/var/foo/x`, not `/var/foobar`),
//!   with `/private/var` ≡ `/var` folding on both sides.
//! * **Hashes** by length (32 MD5, 40 SHA-1, 64 SHA-256), case-insensitive.
//! * **Profiles, app ids, properties, e-mails**: case-insensitive equality (no A5 substring).
//!
//! Determinism: when several indicators match one value, the one with the lowest
//! `(file name, value, set name)` wins; exact index hits are preferred over slow rules.

use std::collections::HashMap;
use std::net::IpAddr;

/// Hash map with a fast non-cryptographic hasher (keys come from indicator files, which the
/// user chose to load; lookups never insert).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;

use ferret_core::{Indicators, MatchedIndicator};
use ipnet::IpNet;
use regex::{Regex, RegexBuilder};

use crate::kind::{self, Host, Kind};
use crate::pattern::{CmpOp, CompExpr, PropTest, Value};

/// Who an indicator belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Meta {
    /// File name of the indicator file (ordering key first).
    pub file: Arc<str>,
    /// The value as written in the file.
    pub value: Arc<str>,
    /// Malware / campaign / report / set name.
    pub name: Arc<str>,
}

impl Meta {
    fn matched(&self, kind: Kind) -> MatchedIndicator {
        MatchedIndicator {
            value: self.value.to_string(),
            kind: kind.bucket().to_string(),
            name: self.name.to_string(),
            stix2_file_name: self.file.to_string(),
        }
    }
}

/// A prepared lookup key for one indicator value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    /// Exact key in the kind's hash map.
    Exact(Kind, String),
    /// A CIDR range.
    Net(IpNet),
}

/// [`prepare`], plus the repairs real bundles need, each reported as a note: a domain value
/// written with a path or scheme (`evil.example/x`) uses its host; a single-label domain
/// (`intranethost`) is kept but noted (it only matches that host and names under it).
pub(crate) fn prepare_noted(kind: Kind, raw: &str) -> Result<(Key, Option<String>), String> {
    let v = raw.trim();
    if kind == Kind::Domain && (v.contains('/') || v.contains('?')) && !v.contains('@') {
        let (_, authority, _) = kind::split_url(v);
        if let Ok(key) = prepare(kind, authority) {
            return Ok((key, Some(format!("domain value {v:?} contains a path; only its host {authority:?} is used"))));
        }
    }
    let key = prepare(kind, v)?;
    let note = match &key {
        Key::Exact(Kind::Domain, n) if !n.contains('.') => {
            Some(format!("domain value {v:?} is a single label; it matches only that host and names under it"))
        }
        _ => None,
    };
    Ok((key, note))
}

/// Validates and normalises one indicator value of `kind` into its lookup key.
pub(crate) fn prepare(kind: Kind, raw: &str) -> Result<Key, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("empty value".into());
    }
    match kind {
        Kind::Domain => match kind::normalize_host(v) {
            Some(Host::Ip(ip)) => Ok(ip_key(ip)),
            Some(Host::Name(n)) => {
                if v.contains('/') || v.contains('@') || !kind::is_plausible_domain(&n) {
                    return Err(format!("{v:?} is not a host name"));
                }
                if psl::suffix(n.as_bytes()).is_some_and(|sfx| sfx.is_known() && sfx.as_bytes() == n.as_bytes()) {
                    return Err(format!("{v:?} is a public suffix; it would match every domain registered under it"));
                }
                Ok(Key::Exact(Kind::Domain, n))
            }
            None => Err(format!("{v:?} is not a host name")),
        },
        Kind::Ipv4 | Kind::Ipv6 => {
            if let Ok(ip) = v.parse::<IpAddr>() {
                return Ok(ip_key(ip));
            }
            match v.parse::<IpNet>() {
                Ok(net) if net.prefix_len() == net.max_prefix_len() => Ok(ip_key(net.addr())),
                Ok(net) if net.prefix_len() < 8 => Err(format!("{v:?} is a CIDR range wider than /8")),
                Ok(net) => Ok(Key::Net(net.trunc())),
                Err(_) => Err(format!("{v:?} is not an IP address or CIDR range")),
            }
        }
        Kind::Url => {
            let (_, authority, _) = kind::split_url(v);
            if authority.is_empty() {
                return Err(format!("{v:?} has no host"));
            }
            Ok(Key::Exact(Kind::Url, kind::normalize_url(v)))
        }
        Kind::Process | Kind::FileName => Ok(Key::Exact(kind, v.to_string())),
        Kind::Email => {
            let e = kind::normalize_email(v);
            if !e.contains('@') {
                return Err(format!("{v:?} is not an e-mail address"));
            }
            Ok(Key::Exact(kind, e))
        }
        Kind::Phone => {
            let p = kind::normalize_phone(v);
            if p.len() < 5 {
                return Err(format!("{v:?} has fewer than 5 digits"));
            }
            Ok(Key::Exact(kind, p))
        }
        Kind::FilePath => {
            let p = kind::normalize_path(v);
            if p == "/" {
                return Err("the root path would match every file".into());
            }
            Ok(Key::Exact(kind, p))
        }
        Kind::FileMd5 | Kind::FileSha1 | Kind::FileSha256 => {
            let h = kind::normalize_hash(v);
            let want = match kind {
                Kind::FileMd5 => 32,
                Kind::FileSha1 => 40,
                _ => 64,
            };
            if !kind::is_hex_len(&h, want) {
                return Err(format!("{v:?} is not a {want}-digit hex hash"));
            }
            Ok(Key::Exact(kind, h))
        }
        Kind::AppCertHash => {
            let h = kind::normalize_hash(v);
            if ![32, 40, 64].iter().any(|n| kind::is_hex_len(&h, *n)) {
                return Err(format!("{v:?} is not an MD5/SHA-1/SHA-256 hex hash"));
            }
            Ok(Key::Exact(kind, h))
        }
        Kind::AppId | Kind::ProfileId | Kind::AndroidProperty => Ok(Key::Exact(kind, v.to_lowercase())),
    }
}

fn ip_key(ip: IpAddr) -> Key {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let kind = if ip.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 };
    Key::Exact(kind, ip.to_string())
}

/// The value of `kind` an evidence string is compared as, normalised like [`prepare`].
fn evidence_key(kind: Kind, raw: &str) -> String {
    match kind {
        Kind::Url => kind::normalize_url(raw),
        Kind::Email => kind::normalize_email(raw),
        Kind::Phone => kind::normalize_phone(raw),
        Kind::FilePath => kind::normalize_path(raw),
        Kind::FileMd5 | Kind::FileSha1 | Kind::FileSha256 | Kind::AppCertHash => kind::normalize_hash(raw),
        Kind::AppId | Kind::ProfileId | Kind::AndroidProperty => raw.trim().to_lowercase(),
        Kind::Process => kind::basename(raw).to_string(),
        Kind::Domain | Kind::Ipv4 | Kind::Ipv6 | Kind::FileName => raw.trim().to_string(),
    }
}

fn case_insensitive(kind: Kind) -> bool {
    !matches!(kind, Kind::Process | Kind::FileName | Kind::FilePath | Kind::Url)
}

/// A compiled condition of a slow rule; every test refers to the rule's kind.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Test { negated: bool, op: SlowOp },
}

#[derive(Debug, Clone)]
pub(crate) enum SlowOp {
    Eq(String),
    In(Vec<String>),
    Re(Regex),
    InNet(IpNet),
}

/// Size bound for compiled MATCHES / LIKE regexes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// SQL LIKE (`%` any run, `_` one character) as an anchored regex.
fn like_to_regex(pat: &str) -> String {
    let mut re = String::from("^(?s:");
    for c in pat.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(")$");
    re
}

fn compile_regex(src: &str, ci: bool) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .case_insensitive(ci)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| format!("invalid or too large regular expression: {e}"))
}

fn str_value(v: &Value) -> Result<&str, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(format!("expected a string literal, found {other}")),
    }
}

/// Compiles a comparison expression whose tests all refer to `kind` (checked by the caller).
pub(crate) fn compile_cond(kind: Kind, e: &CompExpr) -> Result<Cond, String> {
    Ok(match e {
        CompExpr::And(a, b) => Cond::And(Box::new(compile_cond(kind, a)?), Box::new(compile_cond(kind, b)?)),
        CompExpr::Or(a, b) => Cond::Or(Box::new(compile_cond(kind, a)?), Box::new(compile_cond(kind, b)?)),
        CompExpr::Test(PropTest::Exists(p)) => {
            return Err(format!("EXISTS {p} would match every value"));
        }
        CompExpr::Test(PropTest::Compare { negated, op, value, .. }) => {
            let ci = case_insensitive(kind);
            let op = match op {
                CmpOp::Eq | CmpOp::Neq => {
                    let key = exact_key(kind, str_value(value)?)?;
                    let t = SlowOp::Eq(key);
                    let neg = *negated ^ (*op == CmpOp::Neq);
                    return Ok(Cond::Test { negated: neg, op: t });
                }
                CmpOp::In => {
                    let Value::List(vs) = value else { return Err("IN needs a list".into()) };
                    SlowOp::In(
                        vs.iter().map(|v| str_value(v).and_then(|s| exact_key(kind, s))).collect::<Result<_, _>>()?,
                    )
                }
                CmpOp::Like => SlowOp::Re(compile_regex(&like_to_regex(str_value(value)?), ci)?),
                CmpOp::Matches => SlowOp::Re(compile_regex(str_value(value)?, ci)?),
                CmpOp::IsSubset if matches!(kind, Kind::Ipv4 | Kind::Ipv6) => {
                    let s = str_value(value)?;
                    SlowOp::InNet(s.parse::<IpNet>().map_err(|_| format!("{s:?} is not a CIDR range"))?.trunc())
                }
                CmpOp::IsSubset | CmpOp::IsSuperset => {
                    return Err(format!("{} is only supported as ISSUBSET on ipv4-addr/ipv6-addr values", op.as_str()));
                }
                CmpOp::Gt | CmpOp::Lt | CmpOp::Ge | CmpOp::Le => {
                    return Err(format!("ordering comparison {} is not meaningful for {}", op.as_str(), kind.label()));
                }
            };
            Cond::Test { negated: *negated, op }
        }
    })
}

/// The exact key of a value in a slow rule (IPs and domains use their canonical text).
fn exact_key(kind: Kind, v: &str) -> Result<String, String> {
    match kind {
        Kind::Domain => match kind::normalize_host(v) {
            Some(Host::Name(n)) => Ok(n),
            Some(Host::Ip(ip)) => Ok(ip.to_string()),
            None => Err(format!("{v:?} is not a host name")),
        },
        Kind::Ipv4 | Kind::Ipv6 => match v.trim().parse::<IpAddr>() {
            Ok(ip) => Ok(ip.to_string()),
            Err(_) => Err(format!("{v:?} is not an IP address")),
        },
        _ => match prepare(kind, v)? {
            Key::Exact(_, k) => Ok(k),
            Key::Net(n) => Ok(n.to_string()),
        },
    }
}

impl Cond {
    fn eval(&self, value: &str, ip: Option<IpAddr>) -> bool {
        match self {
            Cond::And(a, b) => a.eval(value, ip) && b.eval(value, ip),
            Cond::Or(a, b) => a.eval(value, ip) || b.eval(value, ip),
            Cond::Test { negated, op } => {
                let hit = match op {
                    SlowOp::Eq(k) => k == value,
                    SlowOp::In(ks) => ks.iter().any(|k| k == value),
                    SlowOp::Re(re) => re.is_match(value),
                    SlowOp::InNet(net) => ip.is_some_and(|ip| net.contains(&ip)),
                };
                hit != *negated
            }
        }
    }
}

#[derive(Debug, Clone)]
struct SlowRule {
    cond: Cond,
    meta: Meta,
}

/// Collects indicators, then [`IndexBuilder::build`]s the read-only index.
#[derive(Debug)]
pub struct IndexBuilder {
    exact: Vec<FastMap<String, Meta>>,
    nets: FastMap<IpNet, Meta>,
    slow: Vec<(Kind, SlowRule)>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self { exact: vec![FastMap::default(); Kind::ALL.len()], nets: FastMap::default(), slow: Vec::new() }
    }
}

fn keep_lowest<K: std::hash::Hash + Eq>(map: &mut FastMap<K, Meta>, k: K, meta: Meta) -> bool {
    match map.entry(k) {
        std::collections::hash_map::Entry::Occupied(mut o) => {
            if meta < *o.get() {
                o.insert(meta);
            }
            false
        }
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(meta);
            true
        }
    }
}

impl IndexBuilder {
    /// Adds an exact entry; when the key exists, the lowest [`Meta`] is kept. Returns whether
    /// the key was new.
    pub(crate) fn add(&mut self, key: Key, meta: Meta) -> bool {
        match key {
            Key::Exact(kind, k) => match self.exact.get_mut(kind as usize) {
                Some(map) => keep_lowest(map, k, meta),
                None => false,
            },
            Key::Net(net) => keep_lowest(&mut self.nets, net, meta),
        }
    }

    /// Makes room for `more[kind]` more entries of each kind.
    pub(crate) fn reserve(&mut self, more: &[usize]) {
        for (map, n) in self.exact.iter_mut().zip(more) {
            map.reserve(*n);
        }
    }

    /// Adds a slow rule.
    pub(crate) fn add_slow(&mut self, kind: Kind, cond: Cond, meta: Meta) {
        self.slow.push((kind, SlowRule { cond, meta }));
    }

    /// Freezes the index.
    pub fn build(self) -> IndicatorIndex {
        let mut counts = [0usize; Kind::ALL.len()];
        for (n, map) in self.exact.iter().enumerate() {
            counts[n] = map.len();
        }
        let mut prefix16: FastMap<String, Meta> = FastMap::default();
        if let Some(procs) = self.exact.get(Kind::Process as usize) {
            for (k, meta) in procs {
                if k.chars().count() > 16 {
                    let p: String = k.chars().take(16).collect();
                    match prefix16.get(&p) {
                        Some(m) if m <= meta => {}
                        _ => {
                            prefix16.insert(p, meta.clone());
                        }
                    }
                }
            }
        }
        let mut nets: Vec<(IpNet, Meta)> = self.nets.into_iter().collect();
        nets.sort();
        for (n, _) in &nets {
            let k = if n.addr().is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 };
            counts[k as usize] += 1;
        }
        let mut slow: Vec<Vec<SlowRule>> = vec![Vec::new(); Kind::ALL.len()];
        for (kind, rule) in self.slow {
            counts[kind as usize] += 1;
            if let Some(v) = slow.get_mut(kind as usize) {
                v.push(rule);
            }
        }
        for v in &mut slow {
            v.sort_by(|a, b| a.meta.cmp(&b.meta));
        }
        let has_www = self.exact.get(Kind::Domain as usize).is_some_and(|m| m.keys().any(|k| k.starts_with("www.")));
        IndicatorIndex { exact: self.exact, prefix16, nets, slow, counts, has_www }
    }
}

/// The compiled, read-only indicator index. `Send + Sync`; build once, share by reference.
#[derive(Debug, Clone, Default)]
pub struct IndicatorIndex {
    exact: Vec<FastMap<String, Meta>>,
    prefix16: FastMap<String, Meta>,
    nets: Vec<(IpNet, Meta)>,
    slow: Vec<Vec<SlowRule>>,
    counts: [usize; Kind::ALL.len()],
    /// Some domain indicator starts with `www.` (enables the bare-host check).
    has_www: bool,
}

impl IndicatorIndex {
    /// Number of distinct indicators per kind (exact keys, CIDR ranges and slow rules).
    pub fn count(&self, kind: Kind) -> usize {
        self.counts.get(kind as usize).copied().unwrap_or(0)
    }

    /// No indicator at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total number of distinct indicators.
    pub fn len(&self) -> usize {
        self.counts.iter().sum()
    }

    fn get(&self, kind: Kind, key: &str) -> Option<&Meta> {
        self.exact.get(kind as usize)?.get(key)
    }

    fn hit(&self, kind: Kind, key: &str) -> Option<MatchedIndicator> {
        self.get(kind, key).map(|m| m.matched(kind))
    }

    fn slow_hit(&self, kind: Kind, value: &str, ip: Option<IpAddr>) -> Option<MatchedIndicator> {
        self.slow.get(kind as usize)?.iter().find(|r| r.cond.eval(value, ip)).map(|r| r.meta.matched(kind))
    }

    fn check_ip(&self, ip: IpAddr) -> Option<MatchedIndicator> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        let kind = if ip.is_ipv4() { Kind::Ipv4 } else { Kind::Ipv6 };
        let text = ip.to_string();
        let mut best: Option<&Meta> = self.get(kind, &text);
        for (net, meta) in &self.nets {
            if net.contains(&ip) && best.is_none_or(|b| meta < b) {
                best = Some(meta);
            }
        }
        // a domain-name indicator written as an IP literal is stored under the IP kinds too
        best.map(|m| m.matched(kind)).or_else(|| self.slow_hit(kind, &text, Some(ip)))
    }

    fn check_name(&self, name: &str) -> Option<MatchedIndicator> {
        let mut best: Option<&Meta> = None;
        let mut h = name;
        loop {
            if let Some(m) = self.get(Kind::Domain, h)
                && best.is_none_or(|b| m < b)
            {
                best = Some(m);
            }
            match h.find('.') {
                Some(i) => h = &h[i + 1..],
                None => break,
            }
        }
        if best.is_none() && self.has_www && !name.starts_with("www.") {
            best = self.get(Kind::Domain, &format!("www.{name}"));
        }
        best.map(|m| m.matched(Kind::Domain)).or_else(|| self.slow_hit(Kind::Domain, name, None))
    }
}

impl Indicators for IndicatorIndex {
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check_url(&self, url: &str) -> Option<MatchedIndicator> {
        let norm = kind::normalize_url(url);
        if let Some(m) = self.hit(Kind::Url, &norm) {
            return Some(m);
        }
        if let Some(m) = self.slow_hit(Kind::Url, &norm, None) {
            return Some(m);
        }
        let (_, authority, _) = kind::split_url(url);
        self.check_domain(authority)
    }

    fn check_domain(&self, host: &str) -> Option<MatchedIndicator> {
        match kind::normalize_host(host)? {
            Host::Ip(ip) => self.check_ip(ip),
            Host::Name(n) => self.check_name(&n),
        }
    }

    fn check_process(&self, name: &str) -> Option<MatchedIndicator> {
        let base = kind::basename(name.trim());
        if base.is_empty() {
            return None;
        }
        self.hit(Kind::Process, base)
            .or_else(|| {
                (base.chars().count() == 16)
                    .then(|| self.prefix16.get(base).map(|m| m.matched(Kind::Process)))
                    .flatten()
            })
            .or_else(|| self.slow_hit(Kind::Process, base, None))
    }

    fn check_email(&self, email: &str) -> Option<MatchedIndicator> {
        let e = evidence_key(Kind::Email, email);
        self.hit(Kind::Email, &e).or_else(|| self.slow_hit(Kind::Email, &e, None))
    }

    fn check_phone(&self, number: &str) -> Option<MatchedIndicator> {
        if number.contains('@') {
            return self.check_email(number);
        }
        let p = evidence_key(Kind::Phone, number);
        if p.is_empty() {
            return None;
        }
        self.hit(Kind::Phone, &p).or_else(|| self.slow_hit(Kind::Phone, &p, None))
    }

    fn check_file_path(&self, path: &str) -> Option<MatchedIndicator> {
        if let Some(m) = self.check_file_name(kind::basename(path)) {
            return Some(m);
        }
        let p = evidence_key(Kind::FilePath, path);
        let mut best: Option<&Meta> = self.get(Kind::FilePath, &p);
        for (i, c) in p.char_indices() {
            if c == '/'
                && i > 0
                && let Some(m) = self.get(Kind::FilePath, &p[..i])
                && best.is_none_or(|b| m < b)
            {
                best = Some(m);
            }
        }
        best.map(|m| m.matched(Kind::FilePath)).or_else(|| self.slow_hit(Kind::FilePath, &p, None))
    }

    fn check_file_name(&self, name: &str) -> Option<MatchedIndicator> {
        let n = name.trim();
        if n.is_empty() {
            return None;
        }
        self.hit(Kind::FileName, n).or_else(|| self.slow_hit(Kind::FileName, n, None))
    }

    fn check_file_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        let h = evidence_key(Kind::FileSha256, hash);
        let kind = match h.len() {
            32 => Kind::FileMd5,
            40 => Kind::FileSha1,
            64 => Kind::FileSha256,
            _ => return None,
        };
        self.hit(kind, &h).or_else(|| self.slow_hit(kind, &h, None))
    }

    fn check_app_id(&self, id: &str) -> Option<MatchedIndicator> {
        let k = evidence_key(Kind::AppId, id);
        self.hit(Kind::AppId, &k).or_else(|| self.slow_hit(Kind::AppId, &k, None))
    }

    fn check_app_cert_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        let k = evidence_key(Kind::AppCertHash, hash);
        self.hit(Kind::AppCertHash, &k).or_else(|| self.slow_hit(Kind::AppCertHash, &k, None))
    }

    fn check_profile(&self, id: &str) -> Option<MatchedIndicator> {
        let k = evidence_key(Kind::ProfileId, id);
        self.hit(Kind::ProfileId, &k).or_else(|| self.slow_hit(Kind::ProfileId, &k, None))
    }

    fn check_android_property(&self, name: &str) -> Option<MatchedIndicator> {
        let k = evidence_key(Kind::AndroidProperty, name);
        self.hit(Kind::AndroidProperty, &k).or_else(|| self.slow_hit(Kind::AndroidProperty, &k, None))
    }
}

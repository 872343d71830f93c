//! From a parsed [`Pattern`] to index entries.
//!
//! * A single observation whose comparison expression is an OR of `path = 'value'` (or
//!   `path IN (...)`) tests on supported paths becomes one exact index entry per value.
//! * Observations combined with `OR` contribute the entries of each side.
//! * Any other comparison expression (LIKE, MATCHES, `!=`, ISSUBSET, AND of tests) becomes a
//!   "slow rule" evaluated exactly, provided all its tests are about the same kind of value
//!   (modules ask about one value at a time, so `file:name = 'a' AND file:size > 1` could never
//!   be decided and is rejected rather than half-matched).
//! * Observation `AND` / `FOLLOWEDBY` need several correlated observations: rejected.
//! * Qualifiers (`WITHIN`, `START/STOP`, `REPEATS`) are kept in the AST and ignored when
//!   matching single values.

use crate::index::{Cond, Key, compile_cond, prepare_noted};
use crate::kind::Kind;
use crate::pattern::{CmpOp, CompExpr, Pattern, PropTest, Value};

/// One thing a pattern contributes to the index.
#[derive(Debug, Clone)]
pub(crate) enum Rule {
    /// An exact entry; `value` is the value as written.
    Exact { kind: Kind, key: Key, value: std::sync::Arc<str> },
    /// A slow rule; `text` is the comparison expression as canonical text.
    Slow { kind: Kind, cond: Cond, text: String },
}

impl Rule {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Rule::Exact { kind, .. } | Rule::Slow { kind, .. } => *kind,
        }
    }
}

/// What a pattern compiled into, plus notes about repaired values.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub(crate) rules: Vec<Rule>,
    pub(crate) notes: Vec<String>,
}

/// Recognises the overwhelmingly common single-equality form `[type:prop.sub = 'value']`
/// (unquoted identifier path, value without quote or backslash) without building an AST.
/// Returns the path key (as [`crate::pattern::ObjectPath::key`] computes it) and the value.
/// Anything else returns `None` and goes through the full parser; a differential test checks
/// that both paths agree.
pub(crate) fn fast_equality(text: &str) -> Option<(PathKey, &str)> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let inner = inner.strip_suffix('\'')?;
    let q = inner.find('\'')?;
    let value = &inner[q + 1..];
    if value.contains(['\'', '\\']) {
        return None;
    }
    let lhs = inner[..q].trim_end().strip_suffix('=')?.trim_end();
    if lhs.ends_with(['!', '<', '>']) {
        return None;
    }
    let (ty, props) = lhs.split_once(':')?;
    let ident = |s: &str| {
        let mut cs = s.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !ident(ty) {
        return None;
    }
    let mut key = PathKey::default();
    key.push_lower(ty);
    key.push_lower(":");
    for (n, prop) in props.split('.').enumerate() {
        if !ident(prop) {
            return None;
        }
        if n == 0 {
            key.push_lower(prop);
        } else {
            key.push_lower(".");
            for c in prop.bytes().filter(|c| *c != b'-' && *c != b'_') {
                key.push_byte(c.to_ascii_lowercase());
            }
        }
    }
    if key.overflow {
        return None;
    }
    Some((key, value))
}

/// A short ASCII object-path key built on the stack (longer paths use the full parser).
#[derive(Debug)]
pub(crate) struct PathKey {
    buf: [u8; 48],
    len: usize,
    overflow: bool,
}

impl Default for PathKey {
    fn default() -> Self {
        Self { buf: [0; 48], len: 0, overflow: false }
    }
}

impl PathKey {
    fn push_byte(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }
    fn push_lower(&mut self, s: &str) {
        for b in s.bytes() {
            self.push_byte(b.to_ascii_lowercase());
        }
    }
    pub(crate) fn as_str(&self) -> &str {
        self.buf.get(..self.len).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
}

/// Parses and compiles pattern text: the fast path of [`fast_equality`] when it applies, else
/// the full grammar. `Err` carries the rejection reason.
#[cfg(test)]
pub(crate) fn compile_text(text: &str) -> Result<Compiled, String> {
    let mut out = Compiled::default();
    compile_text_into(text, &mut out)?;
    Ok(out)
}

/// [`compile_text`] appending to `out` (a scratch reused across patterns: no allocation per
/// pattern for the rule list). On `Err`, `out` may hold part of the pattern's rules.
pub(crate) fn compile_text_into(text: &str, out: &mut Compiled) -> Result<(), String> {
    if let Some((key, value)) = fast_equality(text)
        && let Some(kind) = Kind::from_path_key(key.as_str())
    {
        return push_exact(kind, value, out);
    }
    let ast = crate::pattern::parse(text).map_err(|e| e.to_string())?;
    compile_into(&ast, out)
}

/// Compiles a whole pattern; `Err` carries the rejection reason.
#[cfg(test)]
pub(crate) fn compile(p: &Pattern) -> Result<Compiled, String> {
    let mut out = Compiled::default();
    compile_into(p, &mut out)?;
    Ok(out)
}

fn compile_into(p: &Pattern, out: &mut Compiled) -> Result<(), String> {
    match p {
        Pattern::Qualified(inner, _) => compile_into(inner, out),
        Pattern::Or(a, b) => {
            compile_into(a, out)?;
            compile_into(b, out)
        }
        Pattern::And(..) | Pattern::FollowedBy(..) => Err(
            "observation expressions joined with AND/FOLLOWEDBY need several correlated observations; ferret matches single values"
                .into(),
        ),
        Pattern::Observation(c) => {
            let mut disjuncts = Vec::new();
            flatten_or(c, &mut disjuncts);
            for d in disjuncts {
                compile_disjunct(d, out)?;
            }
            Ok(())
        }
    }
}

fn flatten_or<'a>(e: &'a CompExpr, out: &mut Vec<&'a CompExpr>) {
    // iterative on the left spine (left-folded chains can be thousands long)
    let mut cur = e;
    let mut rights = Vec::new();
    while let CompExpr::Or(a, b) = cur {
        rights.push(&**b);
        cur = a;
    }
    out.push(cur);
    while let Some(r) = rights.pop() {
        if matches!(r, CompExpr::Or(..)) {
            flatten_or(r, out);
        } else {
            out.push(r);
        }
    }
}

fn path_kind(path: &crate::pattern::ObjectPath) -> Result<Kind, String> {
    Kind::from_path_key(&path.key()).ok_or_else(|| format!("unsupported object path {path}"))
}

fn push_exact(kind: Kind, s: &str, out: &mut Compiled) -> Result<(), String> {
    let (key, note) = prepare_noted(kind, s)?;
    out.notes.extend(note);
    out.rules.push(Rule::Exact { kind: key_kind(&key, kind), key, value: std::sync::Arc::from(s.trim()) });
    Ok(())
}

fn compile_disjunct(d: &CompExpr, out: &mut Compiled) -> Result<(), String> {
    if let CompExpr::Test(PropTest::Compare { path, negated: false, op, value }) = d {
        match (op, value) {
            (CmpOp::Eq, Value::Str(s)) => return push_exact(path_kind(path)?, s, out),
            (CmpOp::In, Value::List(vs)) if vs.iter().all(|v| matches!(v, Value::Str(_))) => {
                let kind = path_kind(path)?;
                for v in vs {
                    if let Value::Str(s) = v {
                        push_exact(kind, s, out)?;
                    }
                }
                return Ok(());
            }
            (CmpOp::Eq, other) => return Err(format!("expected a string value, found {other}")),
            _ => {}
        }
    }
    let mut kinds = Vec::new();
    collect_kinds(d, &mut kinds)?;
    kinds.dedup();
    let kind = match kinds.as_slice() {
        [k] => *k,
        _ => {
            return Err(format!(
                "`{d}` combines tests on different kinds of value ({}); ferret matches one value at a time",
                kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
            ));
        }
    };
    let cond = compile_cond(kind, d)?;
    if !has_positive(&cond) {
        return Err(format!("`{d}` has only negative tests; it would match almost every value"));
    }
    out.rules.push(Rule::Slow { kind, cond, text: d.to_string() });
    Ok(())
}

/// The kind of a prepared key (a domain-name written as an IP literal indexes as an IP).
fn key_kind(key: &Key, _declared: Kind) -> Kind {
    match key {
        Key::Exact(k, _) => *k,
        Key::Net(n) if n.addr().is_ipv4() => Kind::Ipv4,
        Key::Net(_) => Kind::Ipv6,
    }
}

fn collect_kinds(e: &CompExpr, out: &mut Vec<Kind>) -> Result<(), String> {
    match e {
        CompExpr::And(a, b) | CompExpr::Or(a, b) => {
            collect_kinds(a, out)?;
            collect_kinds(b, out)
        }
        CompExpr::Test(PropTest::Compare { path, .. }) | CompExpr::Test(PropTest::Exists(path)) => {
            let k = path_kind(path)?;
            if !out.contains(&k) {
                out.push(k);
            }
            Ok(())
        }
    }
}

fn has_positive(c: &Cond) -> bool {
    match c {
        Cond::And(a, b) => has_positive(a) || has_positive(b),
        Cond::Or(a, b) => has_positive(a) && has_positive(b),
        Cond::Test { negated, .. } => !negated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::parse;

    fn rules(p: &str) -> Result<Vec<Rule>, String> {
        compile(&parse(p).map_err(|e| e.to_string())?).map(|c| c.rules)
    }

    #[test]
    fn fast_path_agrees_with_the_grammar() {
        let cases = [
            "[domain-name:value = 'evil.example']",
            "[domain-name:value='evil.example']",
            "  [ Domain-Name:Value  =  'Evil.Example' ]  ",
            "[file:hashes.SHA_256 = 'abababababababababababababababababababababababababababababababab']",
            "[file:hashes.sha-256 = 'abababababababababababababababababababababababababababababababab']",
            "[url:value = 'https://x.example/?a=b=c']",
            "[app:cert.sha256 = 'abababababababababababababababababababababababababababababababab']",
            "[process:name = '']",
            "[domain-name:value != 'x.example']",
            "[domain-name:value >= 'x.example']",
            "[domain-name:value = 'a' OR domain-name:value = 'b']",
            "[domain-name:value = 'x'] OR [domain-name:value = 'y']",
            "[file:name = 'a=b']",
            "[1bad:value = 'x']",
            "[x:y.'z' = 'x']",
            "[domain-name:value = 'x' ]extra]",
            "[domain-name:value LIKE 'x']",
            "[domain-name:value = 'com']",
        ];
        for c in cases {
            let slow = parse(c).map_err(|e| e.to_string()).and_then(|a| compile(&a));
            let fast = compile_text(c);
            let show = |r: &Result<Compiled, String>| match r {
                Ok(c) => format!("{:?}", c.rules.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>()),
                Err(e) => format!("Err({})", e.split(':').next().unwrap_or("")),
            };
            assert_eq!(
                show(&fast).starts_with("Err"),
                show(&slow).starts_with("Err"),
                "{c}: {} vs {}",
                show(&fast),
                show(&slow)
            );
            if slow.is_ok() {
                assert_eq!(show(&fast), show(&slow), "{c}");
            }
        }
        assert!(fast_equality("[a:b = 'it\\'s']").is_none());
        // the fast path must never take a compound pattern for one equality
        assert!(fast_equality("[a:b = 'x'] OR [a:b = 'y']").is_none());
        assert!(fast_equality("[a:b = 'x' AND a:c = 'y']").is_none());
    }

    #[test]
    fn repaired_values_are_noted() {
        let c = compile(&parse("[domain-name:value = 'evil.example/x']").expect("parses")).expect("compiles");
        assert!(matches!(&c.rules[0], Rule::Exact { key: Key::Exact(Kind::Domain, h), .. } if h == "evil.example"));
        assert_eq!(c.notes.len(), 1);
        let c = compile(&parse("[domain-name:value = 'intranethost']").expect("parses")).expect("compiles");
        assert_eq!((c.rules.len(), c.notes.len()), (1, 1));
    }

    #[test]
    fn exact_and_or() {
        let r = rules("[domain-name:value = 'Evil.Example'] OR [domain-name:value = 'b.example']").expect("ok");
        assert_eq!(r.len(), 2);
        let r = rules("[domain-name:value = 'a.example' OR domain-name:value = 'b.example']").expect("ok");
        assert_eq!(r.len(), 2);
        let r = rules("[domain-name:value IN ('a.example', 'b.example', 'c.example')]").expect("ok");
        assert_eq!(r.len(), 3);
        let r = rules("[domain-name:value = '198.51.100.4']").expect("ok");
        assert_eq!(r[0].kind(), Kind::Ipv4);
        let r = rules("[ipv4-addr:value = '198.51.100.0/24']").expect("ok");
        assert!(matches!(r[0], Rule::Exact { key: Key::Net(_), .. }));
        let r = rules("[url:value = 'https://x.example/?a=b=c']").expect("values with = work");
        assert_eq!(r.len(), 1);
        let r = rules("[file:hashes.'SHA-256' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']")
            .expect("ok");
        assert_eq!(r[0].kind(), Kind::FileSha256);
        let r = rules("[domain-name:value = 'a.example'] WITHIN 5 SECONDS").expect("qualifiers ignored");
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn slow_rules() {
        for p in [
            "[domain-name:value LIKE '%.evil.example']",
            "[domain-name:value MATCHES '^a[0-9]+\\\\.evil\\\\.example$']",
            "[domain-name:value LIKE '%.evil.example' AND domain-name:value != 'ok.evil.example']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        ] {
            let r = rules(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(matches!(r[0], Rule::Slow { .. }), "{p}");
        }
    }

    #[test]
    fn rejections_have_reasons() {
        let cases = [
            ("[x-custom:thing = 'a']", "unsupported object path"),
            ("[file:hashes.'SHA-512' = 'aa']", "unsupported object path"),
            ("[file:name = 'a' AND file:hashes.sha256 = 'aa']", "different kinds"),
            ("[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']", "correlated"),
            ("[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']", "correlated"),
            ("[domain-name:value != 'a.example']", "only negative"),
            ("[domain-name:value = 'com']", "public suffix"),
            ("[domain-name:value = 'co.uk']", "public suffix"),
            ("[domain-name:value = 'bad host.example']", "not a host name"),
            ("[domain-name:value > 'a']", "ordering"),
            ("[EXISTS domain-name:value]", "every value"),
            ("[file:hashes.sha256 = 'abc']", "hex hash"),
            ("[email-addr:value = 'nobody']", "e-mail"),
            ("[domain-name:value MATCHES '(']", "regular expression"),
            ("[domain-name:value = 5]", "string value"),
            ("[ipv4-addr:value = '10.0.0.0/4']", "wider than /8"),
            ("[file:path = '/']", "root path"),
        ];
        for (p, why) in cases {
            match rules(p) {
                Err(e) => assert!(e.contains(why), "{p}: reason {e:?} lacks {why:?}"),
                Ok(r) => panic!("{p} accepted: {r:?}"),
            }
        }
    }
}

//! The STIX 2.1 patterning language, parsed with `winnow` into an AST.
//!
//! Grammar covered (STIX 2.1 §9, case-insensitive keywords):
//!
//! ```text
//! pattern      := followed
//! followed     := obs_or  ( "FOLLOWEDBY" obs_or )*
//! obs_or       := obs_and ( "OR" obs_and )*
//! obs_and      := obs_q   ( "AND" obs_q )*
//! obs_q        := obs_atom qualifier*
//! obs_atom     := "[" cmp_or "]" | "(" followed ")"
//! qualifier    := "WITHIN" number "SECONDS" | "START" t'..' "STOP" t'..' | "REPEATS" int "TIMES"
//! cmp_or       := cmp_and ( "OR" cmp_and )*
//! cmp_and      := test    ( "AND" test )*
//! test         := "(" cmp_or ")" | "EXISTS" path | path "NOT"? op literal
//! op           := = != > < >= <= IN LIKE MATCHES ISSUBSET ISSUPERSET
//! path         := type ":" component ( "." component | "[" int "]" | "[*]" )*
//! literal      := 'string' | t'..' | h'..' | b'..' | int | float | true | false | "(" literal, .. ")"
//! ```
//!
//! Strings use `\'` and `\\` escapes; a value may contain `=` (MVT bug #906 does not apply).
//! Object types are not type-checked, so MVT's custom paths (`app:id`, `app:cert.sha256`,
//! `configuration-profile:id`, `android-property:name`) parse like any other.
//!
//! Hostile input: patterns longer than [`MAX_PATTERN_LEN`] bytes or nested deeper than
//! [`MAX_DEPTH`] brackets/parentheses are rejected before parsing, so the recursive-descent
//! parser cannot overflow the stack.
//!
//! [`Pattern`]'s `Display` writes canonical text that parses back to the same AST.

use std::fmt;

use winnow::Parser;
use winnow::ascii::multispace0;
use winnow::combinator::{alt, delimited, eof, opt, preceded, repeat, separated, separated_foldl1, terminated};
use winnow::token::{any, one_of, take_while};

/// Longest pattern text accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 64 * 1024;
/// Deepest nesting of `[`/`(` accepted.
pub const MAX_DEPTH: usize = 64;

/// A whole pattern: observation expressions combined with AND / OR / FOLLOWEDBY.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `[ comparison expression ]`
    Observation(CompExpr),
    /// `a AND b` (both observations must be seen).
    And(Box<Pattern>, Box<Pattern>),
    /// `a OR b`.
    Or(Box<Pattern>, Box<Pattern>),
    /// `a FOLLOWEDBY b`.
    FollowedBy(Box<Pattern>, Box<Pattern>),
    /// An observation expression with a qualifier.
    Qualified(Box<Pattern>, Qualifier),
}

/// Observation qualifiers (parsed and kept; single-value matching ignores them).
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`
    Within(Number),
    /// `START t'..' STOP t'..'`
    StartStop(String, String),
    /// `REPEATS n TIMES`
    Repeats(u64),
}

/// An integer or floating-point literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
}

/// A comparison expression (inside one `[...]`).
#[derive(Debug, Clone, PartialEq)]
pub enum CompExpr {
    /// `a OR b`
    Or(Box<CompExpr>, Box<CompExpr>),
    /// `a AND b`
    And(Box<CompExpr>, Box<CompExpr>),
    /// One property test.
    Test(PropTest),
}

/// One property test.
#[derive(Debug, Clone, PartialEq)]
pub enum PropTest {
    /// `path [NOT] op value`
    Compare {
        /// Object path.
        path: ObjectPath,
        /// `NOT` given.
        negated: bool,
        /// Operator.
        op: CmpOp,
        /// Right-hand side.
        value: Value,
    },
    /// `EXISTS path`
    Exists(ObjectPath),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `IN`
    In,
    /// `LIKE`
    Like,
    /// `MATCHES`
    Matches,
    /// `ISSUBSET`
    IsSubset,
    /// `ISSUPERSET`
    IsSuperset,
}

impl CmpOp {
    /// The operator as written in patterns.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Neq => "!=",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
            CmpOp::In => "IN",
            CmpOp::Like => "LIKE",
            CmpOp::Matches => "MATCHES",
            CmpOp::IsSubset => "ISSUBSET",
            CmpOp::IsSuperset => "ISSUPERSET",
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `'text'` (escapes resolved).
    Str(String),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `t'2020-01-01T00:00:00Z'` (text kept as written).
    Timestamp(String),
    /// `h'ff00'`.
    Hex(String),
    /// `b'AAEC'`.
    Binary(String),
    /// `( v, v, ... )` for `IN`.
    List(Vec<Value>),
}

/// One step of an object path after the object type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// A property name (quoted or not in the source).
    Prop(String),
    /// `[n]`, or `[*]` as `None`.
    Index(Option<u64>),
}

/// `type:prop.sub[0]...`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    /// Object type, e.g. `domain-name`.
    pub object_type: String,
    /// Steps; the first is always a [`PathStep::Prop`].
    pub steps: Vec<PathStep>,
}

impl ObjectPath {
    /// Lower-case key with quotes and hyphens removed from property names after the first,
    /// e.g. `file:hashes.'SHA-256'` → `file:hashes.sha256`. Indices are dropped.
    pub fn key(&self) -> String {
        let mut s = self.object_type.to_ascii_lowercase();
        s.push(':');
        let mut first = true;
        for step in &self.steps {
            if let PathStep::Prop(p) = step {
                if first {
                    s.push_str(&p.to_ascii_lowercase());
                    first = false;
                } else {
                    s.push('.');
                    s.extend(p.chars().filter(|c| *c != '-' && *c != '_').map(|c| c.to_ascii_lowercase()));
                }
            }
        }
        s
    }
}

/// Why a pattern did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Longer than [`MAX_PATTERN_LEN`].
    #[error("pattern is {0} bytes long (limit {MAX_PATTERN_LEN})")]
    TooLong(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("pattern nests brackets/parentheses deeper than {MAX_DEPTH}")]
    TooDeep,
    /// Syntax error.
    #[error("syntax error at byte {offset}: {snippet:?}")]
    Syntax {
        /// Byte offset of the error.
        offset: usize,
        /// Up to 30 characters of text from there.
        snippet: String,
    },
}

/// Parses a STIX pattern.
pub fn parse(text: &str) -> Result<Pattern, PatternError> {
    if text.len() > MAX_PATTERN_LEN {
        return Err(PatternError::TooLong(text.len()));
    }
    check_depth(text)?;
    delimited(ws, followed, (ws, eof)).parse(text).map_err(|e| {
        let offset = e.offset();
        let snippet: String = text.get(offset..).unwrap_or("").chars().take(30).collect();
        PatternError::Syntax { offset, snippet }
    })
}

/// Rejects nesting deeper than [`MAX_DEPTH`] (string literals are skipped).
fn check_depth(text: &str) -> Result<(), PatternError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                in_str = false;
            }
            continue;
        }
        match c {
            '\'' => in_str = true,
            '[' | '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(PatternError::TooDeep);
                }
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

type PResult<T> = winnow::Result<T>;

fn ws(i: &mut &str) -> PResult<()> {
    multispace0.void().parse_next(i)
}

/// A keyword (case-insensitive) not followed by an identifier character.
fn kw<'a>(word: &'static str) -> impl Parser<&'a str, (), winnow::error::ContextError> {
    move |i: &mut &'a str| -> PResult<()> {
        let n = word.len();
        let head = i.get(..n).ok_or_else(|| winnow::error::ParserError::from_input(i))?;
        if !head.eq_ignore_ascii_case(word) {
            return Err(winnow::error::ParserError::from_input(i));
        }
        let rest = &i[n..];
        if rest.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(winnow::error::ParserError::from_input(i));
        }
        *i = rest;
        Ok(())
    }
}

fn followed(i: &mut &str) -> PResult<Pattern> {
    separated_foldl1(obs_or, (ws, kw("FOLLOWEDBY"), ws), |a, _, b| Pattern::FollowedBy(Box::new(a), Box::new(b)))
        .parse_next(i)
}

fn obs_or(i: &mut &str) -> PResult<Pattern> {
    separated_foldl1(obs_and, (ws, kw("OR"), ws), |a, _, b| Pattern::Or(Box::new(a), Box::new(b))).parse_next(i)
}

fn obs_and(i: &mut &str) -> PResult<Pattern> {
    separated_foldl1(obs_qualified, (ws, kw("AND"), ws), |a, _, b| Pattern::And(Box::new(a), Box::new(b))).parse_next(i)
}

fn obs_qualified(i: &mut &str) -> PResult<Pattern> {
    let mut p = obs_atom(i)?;
    loop {
        let mut probe = *i;
        match preceded(ws, qualifier).parse_next(&mut probe) {
            Ok(q) => {
                *i = probe;
                p = Pattern::Qualified(Box::new(p), q);
            }
            Err(_) => return Ok(p),
        }
    }
}

fn obs_atom(i: &mut &str) -> PResult<Pattern> {
    alt((delimited(('[', ws), cmp_or, (ws, ']')).map(Pattern::Observation), delimited(('(', ws), followed, (ws, ')'))))
        .parse_next(i)
}

fn qualifier(i: &mut &str) -> PResult<Qualifier> {
    alt((
        delimited((kw("WITHIN"), ws), number, (ws, kw("SECONDS"))).map(Qualifier::Within),
        (kw("START"), ws, timestamp, ws, kw("STOP"), ws, timestamp)
            .map(|(_, _, a, _, _, _, b)| Qualifier::StartStop(a, b)),
        delimited((kw("REPEATS"), ws), uint, (ws, kw("TIMES"))).map(Qualifier::Repeats),
    ))
    .parse_next(i)
}

fn cmp_or(i: &mut &str) -> PResult<CompExpr> {
    separated_foldl1(cmp_and, (ws, kw("OR"), ws), |a, _, b| CompExpr::Or(Box::new(a), Box::new(b))).parse_next(i)
}

fn cmp_and(i: &mut &str) -> PResult<CompExpr> {
    separated_foldl1(prop_test, (ws, kw("AND"), ws), |a, _, b| CompExpr::And(Box::new(a), Box::new(b))).parse_next(i)
}

fn prop_test(i: &mut &str) -> PResult<CompExpr> {
    alt((
        delimited(('(', ws), cmp_or, (ws, ')')),
        preceded((kw("EXISTS"), ws), object_path).map(|p| CompExpr::Test(PropTest::Exists(p))),
        comparison.map(CompExpr::Test),
    ))
    .parse_next(i)
}

fn comparison(i: &mut &str) -> PResult<PropTest> {
    let path = object_path(i)?;
    ws(i)?;
    let negated = opt(terminated(kw("NOT"), ws)).parse_next(i)?.is_some();
    let op = cmp_op(i)?;
    ws(i)?;
    let value = if op == CmpOp::In { set_literal(i)? } else { literal(i)? };
    Ok(PropTest::Compare { path, negated, op, value })
}

fn cmp_op(i: &mut &str) -> PResult<CmpOp> {
    for (sym, op) in [
        ("!=", CmpOp::Neq),
        (">=", CmpOp::Ge),
        ("<=", CmpOp::Le),
        ("<>", CmpOp::Neq),
        ("=", CmpOp::Eq),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ] {
        if let Some(rest) = i.strip_prefix(sym) {
            *i = rest;
            return Ok(op);
        }
    }
    for op in [CmpOp::In, CmpOp::Like, CmpOp::Matches, CmpOp::IsSubset, CmpOp::IsSuperset] {
        let mut probe = *i;
        if kw(op.as_str()).parse_next(&mut probe).is_ok() {
            *i = probe;
            return Ok(op);
        }
    }
    Err(winnow::error::ParserError::from_input(i))
}

fn identifier<'a>(i: &mut &'a str) -> PResult<&'a str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
    )
        .take()
        .parse_next(i)
}

fn object_path(i: &mut &str) -> PResult<ObjectPath> {
    let object_type = identifier(i)?.to_string();
    ':'.parse_next(i)?;
    let first = alt((identifier.map(str::to_string), string_lit)).parse_next(i)?;
    let mut steps = vec![PathStep::Prop(first)];
    let rest: Vec<PathStep> = repeat(
        0..,
        alt((
            preceded('.', alt((identifier.map(str::to_string), string_lit))).map(PathStep::Prop),
            "[*]".value(PathStep::Index(None)),
            delimited('[', uint, ']').map(|n| PathStep::Index(Some(n))),
        )),
    )
    .parse_next(i)?;
    steps.extend(rest);
    Ok(ObjectPath { object_type, steps })
}

/// `'...'` with `\'` and `\\` escapes.
fn string_lit(i: &mut &str) -> PResult<String> {
    '\''.parse_next(i)?;
    let mut out = String::new();
    loop {
        let c = any(i)?;
        match c {
            '\'' => return Ok(out),
            '\\' => {
                let e = any(i)?;
                match e {
                    '\'' | '\\' => out.push(e),
                    _ => return Err(winnow::error::ParserError::from_input(i)),
                }
            }
            _ => out.push(c),
        }
    }
}

fn prefixed(prefix: char) -> impl FnMut(&mut &str) -> PResult<String> {
    move |i: &mut &str| {
        one_of([prefix, prefix.to_ascii_uppercase()]).parse_next(i)?;
        string_lit(i)
    }
}

fn timestamp(i: &mut &str) -> PResult<String> {
    prefixed('t').parse_next(i)
}

fn uint(i: &mut &str) -> PResult<u64> {
    take_while(1.., |c: char| c.is_ascii_digit()).try_map(str::parse::<u64>).parse_next(i)
}

fn number(i: &mut &str) -> PResult<Number> {
    let text = (
        opt(one_of(['+', '-'])),
        take_while(1.., |c: char| c.is_ascii_digit()),
        opt(('.', take_while(1.., |c: char| c.is_ascii_digit()))),
    )
        .take()
        .parse_next(i)?;
    if text.contains('.') {
        text.parse::<f64>().map(Number::Float).map_err(|_| winnow::error::ParserError::from_input(i))
    } else {
        text.parse::<i64>().map(Number::Int).map_err(|_| winnow::error::ParserError::from_input(i))
    }
}

fn literal(i: &mut &str) -> PResult<Value> {
    alt((
        string_lit.map(Value::Str),
        timestamp.map(Value::Timestamp),
        prefixed('h').map(Value::Hex),
        prefixed('b').map(Value::Binary),
        kw("true").value(Value::Bool(true)),
        kw("false").value(Value::Bool(false)),
        number.map(|n| match n {
            Number::Int(v) => Value::Int(v),
            Number::Float(v) => Value::Float(v),
        }),
    ))
    .parse_next(i)
}

fn set_literal(i: &mut &str) -> PResult<Value> {
    delimited(('(', ws), separated(1.., literal, (ws, ',', ws)), (ws, ')')).map(Value::List).parse_next(i)
}

// ---------------------------------------------------------------------------------------------
// Display: canonical text that parses back to the same AST.

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.is_empty()
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (n, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Prop(p) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    if is_identifier(p) {
                        f.write_str(p)?;
                    } else {
                        f.write_str(&quote(p))?;
                    }
                }
                PathStep::Index(None) => f.write_str("[*]")?,
                PathStep::Index(Some(k)) => write!(f, "[{k}]")?,
            }
        }
        Ok(())
    }
}

fn fmt_float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") { s } else { format!("{s}.0") }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(v) => write!(f, "{v}"),
            Number::Float(v) => f.write_str(&fmt_float(*v)),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(&quote(s)),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => f.write_str(&fmt_float(*v)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Timestamp(s) => write!(f, "t{}", quote(s)),
            Value::Hex(s) => write!(f, "h{}", quote(s)),
            Value::Binary(s) => write!(f, "b{}", quote(s)),
            Value::List(vs) => {
                f.write_str("(")?;
                for (n, v) in vs.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for PropTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropTest::Compare { path, negated, op, value } => {
                write!(f, "{path} {}{} {value}", if *negated { "NOT " } else { "" }, op.as_str())
            }
            PropTest::Exists(p) => write!(f, "EXISTS {p}"),
        }
    }
}

fn cmp_prec(e: &CompExpr) -> u8 {
    match e {
        CompExpr::Or(..) => 1,
        CompExpr::And(..) => 2,
        CompExpr::Test(_) => 3,
    }
}

fn write_cmp_child(f: &mut fmt::Formatter<'_>, e: &CompExpr, parens: bool) -> fmt::Result {
    if parens { write!(f, "({e})") } else { write!(f, "{e}") }
}

impl fmt::Display for CompExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, word, p) = match self {
            CompExpr::Test(t) => return write!(f, "{t}"),
            CompExpr::Or(a, b) => (a, b, "OR", 1),
            CompExpr::And(a, b) => (a, b, "AND", 2),
        };
        write_cmp_child(f, a, cmp_prec(a) < p)?;
        write!(f, " {word} ")?;
        write_cmp_child(f, b, cmp_prec(b) <= p)
    }
}

fn pat_prec(p: &Pattern) -> u8 {
    match p {
        Pattern::FollowedBy(..) => 1,
        Pattern::Or(..) => 2,
        Pattern::And(..) => 3,
        Pattern::Qualified(..) | Pattern::Observation(_) => 4,
    }
}

fn write_pat_child(f: &mut fmt::Formatter<'_>, p: &Pattern, parens: bool) -> fmt::Result {
    if parens { write!(f, "({p})") } else { write!(f, "{p}") }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(n) => write!(f, "WITHIN {n} SECONDS"),
            Qualifier::StartStop(a, b) => write!(f, "START t{} STOP t{}", quote(a), quote(b)),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, word, p) = match self {
            Pattern::Observation(c) => return write!(f, "[{c}]"),
            Pattern::Qualified(inner, q) => {
                write_pat_child(f, inner, pat_prec(inner) < 4)?;
                return write!(f, " {q}");
            }
            Pattern::FollowedBy(a, b) => (a, b, "FOLLOWEDBY", 1),
            Pattern::Or(a, b) => (a, b, "OR", 2),
            Pattern::And(a, b) => (a, b, "AND", 3),
        };
        write_pat_child(f, a, pat_prec(a) < p)?;
        write!(f, " {word} ")?;
        write_pat_child(f, b, pat_prec(b) <= p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> Pattern {
        let p = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let shown = p.to_string();
        let again = parse(&shown).unwrap_or_else(|e| panic!("re-parse of {shown}: {e}"));
        assert_eq!(p, again, "round trip of {text} via {shown}");
        p
    }

    fn single(p: &Pattern) -> &PropTest {
        match p {
            Pattern::Observation(CompExpr::Test(t)) => t,
            other => panic!("not a single test: {other:?}"),
        }
    }

    #[test]
    fn table_of_constructs() {
        let ok = [
            "[domain-name:value = 'evil.example']",
            "[ domain-name:value='evil.example' ]",
            "[url:value = 'https://x.example/?a=b&c==d']",
            "[file:hashes.'SHA-256' = 'aa']",
            "[file:hashes.sha256 = 'aa']",
            "[file:hashes.SHA256 = 'aa']",
            "[app:cert.sha256 = 'aa']",
            "[app:id = 'com.x']",
            "[configuration-profile:id = 'x']",
            "[android-property:name = 'x']",
            "[process:name != 'x']",
            "[process:name NOT = 'x']",
            "[process:pid > 5]",
            "[process:pid < -5]",
            "[process:pid >= 5.5]",
            "[process:pid <= 5]",
            "[domain-name:value IN ('a.example', 'b.example')]",
            "[domain-name:value LIKE '%.evil.example']",
            "[domain-name:value MATCHES '^a+\\\\.example$']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[ipv4-addr:value ISSUPERSET '198.51.100.7/32']",
            "[EXISTS windows-registry-key:values]",
            "[file:name = 'a' AND file:size > 10]",
            "[file:name = 'a' OR file:name = 'b' AND file:size = 1]",
            "[(file:name = 'a' OR file:name = 'b') AND file:size = 1]",
            "[domain-name:value = 'a'] OR [domain-name:value = 'b']",
            "[domain-name:value = 'a'] AND [domain-name:value = 'b']",
            "[domain-name:value = 'a'] FOLLOWEDBY [domain-name:value = 'b']",
            "([a:b = 'x'] OR [a:b = 'y']) AND [a:b = 'z']",
            "[a:b = 'x'] WITHIN 300 SECONDS",
            "[a:b = 'x'] WITHIN 2.5 SECONDS",
            "[a:b = 'x'] REPEATS 5 TIMES",
            "[a:b = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
            "([a:b = 'x'] AND [a:b = 'y']) REPEATS 2 TIMES WITHIN 10 SECONDS",
            "[a:b = t'2020-01-01T00:00:00.000Z']",
            "[artifact:payload_bin = b'AAEC']",
            "[x:y = h'ff00']",
            "[x:y = true] OR [x:y = false]",
            "[network-traffic:extensions.'http-request-ext'.request_header.'Host' = 'x']",
            "[email-message:to_refs[*].value = 'a@example.org']",
            "[email-message:to_refs[1].value = 'a@example.org']",
            "[file:name = 'it\\'s']",
            "[file:name = 'back\\\\slash']",
            "[a:b = 'x'] and [a:b = 'y'] or [a:b = 'z']",
        ];
        for t in ok {
            roundtrip(t);
        }
    }

    #[test]
    fn values_and_paths() {
        let p = roundtrip("[url:value = 'https://x.example/?a=b']");
        let PropTest::Compare { path, value, op, negated } = single(&p) else { panic!() };
        assert_eq!(path.key(), "url:value");
        assert_eq!(*op, CmpOp::Eq);
        assert!(!negated);
        assert_eq!(*value, Value::Str("https://x.example/?a=b".into()));

        let p = roundtrip("[file:hashes.'SHA-256' = 'AB']");
        let PropTest::Compare { path, .. } = single(&p) else { panic!() };
        assert_eq!(path.key(), "file:hashes.sha256");

        let p = roundtrip("[file:name = 'it\\'s \\\\ x']");
        let PropTest::Compare { value, .. } = single(&p) else { panic!() };
        assert_eq!(*value, Value::Str("it's \\ x".into()));

        let p = roundtrip("[a:b IN ('x', 2, true)]");
        let PropTest::Compare { value, .. } = single(&p) else { panic!() };
        assert_eq!(*value, Value::List(vec![Value::Str("x".into()), Value::Int(2), Value::Bool(true)]));
    }

    #[test]
    fn precedence() {
        let p = roundtrip("[a:b = '1'] OR [a:b = '2'] AND [a:b = '3']");
        assert!(matches!(p, Pattern::Or(_, ref r) if matches!(**r, Pattern::And(..))));
        let p = roundtrip("[a:b = '1'] FOLLOWEDBY [a:b = '2'] OR [a:b = '3']");
        assert!(matches!(p, Pattern::FollowedBy(_, ref r) if matches!(**r, Pattern::Or(..))));
        let p = roundtrip("[a:b = '1' OR a:b = '2' AND a:c = '3']");
        assert!(matches!(p, Pattern::Observation(CompExpr::Or(_, ref r)) if matches!(**r, CompExpr::And(..))));
        // right-nested same operator keeps its parentheses through Display
        let p = roundtrip("[a:b = '1' OR (a:b = '2' OR a:b = '3')]");
        assert!(matches!(p, Pattern::Observation(CompExpr::Or(_, ref r)) if matches!(**r, CompExpr::Or(..))));
    }

    #[test]
    fn rejections() {
        let bad = [
            "",
            "domain-name:value = 'x'",
            "[domain-name:value = 'x'",
            "[domain-name:value = x]",
            "[domain-name:value = 'x]",
            "[domain-name:value == 'x']",
            "[domain-name:value = 'x'] WITHIN SECONDS",
            "[domain-name:value = 'x'] extra",
            "[domain-name:value = 'bad \\n escape']",
            "[domain-name = 'x']",
            "[:value = 'x']",
            "[a:b IN ()]",
            "[]",
            "[a:b = 'x'] AND",
        ];
        for b in bad {
            assert!(matches!(parse(b), Err(PatternError::Syntax { .. })), "{b:?} should be a syntax error");
        }
    }

    #[test]
    fn hostile() {
        let deep = format!("{}[a:b = 'x']{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep), Err(PatternError::TooLong(deep.len())));
        let deep = format!("{}[a:b = 'x']{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(parse(&deep), Err(PatternError::TooDeep));
        let deep = format!("[{}a:b = 'x'{}]", "(".repeat(65), ")".repeat(65));
        assert_eq!(parse(&deep), Err(PatternError::TooDeep));
        let ok = format!("[{}a:b = 'x'{}]", "(".repeat(60), ")".repeat(60));
        assert!(parse(&ok).is_ok());
        // brackets inside strings do not count
        let s = format!("[a:b = '{}']", "(".repeat(1000));
        assert!(parse(&s).is_ok());
        // long flat chains parse iteratively
        let chain = (0..2000).map(|n| format!("a:b = '{n}'")).collect::<Vec<_>>().join(" OR ");
        assert!(parse(&format!("[{chain}]")).is_ok());
        for junk in ["\u{0}", "[\u{ffff}:x = 'y']", "['''''']", "[a:b = '\u{1F600}']"] {
            let _ = parse(junk);
        }
    }
}

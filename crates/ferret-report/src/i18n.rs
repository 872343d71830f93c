//! The report's fixed text in several languages.
//!
//! Every sentence of `report.html` that ferret writes itself (headings, explanations, labels of
//! record fields, the legend) lives in one data file per language, `i18n/<code>.toml` in this
//! crate, so a translator edits text without reading code. The files are embedded at build time
//! (`include_str!`). Keys are grouped in TOML tables (`[verdict]`, `[todo]`, `[field]`...); a
//! value may hold placeholders such as `{n}` or `{first}`, which must be kept as they are.
//!
//! A key missing from a language falls back to English, and a key missing from English to the
//! key itself (the tests check that every key the code uses is in English and that every
//! language has every English key with the same placeholders). Evidence (messages, records,
//! paths) is never translated: it is shown as the phone had it.
//!
//! The language is chosen with `--lang`; by default from the locale (`LC_ALL`, `LC_MESSAGES`,
//! `LANG`, see [`Lang::from_locale_env`]); anything else is English. It is recorded in the page
//! itself (`<html lang="…">`, read back by [`crate::report_language`]) so that `ferret report`
//! rebuilds the same page.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// A language of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lang {
    /// English (the reference text and the fallback).
    #[default]
    En,
    /// Italian.
    It,
    /// Spanish.
    Es,
    /// French.
    Fr,
    /// Arabic (written right to left).
    Ar,
}

/// A language code ferret has no translation for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no report translation for language {given:?}: choose one of en, it, es, fr, ar")]
pub struct UnknownLang {
    /// What was given.
    pub given: String,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::It, Lang::Es, Lang::Fr, Lang::Ar];

    /// The ISO 639-1 code (`en`, `it`, `es`, `fr`, `ar`), as written in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::Ar => "ar",
        }
    }

    /// Whether the language is written right to left.
    pub fn is_rtl(self) -> bool {
        self == Lang::Ar
    }

    /// The language of a code or locale name: `it`, `IT`, `it-IT`, `it_IT.UTF-8`,
    /// `it_IT@euro`. `None` for anything else (including `C` and `POSIX`).
    pub fn from_code(s: &str) -> Option<Lang> {
        let base = s.split(['_', '-', '.', '@']).next().unwrap_or_default().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == base)
    }

    /// The language of the locale: the first non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG`
    /// (POSIX precedence); English when it is unset or has no translation.
    pub fn from_locale_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::from_code(&v))
            .unwrap_or_default()
    }

    /// The embedded translation file.
    pub(crate) fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../i18n/en.toml"),
            Lang::It => include_str!("../i18n/it.toml"),
            Lang::Es => include_str!("../i18n/es.toml"),
            Lang::Fr => include_str!("../i18n/fr.toml"),
            Lang::Ar => include_str!("../i18n/ar.toml"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::str::FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::from_code(s).ok_or_else(|| UnknownLang { given: s.to_string() })
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Flattens a TOML document into `table.key` → text. Values that are not strings are skipped.
pub(crate) fn parse(src: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            _ => {}
        }
    }
    let v: toml::Value = toml::from_str(src)?;
    let mut out = BTreeMap::new();
    walk("", &v, &mut out);
    Ok(out)
}

static TABLES: [OnceLock<BTreeMap<String, String>>; 5] = [const { OnceLock::new() }; 5];

fn table(lang: Lang) -> &'static BTreeMap<String, String> {
    // The files are embedded and checked by the tests; a broken one degrades to English.
    TABLES.get(lang.index()).map_or_else(empty, |cell| cell.get_or_init(|| parse(lang.source()).unwrap_or_default()))
}

fn empty() -> &'static BTreeMap<String, String> {
    static EMPTY: BTreeMap<String, String> = BTreeMap::new();
    &EMPTY
}

/// The text of `key` in `lang` (else English), as the translation files have it; `None` for a
/// key no file has.
pub fn text(lang: Lang, key: &str) -> Option<&'static str> {
    Text::new(lang).get(key)
}

/// The fixed text of one language, with English as the fallback.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text {
    pub(crate) lang: Lang,
    own: &'static BTreeMap<String, String>,
    en: &'static BTreeMap<String, String>,
}

impl Text {
    pub(crate) fn new(lang: Lang) -> Self {
        Self { lang, own: table(lang), en: table(Lang::En) }
    }

    /// The text of `key` (own language, else English, else the key).
    pub(crate) fn s<'k>(&self, key: &'k str) -> &'k str
    where
        'static: 'k,
    {
        self.get(key).unwrap_or(key)
    }

    /// The text of `key` if any language has it.
    pub(crate) fn get(&self, key: &str) -> Option<&'static str> {
        self.own.get(key).or_else(|| self.en.get(key)).map(String::as_str)
    }

    /// `key` with its placeholders replaced by plain-text values (the result is plain text:
    /// escape it for HTML).
    pub(crate) fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = String::new();
        fill(self.s(key), args, &mut |s, out: &mut String| out.push_str(s), &mut out);
        out
    }

    /// `key` as HTML: its text escaped, its placeholders replaced by the given HTML (which the
    /// caller has escaped).
    pub(crate) fn h(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = String::new();
        fill(self.s(key), args, &mut |s, out: &mut String| out.push_str(&crate::html::esc(s)), &mut out);
        out
    }

    /// `key` escaped for HTML.
    pub(crate) fn e(&self, key: &str) -> std::borrow::Cow<'static, str> {
        match self.get(key) {
            Some(s) => crate::html::esc(s),
            None => std::borrow::Cow::Owned(crate::html::esc(key).into_owned()),
        }
    }
}

/// Copies `template` into `out`, passing literal text through `lit` and replacing `{name}` by
/// the matching argument (unknown placeholders are kept as literal text).
fn fill(template: &str, args: &[(&str, &str)], lit: &mut dyn FnMut(&str, &mut String), out: &mut String) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        lit(before, out);
        match after.find('}').map(|close| (after.get(1..close), close)) {
            Some((Some(name), close)) if args.iter().any(|(k, _)| *k == name) => {
                if let Some((_, v)) = args.iter().find(|(k, _)| *k == name) {
                    out.push_str(v);
                }
                rest = after.get(close + 1..).unwrap_or_default();
            }
            _ => {
                lit("{", out);
                rest = after.get(1..).unwrap_or_default();
            }
        }
    }
    lit(rest, out);
}

/// The `{name}` placeholders of a text, sorted.
#[cfg(test)]
pub(crate) fn placeholders(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                let name = after.get(..close).unwrap_or_default();
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    v.push(name.to_string());
                }
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => break,
        }
    }
    v.sort();
    v
}

/// A number as text (no grouping separators: unambiguous in every language).
pub(crate) fn num(n: impl std::fmt::Display) -> String {
    let mut s = String::new();
    let _ = write!(s, "{n}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn locale_names_map_to_languages() {
        for (given, want) in [
            ("it", Some(Lang::It)),
            ("it_IT.UTF-8", Some(Lang::It)),
            ("es-MX", Some(Lang::Es)),
            ("FR", Some(Lang::Fr)),
            ("fr_CA@euro", Some(Lang::Fr)),
            ("ar_EG.utf8", Some(Lang::Ar)),
            ("en_GB", Some(Lang::En)),
            ("C", None),
            ("POSIX", None),
            ("de_DE", None),
            ("", None),
        ] {
            assert_eq!(Lang::from_code(given), want, "{given}");
        }
        assert!("xx".parse::<Lang>().is_err());
        assert_eq!("ar".parse::<Lang>(), Ok(Lang::Ar));
        assert!(Lang::Ar.is_rtl() && !Lang::En.is_rtl());
    }

    #[test]
    fn every_language_file_parses_and_has_every_english_key_with_the_same_placeholders() {
        let en = parse(Lang::En.source()).expect("en.toml parses");
        assert!(en.len() > 100, "English has the reference text");
        for lang in Lang::ALL {
            let own = parse(lang.source()).unwrap_or_else(|e| panic!("{lang}.toml: {e}"));
            let missing: Vec<&String> = en.keys().filter(|k| !own.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang}.toml lacks {missing:?}");
            let extra: Vec<&String> = own.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{lang}.toml has keys English does not (typos?): {extra:?}");
            for (k, v) in &en {
                let theirs = own.get(k).map(String::as_str).unwrap_or_default();
                assert_eq!(placeholders(theirs), placeholders(v), "{lang}.toml {k}: placeholders differ");
                assert!(!theirs.trim().is_empty(), "{lang}.toml {k} is empty");
            }
            assert_eq!(own.get("meta.code").map(String::as_str), Some(lang.code()), "{lang}.toml meta.code");
            let dir = if lang.is_rtl() { "rtl" } else { "ltr" };
            assert_eq!(own.get("meta.dir").map(String::as_str), Some(dir), "{lang}.toml meta.dir");
        }
    }

    /// Every key the code looks up (`.s("…")`, `.f("…"`, `.h("…"`, `.e("…")`, `.get("…")` and
    /// `key!("…")`) exists in English.
    #[test]
    fn every_key_used_by_the_code_is_in_english() {
        let en = parse(Lang::En.source()).expect("en.toml");
        let sources = [
            include_str!("html.rs"),
            include_str!("firstscreen.rs"),
            include_str!("chart.rs"),
            include_str!("evidence.rs"),
            include_str!("labels.rs"),
            include_str!("changes.rs"),
        ];
        let mut used = BTreeSet::new();
        for src in sources {
            for pat in [".s(\"", ".f(\"", ".h(\"", ".e(\"", "key!(\""] {
                let mut rest = src;
                while let Some(i) = rest.find(pat) {
                    let after = rest.get(i + pat.len()..).unwrap_or_default();
                    let end = after.find('"').unwrap_or(0);
                    let key = after.get(..end).unwrap_or_default();
                    if key.contains('.') && !key.contains(' ') {
                        used.insert(key.to_string());
                    }
                    rest = after;
                }
            }
        }
        assert!(used.len() > 50, "the scan finds the lookups: {}", used.len());
        let missing: Vec<&String> = used.iter().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "keys used but not in en.toml: {missing:?}");
    }

    #[test]
    fn missing_keys_fall_back_to_english_then_to_the_key() {
        let t = Text::new(Lang::It);
        assert_eq!(t.s("no.such.key"), "no.such.key");
        // a key only English has (simulated with a table of our own)
        let mut own = BTreeMap::new();
        own.insert("a.b".to_string(), "ciao {n}".to_string());
        let own: &'static BTreeMap<String, String> = Box::leak(Box::new(own));
        let t = Text { lang: Lang::It, own, en: table(Lang::En) };
        assert_eq!(t.f("a.b", &[("n", "3")]), "ciao 3");
        assert_eq!(t.s("meta.name"), "English", "falls back to English");
    }

    #[test]
    fn placeholders_are_filled_and_html_escaped_outside_them() {
        let mut out = String::new();
        fill(
            "<b>{n}</b> {x} {unknown} {",
            &[("n", "<i>1</i>"), ("x", "&")],
            &mut |s, o| o.push_str(&crate::html::esc(s)),
            &mut out,
        );
        assert_eq!(out, "&lt;b&gt;<i>1</i>&lt;&#x2F;b&gt; & {unknown} {");
        assert_eq!(placeholders("a {n} b {first} {x y} {"), vec!["first".to_string(), "n".into()]);
    }
}

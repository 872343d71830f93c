//! The matching contract between artifact modules and indicator sets.
//!
//! Modules ask questions ("is this URL known-bad?") through [`Indicators`]; `ferret-indicators`
//! answers them from its compiled index. Every method returns the matched indicator, or `None`.
//! Methods take evidence strings exactly as found; normalisation (case, `www.`, ports, URL
//! parsing, 16-character process-name truncation) is the implementation's job.

use crate::alert::MatchedIndicator;

/// Questions a module can ask about evidence values.
pub trait Indicators: Send + Sync {
    /// No indicator loaded at all (modules still run their heuristics).
    fn is_empty(&self) -> bool;

    /// A URL or a bare host (with or without scheme): URL indicators compare exactly; the host is
    /// checked as with [`Indicators::check_domain`].
    fn check_url(&self, url: &str) -> Option<MatchedIndicator>;

    /// A host name or IP literal. Domain indicators match the host or any parent domain of it
    /// (indicator `x.evil.tld` matches `a.b.x.evil.tld`); IP literals compare as IPs and against
    /// CIDR ranges, never as substrings.
    fn check_domain(&self, host: &str) -> Option<MatchedIndicator>;

    /// Every URL found in free text (with or without scheme), each checked with
    /// [`Indicators::check_url`]; one entry per distinct matching URL, in text order.
    fn check_text(&self, text: &str) -> Vec<(String, MatchedIndicator)> {
        crate::urls::find_urls(text).into_iter().filter_map(|u| self.check_url(&u).map(|m| (u, m))).collect()
    }

    /// A process name or path (the basename is compared; iOS truncates names to 16 characters,
    /// so a 16-character name also matches an indicator that starts with it).
    fn check_process(&self, name: &str) -> Option<MatchedIndicator>;

    /// An e-mail address (case-insensitive; a `mailto:` prefix is ignored).
    fn check_email(&self, email: &str) -> Option<MatchedIndicator>;

    /// A phone number or messaging handle (digits compared after removing formatting).
    fn check_phone(&self, number: &str) -> Option<MatchedIndicator>;

    /// A file path: its basename against file-name indicators, then path indicators as
    /// component-aware prefixes.
    fn check_file_path(&self, path: &str) -> Option<MatchedIndicator>;

    /// A file name (exact).
    fn check_file_name(&self, name: &str) -> Option<MatchedIndicator>;

    /// A hex MD5, SHA-1 or SHA-256 (chosen by length; case-insensitive).
    fn check_file_hash(&self, hash: &str) -> Option<MatchedIndicator>;

    /// An app identifier: iOS bundle id or Android package name (case-insensitive).
    fn check_app_id(&self, id: &str) -> Option<MatchedIndicator>;

    /// An app signing-certificate hash (case-insensitive, any of MD5/SHA-1/SHA-256).
    fn check_app_cert_hash(&self, hash: &str) -> Option<MatchedIndicator>;

    /// A configuration-profile identifier (PayloadUUID / PayloadIdentifier).
    fn check_profile(&self, id: &str) -> Option<MatchedIndicator>;

    /// An Android system property name.
    fn check_android_property(&self, name: &str) -> Option<MatchedIndicator>;

    /// An executable: a full path (`/private/var/tmp/bh`) or a bare process name. A path is
    /// checked against file indicators, then each of its `/`-separated components against
    /// process indicators (a process indicator naming a folder or binary anywhere in the path);
    /// a name against process indicators. Implementations other than observers keep this
    /// definition ([`check_executable_parts`]).
    fn check_executable(&self, path_or_name: &str) -> Option<MatchedIndicator> {
        check_executable_parts(self, path_or_name)
    }
}

/// The definition of [`Indicators::check_executable`], for implementations that override it to
/// note the question and still answer the same way.
pub fn check_executable_parts<I: Indicators + ?Sized>(ind: &I, path: &str) -> Option<MatchedIndicator> {
    if path.starts_with('/')
        && let Some(m) = ind.check_file_path(path)
    {
        return Some(m);
    }
    path.split('/').filter(|c| !c.is_empty()).find_map(|c| ind.check_process(c))
}

/// The empty indicator set: matches nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoIndicators;

impl Indicators for NoIndicators {
    fn is_empty(&self) -> bool {
        true
    }
    fn check_url(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_domain(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_process(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_email(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_phone(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_file_path(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_file_name(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_file_hash(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_app_id(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_app_cert_hash(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_profile(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
    fn check_android_property(&self, _: &str) -> Option<MatchedIndicator> {
        None
    }
}

//! Ground truth: what was planted, and exactly which alerts a correct checker raises.

use ferret_core::{Alert, Level};
use serde::{Deserialize, Serialize};

/// The process census's module name (`ferret_ios::census::NAME`).
pub const CENSUS: &str = "process_census";

/// Indicator kinds a generator can plant (mapped to STIX patterns by [`crate::stix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// `domain-name:value`
    Domain,
    /// `url:value`
    Url,
    /// `ipv4-addr:value`
    Ipv4,
    /// `process:name`
    Process,
    /// `email-addr:value`
    Email,
    /// `file:name`
    FileName,
    /// `file:path`
    FilePath,
    /// `file:hashes.sha256`
    FileSha256,
    /// `app:id`
    AppId,
    /// `app:cert.sha256`
    AppCertSha256,
    /// `configuration-profile:id`
    ProfileId,
    /// `android-property:name`
    AndroidProperty,
}

/// One planted indicator value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PlantedIndicator {
    /// Kind.
    pub kind: IndicatorKind,
    /// Value as it goes into the bundle.
    pub value: String,
    /// Malware name it is attributed to.
    pub malware: String,
}

/// One alert a correct checker must raise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExpectedAlert {
    /// Module slug.
    pub module: String,
    /// Level.
    pub level: Level,
    /// For indicator hits: the matched indicator value.
    pub indicator: Option<String>,
    /// A string that appears in the alert's message or in its event record and identifies the
    /// planted case uniquely.
    pub marker: String,
}

impl ExpectedAlert {
    /// Whether `alert` is this expected alert.
    pub fn matches(&self, alert: &Alert) -> bool {
        if alert.module != self.module || alert.level != self.level {
            return false;
        }
        let ind_ok = match (&self.indicator, &alert.matched_indicator) {
            (Some(v), Some(m)) => m.value.eq_ignore_ascii_case(v),
            (None, None) => true,
            _ => false,
        };
        ind_ok && (alert.message.contains(&self.marker) || alert.event.to_string().contains(&self.marker))
    }
}

/// The ground truth of one generated acquisition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// Indicators planted in the evidence (the bundle holds these plus decoys).
    pub indicators: Vec<PlantedIndicator>,
    /// Every alert a correct checker raises.
    pub alerts: Vec<ExpectedAlert>,
}

impl Truth {
    /// Plants an indicator (deduplicated).
    pub fn plant(&mut self, kind: IndicatorKind, value: impl Into<String>, malware: &str) {
        let p = PlantedIndicator { kind, value: value.into(), malware: malware.to_string() };
        if !self.indicators.contains(&p) {
            self.indicators.push(p);
        }
    }

    /// Expects an alert.
    pub fn expect(&mut self, module: &str, level: Level, indicator: Option<&str>, marker: impl Into<String>) {
        self.alerts.push(ExpectedAlert {
            module: module.to_string(),
            level,
            indicator: indicator.map(str::to_string),
            marker: marker.into(),
        });
    }

    /// Expects the process census's alert about a planted process that is neither Apple's nor
    /// an installed app's: `name` is its process name (a path's file name). The census raises
    /// one alert per process whatever the artifacts that name it, so the expectation is kept
    /// once, at the highest level any generator planted it with (HIGH: named like an Apple
    /// executable, or run from a data or temporary folder; MEDIUM: only unknown).
    pub fn expect_census(&mut self, level: Level, name: &str) {
        let mut one = Truth::default();
        one.expect(CENSUS, level, None, format!("Process {name:?}"));
        self.extend(one);
    }

    /// The expectations of the modules alone, without the process census's: for tests that run
    /// the modules but not the post-run passes.
    pub fn without_census(&self) -> Truth {
        let alerts = self.alerts.iter().filter(|a| a.module != CENSUS).cloned().collect();
        Truth { indicators: self.indicators.clone(), alerts }
    }

    /// Merges another truth into this one (the census's expectations of one process once, at the
    /// higher level).
    pub fn extend(&mut self, other: Truth) {
        for p in other.indicators {
            if !self.indicators.contains(&p) {
                self.indicators.push(p);
            }
        }
        for a in other.alerts {
            match self.alerts.iter_mut().find(|e| a.module == CENSUS && e.module == CENSUS && e.marker == a.marker) {
                Some(e) => e.level = e.level.max(a.level),
                None => self.alerts.push(a),
            }
        }
    }
}

/// How actual alerts compare with the truth.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Expected alerts that were not raised.
    pub missed: Vec<ExpectedAlert>,
    /// Alerts raised that no expectation accounts for.
    pub unexpected: Vec<Alert>,
}

impl Comparison {
    /// Recall and precision are both perfect.
    pub fn is_exact(&self) -> bool {
        self.missed.is_empty() && self.unexpected.is_empty()
    }

    /// Panics (for tests) unless exact, listing every missed expectation and every unexpected
    /// alert (module, level, message, matched indicator).
    pub fn assert_exact(&self) {
        assert!(
            self.is_exact(),
            "missed {:#?}\nunexpected {:#?}",
            self.missed,
            self.unexpected.iter().map(|a| (&a.module, a.level, &a.message, &a.matched_indicator)).collect::<Vec<_>>()
        );
    }
}

/// Pairs every expected alert with a distinct actual alert (restricted to `modules` when given).
pub fn compare(expected: &[ExpectedAlert], actual: &[Alert], modules: Option<&[&str]>) -> Comparison {
    let in_scope = |m: &str| modules.is_none_or(|ms| ms.contains(&m));
    let mut used = vec![false; actual.len()];
    let mut cmp = Comparison::default();
    for e in expected.iter().filter(|e| in_scope(&e.module)) {
        match actual.iter().enumerate().find(|(i, a)| !used[*i] && e.matches(a)) {
            Some((i, _)) => used[i] = true,
            None => cmp.missed.push(e.clone()),
        }
    }
    for (i, a) in actual.iter().enumerate() {
        if !used[i] && in_scope(&a.module) {
            cmp.unexpected.push(a.clone());
        }
    }
    cmp
}

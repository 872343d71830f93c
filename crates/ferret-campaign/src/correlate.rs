//! `ferret correlate`: rank the values several devices share, find the devices of a campaign.
//!
//! # The ranking
//! For each distinct `(kind, value)` in the devices' observables, with `df` the number of devices
//! that hold it and `N` the number of devices:
//! * it is a **candidate** when `df >= 2` and `df / N <= max_share` (a value on most phones, a
//!   carrier's number or `apple.com`, is background);
//! * `rarity = ln(N / df)`;
//! * for each of its devices that has a timed alert (level LOW or above), `p = exp(-d / window)`,
//!   where `d` is the distance in hours between the value's span on that device
//!   (`first_seen..last_seen`) and the device's nearest such alert (0 when an alert falls inside
//!   the span; `p = 0` for a value without a time); `window` is 6 hours by default. A device
//!   without any timed alert says nothing either way and is left out (an Android `.ab` holds
//!   messages, nothing to be close to);
//! * `closeness` is the mean of `p` over those devices (0 when none has a timed alert), and
//!   `near` the number of devices with `p >= 0.5` (an alert within about 4 hours);
//! * `known` is 1 when the value already matched an indicator (an alert of one of the devices
//!   names it, or the indicators given to `correlate` match it);
//! * `score = rarity × ln(1 + df) × (0.25 + closeness) + 2 × known`.
//!
//! A candidate is a **lead** when it is known, or it sits near an alert on at least two of its
//! devices (`near >= 2`): one device's coincidence is not a campaign. Leads
//! group devices into **clusters** (devices linked through shared leads), which become the
//! campaigns of `candidates.stix2`. `sql/correlate.sql` computes the same ranking on the
//! exported observables.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ferret_core::Indicators;
use ferret_core::observe::{Observable, ObservableKind};
use jiff::Timestamp;
use serde::Serialize;

use crate::case::{Case, CaseData, Signal};

/// Tuning of the ranking (defaults as documented in the module).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Params {
    /// Largest share of devices a candidate may be on.
    pub max_share: f64,
    /// Hours over which closeness to an alert decays (e-folding time).
    pub window_hours: f64,
    /// Devices on which a value must sit near an alert to be a lead without an indicator.
    pub min_near: usize,
    /// Most candidates listed in `correlation.json` besides the leads.
    pub max_candidates: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self { max_share: 0.5, window_hours: 6.0, min_near: 2, max_candidates: 10_000 }
    }
}

/// One ranked value.
#[derive(Debug, Clone, Serialize)]
pub struct Lead {
    /// 1 for the best.
    pub rank: usize,
    /// Kind.
    pub kind: ObservableKind,
    /// Value.
    pub value: String,
    /// The devices holding it, sorted.
    pub devices: Vec<String>,
    /// Score (see the module docs), rounded to 6 decimals.
    pub score: f64,
    /// `ln(N / df)`.
    pub rarity: f64,
    /// Mean closeness to the alerts of its devices that have timed alerts, 0..1.
    pub closeness: f64,
    /// Devices on which it sits within about 4 hours of an alert.
    pub near: usize,
    /// Earliest time on any of its devices.
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub first_seen: Option<Timestamp>,
    /// Latest.
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub last_seen: Option<Timestamp>,
    /// Already matched an indicator.
    pub known_indicator: bool,
    /// A lead (else only a candidate).
    pub lead: bool,
    /// The modules that saw it on any device.
    pub modules: Vec<String>,
    /// Why it ranks, in words.
    pub why: String,
}

/// Devices linked by shared leads.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// `cluster-1`, `cluster-2`... by best lead.
    pub id: String,
    /// Its devices, sorted.
    pub devices: Vec<String>,
    /// Ranks of its leads in `leads`.
    pub leads: Vec<usize>,
    /// Earliest first-seen of its leads.
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub first_seen: Option<Timestamp>,
    /// Latest last-seen of its leads.
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub last_seen: Option<Timestamp>,
}

/// When a device first holds a lead, and its alerts: one row of the report's aligned timelines.
#[derive(Debug, Clone)]
pub struct DeviceTrace {
    /// Device.
    pub device: String,
    /// `(lead rank, first time on this device)`, by time.
    pub leads: Vec<(usize, Option<Timestamp>)>,
    /// The device's alerts within 7 days of its first lead.
    pub signals: Vec<Signal>,
}

/// The result of a correlation.
#[derive(Debug, Clone, Serialize)]
pub struct Correlation {
    /// Devices correlated.
    pub device_count: usize,
    /// Every device, sorted, with the number of observables read.
    pub devices: Vec<DeviceSummary>,
    /// Parameters used.
    pub params: Params,
    /// Ranked candidates, leads included (`lead: true`).
    pub leads: Vec<Lead>,
    /// Device clusters.
    #[serde(skip)]
    pub clusters: Vec<Cluster>,
    /// Per cluster, per device: the aligned traces.
    #[serde(skip)]
    pub traces: BTreeMap<String, Vec<DeviceTrace>>,
}

/// One device in `correlation.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    /// Its name (the results folder's).
    pub id: String,
    /// Observables read.
    pub observables: usize,
    /// Alerts with a time (LOW or above).
    pub timed_alerts: usize,
    /// Acquisition type.
    pub acquisition: Option<String>,
    /// Observables were rebuilt from module JSON (older folder).
    pub rebuilt: bool,
}

/// One device holding a value: device, first and last time (µs, [`NO_TIME`] when unknown).
#[derive(Debug, Clone, Copy)]
struct Seen(u32, i64, i64);

const NO_TIME: i64 = i64::MIN;

fn ts_opt(us: i64) -> Option<Timestamp> {
    if us == NO_TIME { None } else { Timestamp::from_microsecond(us).ok() }
}

/// A value's devices: most values are on one device, held inline; modules as a bit set of
/// interned names (the 128th and later names share the last bit: only a crafted results folder
/// has that many).
struct Entry {
    first: Seen,
    more: Vec<Seen>,
    modules: u128,
}

impl Entry {
    fn len(&self) -> usize {
        1 + self.more.len()
    }

    fn seen(&self) -> impl Iterator<Item = (u32, Option<Timestamp>, Option<Timestamp>)> + '_ {
        std::iter::once(&self.first).chain(&self.more).map(|s| (s.0, ts_opt(s.1), ts_opt(s.2)))
    }

    fn last_device(&self) -> u32 {
        self.more.last().unwrap_or(&self.first).0
    }
}

/// Accumulates cases one by one (each is dropped once added), then ranks.
#[derive(Default)]
pub struct Correlator {
    devices: Vec<DeviceSummary>,
    signals: Vec<Vec<Signal>>,
    known: BTreeSet<String>,
    values: HashMap<(ObservableKind, Box<str>), Entry>,
    module_names: Vec<String>,
    module_ids: HashMap<String, u16>,
}

impl std::fmt::Debug for Correlator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correlator").field("devices", &self.devices.len()).finish_non_exhaustive()
    }
}

fn signal_distance_hours(signals: &[Signal], first: Option<Timestamp>, last: Option<Timestamp>) -> Option<f64> {
    let (first, last) = match (first, last) {
        (Some(f), Some(l)) => (f.min(l), f.max(l)),
        (Some(t), None) | (None, Some(t)) => (t, t),
        (None, None) => return None,
    };
    // signals are sorted by time: the nearest is next to where `first` would go
    let i = signals.partition_point(|s| s.time < first);
    let mut best: Option<f64> = None;
    let mut consider = |t: Timestamp| {
        let d = if t < first {
            (first.as_second() - t.as_second()) as f64
        } else if t > last {
            (t.as_second() - last.as_second()) as f64
        } else {
            0.0
        } / 3600.0;
        best = Some(best.map_or(d, |b: f64| b.min(d)));
    };
    if let Some(s) = signals.get(i) {
        consider(s.time);
    }
    if i > 0
        && let Some(s) = signals.get(i - 1)
    {
        consider(s.time);
    }
    best
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl Correlator {
    /// An empty correlator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one case: `data` holds its observables (all, or only those that can rank) and
    /// `observables` how many it has in all.
    pub fn add(&mut self, case: &Case, data: CaseData, observables: usize) {
        let dev = self.devices.len() as u32;
        self.devices.push(DeviceSummary {
            id: case.id.clone(),
            observables,
            timed_alerts: data.signals.len(),
            acquisition: data.acquisition,
            rebuilt: data.rebuilt,
        });
        self.signals.push(data.signals);
        self.known.extend(data.known);
        for o in data.observables {
            let Observable { kind, value, first_seen, last_seen, modules, .. } = o;
            let mods: u128 = modules.iter().fold(0, |acc, m| acc | 1u128 << self.module_id(m).min(127));
            let seen = Seen(
                dev,
                first_seen.map_or(NO_TIME, |t| t.as_microsecond()),
                last_seen.map_or(NO_TIME, |t| t.as_microsecond()),
            );
            match self.values.entry((kind, value.into_boxed_str())) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Entry { first: seen, more: Vec::new(), modules: mods });
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let e = o.get_mut();
                    if e.last_device() == dev {
                        continue; // the same value twice in one file: keep the first
                    }
                    e.more.push(seen);
                    e.modules |= mods;
                }
            }
        }
    }

    fn module_id(&mut self, name: &str) -> u16 {
        if let Some(&i) = self.module_ids.get(name) {
            return i;
        }
        let i = u16::try_from(self.module_names.len()).unwrap_or(u16::MAX);
        self.module_names.push(name.to_string());
        self.module_ids.insert(name.to_string(), i);
        i
    }

    /// Ranks the candidates and clusters the devices. `indicators` marks values already known
    /// (besides those the devices' own alerts matched).
    pub fn finish(self, indicators: &dyn Indicators, params: Params) -> Correlation {
        let n = self.devices.len();
        let nf = n.max(1) as f64;
        let mut leads: Vec<Lead> = Vec::new();
        let mut per_lead_seen: Vec<Vec<(u32, Option<Timestamp>)>> = Vec::new();
        for ((kind, value), e) in &self.values {
            let df = e.len();
            if df < 2 || df as f64 / nf > params.max_share {
                continue;
            }
            let rarity = (nf / df as f64).ln();
            let (mut sum, mut with_alerts, mut near) = (0.0, 0usize, 0usize);
            for (dev, first, last) in e.seen() {
                let sig = self.signals.get(dev as usize).map_or(&[][..], Vec::as_slice);
                if sig.is_empty() {
                    continue;
                }
                with_alerts += 1;
                if let Some(d) = signal_distance_hours(sig, first, last) {
                    let p = (-d / params.window_hours).exp();
                    sum += p;
                    near += usize::from(p >= 0.5);
                }
            }
            let closeness = if with_alerts == 0 { 0.0 } else { sum / with_alerts as f64 };
            let known = self.known.contains(&value.to_lowercase())
                || (!indicators.is_empty() && crate::check(indicators, *kind, value).is_some());
            let score = rarity * (1.0 + df as f64).ln() * (0.25 + closeness) + if known { 2.0 } else { 0.0 };
            let lead = known || near >= params.min_near;
            let mut devices: Vec<String> =
                e.seen().filter_map(|(d, ..)| self.devices.get(d as usize).map(|s| s.id.clone())).collect();
            devices.sort();
            let first_seen = e.seen().filter_map(|s| s.1.or(s.2)).min();
            let last_seen = e.seen().filter_map(|s| s.2.or(s.1)).max();
            let modules: Vec<String> = (0..128usize)
                .filter(|b| e.modules & (1u128 << b) != 0)
                .filter_map(|m| self.module_names.get(m).cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let why = format!(
                "on {df} of {n} devices ({:.1} %){}{}",
                100.0 * df as f64 / nf,
                match near {
                    0 => ", never within hours of an alert".to_string(),
                    1 => ", within hours of an alert on 1 device".to_string(),
                    n => format!(", within hours of an alert on {n} devices"),
                },
                if known { ", already a known indicator" } else { "" }
            );
            leads.push(Lead {
                rank: 0,
                kind: *kind,
                value: value.to_string(),
                devices,
                score: round6(score),
                rarity: round6(rarity),
                closeness: round6(closeness),
                near,
                first_seen,
                last_seen,
                known_indicator: known,
                lead,
                modules,
                why,
            });
            per_lead_seen.push(e.seen().map(|s| (s.0, s.1.or(s.2))).collect());
        }
        // rank: score, then kind and value (deterministic)
        let mut order: Vec<usize> = (0..leads.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&leads[a], &leads[b]);
            y.score.total_cmp(&x.score).then(x.kind.cmp(&y.kind)).then_with(|| x.value.cmp(&y.value))
        });
        let mut ranked: Vec<Lead> = Vec::with_capacity(order.len());
        let mut ranked_seen = Vec::with_capacity(order.len());
        let mut others = 0usize;
        for i in order {
            if !leads[i].lead {
                if others >= params.max_candidates {
                    continue;
                }
                others += 1;
            }
            let mut l = leads[i].clone();
            l.rank = ranked.len() + 1;
            ranked.push(l);
            ranked_seen.push(std::mem::take(&mut per_lead_seen[i]));
        }
        let (clusters, traces) = self.cluster(&ranked, &ranked_seen);
        Correlation { device_count: n, devices: self.devices, params, leads: ranked, clusters, traces }
    }

    fn cluster(
        &self,
        leads: &[Lead],
        seen: &[Vec<(u32, Option<Timestamp>)>],
    ) -> (Vec<Cluster>, BTreeMap<String, Vec<DeviceTrace>>) {
        let n = self.devices.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for (l, s) in leads.iter().zip(seen) {
            if !l.lead {
                continue;
            }
            let Some(first) = s.first() else { continue };
            for other in &s[1..] {
                let (a, b) = (find(&mut parent, first.0 as usize), find(&mut parent, other.0 as usize));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        // group leads by the root of their devices
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, (l, s)) in leads.iter().zip(seen).enumerate() {
            if l.lead
                && let Some(first) = s.first()
            {
                groups.entry(find(&mut parent, first.0 as usize)).or_default().push(i);
            }
        }
        let mut clusters: Vec<(usize, Cluster, Vec<usize>)> = groups
            .into_iter()
            .map(|(root, lead_idx)| {
                let mut devs: Vec<usize> = (0..n).filter(|&d| find(&mut parent, d) == root).collect();
                devs.sort_by(|a, b| self.devices[*a].id.cmp(&self.devices[*b].id));
                let best = lead_idx.iter().copied().min().unwrap_or(usize::MAX);
                let c = Cluster {
                    id: String::new(),
                    devices: devs.iter().map(|&d| self.devices[d].id.clone()).collect(),
                    leads: lead_idx.iter().map(|&i| leads[i].rank).collect(),
                    first_seen: lead_idx.iter().filter_map(|&i| leads[i].first_seen).min(),
                    last_seen: lead_idx.iter().filter_map(|&i| leads[i].last_seen).max(),
                };
                (best, c, devs)
            })
            .collect();
        clusters.sort_by_key(|c| c.0);
        let mut traces = BTreeMap::new();
        let mut out = Vec::with_capacity(clusters.len());
        for (k, (_, mut c, devs)) in clusters.into_iter().enumerate() {
            c.id = format!("cluster-{}", k + 1);
            let mut rows = Vec::new();
            for d in devs {
                let mut ls: Vec<(usize, Option<Timestamp>)> = c
                    .leads
                    .iter()
                    .filter_map(|&rank| {
                        let s = seen.get(rank - 1)?;
                        s.iter().find(|x| x.0 as usize == d).map(|x| (rank, x.1))
                    })
                    .collect();
                ls.sort_by_key(|x| (x.1, x.0));
                let anchor = ls.iter().filter_map(|x| x.1).min();
                let week = jiff::SignedDuration::from_hours(24 * 7);
                let signals: Vec<Signal> = match anchor {
                    Some(a) => self.signals[d]
                        .iter()
                        .copied()
                        .filter(|s| {
                            let d = s.time.duration_since(a).abs();
                            d <= week
                        })
                        .collect(),
                    None => Vec::new(),
                };
                rows.push(DeviceTrace { device: self.devices[d].id.clone(), leads: ls, signals });
            }
            traces.insert(c.id.clone(), rows);
            out.push(c);
        }
        (out, traces)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn distance_is_zero_inside_the_span_and_hours_outside() {
        let sig = vec![
            Signal { time: ts(10_000), level: ferret_core::Level::High },
            Signal { time: ts(100_000), level: ferret_core::Level::Low },
        ];
        assert_eq!(signal_distance_hours(&sig, Some(ts(9_000)), Some(ts(11_000))), Some(0.0));
        assert_eq!(signal_distance_hours(&sig, Some(ts(13_600)), None), Some(1.0));
        assert_eq!(signal_distance_hours(&sig, Some(ts(96_400)), Some(ts(96_400))), Some(1.0));
        assert_eq!(signal_distance_hours(&[], Some(ts(1)), None), None);
        assert_eq!(signal_distance_hours(&sig, None, None), None);
    }
}

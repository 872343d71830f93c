//! "Activity over time": an inline SVG drawn here, no script, no network.
//!
//! * **Data**: every timeline event is counted in a [`Histogram`] while the timeline is written
//!   or read back (bounded memory: hours are kept only while there are at most
//!   [`Histogram::FINE_MAX`] distinct hours, days are merged into weeks, 4-week and 52-week bins
//!   beyond [`Histogram::COARSE_MAX`] distinct bins).
//! * **Range**: the events' range without the 0.5 % earliest and latest events (clock errors put
//!   single events in 1970 or 2001; they are counted in the text, not drawn), widened to every
//!   HIGH/CRITICAL alert time.
//! * **Bins**: hours when the range is at most 7 days, else days up to 400 days, else weeks, then
//!   4-week, 52-week and longer bins (at most about 400 bars).
//! * **Marks**: one triangle per bin holding timed alerts (coloured by the highest level), the
//!   likely infection window (first to last HIGH/CRITICAL alert) shaded, and one lane per
//!   family below the axis with its own window.
//! * **Text alternative**: the SVG has a `<title>` and `<desc>`, and the same facts follow as
//!   text with a table of the bins that hold alerts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ferret_core::{Alert, Level};
use jiff::Timestamp;

use crate::firstscreen::{Family, fmt_day, fmt_minute};
use crate::html::{cut, esc};
use crate::i18n::{Text, num};

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// Events per time bin, in bounded memory.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    fine: Option<BTreeMap<i64, u64>>,
    coarse: BTreeMap<i64, u64>,
    coarse_unit: i64,
    pub(crate) total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { fine: Some(BTreeMap::new()), coarse: BTreeMap::new(), coarse_unit: DAY, total: 0 }
    }
}

impl Histogram {
    /// Most distinct hours kept (then only days and coarser bins are).
    pub(crate) const FINE_MAX: usize = 5000;
    /// Most distinct coarse bins before they are merged into the next unit.
    pub(crate) const COARSE_MAX: usize = 20_000;
    const UNITS: [i64; 5] = [DAY, 7 * DAY, 28 * DAY, 364 * DAY, 3640 * DAY];

    pub(crate) fn add(&mut self, t: Timestamp) {
        let s = t.as_second();
        self.total += 1;
        if let Some(fine) = &mut self.fine {
            // events mostly come in time order: the last bin is the usual one
            let bin = s.div_euclid(HOUR);
            match fine.last_entry() {
                Some(mut last) if *last.key() == bin => *last.get_mut() += 1,
                _ => *fine.entry(bin).or_default() += 1,
            }
            if fine.len() > Self::FINE_MAX {
                self.fine = None;
            }
        }
        let bin = s.div_euclid(self.coarse_unit);
        match self.coarse.last_entry() {
            Some(mut last) if *last.key() == bin => *last.get_mut() += 1,
            _ => *self.coarse.entry(bin).or_default() += 1,
        }
        while self.coarse.len() > Self::COARSE_MAX {
            let Some(next) = Self::UNITS.iter().copied().find(|u| *u > self.coarse_unit) else { break };
            let old = std::mem::take(&mut self.coarse);
            for (k, n) in old {
                *self.coarse.entry((k * self.coarse_unit).div_euclid(next)).or_default() += n;
            }
            self.coarse_unit = next;
        }
    }

    /// First and last second covered by events, without the `trim` earliest and latest events
    /// (whole coarse bins only).
    fn trimmed_range(&self, trim: u64) -> Option<(i64, i64)> {
        let mut seen = 0u64;
        let mut lo = None;
        for (k, n) in &self.coarse {
            seen += n;
            if seen > trim {
                lo = Some(*k);
                break;
            }
        }
        seen = 0;
        let mut hi = None;
        for (k, n) in self.coarse.iter().rev() {
            seen += n;
            if seen > trim {
                hi = Some(*k);
                break;
            }
        }
        let (lo, hi) = (lo?, hi?);
        Some((lo * self.coarse_unit, (hi + 1) * self.coarse_unit - 1))
    }

    fn first_last(&self) -> Option<(i64, i64)> {
        let lo = self.coarse.keys().next()?;
        let hi = self.coarse.keys().next_back()?;
        Some((lo * self.coarse_unit, (hi + 1) * self.coarse_unit - 1))
    }

    /// Events per bin of `unit` seconds (a multiple of the stored unit) between `lo` and `hi`.
    fn bins(&self, unit: i64, lo: i64, hi: i64) -> Vec<u64> {
        let first = lo.div_euclid(unit);
        let n = usize::try_from(hi.div_euclid(unit) - first + 1).unwrap_or(0);
        let mut out = vec![0u64; n];
        let (map, stored) = match (&self.fine, unit < DAY) {
            (Some(f), true) => (f, HOUR),
            _ => (&self.coarse, self.coarse_unit),
        };
        let last = (first + n as i64) * unit - 1; // end of the last bin (bins are aligned)
        for (k, c) in map.range(lo.div_euclid(stored)..=last.div_euclid(stored)) {
            let i = (k * stored).div_euclid(unit) - first;
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                *slot += c;
            }
        }
        out
    }

    fn count_outside(&self, lo: i64, hi: i64) -> u64 {
        self.coarse
            .iter()
            .filter(|(k, _)| {
                let start = *k * self.coarse_unit;
                start + self.coarse_unit - 1 < lo || start > hi
            })
            .map(|(_, n)| n)
            .sum()
    }
}

/// The bins drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// Seconds per bin.
    pub(crate) unit: i64,
    /// First second of the first bin.
    pub(crate) start: i64,
    /// Events per bin.
    pub(crate) counts: Vec<u64>,
    /// Events not drawn (outside the range).
    pub(crate) outside: u64,
}

impl Layout {
    /// Bin index of a time, if drawn.
    pub(crate) fn bin(&self, t: Timestamp) -> Option<usize> {
        let i = (t.as_second() - self.start).div_euclid(self.unit);
        usize::try_from(i).ok().filter(|i| *i < self.counts.len())
    }

    fn end(&self) -> i64 {
        self.start + self.unit * self.counts.len() as i64
    }
}

/// Bars drawn at most (a few more when the range starts mid-bin).
const MAX_BARS: i64 = 400;
/// Bin widths beyond hours; each is a multiple of the stored ones it may be built from.
const DISPLAY_UNITS: [i64; 6] = [DAY, 7 * DAY, 28 * DAY, 364 * DAY, 3640 * DAY, 36_400 * DAY];

/// Chooses the range and bins (see the module docs). `None` when there is nothing to draw.
pub(crate) fn layout(hist: &Histogram, serious: &[Timestamp]) -> Option<Layout> {
    let trimmed = hist.trimmed_range(hist.total / 200);
    let mut range = trimmed;
    for t in serious {
        let s = t.as_second();
        range = Some(match range {
            Some((lo, hi)) => (lo.min(s), hi.max(s)),
            None => (s, s),
        });
    }
    let (lo, hi) = range?;
    let span = hi - lo;
    let unit = if span <= 7 * DAY && hist.fine.is_some() {
        HOUR
    } else {
        DISPLAY_UNITS.iter().copied().find(|u| span <= MAX_BARS * u).unwrap_or(364_000 * DAY)
    };
    let unit = if unit < DAY { unit } else { unit.max(hist.coarse_unit) };
    let start = lo.div_euclid(unit) * unit;
    let counts = hist.bins(unit, start, hi);
    if counts.is_empty() {
        return None;
    }
    let end = start + unit * counts.len() as i64 - 1;
    let outside = if hist.total == 0 { 0 } else { hist.count_outside(start, end) };
    Some(Layout { unit, start, counts, outside })
}

const W: f64 = 1000.0;
const X0: f64 = 56.0;
const X1: f64 = 992.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 150.0;
const LANE: f64 = 18.0;

fn x_of(l: &Layout, secs: i64) -> f64 {
    let total = (l.end() - l.start).max(1) as f64;
    X0 + (X1 - X0) * ((secs - l.start) as f64 / total).clamp(0.0, 1.0)
}

fn ts(secs: i64) -> Option<Timestamp> {
    Timestamp::from_second(secs).ok()
}

fn bin_label(l: &Layout, i: usize) -> String {
    let secs = l.start + l.unit * i as i64;
    match ts(secs) {
        Some(t) if l.unit < DAY => fmt_minute(t).get(5..16).unwrap_or_default().to_string(),
        Some(t) => fmt_day(t),
        None => String::new(),
    }
}

/// Alerts per drawn bin: (count, highest level).
pub(crate) fn alert_bins(l: &Layout, alerts: &[Alert]) -> BTreeMap<usize, (u64, Level)> {
    let mut out: BTreeMap<usize, (u64, Level)> = BTreeMap::new();
    for a in alerts {
        let Some(i) = a.event_time.and_then(|t| l.bin(t)) else { continue };
        let e = out.entry(i).or_insert((0, a.level));
        e.0 += 1;
        e.1 = e.1.max(a.level);
    }
    out
}

/// Renders the chart section.
pub(crate) fn section(
    out: &mut String,
    t: &Text,
    hist: &Histogram,
    alerts: &[Alert],
    families: &[Family<'_>],
    window: Option<(Timestamp, Timestamp)>,
) {
    let _ = write!(out, "<section id=\"time\" class=\"chart\"><h2>{}</h2>", t.e("chart.title"));
    let serious: Vec<Timestamp> =
        alerts.iter().filter(|a| a.level >= Level::High).filter_map(|a| a.event_time).collect();
    let Some(l) = layout(hist, &serious) else {
        let _ = write!(out, "<p>{}</p></section>", t.e("chart.no_events"));
        return;
    };
    let unit_key = match l.unit {
        HOUR => "chart.unit_hour",
        DAY => "chart.unit_day",
        u if u == 7 * DAY => "chart.unit_week",
        u if u == 28 * DAY => "chart.unit_4weeks",
        u if u == 364 * DAY => "chart.unit_year",
        _ => "chart.unit_decade",
    };
    let max = l.counts.iter().copied().max().unwrap_or(0);
    let marks = alert_bins(&l, alerts);
    let lanes: Vec<&Family<'_>> = families.iter().filter(|f| f.first.is_some()).take(6).collect();
    let height = BOTTOM + 26.0 + LANE * lanes.len() as f64 + if lanes.is_empty() { 0.0 } else { 6.0 };
    let from = ts(l.start).map(fmt_day).unwrap_or_default();
    let to = ts(l.end() - 1).map(fmt_day).unwrap_or_default();
    let busiest = l.counts.iter().enumerate().max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i))).map(|(i, _)| i);
    let summary = t.f(
        "chart.summary",
        &[
            ("unit", t.s(unit_key)),
            ("from", &from),
            ("to", &to),
            ("busiest", &busiest.map(|i| bin_label(&l, i)).unwrap_or_default()),
            ("max", &num(max)),
        ],
    );
    let _ = write!(
        out,
        "<figure><svg id=\"chart\" role=\"img\" aria-labelledby=\"chart-t chart-d\" viewBox=\"0 0 {W} {height}\" \
         preserveAspectRatio=\"xMidYMid meet\" direction=\"ltr\" data-bins=\"{}\" data-marks=\"{}\">\
         <title id=\"chart-t\">{}</title><desc id=\"chart-d\">{}</desc>",
        l.counts.len(),
        marks.len(),
        t.e("chart.title"),
        esc(&summary)
    );
    // infection window
    if let Some((a, b)) = window {
        let (xa, xb) = (x_of(&l, a.as_second()), x_of(&l, b.as_second() + 1));
        let _ = write!(
            out,
            "<rect class=\"window\" x=\"{xa:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
            (xb - xa).max(2.0),
            BOTTOM - TOP,
            esc(&t.f("chart.window", &[("first", &fmt_minute(a)), ("last", &fmt_minute(b))]))
        );
    }
    // axes and the max line
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{X0}\" y1=\"{BOTTOM}\" x2=\"{X1}\" y2=\"{BOTTOM}\"/>\
         <line class=\"grid\" x1=\"{X0}\" y1=\"{TOP}\" x2=\"{X1}\" y2=\"{TOP}\"/>\
         <text class=\"ylab\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text class=\"ylab\" x=\"{}\" y=\"{BOTTOM}\" text-anchor=\"end\">0</text>",
        X0 - 4.0,
        TOP + 4.0,
        num(max),
        X0 - 4.0
    );
    // bars
    let bw = (X1 - X0) / l.counts.len() as f64;
    out.push_str("<g class=\"bars\">");
    for (i, c) in l.counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let h = ((BOTTOM - TOP) * (*c as f64) / (max.max(1) as f64)).max(1.5);
        let _ = write!(
            out,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\"><title>{}: {}</title></rect>",
            X0 + bw * i as f64 + bw * 0.08,
            BOTTOM - h,
            (bw * 0.84).max(0.6),
            esc(&bin_label(&l, i)),
            num(c)
        );
    }
    out.push_str("</g>");
    // ticks
    let step = l.counts.len().div_ceil(8).max(1);
    for i in (0..l.counts.len()).step_by(step) {
        let x = X0 + bw * i as f64;
        let _ = write!(
            out,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{BOTTOM}\" x2=\"{x:.1}\" y2=\"{}\"/><text class=\"xlab\" x=\"{x:.1}\" y=\"{}\">{}</text>",
            BOTTOM + 4.0,
            BOTTOM + 16.0,
            esc(&bin_label(&l, i))
        );
    }
    // alert marks
    for (i, (n, level)) in &marks {
        let x = X0 + bw * (*i as f64 + 0.5);
        let _ = write!(
            out,
            "<path class=\"mark lvl-{lv}\" d=\"M{:.1} {} L{:.1} {} L{:.1} {} Z\"><title>{}</title></path>",
            x - 6.0,
            TOP - 16.0,
            x + 6.0,
            TOP - 16.0,
            x,
            TOP - 4.0,
            esc(&t.f(
                "chart.mark",
                &[("when", &bin_label(&l, *i)), ("n", &num(n)), ("level", t.s(&format!("level.{}", level.as_str())))]
            )),
            lv = level.as_str()
        );
    }
    // one lane per family
    for (k, f) in lanes.iter().enumerate() {
        let (Some(a), Some(b)) = (f.first, f.last) else { continue };
        let y = BOTTOM + 30.0 + LANE * k as f64;
        let (xa, xb) = (x_of(&l, a.as_second()), x_of(&l, b.as_second() + 1));
        let name = f.display_name(t);
        let xb = xb.max(xa + 1.0);
        // the label goes right of the line, else left of it, else above its start
        let need = 6.5 * cut(&name, 40).0.chars().count() as f64;
        let (tx, ty, anchor) = if xb + 6.0 + need <= W {
            (xb + 6.0, y + 4.0, "start")
        } else if xa - 6.0 - need >= 0.0 {
            (xa - 6.0, y + 4.0, "end")
        } else {
            (xa, y - 4.0, "start")
        };
        let _ = write!(
            out,
            "<g class=\"lane\"><line x1=\"{xa:.1}\" y1=\"{y}\" x2=\"{xb:.1}\" y2=\"{y}\"/><circle cx=\"{xa:.1}\" cy=\"{y}\" r=\"3\"/>\
             <circle cx=\"{xb:.1}\" cy=\"{y}\" r=\"3\"/><text x=\"{tx:.1}\" y=\"{ty}\" text-anchor=\"{anchor}\">{}</text><title>{}</title></g>",
            esc(cut(&name, 40).0),
            esc(&t.f("chart.lane", &[("name", &name), ("first", &fmt_minute(a)), ("last", &fmt_minute(b))]))
        );
    }
    out.push_str("</svg>");
    // key
    let _ = write!(
        out,
        "<figcaption><span class=\"key bar\"></span> {} <span class=\"key mark\"></span> {} <span class=\"key window\"></span> {}</figcaption></figure>",
        t.e(unit_key),
        t.e("chart.key_mark"),
        t.e("chart.key_window")
    );
    // text alternative
    let _ = write!(out, "<p class=\"chart-text\">{}", esc(&summary));
    if let Some((a, b)) = window {
        let _ = write!(out, " {}", esc(&t.f("chart.window", &[("first", &fmt_minute(a)), ("last", &fmt_minute(b))])));
    }
    if l.outside > 0 {
        let (first, last) = hist.first_last().unwrap_or((0, 0));
        let _ = write!(
            out,
            " {}",
            esc(&t.f(
                "chart.outside",
                &[
                    ("n", &num(l.outside)),
                    ("first", &ts(first).map(fmt_day).unwrap_or_default()),
                    ("last", &ts(last).map(fmt_day).unwrap_or_default())
                ]
            ))
        );
    }
    let untimed = alerts.iter().filter(|a| a.event_time.is_none()).count();
    let undrawn = alerts.iter().filter(|a| a.event_time.is_some_and(|t| l.bin(t).is_none())).count();
    if untimed > 0 {
        let _ = write!(out, " {}", esc(&t.f("chart.untimed", &[("n", &num(untimed))])));
    }
    if undrawn > 0 {
        let _ = write!(out, " {}", esc(&t.f("chart.undrawn", &[("n", &num(undrawn))])));
    }
    out.push_str("</p>");
    if !marks.is_empty() {
        let _ = write!(
            out,
            "<details class=\"chart-table\"><summary>{}</summary><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t.e("chart.table"),
            t.e(unit_key),
            t.e("chart.col_events"),
            t.e("chart.col_alerts")
        );
        for (i, (n, level)) in &marks {
            let _ = write!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{} <span class=\"badge lvl-{}\">{}</span></td></tr>",
                esc(&bin_label(&l, *i)),
                num(l.counts.get(*i).copied().unwrap_or(0)),
                num(n),
                level.as_str(),
                t.e(&format!("level.{}", level.as_str()))
            );
        }
        out.push_str("</tbody></table></details>");
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("ts")
    }

    #[test]
    fn short_spans_use_hours_long_ones_days_and_weeks() {
        let base = 1_700_000_000;
        let mut h = Histogram::default();
        for i in 0..100 {
            h.add(at(base + i * 600)); // 100 events over ~16.5 hours
        }
        let l = layout(&h, &[]).expect("layout");
        assert_eq!(l.unit, HOUR);
        assert_eq!(l.counts.iter().sum::<u64>(), 100);
        assert_eq!(l.outside, 0);

        let mut h = Histogram::default();
        for i in 0..300 {
            h.add(at(base + i * DAY / 2)); // 150 days
        }
        let l = layout(&h, &[]).expect("layout");
        assert_eq!(l.unit, DAY);
        assert_eq!(l.counts.iter().sum::<u64>() + l.outside, 300);
        assert!(l.counts.len() <= 152);

        let mut h = Histogram::default();
        for i in 0..700 {
            h.add(at(base + i * 3 * DAY)); // 6 years
        }
        let l = layout(&h, &[]).expect("layout");
        assert_eq!(l.unit, 7 * DAY);
        assert!(l.counts.len() <= 430, "{}", l.counts.len());
    }

    #[test]
    fn outliers_are_counted_not_drawn_but_serious_alerts_widen_the_range() {
        let base = 1_700_000_000;
        let mut h = Histogram::default();
        h.add(at(978_307_200)); // 2001-01-01: a zero Cocoa time
        for i in 0..1000 {
            h.add(at(base + i * 60));
        }
        let l = layout(&h, &[]).expect("layout");
        assert_eq!(l.unit, HOUR, "the outlier does not stretch the chart to 23 years");
        assert_eq!(l.outside, 1);
        assert_eq!(l.counts.iter().sum::<u64>(), 1000);
        let alert = at(base - 10 * DAY);
        let l = layout(&h, &[alert]).expect("layout");
        assert_eq!(l.unit, DAY);
        assert!(l.bin(alert).is_some(), "a serious alert is always drawn");
    }

    #[test]
    fn memory_stays_bounded_on_hostile_spreads() {
        let mut h = Histogram::default();
        let mut x = 7u64;
        for _ in 0..200_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // anywhere in 0001..9999
            let s = -62_000_000_000 + (x >> 20) as i64 % 315_000_000_000;
            h.add(at(s));
        }
        assert!(h.fine.is_none());
        assert!(h.coarse.len() <= Histogram::COARSE_MAX);
        assert_eq!(h.coarse.values().sum::<u64>(), 200_000);
        let l = layout(&h, &[]).expect("layout");
        assert!(l.counts.len() <= 1000, "{}", l.counts.len());
        assert_eq!(l.counts.iter().sum::<u64>() + l.outside, 200_000);
    }

    #[test]
    fn alert_marks_one_per_bin() {
        let base = 1_700_000_000 - 1_700_000_000 % DAY;
        let mut h = Histogram::default();
        for i in 0..20 {
            h.add(at(base + i * DAY));
        }
        let l = layout(&h, &[]).expect("layout");
        let mk = |s: i64, level| Alert {
            level,
            module: "m".into(),
            message: String::new(),
            event_time: Some(at(s)),
            event: serde_json::Value::Null,
            matched_indicator: None,
        };
        let alerts = vec![mk(base + 10, Level::Low), mk(base + 20, Level::Critical), mk(base + 5 * DAY, Level::High)];
        let bins = alert_bins(&l, &alerts);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins.get(&0), Some(&(2, Level::Critical)));
        assert_eq!(bins.get(&5), Some(&(1, Level::High)));
    }
}

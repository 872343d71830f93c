//! `dumpsys_battery_history`: app jobs and foreground periods in the `Battery History` of
//! `dumpsys batterystats` (bugreport, or androidqf's `dumpsys.txt`; MVT's
//! `DumpsysBatteryHistory`).
//!
//! Format facts: after the `Battery History (...)` heading, one line per state change:
//! `<elapsed since reset> (<n>) <battery level> <changes>`, where a change `+job=<uid>:"<pkg>/<service>"`
//! starts a scheduled job, `-job=...` ends it, and `+top=<uid>:"<pkg>"` / `-top=...` start and
//! end the app's time in the foreground. The block ends at the first line that is not an event.
//!
//! Records: one per event ([`BatteryHistory`]). Checks: the package of a start event (`+job`,
//! `+top`) matching an indicator → CRITICAL (the matching end event is not alerted again).

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{BatteryHistory, MAX_HISTORY_EVENTS, parse_battery_history};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysBatteryHistory(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysBatteryHistory {
    type Record = BatteryHistory;
    const NAME: &'static str = "dumpsys_battery_history";
    const DESCRIPTION: &'static str = "App jobs and foreground periods in the battery history";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("batterystats") else { return Ok(Outcome::NotFound) };
        let events = parse_battery_history(text);
        if events.len() >= MAX_HISTORY_EVENTS {
            out.warn(format!("battery history: more than {MAX_HISTORY_EVENTS} events; the rest are not read"));
        }
        for r in events {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &BatteryHistory, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.event.starts_with("start_")
            && let Some(m) = ind.check_app_id(&r.package_name)
        {
            let what = if r.event == "start_job" {
                "Battery history: job of package"
            } else {
                "Battery history: foreground app"
            };
            f.push(ioc_finding(Level::Critical, what, &r.package_name, None, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parsers::dumpsys::parse_battery_history;

    #[test]
    fn history_lines() {
        let text = "Battery History (2% used, 5980 used of 256KB, 45 strings using 2606):\n                    0 (15) RESET:TIME: 2024-03-01-09:00:00\n                    0 (2) 100 status=discharging health=good +running +wake_lock\n     +1s470ms (2) 100 -wake_lock +job=u0a226:\"com.google.android.gms/.chimera.GmsIntentOperationService\"\n     +3s789ms (2) 100 +top=u0a226:\"com.google.android.gms\" -job=u0a226:\"com.google.android.gms/.chimera.GmsIntentOperationService\"\n     +1m2s (2) 99 -top=u0a226:\"com.google.android.gms\" +job=broken +top=u0a9:\"\"\n\nDaily stats:\n  +job=u0a1:\"after.the/end\"\n";
        let h = parse_battery_history(text);
        let got: Vec<(&str, &str, &str, Option<&str>)> = h
            .iter()
            .map(|e| (e.time_elapsed.as_str(), e.event.as_str(), e.package_name.as_str(), e.service.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("+1s470ms", "start_job", "com.google.android.gms", Some(".chimera.GmsIntentOperationService")),
                ("+3s789ms", "end_job", "com.google.android.gms", Some(".chimera.GmsIntentOperationService")),
                ("+3s789ms", "start_top", "com.google.android.gms", None),
                ("+1m2s", "end_top", "com.google.android.gms", None),
            ]
        );
        assert!(h.iter().all(|e| e.uid.as_deref() == Some("u0a226")));
        assert!(parse_battery_history("").is_empty());
        assert!(parse_battery_history("Battery History:\n +job=u0a1:\"unterminated").is_empty());
    }
}

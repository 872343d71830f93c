//! The same generated acquisitions checked with the real indicator engine (`ferret-indicators`
//! loading a generated STIX 2.1 bundle with the planted indicators among decoys): recall and
//! precision must stay exact.
#![allow(clippy::print_stderr)]

use ferret_android::{modules, open};
use ferret_core::Secrets;
use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Context, Evidence, RunOptions};
use ferret_testdata::android::androidqf::{AqfSpec, write_androidqf_zip};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::truth::{Truth, compare};

fn check(ev: &dyn Evidence, kind: AcquisitionKind, truth: &Truth) {
    let bundle = ferret_testdata::stix::bundle(&truth.indicators, 500, 7);
    let (index, report) = ferret_indicators::load_bytes(bundle.as_bytes(), "generated.stix2");
    assert!(report.total >= truth.indicators.len(), "{report:?}");
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &index, options: &opts };
    let mut alerts = Vec::new();
    for m in modules(kind) {
        let r = run_one(m.as_ref(), &ctx);
        assert!(r.outcome.is_ok(), "{}: {:?}", m.info().name, r.outcome);
        alerts.extend(r.alerts);
    }
    let cmp = compare(&truth.alerts, &alerts, None);
    for m in &cmp.missed {
        eprintln!("MISSED {m:?}");
    }
    for u in &cmp.unexpected {
        eprintln!("UNEXPECTED {} {} {} {:?}", u.module, u.level, u.message, u.matched_indicator);
    }
    assert!(cmp.is_exact(), "{} missed, {} unexpected", cmp.missed.len(), cmp.unexpected.len());
}

#[test]
fn bugreport_with_real_indicators() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bugreport.zip");
    let (truth, _) =
        write_bugreport_zip(&p, &BugreportSpec { seed: 21, ..BugreportSpec::default() }).expect("generate");
    let ev = open(&p, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    check(ev.as_ref(), AcquisitionKind::AndroidBugreport, &truth);
}

#[test]
fn androidqf_with_real_indicators() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("acq.zip");
    let truth = write_androidqf_zip(&p, &AqfSpec { seed: 22, ..AqfSpec::default() }).expect("generate");
    let ev = open(&p, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open").evidence;
    check(ev.as_ref(), AcquisitionKind::AndroidQf, &truth);
}

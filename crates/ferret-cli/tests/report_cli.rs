//! `ferret report` and the report options of the checks: `--lang` (recorded in the page, so a
//! rebuild keeps it; default from the locale), `--pdf` without a browser, and the first screen at
//! the end of the terminal summary.

use ferret_testdata::scenario::{self, Scale};
use ferret_testdata::testkit::{Ferret, s, stderr, stdout};

fn ferret() -> Ferret {
    Ferret::new(env!("CARGO_BIN_EXE_ferret"))
}

fn lang_of(html: &str) -> &str {
    html.split("<html lang=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default()
}

#[test]
fn report_language_is_chosen_recorded_and_kept_and_pdf_needs_a_browser() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(work.path(), 5, Scale { sms: 60, decoys: 200 }).expect("generates");
    let out = work.path().join("r");
    let o = ferret().run([
        "ios",
        "check-backup",
        "--no-default-iocs",
        "--iocs",
        s(&g.iocs),
        "--lang",
        "it",
        "-o",
        s(&out),
        s(&g.acquisition),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // the terminal ends with the first screen: what was found, what to do
    let text = stdout(&o);
    let tail = text.split("ALERTS FOUND").nth(1).expect("verdict");
    assert!(tail.contains("What was found (high or critical alerts):"), "{tail}");
    assert!(tail.contains("What to do now:") && tail.contains("1. Keep the phone as it is."), "{tail}");
    assert!(tail.contains("Likely infection window: "), "{tail}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert_eq!(lang_of(&html), "it");
    assert!(html.contains("Questo telefono mostra segni di spyware o stalkerware."));

    // a rebuild keeps the recorded language, whatever the locale, byte for byte
    let o = ferret().env("LANG", "fr_FR.UTF-8").run(["report", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(out.join("report.html")).expect("report") == html, "rebuilt byte for byte");
    // --lang changes it
    let o = ferret().run(["report", "--lang", "ar", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ar = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(ar.contains("<html lang=\"ar\" dir=\"rtl\">"));
    // without a report, the locale decides (LC_ALL before LANG)
    std::fs::remove_file(out.join("report.html")).expect("rm");
    let o = ferret().env("LANG", "fr_FR.UTF-8").env("LC_ALL", "es_ES.UTF-8").run(["report", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(lang_of(&std::fs::read_to_string(out.join("report.html")).expect("report")), "es");
    std::fs::remove_file(out.join("report.html")).expect("rm");
    let o = ferret().env("LANG", "de_DE.UTF-8").run(["report", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        lang_of(&std::fs::read_to_string(out.join("report.html")).expect("report")),
        "en",
        "no translation: English"
    );

    // an unknown language is a usage error that lists the ones there are
    let o = ferret().run(["report", "--lang", "xx", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("en, it, es, fr, ar"), "{}", stderr(&o));

    // --pdf without a browser: a clear error, the HTML still rebuilt, no PDF
    let o = ferret().env("FERRET_CHROMIUM", "/nonexistent/chromium").run(["report", "--pdf", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("no Chromium or Google Chrome found") && e.contains("FERRET_CHROMIUM"), "{e}");
    assert!(out.join("report.html").is_file() && !out.join("report.pdf").exists());
}

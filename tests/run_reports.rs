//! What sending runs report (issue 8, items 5 and 6): one unreadable record (a patient whose
//! time zone is "" or "Mars/Olympus") is skipped with a reason naming the patient and the run
//! goes on, ending with exit code 3 ("partly failed"); every failure is named with the
//! provider's code and its meaning, in text and `--json`; and every summary agrees with the
//! lines it summarises.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::collections::BTreeMap;

use fake_twilio::FakeTwilio;
use frontdesk::domain::ids::PatientId;
use serde_json::Value;
use support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> chrono::DateTime<chrono::Utc> {
    ny(25, 9, 30)
}

/// Store a time zone frontdesk cannot read, as an old import or a hand edit might have.
fn break_zone(p: &Practice, patient: PatientId, zone: &str) {
    p.sql()
        .execute(
            "UPDATE patients SET time_zone = ?1 WHERE id = ?2",
            (zone, patient.0),
        )
        .unwrap();
}

struct Mixed {
    p: Practice,
    fake: FakeTwilio,
    cfg: std::path::PathBuf,
    unsubscribed: PatientId,
    landline: PatientId,
    mars: PatientId,
    blank: PatientId,
}

/// Seven patients due a reminder: one goes, two fail at Twilio (21610, 21614), one has no
/// consent, one's first name was typed as an SSN (the gate blocks it), two have unreadable
/// time zones.
fn mixed() -> Mixed {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let thu9 = ny(26, 9, 0);
    let ada = p.patient("Ada", Some(&mobile(101)), Consent::OptedIn);
    let unsubscribed = p.patient("Bea", Some(&mobile(102)), Consent::OptedIn);
    let landline = p.patient("Cal", Some(&mobile(103)), Consent::OptedIn);
    let dee = p.patient("Dee", Some(&mobile(104)), Consent::None);
    let ssn = p.patient("123-45-6789", Some(&mobile(105)), Consent::OptedIn);
    let mars = p.patient("Fay", Some(&mobile(106)), Consent::OptedIn);
    let blank = p.patient("Gus", Some(&mobile(107)), Consent::OptedIn);
    for who in [ada, unsubscribed, landline, dee, ssn, mars, blank] {
        p.book(who, thu9);
    }
    break_zone(&p, mars, "Mars/Olympus");
    break_zone(&p, blank, "");
    fake.fail_number(&mobile(102), 21610);
    fake.fail_number(&mobile(103), 21614);
    let cfg = p.write_config(&toml);
    Mixed {
        p,
        fake,
        cfg,
        unsubscribed,
        landline,
        mars,
        blank,
    }
}

/// Lines of a JSON report counted by action.
fn count_actions(lines: &[Value]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for l in lines {
        *counts
            .entry(l["action"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// The JSON totals agree with the JSON lines, action by action.
fn assert_totals_match_lines(v: &Value) {
    let lines = v["lines"].as_array().unwrap();
    let counts = count_actions(lines);
    let totals = v["totals"].as_object().unwrap();
    let key = |action: &str| match action {
        "skip" => "skipped".to_string(),
        a => a.to_string(),
    };
    let mut from_totals = BTreeMap::new();
    for (k, n) in totals {
        if n.as_u64().unwrap() > 0 {
            from_totals.insert(k.clone(), n.as_u64().unwrap());
        }
    }
    let from_lines: BTreeMap<String, u64> = counts.into_iter().map(|(a, n)| (key(&a), n)).collect();
    assert_eq!(from_totals, from_lines, "totals vs lines in {v}");
}

/// The number after `label` in the summary's first line.
fn header_count(stdout: &str, label: &str) -> usize {
    let head = stdout.lines().next().unwrap();
    let at = head
        .find(&format!("{label} "))
        .unwrap_or_else(|| panic!("no {label:?} in {head}"));
    head[at + label.len() + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn one_bad_row_is_skipped_naming_the_patient_the_run_goes_on_and_exits_3() {
    let m = mixed();
    let out = remind_bin(&m.p, &m.cfg, now(), &["--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = v["lines"].as_array().unwrap();
    let of = |p: PatientId| {
        lines
            .iter()
            .find(|l| l["patient_id"] == p.0)
            .unwrap_or_else(|| panic!("no line for patient {p}: {v}"))
    };
    for (who, zone) in [(m.mars, "Mars/Olympus"), (m.blank, "")] {
        let l = of(who);
        assert_eq!(l["action"], "unreadable");
        let reason = l["reason"].as_str().unwrap();
        assert!(reason.contains(&format!("patient {who}")), "{reason}");
        assert!(reason.contains("patients.time_zone"), "{reason}");
        assert!(reason.contains(&format!("{zone:?}")), "{reason}");
    }
    // Everyone else was dealt with: Ada's reminder went.
    assert_eq!(
        m.fake.create_count(&mobile(101), &m.fake.created()[0].body),
        1
    );
    assert_eq!(count_actions(lines)["sent"], 1);
    assert_totals_match_lines(&v);
}

#[test]
fn every_failure_is_named_with_its_code_and_meaning_in_text_and_json() {
    let m = mixed();
    let out = remind_bin(&m.p, &m.cfg, now(), &["--json"]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = v["lines"].as_array().unwrap();
    for (who, code, meaning) in [
        (m.unsubscribed, "21610", "opted out"),
        (m.landline, "21614", "not a mobile number"),
    ] {
        let l = lines.iter().find(|l| l["patient_id"] == who.0).unwrap();
        assert_eq!(l["action"], "failed", "{l}");
        assert_eq!(l["code"], code, "{l}");
        let reason = l["reason"].as_str().unwrap();
        assert!(
            reason.contains(code) && reason.contains(meaning),
            "{reason}"
        );
    }
    // The same failures in the text report of a later look at the same database.
    let m = mixed();
    let out = remind_bin(&m.p, &m.cfg, now(), &[]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    for (who, code, meaning) in [
        (m.unsubscribed, "21610", "opted out"),
        (m.landline, "21614", "not a mobile number"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("(patient {who})")))
            .unwrap_or_else(|| panic!("no line for patient {who}:\n{stdout}"));
        assert!(line.trim_start().starts_with("failed"), "{line}");
        assert!(line.contains(code) && line.contains(meaning), "{line}");
    }
}

#[test]
fn the_summary_counts_are_the_lines_counts_in_text_and_json_dry_run_and_real() {
    for args in [&["--dry-run"][..], &[][..]] {
        let m = mixed();
        let json_args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let out = remind_bin(&m.p, &m.cfg, now(), &json_args);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_totals_match_lines(&v);
        let counts = count_actions(v["lines"].as_array().unwrap());
        let n = |a: &str| counts.get(a).copied().unwrap_or(0) as usize;

        // The text report of the same state (a fresh copy of it) says the same numbers, and
        // lists exactly that many lines of each action.
        let m = mixed();
        let out = remind_bin(&m.p, &m.cfg, now(), args);
        let stdout = text(&out.stdout);
        let dry = !args.is_empty();
        let listed = |action: &str| {
            stdout
                .lines()
                .skip(1)
                .filter(|l| l.trim_start().starts_with(&format!("{action} ")))
                .count()
        };
        if dry {
            assert_eq!(header_count(&stdout, "would send"), n("send"), "{stdout}");
            assert_eq!(listed("will send"), n("send"), "{stdout}");
            assert_eq!(n("blocked"), 1, "the SSN-as-name reminder: {stdout}");
        } else {
            assert_eq!(header_count(&stdout, "sent"), n("sent"), "{stdout}");
            assert_eq!(listed("sent"), n("sent"), "{stdout}");
        }
        for (label, action) in [
            ("failed", "failed"),
            ("blocked", "blocked"),
            ("skipped", "skip"),
            ("unreadable", "unreadable"),
            ("waiting", "waiting"),
        ] {
            assert_eq!(header_count(&stdout, label), n(action), "{label}: {stdout}");
            assert_eq!(listed(action), n(action), "{action}: {stdout}");
        }
        assert_eq!(out.status.code(), Some(3), "{stdout}");
    }
}

#[test]
fn a_closure_to_a_patient_whose_record_cannot_be_read_goes_on_with_the_others_and_exits_3() {
    let m = mixed();
    let out = frontdesk(&m.p, &m.cfg, now())
        .args([
            "send",
            "closure",
            "--from",
            "2026-11-26",
            "--to",
            "2026-11-27",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = v["lines"].as_array().unwrap();
    let mars = lines.iter().find(|l| l["patient_id"] == m.mars.0).unwrap();
    assert_eq!(mars["outcome"], "unreadable");
    assert_eq!(
        mars["callback"], true,
        "the patient must hear of the closure"
    );
    let failed = lines
        .iter()
        .find(|l| l["patient_id"] == m.landline.0)
        .unwrap();
    assert_eq!(
        (&failed["outcome"], &failed["code"]),
        (&"failed".into(), &"21614".into())
    );
    assert!(lines.iter().any(|l| l["outcome"] == "sent"), "{v}");
}

#[test]
fn a_sync_applies_a_stop_from_a_patient_whose_record_cannot_be_read() {
    let m = mixed();
    m.fake.inject_inbound(&mobile(106), "STOP");
    let out = frontdesk(&m.p, &m.cfg, now())
        .args(["sync", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["opt_outs"], 1, "{v}");
    let l = &v["lines"][0];
    assert_eq!(l["action"], "unreadable");
    assert!(
        l["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("patient {}", m.mars))
    );
    assert_totals_match_lines(&v);
}

//! A portal prompt sent from the command line (`frontdesk send portal`) killed with SIGKILL
//! after Twilio created it but before its answer was written back, then sent again: the
//! patient is prompted once, and the row ends final with Twilio's sid. (The closure notice's
//! same path, with many patients: `closure.rs`.)

use std::time::Duration;

use super::*;
use fake_twilio::{FakeTwilio, Fault, Target};

fn spawn_prompt(p: &Practice, config: &std::path::Path, patient: i64) -> Child {
    frontdesk(p, config, now())
        .args([
            "send",
            "portal",
            "--patient",
            &patient.to_string(),
            "--kind",
            "results-ready",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A practice with one patient whose portal prompt was killed between Twilio's create and
/// the write-back: (practice, config, patient, number).
fn killed_mid_prompt(fake: &FakeTwilio) -> (Practice, std::path::PathBuf, i64, String) {
    let (toml, _) = config_for(fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let number = mobile(3001);
    let patient = p.patient("Portal", Some(&number), Consent::OptedIn);
    let cfg = p.write_config(&toml);
    // Twilio creates the prompt at once and answers 2 s later: the kill lands in between.
    fake.fail(Target::Create, Fault::Delay(Duration::from_secs(2)), None);
    let mut first = spawn_prompt(&p, &cfg, patient.0);
    assert_eq!(kill_after(&mut first, fake, 1), 1);
    let before = rows(&p);
    assert_eq!(before.len(), 1, "the prompt was recorded before it went");
    assert!(
        before[0].provider_id.is_none(),
        "killed before the write-back"
    );
    fake.clear_failures();
    (p, cfg, patient.0, number)
}

#[test]
fn sigkill_between_twilio_s_create_and_the_write_back_then_sent_again_prompts_once() {
    let fake = FakeTwilio::start_at(now());
    let (p, cfg, patient, number) = killed_mid_prompt(&fake);
    let out = spawn_prompt(&p, &cfg, patient).wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created = fake.created();
    assert_eq!(
        created.iter().filter(|c| c.to == number).count(),
        1,
        "prompted once; second run said:\n{said}"
    );
    let rows = rows(&p);
    assert_eq!(rows.len(), 1, "one row: {rows:#?}");
    assert_ne!(rows[0].status, MessageStatus::Pending, "{rows:#?}");
    assert_eq!(
        rows[0].provider_id.as_deref(),
        Some(created[0].sid.as_str())
    );
}

/// The same, with Twilio unable to say what it holds when the prompt is sent again (its
/// message list answers 503, then slowly): nothing goes a second time while it cannot be
/// checked, and a later run, Twilio well again, finishes the row.
#[test]
fn sent_again_while_twilio_cannot_list_what_it_holds_nothing_goes_twice() {
    let fake = FakeTwilio::start_at(now());
    let (p, cfg, patient, number) = killed_mid_prompt(&fake);
    fake.fail(Target::List, Fault::Server(503), None);
    let out = spawn_prompt(&p, &cfg, patient).wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(fake.created().len(), 1, "not sent again unchecked:\n{said}");
    assert_eq!(rows(&p).len(), 1);

    fake.clear_failures();
    fake.fail(
        Target::List,
        Fault::Delay(Duration::from_millis(1500)),
        None,
    );
    let out = spawn_prompt(&p, &cfg, patient).wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let created = fake.created();
    assert_eq!(
        created.iter().filter(|c| c.to == number).count(),
        1,
        "prompted once:\n{said}"
    );
    let rows = rows(&p);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(
        rows[0].provider_id.as_deref(),
        Some(created[0].sid.as_str()),
        "{said}"
    );
}

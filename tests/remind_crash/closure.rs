//! A closure notice sent from the command line (`frontdesk send closure`, SPEC §5.6) killed
//! with SIGKILL while Twilio has created notices whose answers were not written back, then
//! sent again: every patient booked in the window hears of the closure exactly once, every
//! row ends final and known to Twilio, and every visit is on the rebook list once.

use std::time::Duration;

use super::*;
use fake_twilio::{FakeTwilio, Fault, Target};

/// `n` opted-in patients, each booked on Fri 27 Nov (the closed day), every 6 minutes.
fn booked_on_the_closed_day(p: &mut Practice, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let number = mobile(2000 + i);
            let id = p.patient(&format!("Cls{i:03}"), Some(&number), Consent::OptedIn);
            p.book(
                id,
                ny(27, 9, 0) + chrono::Duration::minutes(6 * i64::from(i)),
            );
            number
        })
        .collect()
}

fn spawn_closure(p: &Practice, config: &std::path::Path) -> Child {
    frontdesk(p, config, now())
        .args([
            "send",
            "closure",
            "--from",
            "2026-11-27",
            "--to",
            "2026-11-28",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_mid_closure_notice_then_sent_again_every_patient_hears_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let numbers = booked_on_the_closed_day(&mut p, 60);
    let cfg = p.write_config(&toml);
    // Twilio creates each notice at once and answers 100 ms later: the kill lands between
    // the create and our write-back for the notices in flight.
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(100)),
        None,
    );
    let mut first = spawn_closure(&p, &cfg);
    let at_kill = kill_after(&mut first, &fake, 15);
    assert!(at_kill < 60, "killed before the end ({at_kill} created)");

    fake.clear_failures();
    let out = spawn_closure(&p, &cfg).wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let created = fake.created();
    for number in &numbers {
        let to_them = created.iter().filter(|c| &c.to == number).count();
        assert_eq!(
            to_them,
            1,
            "{number} got {to_them} closure notices; created {}; second run:\n{}",
            created.len(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let rows = rows(&p);
    assert_eq!(rows.len(), 60, "one row per visit");
    assert!(
        rows.iter()
            .all(|m| m.status != MessageStatus::Pending && m.provider_id.is_some()),
        "every row is final and carries its sid: {rows:#?}"
    );
    let mut on_rows: Vec<String> = rows.into_iter().filter_map(|m| m.provider_id).collect();
    on_rows.sort();
    let mut at_twilio: Vec<String> = created.into_iter().map(|c| c.sid).collect();
    at_twilio.sort();
    assert_eq!(on_rows, at_twilio, "rows and Twilio know the same notices");
}

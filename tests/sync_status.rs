//! `frontdesk sync` against the stateful fake Twilio: delivery statuses (progress, 30003,
//! 21610), the persisted cursor, unknown numbers, exactly once with `remind`, adoption of a
//! message no row knows, bad credentials — through the workflow, and through the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/sync.rs"]
mod desk;
mod fake_twilio;
mod support;

use std::path::Path;

use chrono::TimeDelta;
use desk::*;
use fake_twilio::{AUTH_TOKEN, FakeTwilio};
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::batch::BatchEvent;
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use frontdesk::domain::message::MessageStatus;
use frontdesk::domain::phone::E164;
use frontdesk::provider::twilio::{Twilio, TwilioSettings};
use frontdesk::store::{self, Store};
use frontdesk::workflow::sync::{self};
use frontdesk::workflow::{consent, remind};
use support::assert_exactly_once;

#[tokio::test]
async fn delivery_statuses_progress_and_30003_flags_the_number() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    pr.fake.undeliverable(BEN, 30003);
    let a_visit = pr.appointment(ana, pr.tomorrow(15));
    let b_visit = pr.appointment(ben, pr.tomorrow(16));
    let to_ana = pr.remind(ana, &[a_visit]).await;
    let to_ben = pr.remind(ben, &[b_visit]).await;
    let status = |pr: &Practice, id| store::messages::get(&pr.base.store, id).unwrap();
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Queued);

    // Still `queued` at Twilio: taken, not waiting — the sync's flush leaves them alone.
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.flush.sent), (0, 0), "{r:?}");
    assert_eq!(pr.fake.created().len(), 2);

    pr.fake.advance_all();
    let r = pr.sync().await;
    assert_eq!(r.statuses_applied, 2, "{r:?}");
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Sent);

    pr.fake.advance_clock(TimeDelta::minutes(1));
    pr.fake.deliver_all();
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.numbers_flagged), (2, 1), "{r:?}");
    assert_eq!(status(&pr, to_ana).status, MessageStatus::Delivered);
    let failed = status(&pr, to_ben);
    assert_eq!(failed.status, MessageStatus::Undelivered);
    assert_eq!(failed.error_code.as_deref(), Some("30003"));
    let ben_row = store::patients::get(&pr.base.store, ben).unwrap();
    assert_eq!(ben_row.number_problem.unwrap().code, "30003");
    assert!(
        pr.audit_actions(&format!("patient:{ben}"))
            .contains(&"patient.number_flagged".to_string())
    );
    assert!(
        pr.audit_actions(&format!("message:{to_ana}"))
            .contains(&"message.status".to_string())
    );
    assert_eq!(
        store::patients::get(&pr.base.store, ana)
            .unwrap()
            .number_problem,
        None
    );

    // The cursor remembers: nothing is applied twice.
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.numbers_flagged), (0, 0), "{r:?}");
}

#[tokio::test]
async fn unsubscribed_21610_on_a_send_or_a_status_records_an_opt_out() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    // Recorded while offline; the sync's flush sends it and Twilio answers 21610.
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.fake.fail_number(ANA, 21610);
    let waiting = pr.record_reminder(ana, &[visit]);
    let r = pr.sync().await;
    assert_eq!(r.flush.failed, 1, "{r:?}");
    assert_eq!(
        store::messages::get(&pr.base.store, waiting)
            .unwrap()
            .error_code
            .as_deref(),
        Some("21610")
    );
    match pr.consent(ana) {
        ConsentState::OptedOut { method, .. } => assert_eq!(method, ConsentMethod::ProviderReport),
        other => panic!("{other:?}"),
    }

    // Reported later, as a failed status on a message Twilio had taken.
    let b_visit = pr.appointment(ben, pr.tomorrow(16));
    let sent = pr.remind(ben, &[b_visit]).await;
    let sid = store::messages::get(&pr.base.store, sent)
        .unwrap()
        .provider_id
        .unwrap();
    pr.fake.set_status(&sid, "failed", Some(21610));
    let r = pr.sync().await;
    assert_eq!((r.statuses_applied, r.provider_opt_outs), (1, 1), "{r:?}");
    assert!(matches!(pr.consent(ben), ConsentState::OptedOut { .. }));
}

#[tokio::test]
async fn the_cursor_is_stored_and_a_replayed_listing_applies_nothing_twice() {
    let mut pr = Practice::new();
    pr.fake.set_opt_out_handling(false);
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    pr.remind(ana, &[visit]).await;
    pr.reply(ANA, "C");
    pr.reply(ANA, "HELP");
    pr.reply(ANA, "what time is parking open?");
    let first = pr.sync().await;
    assert_eq!(first.replies.total(), 3, "{first:?}");
    let stored = store::settings::get(&pr.base.store, &sync::cursor_key("twilio"))
        .unwrap()
        .expect("cursor stored");
    assert!(stored.contains("window_start"), "{stored}");
    let texts = pr.fake.created().len();
    let audit = store::audit::page(&pr.base.store, 0, 10_000).unwrap().len();

    let second = pr.sync().await;
    assert_eq!(
        (second.replies.total(), second.replies_repeated),
        (0, 0),
        "{second:?}"
    );

    // Even with the cursor lost, a full replay changes nothing: inbound rows are unique per
    // provider id and statuses only move forward.
    pr.base
        .store
        .write(|tx| store::settings::set(tx, &sync::cursor_key("twilio"), "{damaged"))
        .unwrap();
    let replay = pr.sync().await;
    assert!(replay.cursor_reset);
    assert_eq!(
        (replay.replies.total(), replay.replies_repeated),
        (0, 3),
        "{replay:?}"
    );
    assert_eq!(pr.fake.created().len(), texts);
    assert_eq!(
        store::audit::page(&pr.base.store, 0, 10_000).unwrap().len(),
        audit
    );
    assert_eq!(replay.inbox_unread, 1);
    assert_eq!(pr.appt(visit).status, AppointmentStatus::Confirmed);
}

#[tokio::test]
async fn a_reply_from_an_unknown_number_is_kept_in_the_inbox() {
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    pr.reply(STRANGER, "STOP");
    let r = pr.sync().await;
    assert_eq!(
        (r.unknown_senders, r.replies.other, r.inbox_unread),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.opt_outs, 0);
    let inbox = store::messages::inbox(&pr.base.store, 10).unwrap();
    assert_eq!(inbox[0].patient_id, None);
    assert_eq!(inbox[0].from.as_deref(), Some(STRANGER));
    assert!(pr.consent(ana).may_text());
    assert!(
        pr.fake.created().is_empty(),
        "no answer to a number we do not know"
    );
}

#[tokio::test]
async fn sent_answers_are_not_sent_again_by_the_flush() {
    // The flush after the answers sees them `queued` at Twilio: that is "taken", not "waiting".
    let mut pr = Practice::new();
    pr.patient("Ana", ANA, true);
    pr.reply(ANA, "INFO");
    let r = pr.sync().await;
    assert_eq!((r.answers.sent, r.flush.sent), (1, 0), "{r:?}");
    let answer = pr.texts_to(ANA);
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert_exactly_once(&pr.fake, &[(ANA.to_string(), answer[0].clone())]);
}

#[tokio::test]
async fn reminders_sent_by_remind_go_once_and_their_answer_confirms() {
    // The whole loop with the real `remind`: its texts sit `queued` at Twilio until a status
    // arrives, and neither a second `remind` nor `sync` may send them again.
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let visit = pr.appointment(ana, pr.now() + TimeDelta::hours(47)); // the 48 h reminder is due
    for _ in 0..2 {
        let clock = pr.clock();
        let r = remind::run(
            &pr.d,
            &mut pr.base.store,
            &pr.config,
            &pr.gate,
            &clock,
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.stopped, None);
    }
    let r = pr.sync().await;
    assert_eq!(r.flush.sent, 0, "{r:?}");
    let reminder = pr.texts_to(ANA);
    assert_eq!(reminder.len(), 1, "{reminder:?}");
    assert_exactly_once(&pr.fake, &[(ANA.to_string(), reminder[0].clone())]);

    pr.fake.advance_all();
    pr.reply(ANA, "yes");
    let r = pr.sync().await;
    assert_eq!(
        (r.statuses_applied, r.replies.confirm, r.confirmed),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(pr.appt(visit).status, AppointmentStatus::Confirmed);
    assert!(
        pr.consent(ana).may_text(),
        "YES answering a reminder is not an opt-in event"
    );
    assert_eq!(
        store::consent::events(&pr.base.store, ana).unwrap().len(),
        1
    );
}

#[tokio::test]
async fn bad_credentials_stop_the_sync_with_a_clear_message() {
    let mut pr = Practice::new();
    pr.patient("Ana", ANA, true);
    pr.reply(ANA, "HELP");
    let wrong = Twilio::new(TwilioSettings {
        auth_token: "not-the-token".into(),
        ..pr.fake.settings()
    })
    .unwrap();
    let d = dispatcher(wrong);
    let clock = pr.clock();
    let mut events = Vec::new();
    let r = sync::sync(
        &d,
        &mut pr.base.store,
        &pr.config,
        &pr.gate,
        &clock,
        &mut |e| events.push(e),
    )
    .await
    .unwrap();
    let reason = r.stopped.clone().unwrap();
    assert!(reason.contains("check your Twilio credentials"), "{reason}");
    assert_eq!(r.replies.total(), 0);
    assert!(!r.complete);
    assert!(matches!(events.last(), Some(BatchEvent::Stopped { .. })));
    assert_eq!(
        store::settings::get(&pr.base.store, &sync::cursor_key("twilio")).unwrap(),
        None,
        "no cursor moves without its page being applied"
    );
}

mod cli {
    use super::*;
    use assert_cmd::Command;
    use predicates::prelude::*;

    const TOKEN_ENV: &str = "FD_TEST_TWILIO_TOKEN";

    fn frontdesk(home: &Path, fake: &FakeTwilio) -> Command {
        let mut cmd = Command::cargo_bin("frontdesk").unwrap();
        cmd.env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "FRONTDESK_NOW",
                (fake.now() + TimeDelta::minutes(1)).to_rfc3339(),
            );
        cmd
    }

    fn setup(fake: &FakeTwilio) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("frontdesk.toml");
        std::fs::write(&config, config_text(fake, TOKEN_ENV)).unwrap();
        // Config files are refused unless only their owner can read them (as `init` writes them).
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let db = home.path().join("practice.db");
        // Commands never create a practice database; the practice already has one.
        drop(Store::open(&db).unwrap());
        (home, config, db)
    }

    #[test]
    fn json_report_after_a_stop_reply() {
        let fake = FakeTwilio::start();
        fake.set_opt_out_handling(false);
        let (home, config, db) = setup(&fake);
        {
            let mut store = Store::open(&db).unwrap();
            let p = store
                .write(|tx| {
                    store::patients::insert(
                        tx,
                        &store::patients::NewPatient {
                            external_id: None,
                            first_name: "Ana".into(),
                            last_name: "Test".into(),
                            birth_date: None,
                            mobile: Some(E164::try_from(ANA.to_string()).unwrap()),
                            time_zone: None,
                            portal_active: false,
                        },
                        fake.now(),
                    )
                })
                .unwrap();
            consent::record(
                &mut store,
                p,
                &ConsentEvent {
                    kind: ConsentKind::OptIn,
                    method: ConsentMethod::WrittenForm,
                    evidence: Some("FORM-1".into()),
                    recorded_by: "desk".into(),
                    at: fake.now() - TimeDelta::days(3),
                },
            )
            .unwrap();
        }
        fake.inject_inbound(ANA, "STOP");
        fake.inject_inbound(STRANGER, "who is this?");
        let out = frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, AUTH_TOKEN)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .args(["sync", "--json"])
            .assert()
            .success()
            .stderr(predicate::str::contains("sync: fetching replies"))
            .get_output()
            .stdout
            .clone();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["provider"], "twilio");
        assert_eq!(json["opt_outs"], 1, "{json}");
        assert_eq!(json["replies"]["opt_out"], 1);
        assert_eq!(json["answers"]["sent"], 1);
        assert_eq!(json["inbox_unread"], 1);
        assert_eq!(json["stopped"], serde_json::Value::Null);
        assert_eq!(
            confirmations(
                &fake
                    .created()
                    .into_iter()
                    .map(|c| c.body)
                    .collect::<Vec<_>>()
            ),
            1
        );

        // The human summary on a second run: nothing new.
        frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, AUTH_TOKEN)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .arg("sync")
            .assert()
            .success()
            .stdout(predicate::str::contains("Synced with twilio."))
            .stdout(predicate::str::contains("replies: 0"))
            .stdout(predicate::str::contains("reply inbox: 1 unread"));
    }

    #[test]
    fn wrong_credentials_exit_1_with_the_credentials_message() {
        let fake = FakeTwilio::start();
        let (home, config, db) = setup(&fake);
        frontdesk(home.path(), &fake)
            .env(TOKEN_ENV, "wrong-token")
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .arg("sync")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("check your Twilio credentials"))
            .stderr(predicate::str::contains("panicked").not());
    }

    #[test]
    fn a_missing_token_is_a_clear_error() {
        let fake = FakeTwilio::start();
        let (home, config, db) = setup(&fake);
        frontdesk(home.path(), &fake)
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .args(["sync", "--json"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(TOKEN_ENV))
            .stdout(predicate::str::is_empty());
        assert!(fake.requests().is_empty());
    }
}

#[tokio::test]
async fn a_message_twilio_has_that_no_row_knows_is_adopted_by_its_row_with_its_status() {
    // The state a SIGKILL leaves between Twilio taking a text and the write-back: the row is
    // `pending` without a provider id, and Twilio holds the message.
    let mut pr = Practice::new();
    let ana = pr.patient("Ana", ANA, true);
    let ben = pr.patient("Ben", BEN, true);
    let visit = pr.appointment(ana, pr.tomorrow(15));
    let other = pr.appointment(ben, pr.tomorrow(16));
    let lost = pr.record_reminder(ana, &[visit]);
    let waiting = pr.record_reminder(ben, &[other]);
    let row = store::messages::get(&pr.base.store, lost).unwrap();
    let sms = frontdesk::provider::OutboundSms {
        to: E164::try_from(row.to.clone()).unwrap(),
        body: row.body.clone(),
        idempotency_key: row.idempotency_key.clone().unwrap(),
    };
    use frontdesk::provider::SmsProvider as _;
    let receipt = pr.fake.provider().send(&sms).await.unwrap();
    // Ben's row was never attempted (queued, attempts 0): a message to him with his body
    // would not be his row's, and there is none.
    let now = pr.now();
    pr.base
        .store
        .write(|tx| store::messages::set_status(tx, waiting, MessageStatus::Queued, None, now))
        .unwrap();
    pr.fake.deliver_all();
    pr.fake.advance_clock(TimeDelta::minutes(1));

    let r = pr.sync().await;
    assert_eq!(r.adopted, 1, "{r:?}");
    let row = store::messages::get(&pr.base.store, lost).unwrap();
    assert_eq!(
        row.provider_id.as_deref(),
        Some(receipt.provider_id.as_str())
    );
    assert_eq!(
        row.status,
        MessageStatus::Delivered,
        "its status is recorded"
    );
    assert!(
        pr.audit_actions(&format!("message:{lost}"))
            .contains(&"message.sent".to_string())
    );
    // Ana got one text; Ben's waiting one went with the flush, once.
    assert_eq!(pr.texts_to(ANA).len(), 1);
    assert_eq!(pr.texts_to(BEN).len(), 1);
    assert!(pr.fake.duplicates().is_empty());
}

use chrono::Duration;
use rusqlite::Connection;

use super::*;
use crate::domain::reminder::reminder_key;
use crate::domain::reply::ReplyKind;
use crate::store::appointments::{
    self as appts,
    tests::{booking, fixture, opt_in, t},
};
use crate::store::messages::{self, NewOutbound};
use crate::store::{Store, migrations, patients};

fn outbound<'a>(key: &'a str, p: PatientId, at: DateTime<Utc>) -> NewOutbound<'a> {
    NewOutbound {
        kind: crate::domain::message::MessageKind::Reminder24h,
        patient_id: Some(p),
        appointment_id: None,
        idempotency_key: key,
        to: "+12015550134",
        body: "Hi",
        encoding: "gsm7",
        segments: 1,
        status: MessageStatus::Pending,
        provider: "twilio",
        findings: None,
        created_by: "system",
        now: at,
        not_before: None,
        send_by: None,
    }
}

fn facts(store: &Store, id: AppointmentId) -> AppointmentFacts {
    appointments(store.test_conn(), t(0, 0), t(0, 0) + Duration::days(3))
        .unwrap()
        .into_iter()
        .find(|a| a.id == id)
        .unwrap()
}

#[test]
fn a_confirmation_survives_arrival_and_a_cancellation_keeps_its_time() {
    let (store, p, c, ty) = fixture();
    let c1 = store.test_conn();
    let a = appts::insert(c1, &booking(p, c, ty, t(15, 0))).unwrap();
    appts::set_status(
        c1,
        a,
        AppointmentStatus::Booked,
        AppointmentStatus::Confirmed,
        "desk",
        t(9, 0),
    )
    .unwrap();
    appts::set_status(
        c1,
        a,
        AppointmentStatus::Confirmed,
        AppointmentStatus::Arrived,
        "desk",
        t(14, 55),
    )
    .unwrap();
    let f = facts(&store, a);
    assert_eq!(
        (f.status, f.confirmed_at),
        (AppointmentStatus::Arrived, Some(t(9, 0)))
    );
    let b = appts::insert(c1, &booking(p, c, ty, t(16, 0))).unwrap();
    appts::set_status(
        c1,
        b,
        AppointmentStatus::Booked,
        AppointmentStatus::Cancelled,
        "desk",
        t(10, 0),
    )
    .unwrap();
    assert_eq!(facts(&store, b).cancelled_at, Some(t(10, 0)));
    assert_eq!(facts(&store, b).confirmed_at, None);
}

#[test]
fn a_writer_that_does_not_say_when_leaves_the_time_unknown() {
    let (store, p, c, ty) = fixture();
    let c1 = store.test_conn();
    let a = appts::insert(c1, &booking(p, c, ty, t(15, 0))).unwrap();
    // An earlier change left a status time behind; the import's UPDATE does not touch it.
    appts::set_status(
        c1,
        a,
        AppointmentStatus::Booked,
        AppointmentStatus::Confirmed,
        "desk",
        t(9, 0),
    )
    .unwrap();
    c1.execute(
        "UPDATE appointments SET status = 'cancelled' WHERE id = ?1",
        [a.0],
    )
    .unwrap();
    assert_eq!(facts(&store, a).cancelled_at, None, "not the stale 09:00");
    // Brought back by a later import: no longer cancelled at all.
    c1.execute(
        "UPDATE appointments SET status = 'booked' WHERE id = ?1",
        [a.0],
    )
    .unwrap();
    assert_eq!(facts(&store, a).cancelled_at, None);
    // Confirmed without a time: the fact is kept, at the booking time.
    let b = appts::insert(c1, &booking(p, c, ty, t(16, 0))).unwrap();
    c1.execute(
        "UPDATE appointments SET status = 'confirmed' WHERE id = ?1",
        [b.0],
    )
    .unwrap();
    assert_eq!(facts(&store, b).confirmed_at, Some(t(8, 0)));
    // Imported already confirmed or cancelled.
    let mut row = booking(p, c, ty, t(17, 0));
    row.status = AppointmentStatus::Confirmed;
    let d = appts::insert(c1, &row).unwrap();
    assert_eq!(facts(&store, d).confirmed_at, Some(t(8, 0)));
    row.status = AppointmentStatus::Cancelled;
    let e = appts::insert(c1, &row).unwrap();
    assert_eq!(facts(&store, e).cancelled_at, None);
}

#[test]
fn a_confirm_reply_before_the_start_confirms_one_after_does_not() {
    let (store, p, c, ty) = fixture();
    let c1 = store.test_conn();
    let a = appts::insert(c1, &booking(p, c, ty, t(15, 0))).unwrap();
    let late = appts::insert(c1, &booking(p, c, ty, t(10, 0))).unwrap();
    let reply = |id: &str, at, appt| {
        let m = messages::insert_inbound(
            c1,
            &messages::NewInbound {
                patient: Some(p),
                from: "+12015550134",
                to: "+15555550123",
                body: "C",
                provider: "twilio",
                provider_id: id,
                at,
            },
        )
        .unwrap()
        .unwrap();
        messages::classify_reply(c1, m, ReplyKind::Confirm, Some(appt)).unwrap();
    };
    reply("SM1", t(11, 0), a);
    reply("SM2", t(11, 0), late);
    assert_eq!(facts(&store, a).confirmed_at, Some(t(11, 0)));
    assert_eq!(facts(&store, late).confirmed_at, None);
    // A later status change to confirmed keeps the first confirmation.
    appts::set_status(
        c1,
        a,
        AppointmentStatus::Booked,
        AppointmentStatus::Confirmed,
        "system",
        t(11, 30),
    )
    .unwrap();
    assert_eq!(facts(&store, a).confirmed_at, Some(t(11, 0)));
}

#[test]
fn delivery_is_timed_by_the_status_that_reported_it() {
    let (store, p, _, _) = fixture();
    let c1 = store.test_conn();
    let id = messages::insert_outbound(c1, &outbound("k1", p, t(9, 0)))
        .unwrap()
        .unwrap();
    messages::mark_handed_over(c1, id, "twilio", "SM9", MessageStatus::Sent, t(9, 1)).unwrap();
    messages::apply_provider_status(c1, "twilio", "SM9", MessageStatus::Delivered, None, t(9, 2))
        .unwrap();
    let at: Option<i64> = c1
        .query_row(
            "SELECT delivered_at FROM messages WHERE id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(at, Some(ts(t(9, 2))));
}

#[test]
fn reminder_covers_are_the_window_s_outbound_reminders_only() {
    let (store, p, _, _) = fixture();
    let c1 = store.test_conn();
    let k = |h| reminder_key(AppointmentId(1), t(15, 0), h);
    let (k48, k24) = (k(48), k(24));
    messages::insert_outbound(c1, &outbound(&k48, p, t(8, 0) - Duration::days(2))).unwrap();
    messages::insert_outbound(c1, &outbound(&k24, p, t(9, 0))).unwrap();
    messages::insert_outbound(c1, &outbound("closure:2026-11-25", p, t(9, 0))).unwrap();
    messages::insert_outbound(c1, &outbound("portal:1:x", p, t(9, 0))).unwrap();
    messages::insert_inbound(
        c1,
        &messages::NewInbound {
            patient: Some(p),
            from: "+1",
            to: "+2",
            body: "C",
            provider: "twilio",
            provider_id: "SM1",
            at: t(9, 0),
        },
    )
    .unwrap();
    let rows = reminder_covers(c1, t(0, 0), t(0, 0) + Duration::days(1)).unwrap();
    assert_eq!(
        rows,
        vec![ReminderCover {
            appointment_id: AppointmentId(1),
            start: t(15, 0),
            status: MessageStatus::Pending
        }]
    );
    assert!(k24.ends_with("@2026-11-25T15:00:00Z"), "{k24}");
    let wider =
        reminder_covers(c1, t(0, 0) - Duration::days(3), t(0, 0) + Duration::days(1)).unwrap();
    assert_eq!(wider.len(), 2);
}

#[test]
fn opt_outs_consent_and_mobiles() {
    let (store, p, _, _) = fixture();
    let c1 = store.test_conn();
    opt_in(&store, p, t(9, 0));
    let stop = ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::SmsKeyword,
        evidence: Some("SM1".into()),
        recorded_by: "system".into(),
        at: t(10, 0),
    };
    crate::store::consent::append(c1, p, &stop).unwrap();
    assert!(opt_outs(c1, t(0, 0), t(10, 0)).unwrap().is_empty());
    assert_eq!(opt_outs(c1, t(0, 0), t(10, 1)).unwrap(), vec![t(10, 0)]);
    let events = consent_events(c1).unwrap();
    assert_eq!(
        events[&p].iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![ConsentKind::OptIn, ConsentKind::OptOut]
    );
    assert!(patients_with_mobile(c1).unwrap().is_empty());
    let e164 = crate::domain::phone::E164::parse("+12015550134", "US").unwrap();
    patients::set_mobile(c1, p, Some(&e164)).unwrap();
    let with = patients_with_mobile(c1).unwrap();
    assert!(with.contains(p) && with.len() == 1);
    let timelines = consent_timelines(c1).unwrap();
    assert!(timelines.get(p).valid_at(t(9, 30)));
    assert!(!timelines.get(p).valid_at(t(10, 0)), "the STOP");
}

/// The timelines read in one walk with reused buffers say what the events say: the same as
/// building them from `consent_events` (read whole and sorted), for patients whose events
/// were recorded out of order, in the same second, with blank or missing evidence.
#[test]
fn consent_timelines_match_the_events_they_come_from() {
    let (store, p, _, _) = fixture();
    let c = store.test_conn();
    let q = patients::insert(
        c,
        &patients::NewPatient {
            external_id: None,
            first_name: "Bo".into(),
            last_name: "Chen".into(),
            birth_date: None,
            mobile: None,
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    let event = |kind, method, evidence: Option<&str>, at| ConsentEvent {
        kind,
        method,
        evidence: evidence.map(str::to_string),
        recorded_by: "desk".into(),
        at,
    };
    use ConsentKind::{OptIn, OptOut};
    use ConsentMethod::{SmsKeyword, WrittenForm};
    for (who, e) in [
        (
            q,
            event(OptIn, WrittenForm, Some("F-1 long evidence text"), t(11, 0)),
        ),
        (p, event(OptIn, WrittenForm, Some("F-2"), t(9, 0))),
        (q, event(OptOut, SmsKeyword, Some("SM9"), t(10, 0))),
        (p, event(OptIn, WrittenForm, Some("   "), t(12, 0))),
        (p, event(OptOut, SmsKeyword, None, t(12, 0))),
        (p, event(OptIn, WrittenForm, Some("F-3"), t(13, 0))),
        (q, event(OptIn, WrittenForm, None, t(14, 0))),
    ] {
        crate::store::consent::append(c, who, &e).unwrap();
    }
    let events = consent_events(c).unwrap();
    let mut ids: Vec<_> = events.keys().copied().collect();
    ids.sort();
    let mut want = ConsentTimelines::default();
    for id in ids {
        want.push(id, &events[&id]);
    }
    let got = consent_timelines(c).unwrap();
    assert_eq!(got, want);
    assert!(
        got.get(q).valid_at(t(11, 30)),
        "the later opt-in with a long evidence"
    );
    assert!(
        !got.get(q).valid_at(t(14, 30)),
        "an opt-in without evidence"
    );
    assert!(got.get(p).valid_at(t(13, 0)));
}

/// The statistics queries read only their covering indexes (no lookup per row into the
/// table): what keeps 12 weeks of a 2M-appointment database fast.
#[test]
fn the_statistics_queries_use_their_covering_indexes() {
    let store = Store::open_in_memory().unwrap();
    let plan = |sql: &str| -> String {
        let mut stmt = store
            .test_conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let n = stmt.parameter_count();
        stmt.query_map(rusqlite::params_from_iter([0, 1].iter().take(n)), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join("; ")
    };
    let a = plan(
        "SELECT id, patient_id, clinician_id, type_id, start_at, status, booked_at, cancelled_at, confirmed_at FROM appointments WHERE start_at >= ?1 AND start_at < ?2",
    );
    assert!(
        a.contains("USING COVERING INDEX appointments_by_start"),
        "{a}"
    );
    let consent = plan(
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at FROM consent_events ORDER BY patient_id, recorded_at, id",
    );
    assert!(
        consent.contains("COVERING INDEX consent_by_patient") && !consent.contains("TEMP B-TREE"),
        "{consent}"
    );
    let m = plan(super::REMINDER_ROWS);
    assert!(
        m.contains("USING COVERING INDEX messages_reminders_by_created"),
        "{m}"
    );
    let o = plan(
        "SELECT recorded_at FROM consent_events WHERE recorded_at >= ?1 AND recorded_at < ?2 AND kind = 'opt_out'",
    );
    assert!(
        o.contains("USING COVERING INDEX consent_by_recorded"),
        "{o}"
    );
}

/// Rows written before migration 5 get their times back from what was kept.
#[test]
fn migration_5_back_fills_from_statuses_audit_records_and_replies() {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations::migrations().to_version(&mut conn, 4).unwrap();
    conn.execute_batch(
        "INSERT INTO clinicians (display_name) VALUES ('Dr. Okafor');
         INSERT INTO appointment_types (name, sms_label, default_minutes) VALUES ('Physical', 'Check-up', 30);
         INSERT INTO patients (first_name, last_name, created_at) VALUES ('Ada', 'Lovelace', 0);
         -- 1: still confirmed; 2: confirmed at the desk (audited), then arrived; 3: confirmed
         -- by reply; 4: cancelled with its time; 5: cancelled, time only in the audit log;
         -- 6: cancelled, time nowhere; 7: completed, never confirmed.
         INSERT INTO appointments (id, patient_id, clinician_id, type_id, start_at, duration_minutes, status,
                                   status_changed_at, booked_at)
         VALUES (1, 1, 1, 1, 100000, 30, 'confirmed', 90000, 0),
                (2, 1, 1, 1, 100000, 30, 'arrived', 99000, 0),
                (3, 1, 1, 1, 100000, 30, 'completed', 99500, 0),
                (4, 1, 1, 1, 100000, 30, 'cancelled', 95000, 0),
                (5, 1, 1, 1, 100000, 30, 'cancelled', NULL, 0),
                (6, 1, 1, 1, 100000, 30, 'cancelled', NULL, 0),
                (7, 1, 1, 1, 100000, 30, 'completed', 99000, 0);
         INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash) VALUES
           (80000, 'desk', 'appointment.status', 'appointment:2', '{\"from\":\"booked\",\"to\":\"confirmed\",\"via\":\"desk\"}', 'x', 'h1'),
           (99000, 'desk', 'appointment.status', 'appointment:2', '{\"from\":\"confirmed\",\"to\":\"arrived\",\"via\":\"desk\"}', 'h1', 'h2'),
           (97000, 'desk', 'appointment.status', 'appointment:5', '{\"from\":\"booked\",\"to\":\"cancelled\",\"via\":\"desk\"}', 'h2', 'h3');
         INSERT INTO messages (id, direction, kind, patient_id, to_number, body, status, provider, provider_id,
                               created_by, created_at, updated_at)
         VALUES (1, 'in', 'reply', 1, '+1', 'C', 'received', 'twilio', 'SM1', 'patient', 85000, 85000),
                (2, 'out', 'reminder-24h', 1, '+1', 'Hi', 'delivered', 'twilio', 'SM2', 'system', 70000, 70020),
                (3, 'out', 'reminder-24h', 1, '+1', 'Hi', 'sent', 'twilio', 'SM3', 'system', 70000, 70010);
         INSERT INTO replies (message_id, classification, appointment_id) VALUES (1, 'confirm', 3);"
    )
    .unwrap();
    migrations::migrations().to_latest(&mut conn).unwrap();
    let get =
        |sql: &str, id: i64| -> Option<i64> { conn.query_row(sql, [id], |r| r.get(0)).unwrap() };
    let confirmed = |id| get("SELECT confirmed_at FROM appointments WHERE id = ?1", id);
    let cancelled = |id| get("SELECT cancelled_at FROM appointments WHERE id = ?1", id);
    assert_eq!(
        (1..=7).map(confirmed).collect::<Vec<_>>(),
        vec![
            Some(90000),
            Some(80000),
            Some(85000),
            None,
            None,
            None,
            None
        ]
    );
    assert_eq!(
        (1..=7).map(cancelled).collect::<Vec<_>>(),
        vec![None, None, None, Some(95000), Some(97000), None, None]
    );
    let delivered = |id| get("SELECT delivered_at FROM messages WHERE id = ?1", id);
    assert_eq!((delivered(2), delivered(3)), (Some(70020), None));
}

/// On a file database the rows are read on two connections at once; they are the same rows
/// the one connection reads in turn.
#[test]
fn a_file_database_is_read_on_two_connections_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("p.db")).unwrap();
    let c1 = store.test_conn();
    let c = crate::store::reference::insert_clinician(c1, "Dr. Okafor").unwrap();
    let ty = crate::store::reference::insert_type(c1, "Physical", "Check-up", 30).unwrap();
    let p = patients::insert(
        c1,
        &patients::NewPatient {
            external_id: None,
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            birth_date: None,
            mobile: None,
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    let e164 = crate::domain::phone::E164::parse("+12015550134", "US").unwrap();
    patients::set_mobile(c1, p, Some(&e164)).unwrap();
    let a = appts::insert(c1, &booking(p, c, ty, t(15, 0))).unwrap();
    let key = reminder_key(a, t(15, 0), 24);
    messages::insert_outbound(c1, &outbound(&key, p, t(9, 0))).unwrap();
    let (from, to) = (t(0, 0), t(0, 0) + Duration::days(1));
    let rows = period_rows(c1, from, to, from - Duration::days(3)).unwrap();
    assert_eq!(rows.appointments.len(), 1);
    assert_eq!(rows.reminders.len(), 1);
    assert!(rows.mobiles.contains(p));
    assert_eq!(rows.appointments, appointments(c1, from, to).unwrap());
    assert_eq!(
        rows.reminders,
        reminder_covers(c1, from - Duration::days(3), to).unwrap()
    );
}

//! The day sheet's reads against a real store: local days, reply rules, query plans.

use super::*;
use crate::domain::consent::ConsentKind;
use crate::store::appointments::insert;
use crate::store::appointments::tests::{booking, fixture, t};

const NY: Tz = chrono_tz::America::New_York;

#[test]
fn day_bounds_follow_local_midnight_and_dst() {
    let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), NY);
    assert_eq!(a.to_rfc3339(), "2026-11-25T05:00:00+00:00");
    assert_eq!((b - a).num_hours(), 24);
    // 2026-11-01: clocks go back, the day is 25 hours long.
    let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NY);
    assert_eq!((b - a).num_hours(), 25);
    let (a, b) = day_bounds(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), NY);
    assert_eq!((b - a).num_hours(), 23);
}

#[test]
fn sheet_lists_the_local_day_in_start_order_with_flags() {
    let (store, p, c, ty) = fixture();
    // 03:00 UTC on the 26th is 22:00 on the 25th in New York: belongs to the 25th.
    let late = insert(
        store.test_conn(),
        &booking(p, c, ty, t(3, 0) + chrono::Duration::days(1)),
    )
    .unwrap();
    let early = insert(store.test_conn(), &booking(p, c, ty, t(14, 0))).unwrap();
    // 04:00 UTC on the 25th is 23:00 on the 24th: not on the sheet.
    insert(store.test_conn(), &booking(p, c, ty, t(4, 0))).unwrap();
    crate::store::appointments::tests::opt_in(&store, p, t(8, 0));
    let sheet = sheet(
        store.test_conn(),
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        NY,
    )
    .unwrap();
    assert_eq!(
        sheet
            .rows
            .iter()
            .map(|r| r.appointment_id)
            .collect::<Vec<_>>(),
        vec![early, late]
    );
    let row = &sheet.rows[0];
    assert_eq!(row.patient_name, "Lovelace, Ada");
    assert_eq!(row.type_label, "Check-up");
    assert_eq!(row.clinician, "Dr. Okafor");
    assert_eq!(row.consent, ConsentFlag::OptedIn);
    assert!(!row.has_mobile && !row.portal);
    assert_eq!(sheet.unconfirmed().count(), 2);
}

#[test]
fn a_reply_shows_on_the_appointments_its_reminder_covered_only() {
    let (store, p, c, ty) = fixture();
    let today = insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
    // The same patient's second booking that day shares the reminder, so the reply too.
    let double = insert(store.test_conn(), &booking(p, c, ty, t(16, 0))).unwrap();
    let other_day = insert(
        store.test_conn(),
        &booking(p, c, ty, t(16, 0) + chrono::Duration::days(1)),
    )
    .unwrap();
    let m = crate::store::messages::insert_inbound(
        store.test_conn(),
        &crate::store::messages::NewInbound {
            patient: Some(p),
            from: "+12015550134",
            to: "+15555550123",
            body: "C",
            provider: "twilio",
            provider_id: "SMin",
            at: t(9, 0),
        },
    )
    .unwrap()
    .unwrap();
    crate::store::messages::classify_reply(store.test_conn(), m, ReplyKind::Confirm, Some(today))
        .unwrap();
    let day = |d| {
        sheet(
            store.test_conn(),
            NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            NY,
        )
        .unwrap()
    };
    let reply = |sheet: &DaySheet, id| {
        sheet
            .rows
            .iter()
            .find(|r| r.appointment_id == id)
            .unwrap()
            .last_reply
    };
    assert_eq!(reply(&day(25), today), Some(ReplyKind::Confirm));
    assert_eq!(reply(&day(25), double), Some(ReplyKind::Confirm));
    assert_eq!(reply(&day(26), other_day), None);
}

/// The latest reply as the sheet read it before (every reply the patient ever sent walked
/// from the newest), kept as the oracle for the two bounded reads.
const LATEST_REPLY_BEFORE: &str = "SELECT a.id,
        (SELECT r.classification FROM replies r JOIN messages m ON m.id = r.message_id
          WHERE m.patient_id = a.patient_id AND m.direction = 'in' AND m.created_at <= ?2
            AND (r.appointment_id IN (SELECT d.id FROM appointments d
                                       WHERE d.patient_id = a.patient_id
                                         AND d.start_at >= ?1 AND d.start_at < ?2)
                 OR (r.appointment_id IS NULL AND m.created_at >= a.booked_at))
          ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
   FROM appointments a WHERE a.start_at >= ?1 AND a.start_at < ?2";

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        ..crate::testing::proptest_config("tests/proptest-regressions/store/day/tests.txt")
    })]

    /// Whatever replies two patients sent (before, on and after the day, filed against a
    /// visit of theirs, of another day, or against none, or never classified), each row
    /// of each day shows the reply the old walk of every reply showed.
    #[test]
    fn the_latest_reply_is_the_one_the_walk_of_every_reply_found(
        visits in proptest::collection::vec((0..2usize, 0..3i64, 8..20u32, 0..72i64), 1..8),
        replies in proptest::collection::vec(
            (0..2usize, -48..72i64, proptest::option::of(0..9usize), 0..4usize), 0..12),
    ) {
        let (store, first, c, ty) = fixture();
        let conn = store.test_conn();
        let second = crate::store::appointments::tests::patient(conn, "Kofi", "Mensah");
        let patients = [first, second];
        let mut ids = Vec::new();
        for &(p, day, hour, booked_before) in &visits {
            let start = t(hour, 0) + chrono::Duration::days(day);
            let mut b = booking(patients[p], c, ty, start);
            b.booked_at = start - chrono::Duration::hours(booked_before);
            ids.push(insert(conn, &b).unwrap());
        }
        let kinds = [ReplyKind::Confirm, ReplyKind::Cancel, ReplyKind::Reschedule];
        for (n, &(p, hours, about, kind)) in replies.iter().enumerate() {
            let m = crate::store::messages::insert_inbound(
                conn,
                &crate::store::messages::NewInbound {
                    patient: Some(patients[p]),
                    from: "+12015550134",
                    to: "+15555550123",
                    body: "C",
                    provider: "twilio",
                    provider_id: &format!("SMin{n}"),
                    at: t(12, 0) + chrono::Duration::hours(hours),
                },
            )
            .unwrap()
            .unwrap();
            // The fourth kind: never classified (no replies row).
            if let Some(&k) = kinds.get(kind) {
                let about = about.and_then(|i| ids.get(i).copied());
                crate::store::messages::classify_reply(conn, m, k, about).unwrap();
            }
        }
        for d in 24..=27 {
            let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
            let (from, to) = day_bounds(date, NY);
            let mut stmt = conn.prepare(LATEST_REPLY_BEFORE).unwrap();
            let before: HashMap<i64, Option<String>> = stmt
                .query_map(params![ts(from), ts(to)], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let rows = sheet(conn, date, NY).unwrap().rows;
            proptest::prop_assert_eq!(rows.len(), before.len());
            // A kept day's patch reads each patient's rows alone: the very same rows.
            let mut alone = rows_of(conn, date, NY, &patients).unwrap();
            crate::domain::day::in_sheet_order(&mut alone);
            proptest::prop_assert_eq!(&alone, &rows);
            same_from_kept_lines(conn, date, &rows)?;
            for row in rows {
                let was = before[&row.appointment_id.0].as_deref().and_then(ReplyKind::parse);
                proptest::prop_assert_eq!(row.last_reply, was, "{:?}", row.appointment_id);
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        ..crate::testing::proptest_config("tests/proptest-regressions/store/day/tests.txt")
    })]

    /// Whatever consent events two patients have (either kind, any method, evidence or
    /// none or blank, recorded out of order, with ties, one by one or many in one bulk
    /// statement), the sheet shows the flag the fold of all of them gives.
    #[test]
    fn the_sheet_s_consent_is_the_fold_of_every_event(
        events in proptest::collection::vec(
            (0..2usize, proptest::bool::ANY, 0..8usize, 0..4usize, -3..3i64), 0..10),
        bulk_from in 0..11usize,
    ) {
        use crate::domain::consent::{ConsentEvent, ConsentMethod, ConsentState};
        let (store, first, c, ty) = fixture();
        let conn = store.test_conn();
        let second = crate::store::appointments::tests::patient(conn, "Kofi", "Mensah");
        let patients = [first, second];
        for p in patients {
            insert(conn, &booking(p, c, ty, t(15, 0))).unwrap();
        }
        let evidence = [None, Some(""), Some(" "), Some("FORM-7")];
        let mut bulk = Vec::new();
        for (n, &(p, opt_in, method, ev, hours)) in events.iter().enumerate() {
            let kind = if opt_in { ConsentKind::OptIn } else { ConsentKind::OptOut };
            let event = ConsentEvent {
                kind,
                method: ConsentMethod::ALL[method],
                evidence: evidence[ev].map(str::to_string),
                recorded_by: "desk".into(),
                at: t(9, 0) + chrono::Duration::hours(hours),
            };
            if n < bulk_from {
                consent::append(conn, patients[p], &event).unwrap();
            } else {
                bulk.push(crate::store::bulk::BulkConsent {
                    patient_id: patients[p],
                    kind,
                    method: event.method,
                    evidence: event.evidence,
                    recorded_by: "desk",
                    at: event.at,
                });
            }
        }
        crate::store::bulk::insert_consent(conn, &bulk).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let rows = sheet(conn, date, NY).unwrap().rows;
        proptest::prop_assert_eq!(rows.len(), 2);
        same_from_kept_lines(conn, date, &rows)?;
        for row in rows {
            let events = consent::events(conn, row.patient_id).unwrap();
            let want = ConsentState::from_events(&events).flag();
            proptest::prop_assert_eq!(row.consent, want, "{:?}", events);
        }
    }
}

/// A reader keeping patients' lines reads the very rows [`sheet`] gives, whether it knows
/// none of the day's patients (then it has learnt exactly theirs) or every patient.
fn same_from_kept_lines(
    conn: &rusqlite::Connection,
    date: NaiveDate,
    rows: &[DayRow],
) -> Result<(), proptest::test_runner::TestCaseError> {
    let mut learnt = HashMap::new();
    let from_none = sheet_knowing(conn, date, NY, &mut learnt).unwrap().rows;
    proptest::prop_assert_eq!(&from_none, rows);
    let theirs: std::collections::BTreeSet<_> = rows.iter().map(|r| r.patient_id).collect();
    let learnt_ids: std::collections::BTreeSet<_> = learnt.keys().copied().collect();
    proptest::prop_assert_eq!(learnt_ids, theirs);
    let mut all = patient_lines(conn).unwrap();
    proptest::prop_assert_eq!(&sheet_knowing(conn, date, NY, &mut all).unwrap().rows, rows);
    // Read a share at a time, as the console's worker does: the same lines, each patient's
    // unfiled replies with them whichever share they fall in.
    let (mut shares, mut after) = (HashMap::new(), Some(crate::domain::ids::PatientId(0)));
    while let Some(from) = after {
        let (lines, next) = patient_lines_after(conn, from, 2).unwrap();
        proptest::prop_assert!(
            lines
                .keys()
                .all(|p| p.0 > from.0 && !shares.contains_key(p))
        );
        shares.extend(lines);
        after = next;
    }
    proptest::prop_assert_eq!(&shares, &all);
    Ok(())
}

/// The plan of each of `sqls` (a day-and-patient pair), as EXPLAIN QUERY PLAN words it.
fn plans(sqls: &[&str; 2]) -> [Vec<String>; 2] {
    let (store, ..) = fixture();
    let conn = store.test_conn();
    let plan = |sql: &str, n: usize| -> Vec<String> {
        let ps: &[i64] = &[0, 1, 7][..n];
        conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(rusqlite::params_from_iter(ps), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    [plan(sqls[0], 2), plan(sqls[1], 3)]
}

/// The latest reply is read from the day's bookings and from the unfiled replies since
/// booking, never by walking every reply the patient ever sent (five years of them at a
/// group), and never from `messages` (a random page of five million texts per reply: the
/// replies carry what the sheet needs, migration 20); a patient's rows through that patient's
/// bookings, not the whole day.
#[test]
fn the_sheet_reads_replies_from_the_day_s_bookings() {
    let has = |plan: &[String], step: &str| plan.iter().position(|p| p.contains(step));
    let [day, patient] = plans(&replies::FILED);
    for (plan, visits) in [
        (&day, "SEARCH d USING COVERING INDEX appointments_by_start"),
        (
            &patient,
            "SEARCH d USING COVERING INDEX appointments_by_patient",
        ),
    ] {
        let visits = has(plan, visits);
        let replies = has(plan, "SEARCH r USING INDEX replies_by_appointment");
        assert!(visits.is_some() && visits < replies, "{plan:#?}");
    }
    let [day, patient] = plans(&replies::UNFILED);
    for plan in [&day, &patient] {
        let since = "SEARCH r USING COVERING INDEX replies_unfiled_by_patient \
                     (patient_id=? AND received_at>? AND received_at<?)";
        assert!(has(plan, since).is_some(), "{plan:#?}");
    }
    for pair in [&replies::FILED, &replies::UNFILED] {
        for plan in plans(pair) {
            assert!(plan.iter().all(|p| !p.contains("messages")), "{plan:#?}");
        }
    }
    assert!(
        has(&patient[..], "appointments_by_patient").is_some(),
        "{patient:#?}"
    );
    // A kept line's unfiled replies: all from their covering index, or one patient's.
    let (store, ..) = fixture();
    for (sql, step) in [
        (
            replies::UNFILED_BETWEEN,
            "SEARCH r USING COVERING INDEX replies_unfiled_by_patient (patient_id>? AND patient_id<?)",
        ),
        (
            replies::UNFILED_OF,
            "SEARCH r USING COVERING INDEX replies_unfiled_by_patient (patient_id=?)",
        ),
    ] {
        let mut stmt = store
            .test_conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let n = stmt.parameter_count();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(std::iter::repeat_n(7, n)), |r| {
                r.get(3)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(plan, [step]);
    }
    let [day, patient] = plans(&SHEET);
    // A day's visits from the start-time index alone (migration 20): no page of the table.
    let visits = "SEARCH a USING COVERING INDEX appointments_by_start";
    assert!(has(&day, visits).is_some(), "{day:#?}");
    assert!(
        has(&patient, "appointments_by_patient").is_some(),
        "{patient:#?}"
    );
}

#[test]
fn hits_carry_next_open_appointment() {
    let (store, p, c, ty) = fixture();
    insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
    let hits = patient_hits(store.test_conn(), "love", t(9, 0), 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].next_appointment, Some(t(15, 0)));
    assert_eq!(hits[0].consent, ConsentFlag::None);
}

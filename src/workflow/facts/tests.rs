use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::AppointmentId;
use crate::domain::reminder::ReminderKey;
use crate::store::appointments::tests::{booking, fixture, t};
use crate::store::messages::NewOutbound;
use crate::store::{Store, Write};
use proptest::prelude::*;

/// The store's reminder-rows query and migration 15 (its back-fill and trigger) name the
/// reminder kinds in SQL, and the store lists those kinds' rows: exactly the kinds the planner
/// counts as reminders, no more, no fewer.
#[test]
fn the_reminder_keys_query_names_exactly_the_reminder_kinds() {
    for sql in [
        store::messages::planner::REMINDER_KEYS,
        crate::store::migrations::REMINDER_PARTS_SQL,
    ] {
        for &kind in MessageKind::ALL {
            assert_eq!(
                sql.contains(&format!("'{}'", kind.as_str())),
                REMINDER_KINDS.contains(&kind),
                "{kind:?}"
            );
        }
    }
    // And the store's insert paths list exactly those kinds' rows.
    for &kind in MessageKind::ALL {
        assert_eq!(
            store::messages::parts::listed(kind),
            REMINDER_KINDS.contains(&kind),
            "{kind:?}"
        );
    }
}

/// The reminder rows as the planner read them before migration 15: every reminder key of
/// each patient of the visits (`messages_reminder_keys`, dropped since), kept when it holds
/// one of the patient's visits at its current start.
fn reminder_rows_by_patient_walk(
    store: &Store,
    appointments: &[Appointment],
) -> Vec<ReminderMessage> {
    let mut parts: std::collections::BTreeMap<PatientId, Vec<String>> = Default::default();
    for a in appointments {
        parts
            .entry(a.patient_id)
            .or_default()
            .push(key_part(a.id, a.start));
    }
    let mut stmt = store
        .test_conn()
        .prepare(
            "SELECT patient_id, id, idempotency_key, status, error_code FROM messages
              WHERE patient_id = ?1 AND direction = 'out'
                AND kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
                AND idempotency_key IS NOT NULL
              ORDER BY id",
        )
        .unwrap();
    let mut out = Vec::new();
    for (p, wanted) in &parts {
        let rows = stmt
            .query_map([p.0], |r| {
                Ok((
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (key, status, error_code) = row.unwrap();
            if crate::domain::reminder::holds_part(&key, wanted) {
                out.push(ReminderMessage {
                    key,
                    status: MessageStatus::parse(&status).unwrap(),
                    error_code,
                });
            }
        }
    }
    out
}

/// Facts as the planner read them one patient and one statement at a time before the reads
/// were batched: every outbound row of the patient, filtered here.
fn facts_one_by_one(
    store: &Store,
    config: &Config,
    id: PatientId,
    now: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> PatientFacts {
    let c = store.test_conn();
    let patient = store::patients::get(c, id).unwrap();
    let consent = ConsentState::from_events(&store::consent::events(c, id).unwrap());
    let mut facts = PatientFacts::new(&patient, config.practice.time_zone, consent);
    let mut all = store::messages::of_kinds(c, id, MessageKind::ALL).unwrap();
    all.retain(|m| Some(m.id) != exclude && counts_as_sent(m.status));
    all.sort_by_key(|m| (m.created_at, m.id));
    facts.recent = all
        .iter()
        .filter(|m| m.created_at >= now - Duration::days(HISTORY_DAYS))
        .map(|m| RecentSend {
            at: m.sent_at.or(m.not_before).unwrap_or(m.created_at),
            kind: m.kind,
        })
        .collect();
    facts.last_outbound = all.iter().map(|m| m.sent_at.unwrap_or(m.created_at)).max();
    facts
}

/// The reminder rows that speak for `appointments`, decided by parsing each key: per patient,
/// oldest first.
fn reminder_rows_by_parsing(store: &Store, appointments: &[Appointment]) -> Vec<ReminderMessage> {
    let mut patients: Vec<PatientId> = appointments.iter().map(|a| a.patient_id).collect();
    patients.sort();
    patients.dedup();
    let mut out = Vec::new();
    for p in patients {
        let rows = store::messages::of_kinds(store.test_conn(), p, REMINDER_KINDS).unwrap();
        for m in rows {
            let Some(key) = m.idempotency_key else {
                continue;
            };
            let covers = ReminderKey::parse(&key).is_some_and(|k| {
                appointments
                    .iter()
                    .any(|a| a.patient_id == p && k.covers_any(a.id, a.start))
            });
            if covers {
                out.push(ReminderMessage {
                    key,
                    status: m.status,
                    error_code: m.error_code,
                });
            }
        }
    }
    out
}

/// One outbound row to write: whose, which kind, which visits its key names (reminders), how
/// long before "now" it was written, and what became of it.
#[derive(Clone, Debug)]
struct Text {
    patient: usize,
    kind: usize,
    parts: Vec<(usize, bool, u32)>,
    hours_before: i64,
    fate: usize,
    /// How it was written: 0–2 by the store, 3 by the generator's bulk insert, 4 by the store
    /// and its patient then erased, 5 by the store and its key then rewritten by hand to name
    /// the next visit too.
    how: usize,
}

fn text() -> impl Strategy<Value = Text> {
    (
        0..3usize,
        0..5usize,
        prop::collection::vec(
            (
                0..6usize,
                any::<bool>(),
                prop::sample::select(vec![24u32, 48]),
            ),
            1..3,
        ),
        0..400i64,
        0..7usize,
        0..6usize,
    )
        .prop_map(|(patient, kind, parts, hours_before, fate, how)| Text {
            patient,
            kind,
            parts,
            hours_before,
            fate,
            how,
        })
}

const KINDS: [MessageKind; 5] = [
    MessageKind::Reminder24h,
    MessageKind::Reminder48h,
    MessageKind::SameDayDouble,
    MessageKind::Welcome,
    MessageKind::Survey,
];

/// The key of `x` (the `n`th text), naming its visits (at their start, or at an earlier one:
/// the visit was moved since), and the visit its row carries (the first one named).
fn key_of(x: &Text, n: usize, visits: &[Appointment]) -> (String, Option<AppointmentId>) {
    let kind = KINDS[x.kind];
    if !super::REMINDER_KINDS.contains(&kind) {
        return (format!("{}:{n}", kind.as_str()), None);
    }
    let parts = x.parts.iter().map(|&(v, moved, offset)| {
        let v = &visits[v % visits.len()];
        let start = if moved {
            v.start - Duration::hours(1)
        } else {
            v.start
        };
        (v.id, start, offset)
    });
    let key = ReminderKey::parts(parts).unwrap();
    let first = key.appointments()[0].0;
    (key.to_string(), Some(first))
}

/// Write `x` (the `n`th text) as [`Text::how`] says; its id, unless its key was taken already.
fn write_text(
    store: &Store,
    n: usize,
    x: &Text,
    patients: &[PatientId],
    visits: &[Appointment],
    now: DateTime<Utc>,
) -> Option<MessageId> {
    let c = store.test_conn();
    let kind = KINDS[x.kind];
    let (key, appointment_id) = key_of(x, n, visits);
    let patient = patients[x.patient % patients.len()];
    // Any order of writing times: a clock fixed per process, or moved back between runs.
    let created = now - Duration::hours(x.hours_before);
    if x.how == 3 {
        return write_in_bulk(c, kind, patient, appointment_id, key, created);
    }
    let id = store::messages::insert_outbound(
        c,
        &NewOutbound {
            kind,
            patient_id: Some(patient),
            appointment_id,
            idempotency_key: &key,
            to: "+12015550134",
            body: "Hi, see you soon. Reply STOP to opt out.",
            encoding: "gsm7",
            segments: 1,
            status: MessageStatus::Pending,
            provider: "twilio",
            findings: None,
            created_by: "system",
            now: created,
            not_before: None,
            send_by: None,
        },
    )
    .unwrap()?;
    let later = created + Duration::minutes(30 + 7 * x.hours_before % 200);
    let refused = [
        MessageStatus::Blocked,
        MessageStatus::Withdrawn,
        MessageStatus::Failed,
        MessageStatus::Undelivered,
    ];
    // A clock moved back between writing and sending: recorded as sent before it was written.
    let earlier = created - Duration::minutes(10 * (30 + 7 * x.hours_before % 200));
    match x.fate {
        0 => {}
        1 | 2 => store::messages::mark_handed_over(
            c,
            id,
            "twilio",
            &format!("SM{n}"),
            MessageStatus::Sent,
            if x.fate == 2 && x.hours_before % 3 == 0 {
                earlier
            } else {
                later
            },
        )
        .unwrap(),
        3 => store::messages::defer(c, id, later, created).unwrap(),
        f => store::messages::set_status(c, id, refused[f - 3], None, later).unwrap(),
    }
    let sql = c;
    match x.how {
        4 => {
            sql.execute(
                "UPDATE messages SET patient_id = NULL WHERE id = ?1",
                [id.0],
            )
            .unwrap();
        }
        5 if appointment_id.is_some() => {
            let next = &visits[(x.parts[0].0 + 1) % visits.len()];
            let rekeyed = format!("{key}+{}", key_part(next.id, next.start));
            // Another row may hold that key already: then this one keeps its own.
            let _ = sql.execute(
                "UPDATE messages SET idempotency_key = ?2 WHERE id = ?1",
                (id.0, rekeyed),
            );
        }
        _ => {}
    }
    Some(id)
}

/// A text as the clinic-group generator writes it (`store::bulk`, its own id, as sent).
fn write_in_bulk(
    c: &impl Write,
    kind: MessageKind,
    patient: PatientId,
    appointment_id: Option<AppointmentId>,
    key: String,
    created: DateTime<Utc>,
) -> Option<MessageId> {
    use crate::domain::message::Direction;
    use crate::store::bulk;
    if store::messages::by_key(c, &key).unwrap().is_some() {
        return None;
    }
    let id = MessageId(bulk::next_id(c, bulk::Table::Messages).unwrap());
    let row = bulk::BulkMessage {
        id,
        direction: Direction::Outbound,
        kind,
        patient_id: patient,
        appointment_id,
        idempotency_key: Some(key),
        to: "+12015550134".into(),
        from: None,
        body: "Hi, see you soon. Reply STOP to opt out.".into(),
        encoding: Some("gsm7"),
        segments: Some(1),
        status: MessageStatus::Delivered,
        provider: "twilio",
        provider_id: Some(format!("SMbulk{}", id.0)),
        error_code: None,
        created_by: "system",
        created_at: created,
        sent_at: Some(created),
        delivered_at: Some(created),
        updated_at: created,
    };
    bulk::insert_messages(c, &[row]).unwrap();
    Some(id)
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 48,
        ..crate::testing::proptest_config("tests/proptest-regressions/workflow/facts/tests.txt")
    })]

    /// The batched reads (one statement for all the patients) give every patient exactly the
    /// facts and reminder rows the one-patient-at-a-time reads gave, whatever their texts,
    /// consent, visits moved since a reminder, and the text left out for a re-check. The
    /// reminder rows read by visit (`reminder_parts`, migration 15) are exactly those the
    /// walk of each patient's reminder keys found, and those found by parsing every key: over
    /// same-day doubles (whose row carries only the first visit's id) with either visit moved
    /// after the text, withdrawn and refused rows, imported visits, texts written by the bulk
    /// insert, erased patients, keys rewritten by hand, and writing times in any order.
    #[test]
    fn batched_reads_give_each_patient_what_reading_them_one_by_one_gave(
        texts in prop::collection::vec(text(), 0..24),
        visits in prop::collection::vec((0..3usize, 0..3i64, 8..18u32, any::<bool>()), 1..7),
        changes in prop::collection::vec((0..7usize, -30..30i64, any::<bool>()), 0..4),
        consent in prop::collection::vec(
            (0..3usize, any::<bool>(), 0..300i64, 0..ConsentMethod::ALL.len(), 0..3usize),
            0..5,
        ),
        exclude in prop::option::of(0..24usize),
    ) {
        let (store, first, clinician, ty) = fixture();
        let c = store.test_conn();
        let now = t(12, 0) + Duration::days(3);
        let mut patients = vec![first];
        for name in ["Grace", "Kofi"] {
            let p = store::patients::NewPatient {
                external_id: None,
                first_name: name.into(),
                last_name: "Okonjo".into(),
                birth_date: None,
                mobile: None,
                time_zone: None,
                portal_active: false,
            };
            patients.push(store::patients::insert(c, &p, t(8, 0)).unwrap());
        }
        let mut appointments = Vec::new();
        for (i, &(p, day, hour, imported)) in visits.iter().enumerate() {
            let mut b = booking(patients[p], clinician, ty, t(hour, 0) + Duration::days(day));
            b.status = AppointmentStatus::Booked;
            b.external_id = imported.then(|| format!("EHR-{i}"));
            let id: AppointmentId = store::appointments::insert(c, &b).unwrap();
            appointments.push(store::appointments::get(c, id).unwrap());
        }
        // Any method, with evidence, blank evidence or none: the consent read from the
        // patient's row (migration 19) is what the events fold to.
        for &(p, opt_in, hours, method, evidence) in &consent {
            let e = ConsentEvent {
                kind: if opt_in { ConsentKind::OptIn } else { ConsentKind::OptOut },
                method: ConsentMethod::ALL[method],
                evidence: [Some("F1".to_string()), Some(" ".into()), None][evidence].clone(),
                recorded_by: "desk".into(),
                at: now - Duration::hours(hours),
            };
            store::consent::append(c, patients[p], &e).unwrap();
        }
        let written: Vec<MessageId> = texts
            .iter()
            .enumerate()
            .filter_map(|(n, x)| write_text(&store, n, x, &patients, &appointments, now))
            .collect();
        let exclude = exclude.and_then(|i| written.get(i).copied());
        // Visits moved (by hours, either way) or cancelled after their texts.
        for &(v, hours, cancel) in &changes {
            let id = appointments[v % appointments.len()].id;
            c.execute(
                    "UPDATE appointments SET start_at = start_at + ?2 * 3600,
                            status = CASE WHEN ?3 THEN 'cancelled' ELSE status END
                      WHERE id = ?1",
                    [id.0, hours, i64::from(cancel)],
                )
                .unwrap();
        }
        let appointments: Vec<Appointment> = appointments
            .iter()
            .map(|a| store::appointments::get(c, a.id).unwrap())
            .collect();
        let config = Config::demo();
        // Asked with a patient twice, in no particular order.
        let asked = [patients[2], patients[0], patients[1], patients[0]];
        let (loaded, unreadable) = load_each(c, &config, &asked, now, exclude).unwrap();
        prop_assert!(unreadable.is_empty());
        prop_assert_eq!(loaded.len(), 3);
        for &p in &patients {
            prop_assert_eq!(&loaded[&p].facts, &facts_one_by_one(&store, &config, p, now, exclude));
        }
        // Any subset of the visits, in any order: the planner is given one day, remind two.
        for some in [&appointments[..], &appointments[..appointments.len() / 2]] {
            let read = reminder_rows(c, some).unwrap();
            prop_assert_eq!(&read, &reminder_rows_by_patient_walk(&store, some));
            prop_assert_eq!(&read, &reminder_rows_by_parsing(&store, some));
        }
    }
}

/// A patient whose record cannot be read is named and left out, the others loaded; a patient
/// who does not exist is an error, as it was.
#[test]
fn an_unreadable_record_is_left_out_and_a_missing_patient_is_an_error() {
    let (store, p, _, _) = fixture();
    let c = store.test_conn();
    let bad = store::patients::insert(
        c,
        &store::patients::NewPatient {
            external_id: None,
            first_name: "Mars".into(),
            last_name: "Colonist".into(),
            birth_date: None,
            mobile: None,
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    c.execute(
        "UPDATE patients SET time_zone = 'Mars/Olympus' WHERE id = ?1",
        [bad.0],
    )
    .unwrap();
    // A consent word this version cannot read (a newer version's, or a hand edit) is that
    // patient's problem alone, too.
    let odd = store::patients::NewPatient {
        external_id: None,
        first_name: "Ada".into(),
        last_name: "Word".into(),
        birth_date: None,
        mobile: None,
        time_zone: None,
        portal_active: false,
    };
    let odd = store::patients::insert(c, &odd, t(8, 0)).unwrap();
    c.execute(
        "UPDATE patients SET consent_kind = 'maybe', consent_method = 'written_form',
                consent_at = 1 WHERE id = ?1",
        [odd.0],
    )
    .unwrap();
    let config = Config::demo();
    let asked = [bad, p, odd, bad];
    let (loaded, unreadable) = load_each(c, &config, &asked, t(12, 0), None).unwrap();
    assert_eq!(loaded.keys().copied().collect::<Vec<_>>(), vec![p]);
    let named: Vec<PatientId> = unreadable.iter().map(|u| u.patient).collect();
    assert_eq!(named, [bad, odd]);
    assert!(
        unreadable[0].reason.contains("Mars/Olympus"),
        "{}",
        unreadable[0].reason
    );
    assert!(
        unreadable[1].reason.contains("maybe"),
        "{}",
        unreadable[1].reason
    );
    assert!(matches!(
        load_each(c, &config, &[p, PatientId(999)], t(12, 0), None),
        Err(StoreError::NotFound { .. })
    ));
}

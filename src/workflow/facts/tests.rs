use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::AppointmentId;
use crate::domain::reminder::ReminderKey;
use crate::store::appointments::tests::{booking, fixture, t};
use crate::store::messages::NewOutbound;
use crate::store::{Store, Write};
use proptest::prelude::*;

/// The store's keys-only query names the reminder kinds in SQL (a partial index needs the
/// literals): exactly the kinds the planner counts as reminders, no more, no fewer.
#[test]
fn the_reminder_keys_query_names_exactly_the_reminder_kinds() {
    let sql = store::messages::planner::REMINDER_KEYS;
    for &kind in MessageKind::ALL {
        assert_eq!(
            sql.contains(&format!("'{}'", kind.as_str())),
            REMINDER_KINDS.contains(&kind),
            "{kind:?}"
        );
    }
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
    )
        .prop_map(|(patient, kind, parts, hours_before, fate)| Text {
            patient,
            kind,
            parts,
            hours_before,
            fate,
        })
}

const KINDS: [MessageKind; 5] = [
    MessageKind::Reminder24h,
    MessageKind::Reminder48h,
    MessageKind::SameDayDouble,
    MessageKind::Welcome,
    MessageKind::Survey,
];

/// Write `x` (the `n`th text); its id, unless its key was taken already.
fn write_text(
    c: &impl Write,
    n: usize,
    x: &Text,
    patients: &[PatientId],
    visits: &[Appointment],
    now: DateTime<Utc>,
) -> Option<MessageId> {
    let kind = KINDS[x.kind];
    let key = if super::REMINDER_KINDS.contains(&kind) {
        // A part names a visit at its start or at an earlier one (the visit was moved since).
        let parts = x.parts.iter().map(|&(v, moved, offset)| {
            let v = &visits[v % visits.len()];
            let start = if moved {
                v.start - Duration::hours(1)
            } else {
                v.start
            };
            (v.id, start, offset)
        });
        ReminderKey::parts(parts).unwrap().to_string()
    } else {
        format!("{}:{n}", kind.as_str())
    };
    let created = now - Duration::hours(x.hours_before);
    let id = store::messages::insert_outbound(
        c,
        &NewOutbound {
            kind,
            patient_id: Some(patients[x.patient % patients.len()]),
            appointment_id: None,
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
    match x.fate {
        0 => {}
        1 | 2 => store::messages::mark_handed_over(
            c,
            id,
            "twilio",
            &format!("SM{n}"),
            MessageStatus::Sent,
            later,
        )
        .unwrap(),
        3 => store::messages::defer(c, id, later, created).unwrap(),
        f => store::messages::set_status(c, id, refused[f - 3], None, later).unwrap(),
    }
    Some(id)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The batched reads (one statement for all the patients) give every patient exactly the
    /// facts and reminder rows the one-patient-at-a-time reads gave, whatever their texts,
    /// consent, visits moved since a reminder, and the text left out for a re-check.
    #[test]
    fn batched_reads_give_each_patient_what_reading_them_one_by_one_gave(
        texts in prop::collection::vec(text(), 0..24),
        visits in prop::collection::vec((0..3usize, 0..3i64, 8..18u32), 1..7),
        consent in prop::collection::vec((0..3usize, any::<bool>(), 0..300i64), 0..5),
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
        for &(p, day, hour) in &visits {
            let mut b = booking(patients[p], clinician, ty, t(hour, 0) + Duration::days(day));
            b.status = AppointmentStatus::Booked;
            let id: AppointmentId = store::appointments::insert(c, &b).unwrap();
            appointments.push(store::appointments::get(c, id).unwrap());
        }
        for &(p, opt_in, hours) in &consent {
            let e = ConsentEvent {
                kind: if opt_in { ConsentKind::OptIn } else { ConsentKind::OptOut },
                method: ConsentMethod::WrittenForm,
                evidence: Some("F1".into()),
                recorded_by: "desk".into(),
                at: now - Duration::hours(hours),
            };
            store::consent::append(c, patients[p], &e).unwrap();
        }
        let written: Vec<MessageId> = texts
            .iter()
            .enumerate()
            .filter_map(|(n, x)| write_text(c, n, x, &patients, &appointments, now))
            .collect();
        let exclude = exclude.and_then(|i| written.get(i).copied());
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
            prop_assert_eq!(
                reminder_rows(c, some).unwrap(),
                reminder_rows_by_parsing(&store, some)
            );
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
    let config = Config::demo();
    let (loaded, unreadable) = load_each(c, &config, &[bad, p, bad], t(12, 0), None).unwrap();
    assert_eq!(loaded.keys().copied().collect::<Vec<_>>(), vec![p]);
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].patient, bad);
    assert!(
        unreadable[0].reason.contains("Mars/Olympus"),
        "{}",
        unreadable[0].reason
    );
    assert!(matches!(
        load_each(c, &config, &[p, PatientId(999)], t(12, 0), None),
        Err(StoreError::NotFound { .. })
    ));
}

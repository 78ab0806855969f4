use super::*;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::phone::E164;
use crate::domain::reminder::reminder_key;
use crate::domain::reply::ReplyKind;
use crate::store::appointments::tests::{booking, fixture, opt_in, t};
use crate::store::messages::{self, NewOutbound};
use crate::store::{Store, appointments as appts, patients};

const BODY: &str = "Riverside: Ada, see you Wed 9:00. Reply STOP to opt out.";

struct Practice {
    store: Store,
    config: Config,
    booked: AppointmentId,
    cancelled: AppointmentId,
}

/// Two appointments on 25 November: 09:00 (reminded 48 h: failed 30005; 24 h: delivered;
/// confirmed by a reply; then completed) and 11:00 (cancelled the day before, never reminded);
/// plus the patient's reply "=cmd|' /C calc'!A0".
fn practice() -> Practice {
    let (mut store, p, c, ty) = fixture();
    let mobile = E164::parse("+12015550134", "US").unwrap();
    patients::set_mobile(store.test_conn(), p, Some(&mobile)).unwrap();
    opt_in(&store, p, t(8, 0) - Duration::days(60));
    let config = Config::default();
    let (booked, cancelled) = store
        .write(|conn| -> Result<_, StoreError> {
            let mut b = booking(p, c, ty, t(14, 0));
            b.booked_at = t(14, 0) - Duration::days(7);
            b.external_id = Some("PMS-1".into());
            let a = appts::insert(conn, &b)?;
            let mut b2 = booking(p, c, ty, t(16, 0));
            b2.booked_at = t(14, 0) - Duration::days(7);
            let x = appts::insert(conn, &b2)?;
            for (offset, status, code) in [
                (48, MessageStatus::Failed, Some("30005")),
                (24, MessageStatus::Delivered, None),
            ] {
                let at = t(14, 0) - Duration::hours(offset);
                let key = reminder_key(a, t(14, 0), offset as u32);
                let m = messages::insert_outbound(
                    conn,
                    &NewOutbound {
                        kind: MessageKind::Reminder24h,
                        patient_id: Some(p),
                        appointment_id: Some(a),
                        idempotency_key: &key,
                        to: mobile.as_str(),
                        body: BODY,
                        encoding: "gsm7",
                        segments: 1,
                        status: MessageStatus::Pending,
                        provider: "twilio",
                        findings: None,
                        created_by: "system",
                        now: at,
                        not_before: None,
                        send_by: None,
                    },
                )?
                .unwrap();
                let sid = format!("SM{offset}");
                messages::mark_handed_over(conn, m, "twilio", &sid, MessageStatus::Sent, at)?;
                messages::apply_provider_status(
                    conn,
                    "twilio",
                    &sid,
                    status,
                    code,
                    at + Duration::seconds(30),
                )?;
            }
            let r = messages::insert_inbound(
                conn,
                &messages::NewInbound {
                    patient: Some(p),
                    from: mobile.as_str(),
                    to: "+15555550123",
                    body: "=cmd|' /C calc'!A0",
                    provider: "twilio",
                    provider_id: "SMin",
                    at: t(13, 0),
                },
            )?
            .unwrap();
            messages::classify_reply(conn, r, ReplyKind::Confirm, Some(a))?;
            use AppointmentStatus::*;
            appts::set_status(conn, a, Booked, Arrived, "desk", t(13, 55))?;
            appts::set_status(conn, a, Arrived, Completed, "desk", t(14, 30))?;
            appts::set_status(
                conn,
                x,
                Booked,
                Cancelled,
                "desk",
                t(16, 0) - Duration::hours(26),
            )?;
            Ok((a, x))
        })
        .unwrap();
    Practice {
        store,
        config,
        booked,
        cancelled,
    }
}

fn two_days() -> Period {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    Period::new(d, d.succ_opt().unwrap()).unwrap()
}

fn day() -> Period {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    Period::new(d, d).unwrap()
}

fn audit_as(format: &'static str) -> AuditAs<'static> {
    AuditAs {
        actor: "manager",
        now: t(23, 0),
        format,
    }
}

#[test]
fn appointments_export_each_reminder_with_its_outcome_and_reason() {
    let mut p = practice();
    let config = p.config.clone();
    let export = p
        .store
        .write(|c| appointments(c, &config, day(), &audit_as("csv")))
        .unwrap();
    assert_eq!(export.offsets, vec![48, 24]);
    let [a, x] = &export.rows[..] else {
        panic!("{:?}", export.rows)
    };
    assert_eq!((a.id, x.id), (p.booked.0, p.cancelled.0));
    assert_eq!(a.start, "2026-11-25T09:00:00-05:00");
    assert_eq!((a.status, a.confirmed), ("completed", true));
    assert_eq!(a.confirmed_at.as_deref(), Some("2026-11-25T08:00:00-05:00"));
    assert_eq!(x.status, "cancelled");
    let csv = appointments_csv(&export);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,external_id,patient_id,start,clinician,type,status,confirmed,confirmed_at,reminder_48h,reminder_48h_reason,reminder_24h,reminder_24h_reason"
    );
    assert!(
        lines[1].ends_with(",completed,yes,2026-11-25T08:00:00-05:00,failed,30005,delivered,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].starts_with(&format!("{},PMS-1,", p.booked)),
        "{}",
        lines[1]
    );
    // Cancelled 26 h ahead: the 48 h reminder's moment came first and nothing was recorded;
    // the 24 h one came after the cancellation.
    assert!(lines[2].ends_with(",cancelled,no,,not_sent,\"no record of why (reminders not run, or held by a frequency cap)\",not_sent,cancelled"), "{}", lines[2]);
    let audit = crate::store::audit::for_subject(p.store.test_conn(), "practice").unwrap();
    let last = audit.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("export.appointments", "manager")
    );
    assert!(last.detail.contains("\"rows\":2"), "{}", last.detail);
    assert!(!last.detail.contains("Okafor") && !last.detail.contains("Ada"));
}

#[test]
fn message_bodies_only_when_asked_and_guarded_in_csv() {
    let mut p = practice();
    let config = p.config.clone();
    let rows = p
        .store
        .write(|c| messages(c, &config, two_days(), false, &audit_as("json")))
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the 48 h reminder was written the day before"
    );
    assert!(rows.iter().all(|m| m.body.is_none()));
    let json = serde_json::to_string(&rows).unwrap();
    assert!(!json.contains("body") && !json.contains("STOP"), "{json}");
    let csv = messages_csv(&rows, false);
    assert!(!csv.lines().next().unwrap().contains("body"));
    let delivered = rows.iter().find(|m| m.status == "delivered").unwrap();
    assert_eq!(
        delivered.delivered_at.as_deref(),
        Some("2026-11-24T09:00:30-05:00")
    );

    let rows = p
        .store
        .write(|c| messages(c, &config, two_days(), true, &audit_as("csv")))
        .unwrap();
    let csv = messages_csv(&rows, true);
    assert!(csv.contains(BODY), "{csv}");
    assert!(
        csv.ends_with(",'=cmd|' /C calc'!A0\n"),
        "formula guarded: {csv}"
    );
    let audit = crate::store::audit::for_subject(p.store.test_conn(), "practice").unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "export.messages");
    assert!(last.detail.contains("\"with_bodies\":true"));
    assert!(!last.detail.contains("STOP") && !last.detail.contains("calc"));
}

#[test]
fn an_empty_period_exports_a_header_and_is_still_audited() {
    let mut p = practice();
    let config = p.config.clone();
    let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let period = Period::new(d, d).unwrap();
    let export = p
        .store
        .write(|c| appointments(c, &config, period, &audit_as("csv")))
        .unwrap();
    assert!(export.rows.is_empty());
    assert_eq!(appointments_csv(&export).lines().count(), 1);
    let audit = crate::store::audit::for_subject(p.store.test_conn(), "practice").unwrap();
    assert!(audit.last().unwrap().detail.contains("\"rows\":0"));
}

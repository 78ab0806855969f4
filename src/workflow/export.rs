//! Exports for managers (SPEC §4): one row per appointment with its status, confirmation and
//! each reminder's outcome and reason, or one row per message; as CSV or JSON. Each export
//! is audited with what, which period, the format and the row count (never PHI).
//!
//! Call the loaders inside a transaction (`Store::write`) so the audit record and the read
//! are one unit. Who may export (managers; bodies only for them) is checked by the caller
//! once staff sign-in exists.

use crate::store::Db;
use crate::store::Write;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::Config;
use crate::domain::audit::{ExportEvent, ExportKind};
use crate::domain::csv::{self, Cell};
use crate::domain::export::{
    RecordedReminder, ReminderContext, ReminderOutcome, reminder_outcomes,
};
use crate::domain::ids::AppointmentId;
use crate::domain::reminder::ReminderKey;
use crate::domain::stats::Period;
use crate::store::{self, StoreError};

/// A time in the practice's zone with its offset (unambiguous on the night clocks go back).
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339()
}

/// One appointment, exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppointmentRow {
    pub id: i64,
    pub external_id: Option<String>,
    pub patient_id: i64,
    /// Local time with offset.
    pub start: String,
    pub clinician: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub status: &'static str,
    pub confirmed: bool,
    pub confirmed_at: Option<String>,
    pub reminders: Vec<ReminderOutcome>,
}

/// The appointment export: the offsets its reminder columns are for, and the rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppointmentExport {
    pub offsets: Vec<u32>,
    pub rows: Vec<AppointmentRow>,
}

/// One message, exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    pub id: i64,
    pub created_at: String,
    pub direction: &'static str,
    pub kind: &'static str,
    pub status: &'static str,
    pub error_code: Option<String>,
    pub patient_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub provider: String,
    pub segments: Option<u32>,
    pub sent_at: Option<String>,
    pub delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Load the appointment export of `period` and record it in the audit log.
pub fn appointments(
    conn: &impl Write,
    config: &Config,
    period: Period,
    audit: &AuditAs<'_>,
) -> Result<AppointmentExport, StoreError> {
    let tz = config.practice.time_zone;
    let (from, to) = period.bounds(tz);
    let appts = store::exports::appointments(conn, from, to)?;
    let max_offset = config
        .reminders
        .offsets_hours
        .iter()
        .copied()
        .max()
        .unwrap_or(48);
    let earliest = from - Duration::hours(i64::from(max_offset) + 72);
    let recorded = recorded_by_appointment(conn, &appts, earliest, to)?;
    let consent = store::stats::consent_events(conn)?;
    let mobiles = store::stats::patients_with_mobile(conn)?;
    let mut offsets = config.reminders.offsets_hours.clone();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    let rows: Vec<AppointmentRow> = appts
        .iter()
        .map(|a| {
            let f = &a.facts;
            let reminders = reminder_outcomes(&ReminderContext {
                appointment: f,
                offsets: &config.reminders.offsets_hours,
                recorded: recorded.get(&f.id).map_or(&[][..], Vec::as_slice),
                has_mobile: mobiles.contains(f.patient_id),
                consent: consent.get(&f.patient_id).map_or(&[][..], Vec::as_slice),
                min_lead_minutes: config.reminders.min_lead_minutes,
                now: audit.now,
            });
            for r in &reminders {
                if !offsets.contains(&r.offset_hours) {
                    offsets.push(r.offset_hours);
                }
            }
            AppointmentRow {
                id: f.id.0,
                external_id: a.external_id.clone(),
                patient_id: f.patient_id.0,
                start: local(f.start, tz),
                clinician: a.clinician.clone(),
                type_name: a.type_name.clone(),
                status: f.status.as_str(),
                confirmed: f.confirmed_at.is_some_and(|t| t < f.start),
                confirmed_at: f.confirmed_at.map(|t| local(t, tz)),
                reminders,
            }
        })
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    audit.record(conn, ExportKind::Appointments, Some(period), rows.len())?;
    Ok(AppointmentExport { offsets, rows })
}

/// Reminder rows matched to the appointments they cover at their current start.
fn recorded_by_appointment(
    conn: &impl Db,
    appts: &[store::exports::ExportAppointment],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<AppointmentId, Vec<RecordedReminder>>, StoreError> {
    let starts: HashMap<AppointmentId, DateTime<Utc>> =
        appts.iter().map(|a| (a.facts.id, a.facts.start)).collect();
    let mut out: HashMap<AppointmentId, Vec<RecordedReminder>> = HashMap::new();
    for m in store::exports::reminder_messages(conn, from, to)? {
        let Some(key) = ReminderKey::parse(&m.key) else {
            continue;
        };
        for (id, start) in key.appointments() {
            if starts.get(id) == Some(start) {
                out.entry(*id).or_default().push(RecordedReminder {
                    offset_hours: key.offset_hours(),
                    status: m.status,
                    error_code: m.error_code.clone(),
                    withdrawn_reason: m.withdrawn_reason.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Load the message export of `period` (bodies only when asked) and record it.
pub fn messages(
    conn: &impl Write,
    config: &Config,
    period: Period,
    with_bodies: bool,
    audit: &AuditAs<'_>,
) -> Result<Vec<MessageRow>, StoreError> {
    let tz = config.practice.time_zone;
    let (from, to) = period.bounds(tz);
    let rows: Vec<MessageRow> = store::exports::messages(conn, from, to, with_bodies)?
        .into_iter()
        .map(|m| MessageRow {
            id: m.id.0,
            created_at: local(m.created_at, tz),
            direction: m.direction.as_str(),
            kind: m.kind.as_str(),
            status: m.status.as_str(),
            error_code: m.error_code,
            patient_id: m.patient_id.map(|p| p.0),
            appointment_id: m.appointment_id.map(|a| a.0),
            provider: m.provider,
            segments: m.segments,
            sent_at: m.sent_at.map(|t| local(t, tz)),
            delivered_at: m.delivered_at.map(|t| local(t, tz)),
            body: m.body,
        })
        .collect();
    let mut event = audit.event(ExportKind::Messages, Some(period), rows.len());
    event.with_bodies = with_bodies;
    store::audit::append(conn, &event.audit_entry(audit.actor, audit.now))?;
    Ok(rows)
}

/// Who exports, when, in which format: what every export's audit record needs.
#[derive(Clone, Copy, Debug)]
pub struct AuditAs<'a> {
    pub actor: &'a str,
    pub now: DateTime<Utc>,
    pub format: &'static str,
}

impl AuditAs<'_> {
    pub fn event(&self, kind: ExportKind, period: Option<Period>, rows: usize) -> ExportEvent {
        ExportEvent {
            kind,
            from: period.map(|p| p.from),
            to: period.map(|p| p.to),
            patient: None,
            format: self.format,
            rows,
            with_bodies: false,
        }
    }

    pub fn record(
        &self,
        conn: &impl Write,
        kind: ExportKind,
        period: Option<Period>,
        rows: usize,
    ) -> Result<(), StoreError> {
        let entry = self
            .event(kind, period, rows)
            .audit_entry(self.actor, self.now);
        store::audit::append(conn, &entry)?;
        Ok(())
    }
}

/// The appointment export as CSV: two columns per reminder offset (outcome, reason).
pub fn appointments_csv(export: &AppointmentExport) -> String {
    let mut names: Vec<String> = [
        "id",
        "external_id",
        "patient_id",
        "start",
        "clinician",
        "type",
        "status",
        "confirmed",
        "confirmed_at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for o in &export.offsets {
        names.push(format!("reminder_{o}h"));
        names.push(format!("reminder_{o}h_reason"));
    }
    let mut out = csv::header(&names.iter().map(String::as_str).collect::<Vec<_>>());
    for r in &export.rows {
        let mut cells = vec![
            Cell::raw(r.id.to_string()),
            Cell::opt(r.external_id.as_deref()),
            Cell::raw(r.patient_id.to_string()),
            Cell::raw(r.start.as_str()),
            Cell::text(r.clinician.as_str()),
            Cell::text(r.type_name.as_str()),
            Cell::raw(r.status),
            Cell::raw(if r.confirmed { "yes" } else { "no" }),
            Cell::num(r.confirmed_at.as_deref()),
        ];
        for o in &export.offsets {
            match r.reminders.iter().find(|x| x.offset_hours == *o) {
                Some(x) => {
                    cells.push(Cell::raw(x.outcome.as_str()));
                    cells.push(Cell::opt(x.reason.as_deref()));
                }
                None => cells.extend([Cell::Empty, Cell::Empty]),
            }
        }
        out.push_str(&csv::record(&cells));
    }
    out
}

/// The message export as CSV (a `body` column only when bodies were asked for).
pub fn messages_csv(rows: &[MessageRow], with_bodies: bool) -> String {
    let mut names = vec![
        "id",
        "created_at",
        "direction",
        "kind",
        "status",
        "error_code",
        "patient_id",
        "appointment_id",
        "provider",
        "segments",
        "sent_at",
        "delivered_at",
    ];
    if with_bodies {
        names.push("body");
    }
    let mut out = csv::header(&names);
    for m in rows {
        let mut cells = vec![
            Cell::raw(m.id.to_string()),
            Cell::raw(m.created_at.as_str()),
            Cell::raw(m.direction),
            Cell::raw(m.kind),
            Cell::raw(m.status),
            Cell::opt(m.error_code.as_deref()),
            Cell::num(m.patient_id),
            Cell::num(m.appointment_id),
            Cell::text(m.provider.as_str()),
            Cell::num(m.segments),
            Cell::num(m.sent_at.as_deref()),
            Cell::num(m.delivered_at.as_deref()),
        ];
        if with_bodies {
            cells.push(Cell::opt(m.body.as_deref()));
        }
        out.push_str(&csv::record(&cells));
    }
    out
}

#[cfg(test)]
mod tests;

//! Idempotency keys for outbound messages (SPEC §5.8): the store puts them under the UNIQUE
//! index on `messages.idempotency_key`, and the row is written before the provider is called,
//! so a key can only ever be sent once.
//!
//! A reminder's key is its appointment(s), each with the start it was reminded for and the
//! offset it was reminded at: a rescheduled appointment has a new start and so earns fresh
//! reminders. Appointments reminded together in one text each keep their own offset (one may
//! be at its 24-hour reminder while the next day's is at its 48-hour one); a part whose offset
//! differs from the first part's carries it in front.
//!
//! ```text
//! reminder:24h:123@2026-11-25T15:30:00Z                             one appointment
//! reminder:24h:123@2026-11-25T15:30:00Z+124@2026-11-25T19:45:00Z    same-day double booking
//! reminder:24h:123@2026-11-25T15:30:00Z+48h:124@2026-11-26T14:00:00Z   two days, one text
//! ```

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::ids::{AppointmentId, PatientId};

/// The key of one reminder message: which appointments (at which start, at which offset).
/// Parts are kept in (start, id) order, so equal sets give equal keys. Serialises as its
/// stored string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReminderKey {
    appointments: Vec<(AppointmentId, DateTime<Utc>)>,
    /// The offset of each part, in the same order.
    offsets: Vec<u32>,
}

impl ReminderKey {
    /// One appointment's reminder.
    pub fn single(id: AppointmentId, start: DateTime<Utc>, offset_hours: u32) -> Self {
        Self {
            appointments: vec![(id, start)],
            offsets: vec![offset_hours],
        }
    }

    /// One text for several appointments, all at one offset (a same-day double booking).
    /// `None` when empty.
    pub fn group(
        appointments: impl IntoIterator<Item = (AppointmentId, DateTime<Utc>)>,
        offset_hours: u32,
    ) -> Option<Self> {
        Self::parts(
            appointments
                .into_iter()
                .map(|(id, start)| (id, start, offset_hours)),
        )
    }

    /// One text for several appointments, each at its own offset. `None` when empty; an
    /// appointment given twice keeps its first offset.
    pub fn parts(
        parts: impl IntoIterator<Item = (AppointmentId, DateTime<Utc>, u32)>,
    ) -> Option<Self> {
        let mut parts: Vec<_> = parts.into_iter().collect();
        parts.sort_by_key(|&(id, start, _)| (start, id));
        parts.dedup_by_key(|&mut (id, start, _)| (id, start));
        (!parts.is_empty()).then(|| Self {
            appointments: parts.iter().map(|&(id, start, _)| (id, start)).collect(),
            offsets: parts.iter().map(|&(_, _, o)| o).collect(),
        })
    }

    /// The first part's offset (the whole key's, when all parts share one).
    pub fn offset_hours(&self) -> u32 {
        self.offsets.first().copied().unwrap_or(0)
    }

    /// The appointments the message covers, in start order (never empty).
    pub fn appointments(&self) -> &[(AppointmentId, DateTime<Utc>)] {
        &self.appointments
    }

    /// Every part: appointment, the start it was reminded for, the offset.
    pub fn each(&self) -> impl Iterator<Item = (AppointmentId, DateTime<Utc>, u32)> + '_ {
        self.appointments
            .iter()
            .zip(&self.offsets)
            .map(|(&(id, start), &o)| (id, start, o))
    }

    /// Does this message remind `id` at `start` for `offset_hours`?
    pub fn covers(&self, id: AppointmentId, start: DateTime<Utc>, offset_hours: u32) -> bool {
        self.each().any(|part| part == (id, start, offset_hours))
    }

    /// Does this message remind `id` at `start`, at any offset?
    pub fn covers_any(&self, id: AppointmentId, start: DateTime<Utc>) -> bool {
        self.appointments.contains(&(id, start))
    }

    /// Read a stored key back; `None` for anything that is not a reminder key (other sends
    /// have keys of their own shapes).
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("reminder:")?;
        let (offset, list) = rest.split_once("h:")?;
        let head: u32 = offset.parse().ok()?;
        let parts = list
            .split('+')
            .map(|part| {
                let (left, start) = part.split_once('@')?;
                let (offset, id) = match left.split_once("h:") {
                    Some((o, id)) => (o.parse().ok()?, id),
                    None => (head, left),
                };
                let start = DateTime::parse_from_rfc3339(start)
                    .ok()?
                    .with_timezone(&Utc);
                Some((AppointmentId(id.parse().ok()?), start, offset))
            })
            .collect::<Option<Vec<_>>>()?;
        Self::parts(parts)
    }
}

/// The text a stored key holds for appointment `id` at `start` when it covers it (any offset):
/// `{id}@{start}`, right behind the `:` of the head or of its own offset, or behind a `+`
/// ([`holds_part`]). The store finds a patient's rows that may speak for a visit with these
/// before anything is parsed.
pub fn key_part(id: AppointmentId, start: DateTime<Utc>) -> String {
    format!("{id}@{}", start.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Whether the stored key `key` holds one of `parts` ([`key_part`]) as a part: right behind a
/// `:` or a `+`. Every key covering a part holds it so; a key for another visit or another
/// start does not (the leading character keeps `12@…` out of `112@…`). Only the few `:` and
/// `+` of the key are looked at: a day of a clinic group checks ~37,000 keys.
pub fn holds_part(key: &str, parts: &[String]) -> bool {
    key.bytes().enumerate().any(|(i, b)| {
        (b == b':' || b == b'+')
            && parts
                .iter()
                .any(|p| key.as_bytes()[i + 1..].starts_with(p.as_bytes()))
    })
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.offset_hours();
        write!(f, "reminder:{head}h:")?;
        for (i, (id, start, offset)) in self.each().enumerate() {
            if i > 0 {
                f.write_str("+")?;
                if offset != head {
                    write!(f, "{offset}h:")?;
                }
            }
            write!(
                f,
                "{id}@{}",
                start.to_rfc3339_opts(SecondsFormat::Secs, true)
            )?;
        }
        Ok(())
    }
}

impl TryFrom<String> for ReminderKey {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("{value:?} is not a reminder key"))
    }
}

impl From<ReminderKey> for String {
    fn from(key: ReminderKey) -> Self {
        key.to_string()
    }
}

/// The idempotency key of one appointment's reminder: appointment + its start + offset.
pub fn reminder_key(id: AppointmentId, start: DateTime<Utc>, offset_hours: u32) -> String {
    ReminderKey::single(id, start, offset_hours).to_string()
}

/// The onboarding welcome goes to a patient once.
pub fn welcome_key(patient: PatientId) -> String {
    format!("welcome:{patient}")
}

/// One survey link per visit.
pub fn survey_key(appointment: AppointmentId) -> String {
    format!("survey:{appointment}")
}

/// One closure / schedule-change notice per appointment and start it was about.
pub fn closure_key(appointment: AppointmentId, start: DateTime<Utc>) -> String {
    format!(
        "closure:{appointment}@{}",
        start.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    #[test]
    fn single_key_reads_as_documented_and_round_trips() {
        let k = ReminderKey::single(AppointmentId(123), t(15, 30), 24);
        assert_eq!(k.to_string(), "reminder:24h:123@2026-11-25T15:30:00Z");
        assert_eq!(
            reminder_key(AppointmentId(123), t(15, 30), 24),
            k.to_string()
        );
        assert_eq!(ReminderKey::parse(&k.to_string()), Some(k));
    }

    #[test]
    fn group_key_is_order_independent_and_covers_each_appointment() {
        let a = ReminderKey::group(
            [
                (AppointmentId(124), t(19, 45)),
                (AppointmentId(123), t(15, 30)),
            ],
            48,
        )
        .unwrap();
        let b = ReminderKey::group(
            [
                (AppointmentId(123), t(15, 30)),
                (AppointmentId(124), t(19, 45)),
            ],
            48,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.to_string(),
            "reminder:48h:123@2026-11-25T15:30:00Z+124@2026-11-25T19:45:00Z"
        );
        assert_eq!(ReminderKey::parse(&a.to_string()), Some(a.clone()));
        assert!(a.covers(AppointmentId(124), t(19, 45), 48));
        assert!(!a.covers(AppointmentId(124), t(19, 45), 24));
        assert!(ReminderKey::group([], 24).is_none());
    }

    #[test]
    fn parts_at_different_offsets_keep_their_own_and_round_trip() {
        let k = ReminderKey::parts([
            (
                AppointmentId(124),
                t(19, 45) + chrono::Duration::days(1),
                48,
            ),
            (AppointmentId(123), t(15, 30), 24),
        ])
        .unwrap();
        assert_eq!(
            k.to_string(),
            "reminder:24h:123@2026-11-25T15:30:00Z+48h:124@2026-11-26T19:45:00Z"
        );
        assert_eq!(ReminderKey::parse(&k.to_string()), Some(k.clone()));
        assert!(k.covers(AppointmentId(123), t(15, 30), 24));
        assert!(k.covers(
            AppointmentId(124),
            t(19, 45) + chrono::Duration::days(1),
            48
        ));
        assert!(!k.covers(
            AppointmentId(124),
            t(19, 45) + chrono::Duration::days(1),
            24
        ));
        // Keys written before parts had offsets of their own read as before.
        let old = "reminder:48h:123@2026-11-25T15:30:00Z+124@2026-11-25T19:45:00Z";
        let k = ReminderKey::parse(old).unwrap();
        assert_eq!(k.to_string(), old);
        assert!(k.each().all(|(_, _, o)| o == 48));
    }

    #[test]
    fn a_reschedule_earns_a_new_key() {
        let before = reminder_key(AppointmentId(7), t(15, 30), 24);
        let after = reminder_key(AppointmentId(7), t(16, 0), 24);
        assert_ne!(before, after);
        assert!(
            !ReminderKey::parse(&before)
                .unwrap()
                .covers(AppointmentId(7), t(16, 0), 24)
        );
    }

    #[test]
    fn a_key_holds_each_part_it_covers_and_none_of_any_other() {
        let at = |h| {
            DateTime::parse_from_rfc3339(&format!("2026-11-25T{h}:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let a = AppointmentId(12);
        let keys = [
            ReminderKey::single(a, at("15"), 24),
            ReminderKey::parts([(AppointmentId(7), at("09"), 24), (a, at("15"), 24)]).unwrap(),
            ReminderKey::parts([(AppointmentId(7), at("09"), 24), (a, at("15"), 48)]).unwrap(),
            ReminderKey::parts([(a, at("15"), 48), (AppointmentId(99), at("18"), 24)]).unwrap(),
        ];
        for key in &keys {
            assert!(key.covers_any(a, at("15")), "{key}");
            let text = key.to_string();
            assert!(holds_part(&text, &[key_part(a, at("15"))]), "{text}");
            // Among parts of other visits too.
            let others = [key_part(AppointmentId(3), at("15")), key_part(a, at("15"))];
            assert!(holds_part(&text, &others), "{text}");
        }
        for (id, start) in [
            (AppointmentId(112), at("15")),
            (AppointmentId(2), at("15")),
            (a, at("16")),
        ] {
            for key in &keys {
                let text = key.to_string();
                assert!(
                    !holds_part(&text, &[key_part(id, start)]),
                    "{id}@{start} in {text}"
                );
            }
        }
    }

    #[test]
    fn other_keys_are_not_reminder_keys() {
        for s in [
            welcome_key(PatientId(1)),
            survey_key(AppointmentId(2)),
            closure_key(AppointmentId(3), t(9, 0)),
            "reminder:xh:1@2026-11-25T15:30:00Z".into(),
            "reminder:24h:1@yesterday".into(),
            "reminder:24h:".into(),
        ] {
            assert_eq!(ReminderKey::parse(&s), None, "{s}");
        }
        assert_eq!(
            closure_key(AppointmentId(3), t(9, 0)),
            "closure:3@2026-11-25T09:00:00Z"
        );
    }
}

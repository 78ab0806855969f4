//! The group's appointment book: 15-minute slots, 08:00–18:00 on weekdays and 08:00–12:00
//! on Saturdays, at every clinician, filled so that the whole span holds the target count;
//! each booked by a patient of the clinician's site who was already a patient, some weeks
//! ahead, with the outcome the day had (or, ahead of `now`, booked or cancelled).
//! Appointments come out in start order: the index + 1 is the id.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::people::Person;
use super::{GroupScale, Span};
use crate::domain::appointment::AppointmentStatus;

/// Every appointment is one slot long.
pub const SLOT_MINUTES: i64 = 15;

/// One appointment (times in seconds since the epoch, UTC); the index in the book + 1 is its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appt {
    pub patient: u32,
    pub clinician: u16,
    pub type_ix: u8,
    pub start: i64,
    pub booked: i64,
    pub status: AppointmentStatus,
    /// When the desk last changed the status (arrived/completed/no-show/cancelled).
    pub changed: Option<i64>,
    pub confirmed: Option<i64>,
    pub cancelled: Option<i64>,
    pub callback: bool,
}

/// Slots in a day: weekdays 40, Saturdays 16, Sundays none.
fn slots(day: NaiveDate) -> usize {
    match day.weekday() {
        Weekday::Sun => 0,
        Weekday::Sat => 16,
        _ => 40,
    }
}

/// The book, in start order.
pub fn book(
    seed: u64,
    scale: &GroupScale,
    people: &[Person],
    clinicians: &[(String, u8)],
    (tz, span): (Tz, Span),
) -> Vec<Appt> {
    let days: Vec<NaiveDate> = span.days().collect();
    let total_slots: usize = days.iter().map(|&d| slots(d)).sum::<usize>() * clinicians.len();
    let fill = (scale.appointments as f64 / total_slots.max(1) as f64).min(1.0);
    let by_site = patients_by_site(people, scale.sites);
    let mut out = Vec::with_capacity(scale.appointments + scale.appointments / 50);
    for day in days {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xB00C_0000 ^ day.num_days_from_ce() as u64);
        for slot in 0..slots(day) {
            let local = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN)
                + Duration::minutes(SLOT_MINUTES * slot as i64);
            let Some(start) = tz.from_local_datetime(&day.and_time(local)).earliest() else {
                continue;
            };
            let start = start.timestamp();
            for (c, (_, site)) in clinicians.iter().enumerate() {
                if !rng.random_bool(fill) {
                    continue;
                }
                let booked = start - lead(&mut rng);
                let site_patients = &by_site[usize::from(*site)];
                // Only someone who was already a patient when the booking was made.
                let known = site_patients.partition_point(|&(created, _)| created <= booked);
                if known == 0 {
                    continue;
                }
                let patient = site_patients[rng.random_range(0..known)].1;
                out.push(appointment(
                    &mut rng,
                    (patient, c as u16),
                    start,
                    booked,
                    span.now,
                ));
            }
        }
    }
    out
}

/// Each site's patients as (created, index), oldest first.
fn patients_by_site(people: &[Person], sites: usize) -> Vec<Vec<(i64, u32)>> {
    let mut by_site = vec![Vec::new(); sites];
    for (i, p) in people.iter().enumerate() {
        by_site[usize::from(p.site)].push((p.created, i as u32));
    }
    for site in &mut by_site {
        site.sort_unstable();
    }
    by_site
}

/// How long before the start it was booked: mostly weeks, some days, a few the same day.
fn lead(rng: &mut ChaCha8Rng) -> i64 {
    let roll: f64 = rng.random();
    let hours = if roll < 0.05 {
        rng.random_range(2..20)
    } else if roll < 0.20 {
        rng.random_range(20..96)
    } else {
        rng.random_range(5 * 24..60 * 24)
    };
    hours * 3600 + rng.random_range(0..3600)
}

fn appointment(
    rng: &mut ChaCha8Rng,
    (patient, clinician): (u32, u16),
    start: i64,
    booked: i64,
    now: i64,
) -> Appt {
    use AppointmentStatus::*;
    let booked = booked.min(now);
    let end = start + SLOT_MINUTES * 60;
    let roll: f64 = rng.random();
    let mut a = Appt {
        patient,
        clinician,
        type_ix: rng.random_range(0..super::super::TYPES.len()) as u8,
        start,
        booked,
        status: Booked,
        changed: None,
        confirmed: None,
        cancelled: None,
        callback: false,
    };
    let cancel_at = |notice_hours: i64| (start - notice_hours * 3600).max(booked).min(now);
    if now >= end + 1800 {
        // The past: ~6 % cancelled (some late), ~8.5 % of the rest no-shows, the others seen.
        if roll < 0.06 {
            let at = cancel_at([2, 6, 20, 30, 50, 80, 150, 300][rng.random_range(0..8)]);
            (a.status, a.changed, a.cancelled) = (Cancelled, Some(at), Some(at));
        } else {
            let status = if roll < 0.14 { NoShow } else { Completed };
            (a.status, a.changed) = (status, Some(end + rng.random_range(0..1800)));
        }
    } else if now >= start {
        let status = if roll < 0.85 { Arrived } else { Booked };
        a.status = status;
        a.changed = (status == Arrived).then_some(start);
    } else if roll < 0.04 {
        let at = booked + (now - booked) / 2;
        (a.status, a.changed, a.cancelled) = (Cancelled, Some(at), Some(at));
    }
    a
}

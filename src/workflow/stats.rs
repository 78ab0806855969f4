//! The statistics of a period (SPEC §7): load the rows (`store::stats`), compute
//! (`domain::stats::compute`). The console's statistics screen and `frontdesk stats` both
//! call [`compute`], so they show the same numbers.

use crate::store::Db;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::config::Config;
use crate::domain::stats::{self, Names, Period, Preset, Rules, StatsInput, StatsReport};
use crate::store::{self, StoreError};

/// Reminders are written at most the earliest offset before the start; this much more is
/// read in case the offsets were longer when older reminders went out.
const REMINDER_MARGIN: Duration = Duration::hours(72);

/// The practice's local date at `now`.
pub fn today(config: &Config, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&config.practice.time_zone).date_naive()
}

/// The default period: the four weeks ending today.
pub fn default_period(config: &Config, now: DateTime<Utc>) -> Period {
    Period::preset(Preset::Last4Weeks, today(config, now))
}

/// Compute the statistics of `period` as of `now`.
pub fn compute(
    conn: &impl Db,
    config: &Config,
    period: Period,
    now: DateTime<Utc>,
) -> Result<StatsReport, StoreError> {
    let tz = config.practice.time_zone;
    let (from, to) = period.bounds(tz);
    let rules = Rules {
        max_offset_hours: config
            .reminders
            .offsets_hours
            .iter()
            .copied()
            .max()
            .unwrap_or(48),
        min_lead_minutes: config.reminders.min_lead_minutes,
    };
    let earliest = from - Duration::hours(i64::from(rules.max_offset_hours)) - REMINDER_MARGIN;
    let rows = store::stats::period_rows(conn, from, to, earliest)?;
    let names = Names {
        clinicians: store::reference::clinicians(conn)?
            .into_iter()
            .map(|c| (c.id, c.display_name))
            .collect(),
        types: store::reference::types(conn)?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
    };
    Ok(stats::compute(&StatsInput {
        period,
        tz,
        now,
        rules,
        appointments: &rows.appointments,
        reminders: &rows.reminders,
        consent: &rows.consent,
        mobiles: &rows.mobiles,
        opt_outs: &rows.opt_outs,
        names: &names,
    }))
}

/// The appointments behind a tile or a bar (from `StatsReport::appointments_behind`), with
/// patient, clinician and type, for the drill-down list (and from there the patient screen).
pub fn drill(
    conn: &impl Db,
    ids: &[crate::domain::ids::AppointmentId],
) -> Result<Vec<store::stats::DrillLine>, StoreError> {
    store::stats::drill_lines(conn, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointment::AppointmentStatus;
    use crate::domain::message::{MessageKind, MessageStatus};
    use crate::domain::phone::E164;
    use crate::domain::reminder::reminder_key;
    use crate::domain::stats::{Dimension, Measure};
    use crate::store::appointments::tests::{booking, fixture, opt_in, t};
    use crate::store::messages::{self, NewOutbound};
    use crate::store::{appointments as appts, patients};

    /// A small practice day through the real store: the same numbers as by hand.
    #[test]
    fn computes_from_the_database_what_the_rows_say() {
        let (mut store, p, c, ty) = fixture();
        let mobile = E164::parse("+12015550134", "US").unwrap();
        patients::set_mobile(store.test_conn(), p, Some(&mobile)).unwrap();
        opt_in(&store, p, t(8, 0) - Duration::days(30));
        let config = Config::default();
        let now = t(23, 0);
        store
            .write(|conn| -> Result<(), StoreError> {
                // 09:00 no-show, reminded and delivered; 10:00 completed, confirmed, not
                // reminded; 11:00 cancelled at 08:30 (late).
                let starts = [t(14, 0), t(15, 0), t(16, 0)];
                let ids: Vec<_> = starts
                    .iter()
                    .map(|s| appts::insert(conn, &booking(p, c, ty, *s)))
                    .collect::<Result<_, _>>()?;
                let key = reminder_key(ids[0], starts[0], 24);
                let m = messages::insert_outbound(
                    conn,
                    &NewOutbound {
                        kind: MessageKind::Reminder24h,
                        patient_id: Some(p),
                        appointment_id: Some(ids[0]),
                        idempotency_key: &key,
                        to: mobile.as_str(),
                        body: "Hi",
                        encoding: "gsm7",
                        segments: 1,
                        status: MessageStatus::Pending,
                        provider: "twilio",
                        findings: None,
                        created_by: "system",
                        now: starts[0] - Duration::hours(24),
                        not_before: None,
                        send_by: None,
                    },
                )?
                .unwrap();
                messages::mark_handed_over(
                    conn,
                    m,
                    "twilio",
                    "SM1",
                    MessageStatus::Sent,
                    starts[0] - Duration::hours(24),
                )?;
                messages::apply_provider_status(
                    conn,
                    "twilio",
                    "SM1",
                    MessageStatus::Delivered,
                    None,
                    starts[0] - Duration::hours(24),
                )?;
                use AppointmentStatus::*;
                appts::set_status(
                    conn,
                    ids[0],
                    Booked,
                    NoShow,
                    "desk",
                    starts[0] + Duration::minutes(20),
                )?;
                appts::set_status(conn, ids[1], Booked, Confirmed, "desk", t(9, 0))?;
                appts::set_status(conn, ids[1], Confirmed, Arrived, "desk", starts[1])?;
                appts::set_status(
                    conn,
                    ids[1],
                    Arrived,
                    Completed,
                    "desk",
                    starts[1] + Duration::minutes(30),
                )?;
                appts::set_status(conn, ids[2], Booked, Cancelled, "desk", t(13, 30))?;
                Ok(())
            })
            .unwrap();
        let period = Period::new(today(&config, t(14, 0)), today(&config, t(14, 0))).unwrap();
        let r = compute(store.test_conn(), &config, period, now).unwrap();
        let tl = r.totals;
        assert_eq!(
            (tl.appointments, tl.no_shows, tl.attended, tl.cancelled),
            (3, 1, 1, 1)
        );
        assert_eq!(r.rates.no_show_rate, Some(0.5));
        assert_eq!(tl.late_cancellations, 1);
        assert_eq!(
            (tl.reminded, tl.confirmed, tl.eligible, tl.covered),
            (1, 1, 2, 1)
        );
        assert_eq!(r.rates.reminder_coverage, Some(0.5));
        assert_eq!(
            r.rates.confirmation_rate,
            Some(0.0),
            "the reminded one did not confirm"
        );
        let clinician = r.breakdowns.get(Dimension::Clinician);
        assert_eq!(clinician[0].label, "Dr. Okafor");
        let behind = r.appointments_behind(None, Measure::NoShows);
        let lines = drill(store.test_conn(), &behind).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].patient, "Lovelace, Ada");
        assert_eq!(lines[0].status, AppointmentStatus::NoShow);
        assert_eq!(lines[0].start, t(14, 0));
    }

    #[test]
    fn the_default_period_is_four_weeks_ending_today_in_the_practice_zone() {
        let config = Config::default();
        // 02:00 UTC on 26 November is still 25 November in New York.
        let now = t(0, 0) + Duration::hours(26);
        let p = default_period(&config, now);
        assert_eq!(p.to.to_string(), "2026-11-25");
        assert_eq!(p.days(), 28);
    }
}

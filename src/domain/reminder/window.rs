//! When a message to one patient may go out: quiet hours in the patient's zone (SPEC §5.5),
//! frequency caps (§5.6), and the per-patient checks every send path shares (§5.2, §5.7).
//!
//! Pure: `now` is a parameter; local times are computed with chrono-tz, so days that are 23
//! or 25 hours long (daylight saving changes) are handled by the zone rules, not by arithmetic.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::SkipReason;
use super::rules::{QuietHours, ReminderRules};
use crate::domain::consent::ConsentState;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::patient::Patient;

/// One outbound message that left (or may have left) for a patient: what the caps count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentSend {
    /// When it was sent, or is due to go if it waits (deferred rows count too).
    pub at: DateTime<Utc>,
    pub kind: MessageKind,
}

/// What the rules need to know about one patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatientFacts {
    pub id: PatientId,
    /// The patient's zone (the practice's unless the patient has one of their own).
    pub zone: Tz,
    pub has_mobile: bool,
    /// The provider code that flagged the number (invalid, not mobile, unreachable).
    pub number_flag: Option<String>,
    pub consent: ConsentState,
    /// Outbound messages of at least the last 7 days with any status except blocked,
    /// withdrawn, failed and undelivered. Kinds that do not count against the caps (replies
    /// to HELP/STOP/START) may be included; they are ignored.
    pub recent: Vec<RecentSend>,
    /// The newest outbound message of any kind that left or may have left, however old:
    /// decides whether the next one is the first since the opt-in (`opt_out_notice = "first"`).
    pub last_outbound: Option<DateTime<Utc>>,
}

/// What the rules know of a patient from their record alone (row and last consent word, no
/// outbound history): small enough for a console to keep one for every patient, so a day's
/// reminder cells need not read a page per patient after another desk's commit
/// (`workflow::day::Known`). [`PatientFacts::new`] is made from one, so the facts a kept record
/// gives are the facts read from the row.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordFacts {
    zone: Tz,
    has_mobile: bool,
    number_flag: Option<Box<str>>,
    consent: ConsentState,
}

impl RecordFacts {
    /// The record facts of a patient row with their consent.
    pub fn new(patient: &Patient, practice_zone: Tz, consent: ConsentState) -> Self {
        Self {
            zone: patient.zone(practice_zone),
            has_mobile: patient.mobile.is_some(),
            number_flag: patient
                .number_problem
                .as_ref()
                .map(|p| p.code.as_str().into()),
            consent,
        }
    }

    /// Patient `id`'s facts, with no history yet (added by the caller).
    pub fn facts(&self, id: PatientId) -> PatientFacts {
        PatientFacts {
            id,
            zone: self.zone,
            has_mobile: self.has_mobile,
            number_flag: self.number_flag.as_deref().map(str::to_owned),
            consent: self.consent.clone(),
            recent: Vec::new(),
            last_outbound: None,
        }
    }
}

impl PatientFacts {
    /// Facts from a patient row; history is added by the caller.
    pub fn new(patient: &Patient, practice_zone: Tz, consent: ConsentState) -> Self {
        RecordFacts::new(patient, practice_zone, consent).facts(patient.id)
    }

    /// The first reason nothing may be texted to this patient at all, if any: opted out, no
    /// consent, no mobile number, number flagged — in the order staff ask about them.
    pub fn blocked(&self) -> Option<SkipReason> {
        if self.consent.is_opted_out() {
            Some(SkipReason::OptedOut)
        } else if !self.consent.may_text() {
            Some(SkipReason::NoConsent)
        } else if !self.has_mobile {
            Some(SkipReason::NoMobile)
        } else {
            self.number_flag
                .as_ref()
                .map(|code| SkipReason::NumberFlagged { code: code.clone() })
        }
    }
}

/// Why a message may not go now, and when it is worth asking again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub reason: SkipReason,
    /// Quiet hours: the next allowed minute. Frequency cap: when the cap frees (then still
    /// subject to quiet hours). `None`: not until something changes (consent, number, status).
    pub retry_at: Option<DateTime<Utc>>,
}

/// The moment `now` if it is inside the allowed window in `tz`, otherwise the next allowed
/// minute (the window's start, today or tomorrow, local). DST-safe: a start that a clock
/// change skips moves to the first local time that exists after it.
pub fn next_allowed(now: DateTime<Utc>, tz: Tz, quiet: &QuietHours) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    let t = local.time();
    if t >= quiet.start && t < quiet.end {
        return now;
    }
    let day = if t < quiet.start {
        local.date_naive()
    } else {
        local.date_naive().succ_opt().unwrap_or(local.date_naive())
    };
    local_instant(day, quiet.start, tz)
}

/// When the allowed window that `now` is in closes (local `quiet.end` today), or `None` when
/// `now` is outside it. A batch checks this before every text so one that starts at 19:59
/// does not go on sending after 20:00.
pub fn allowed_until(now: DateTime<Utc>, tz: Tz, quiet: &QuietHours) -> Option<DateTime<Utc>> {
    in_allowed_window(now, tz, quiet)
        .then(|| local_instant(now.with_timezone(&tz).date_naive(), quiet.end, tz))
}

/// Is `now` inside the allowed window in `tz`?
pub fn in_allowed_window(now: DateTime<Utc>, tz: Tz, quiet: &QuietHours) -> bool {
    next_allowed(now, tz, quiet) == now
}

/// The instant of local `day` at `time` in `tz`: the earlier of two when clocks fall back,
/// the first existing minute after it when clocks spring forward over it.
pub(crate) fn local_instant(day: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let wanted = day.and_time(time);
    // A gap is at most a few hours; look minute by minute past it.
    for minutes in 0..=(6 * 60) {
        let candidate = wanted + Duration::minutes(minutes);
        if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&wanted)
}

/// The start of the local day after `now`'s in `tz`.
fn next_local_midnight(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    local_instant(today.succ_opt().unwrap_or(today), NaiveTime::MIN, tz)
}

/// SPEC §5.6: at most `per_day` counted messages per local day of the patient and `per_week`
/// in any 7 × 24 hours. `Err` carries when the cap frees. Kinds that answer the patient's own
/// HELP/STOP/START ([`MessageKind::counts_against_cap`]) are not counted.
pub fn cap_check(
    now: DateTime<Utc>,
    tz: Tz,
    recent: &[RecentSend],
    per_day: u32,
    per_week: u32,
) -> Result<(), DateTime<Utc>> {
    let today = now.with_timezone(&tz).date_naive();
    let week_start = now - Duration::days(7);
    let counted = || recent.iter().filter(|s| s.kind.counts_against_cap());
    let today_count = counted()
        .filter(|s| s.at.with_timezone(&tz).date_naive() == today)
        .count();
    let mut in_week: Vec<DateTime<Utc>> = counted()
        .map(|s| s.at)
        .filter(|&at| at > week_start)
        .collect();
    let day_full = today_count >= per_day as usize;
    let week_full = in_week.len() >= per_week as usize;
    if !day_full && !week_full {
        return Ok(());
    }
    let mut free = now;
    if day_full {
        free = free.max(next_local_midnight(now, tz));
    }
    if week_full && per_week > 0 {
        // Newest first: once the per_week-th newest is 7 days old, only per_week - 1 remain.
        in_week.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(&oldest_that_matters) = in_week.get(per_week as usize - 1) {
            free = free.max(oldest_that_matters + Duration::days(7));
        }
    }
    Err(free)
}

/// SPEC §5.6, "earlier ones give way": may an *optional* reminder-class text (an earlier
/// reminder, not an appointment's last) go at `now`, leaving room under the caps for the
/// `reserved` texts still to come (each appointment's last reminder, which goes whatever the
/// caps say)? Checked for every local day and every rolling week that holds `now` or a
/// reserved moment. `Err` carries when the caps free for it, if that can be told from the
/// history alone (`None`: it gives way to the reserved ones).
pub fn cap_check_ahead(
    now: DateTime<Utc>,
    tz: Tz,
    recent: &[RecentSend],
    reserved: &[DateTime<Utc>],
    caps: (u32, u32),
) -> Result<(), Option<DateTime<Utc>>> {
    let (per_day, per_week) = caps;
    cap_check(now, tz, recent, per_day, per_week).map_err(Some)?;
    let mut times: Vec<DateTime<Utc>> = recent
        .iter()
        .filter(|s| s.kind.counts_against_cap())
        .map(|s| s.at)
        .collect();
    times.push(now);
    times.extend(reserved.iter().copied().filter(|&r| r > now));
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    for &checkpoint in std::iter::once(&now).chain(reserved.iter().filter(|&&r| r > now)) {
        let in_week = times
            .iter()
            .filter(|&&t| t > checkpoint - Duration::days(7) && t <= checkpoint)
            .count();
        let on_day = times.iter().filter(|&&t| day(t) == day(checkpoint)).count();
        if in_week > per_week as usize || on_day > per_day as usize {
            return Err(None);
        }
    }
    Ok(())
}

/// The checks every send path shares, for one message of `kind` to `patient` at `now`, by the
/// kind's class: reminder-class texts need consent, a working number, the allowed hours and
/// room under the frequency caps; operational texts (closures, portal prompts) the same but
/// never the caps; answers to the patient's own HELP/STOP/START only a working number — they
/// are due at once. The PHI gate, deadlines and the appointment's own rules are the caller's.
pub fn send_check(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    patient: &PatientFacts,
    kind: MessageKind,
) -> Result<(), Held> {
    reach_check(rules, now, patient, kind)?;
    if !kind.counts_against_cap() {
        return Ok(());
    }
    if let Err(free) = cap_check(
        now,
        patient.zone,
        &patient.recent,
        rules.max_per_day,
        rules.max_per_week,
    ) {
        let retry = next_allowed(free, patient.zone, &rules.quiet_hours);
        return Err(Held {
            reason: SkipReason::FrequencyCap,
            retry_at: Some(retry),
        });
    }
    Ok(())
}

/// [`send_check`] without the caps: consent, number and quiet hours. What a text that was
/// recorded and then waited is re-checked against before it goes (SPEC §5.7): the caps were
/// applied when it was planned — and a reminder planned as an appointment's last must not be
/// lost to them afterwards.
pub fn reach_check(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    patient: &PatientFacts,
    kind: MessageKind,
) -> Result<(), Held> {
    let hold = |reason, retry_at| Err(Held { reason, retry_at });
    if !kind.keeps_quiet_hours() {
        if !patient.has_mobile {
            return hold(SkipReason::NoMobile, None);
        }
        if let Some(code) = &patient.number_flag {
            return hold(SkipReason::NumberFlagged { code: code.clone() }, None);
        }
        return Ok(());
    }
    if let Some(reason) = patient.blocked() {
        return hold(reason, None);
    }
    let allowed = next_allowed(now, patient.zone, &rules.quiet_hours);
    if allowed > now {
        return hold(quiet_reason(allowed, patient.zone), Some(allowed));
    }
    Ok(())
}

/// "Deferred to HH:MM", in the patient's local time.
pub(crate) fn quiet_reason(until: DateTime<Utc>, tz: Tz) -> SkipReason {
    let local = until.with_timezone(&tz).time();
    SkipReason::QuietHours {
        until: local
            .with_second(0)
            .unwrap_or(local)
            .with_nanosecond(0)
            .unwrap_or(local),
    }
}

#[cfg(test)]
mod tests;

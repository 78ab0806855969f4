//! Reading the values exports contain: dates (US and ISO), times (12- and 24-hour), local
//! times in the practice's zone, durations, status words of the common practice-management
//! systems, and yes/no consent answers. Each reader returns the problem in words a
//! receptionist can act on.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::ConsentAnswer;
use crate::domain::appointment::AppointmentStatus;

/// Regions whose slashed dates put the month first (MM/DD/YYYY). Elsewhere DD/MM/YYYY.
const MONTH_FIRST: [&str; 10] = ["US", "CA", "PR", "GU", "VI", "AS", "MP", "UM", "FM", "PH"];

/// Whether `region` writes 03/04/2026 for the 4th of March.
pub fn month_first(region: &str) -> bool {
    MONTH_FIRST.contains(&region.trim().to_ascii_uppercase().as_str())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date: ISO `2026-11-25` (or `2026/11/25`), slashed `11/25/2026` (month first in
/// the US; two-digit years are refused when `full_year` is set, as for birth dates), or
/// `Nov 25, 2026` / `25-Nov-2026`.
pub fn date(s: &str, month_first: bool, full_year: bool) -> Result<NaiveDate, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("no date".into());
    }
    if t.bytes().any(|b| b.is_ascii_alphabetic())
        && let Some(d) = named_month_date(t)
    {
        return Ok(d);
    }
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "not a date; write {} or YYYY-MM-DD",
            if month_first {
                "MM/DD/YYYY"
            } else {
                "DD/MM/YYYY"
            }
        ));
    }
    let num = |p: &str| p.parse::<u32>().map_err(|_| "not a date".to_string());
    let (y, m, d) = if parts[0].len() == 4 {
        (num(parts[0])? as i32, num(parts[1])?, num(parts[2])?)
    } else {
        let (a, b) = (num(parts[0])?, num(parts[1])?);
        let (m, d) = if month_first { (a, b) } else { (b, a) };
        let y = match parts[2].len() {
            4 => num(parts[2])? as i32,
            2 if !full_year => 2000 + num(parts[2])? as i32,
            2 => {
                return Err(
                    "two-digit year is ambiguous for a birth date; write the year in full".into(),
                );
            }
            _ => return Err("the year must have four digits".into()),
        };
        (y, m, d)
    };
    calendar(y, m, d, month_first)
}

/// The date, or why it does not exist ("February has no day 30").
fn calendar(y: i32, m: u32, d: u32, month_first: bool) -> Result<NaiveDate, String> {
    if !(1..=12).contains(&m) {
        let hint = if month_first && (1..=12).contains(&d) {
            " (dates are read month first, MM/DD/YYYY)"
        } else {
            ""
        };
        return Err(format!("there is no month {m}{hint}"));
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| format!("{} has no day {d} in {y}", MONTHS[(m - 1) as usize]))
}

fn named_month_date(t: &str) -> Option<NaiveDate> {
    [
        "%b %d, %Y",
        "%B %d, %Y",
        "%d-%b-%Y",
        "%d %b %Y",
        "%d %B %Y",
        "%b %d %Y",
    ]
    .iter()
    .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

/// A time of day: `9:30 AM`, `9:30am`, `9:30 a`, `9 PM`, `09:30`, `14:30:00`, `0930`.
pub fn time(s: &str) -> Result<NaiveTime, String> {
    let t = s.trim().to_ascii_lowercase().replace('.', "");
    let (body, pm) = if let Some(b) = t.strip_suffix("pm").or_else(|| t.strip_suffix('p')) {
        (b.trim(), Some(true))
    } else if let Some(b) = t.strip_suffix("am").or_else(|| t.strip_suffix('a')) {
        (b.trim(), Some(false))
    } else {
        (t.as_str(), None)
    };
    let bad = || format!("{:?} is not a time; write 9:30 AM or 09:30", s.trim());
    let nums: Vec<u32> = if body.contains(':') {
        body.split(':')
            .map(|p| p.parse::<u32>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?
    } else if body.len() >= 3 && body.len() <= 4 && body.bytes().all(|b| b.is_ascii_digit()) {
        let n: u32 = body.parse().map_err(|_| bad())?;
        vec![n / 100, n % 100]
    } else {
        vec![body.parse::<u32>().map_err(|_| bad())?]
    };
    if nums.is_empty() || nums.len() > 3 {
        return Err(bad());
    }
    let (mut h, m, sec) = (
        nums[0],
        *nums.get(1).unwrap_or(&0),
        *nums.get(2).unwrap_or(&0),
    );
    match pm {
        Some(is_pm) => {
            if !(1..=12).contains(&h) {
                return Err(format!(
                    "{:?}: a 12-hour time needs an hour from 1 to 12",
                    s.trim()
                ));
            }
            h = (h % 12) + if is_pm { 12 } else { 0 };
        }
        None if nums.len() == 1 => return Err(bad()),
        None => {}
    }
    NaiveTime::from_hms_opt(h, m, sec).ok_or_else(|| format!("{:?} is not a time of day", s.trim()))
}

/// A date with an optional time in the same cell: `2026-11-25T09:30:00`, `11/25/2026 9:30 AM`.
/// An offset (`Z`, `-05:00`) makes it an instant.
pub fn date_time(s: &str, month_first: bool) -> Result<(NaiveDate, Option<TimeOrInstant>), String> {
    let t = s.trim();
    // Only an ISO date-time has a 'T' after the date; skip the (slow) format parsers otherwise.
    if t.len() > 10 && t.as_bytes()[10] == b'T' {
        if let Ok(i) = DateTime::parse_from_rfc3339(t) {
            return Ok((
                i.date_naive(),
                Some(TimeOrInstant::Instant(i.with_timezone(&Utc))),
            ));
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M"))
        {
            return Ok((n.date(), Some(TimeOrInstant::Local(n.time()))));
        }
    }
    match t.split_once([' ', 'T']) {
        Some((d, rest)) if !rest.trim().is_empty() && date(d, month_first, false).is_ok() => {
            let day = date(d, month_first, false)?;
            Ok((day, Some(TimeOrInstant::Local(time(rest)?))))
        }
        _ => Ok((date(t, month_first, false)?, None)),
    }
}

/// A time read from a cell: local to the practice, or already an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeOrInstant {
    Local(NaiveTime),
    Instant(DateTime<Utc>),
}

/// The instant a local date and time name in `tz`. A time the clocks skip (spring forward)
/// is refused; a repeated one (fall back) is the first of the two.
pub fn local_instant(day: NaiveDate, at: NaiveTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&day.and_time(at)) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{} {} does not exist in {} (the clocks go forward that night)",
            day,
            at.format("%H:%M"),
            tz.name()
        )),
    }
}

/// A length in minutes: `30`, `30 min`, `45 minutes`, `0:30`, `1:15`.
pub fn minutes(s: &str) -> Result<u32, String> {
    let t = s.trim().to_ascii_lowercase();
    let bad = || format!("{:?} is not a length in minutes", s.trim());
    let n = if let Some((h, m)) = t.split_once(':') {
        let h: u32 = h.trim().parse().map_err(|_| bad())?;
        let m: u32 = m.trim().parse().map_err(|_| bad())?;
        if m >= 60 {
            return Err(bad());
        }
        h * 60 + m
    } else {
        let digits = t
            .trim_end_matches("minutes")
            .trim_end_matches("minute")
            .trim_end_matches("mins")
            .trim_end_matches("min")
            .trim_end_matches('m')
            .trim();
        digits.parse::<u32>().map_err(|_| bad())?
    };
    check_minutes(n).map_err(|p| format!("{:?}: {p}", s.trim()))
}

/// An appointment must last at least a minute and at most a day.
pub fn check_minutes(n: u32) -> Result<u32, String> {
    match n {
        0 => Err("an appointment cannot last 0 minutes".into()),
        n if n > 24 * 60 => Err(format!("{n} minutes is longer than a day")),
        n => Ok(n),
    }
}

/// A status word of a practice-management system mapped to frontdesk's statuses.
///
/// Sources (read, not copied): Tebra/Kareo's status list (Scheduled, Reminder Sent, Confirmed,
/// Check-in, Arrived/Ready, Seen, Roomed, Check-out, Checked Out, No-Show, Cancelled,
/// Rescheduled — Tebra help "What items sync between Kareo Platform and Kareo Desktop
/// Application calendars?"); OpenEMR's `apptstat` list (`-` None, `*` Reminder done, `+`
/// Chart pulled, `x` Canceled, `?` No show, `@` Arrived, `~` Arrived late, `!` Left w/o
/// visit, `<` In exam room, `>` Checked out, `$` Coding done, `%` Canceled < 24h);
/// athenahealth's API codes (`f` future, `o` open, `x` cancelled, `2` checked in, `3` checked
/// out, `4` charge entered — athenahealth API reference, appointmentstatus); eClinicalWorks'
/// Visit Status codes as practices export them (PEN, ARR, CHK, N/S, R/S, CANC); DrChrono's
/// statuses (Arrived, Checked In, In Room, In Session, Complete, Confirmed, No Show, Not
/// Confirmed, Rescheduled, Cancelled); FHIR R4 Appointment.status.
///
/// "Rescheduled" marks the *old* slot of a moved appointment (the system books a new one),
/// so it is read as cancelled.
pub fn status(s: &str) -> Result<AppointmentStatus, String> {
    let raw = s.trim();
    // OpenEMR writes a symbol and its title ("@ Arrived", "x Canceled"): the symbol decides.
    let key = match raw.split_once(' ') {
        Some((sym, _)) if sym.chars().count() == 1 => sym.to_lowercase(),
        _ => normalise_word(raw),
    };
    status_word(&key).ok_or_else(|| {
        format!(
            "unknown status {raw:?}; use Scheduled, Confirmed, Checked In, Checked Out, \
             No Show or Cancelled (or booked, confirmed, arrived, completed, no_show, cancelled)"
        )
    })
}

fn status_word(key: &str) -> Option<AppointmentStatus> {
    use AppointmentStatus::*;
    match key {
        "" => Some(Booked),
        "scheduled" | "booked" | "pending" | "pen" | "notconfirmed" | "unconfirmed"
        | "remindersent" | "reminded" | "leftmessage" | "tentative" | "future" | "f" | "o"
        | "open" | "new" | "none" | "-" | "*" | "+" | "remindersdone" | "reminderdone"
        | "chartpulled" | "active" | "sch" | "schd" | "sched" => Some(Booked),
        "confirmed" | "conf" | "cnf" | "confirmedbypatient" | "confirmedviasms" => Some(Confirmed),
        "arrived" | "checkedin" | "checkin" | "arrivedready" | "ready" | "roomed" | "inroom"
        | "inexamroom" | "insession" | "withprovider" | "seen" | "arrivedlate" | "arr" | "@"
        | "~" | "<" | "2" | "waiting" | "inprogress" => Some(Arrived),
        "checkedout" | "checkout" | "completed" | "complete" | "kept" | "fulfilled" | "done"
        | "chk" | "codingdone" | "chargeentered" | ">" | "$" | "3" | "4" | "visitcomplete" => {
            Some(Completed)
        }
        "noshow"
        | "ns"
        | "missed"
        | "failed"
        | "fta"
        | "failedtoarrive"
        | "dna"
        | "didnotattend"
        | "didnotarrive"
        | "?"
        | "!"
        | "leftwithoutvisit"
        | "leftwovisit"
        | "walkout"
        | "leftwithoutbeingseen"
        | "lwbs" => Some(NoShow),
        "cancelled" | "canceled" | "cancel" | "canc" | "cxl" | "x" | "%" | "canceled24h"
        | "cancelledbypatient" | "cancelledbyclinic" | "canceledbypatient" | "canceledbyclinic"
        | "rescheduled" | "rs" | "deleted" | "latecancel" | "latecancellation" | "bumped" => {
            Some(Cancelled)
        }
        _ => None,
    }
}

/// Lower case, letters and digits only ("Checked-In" → "checkedin", "N/S" → "ns"); a lone
/// symbol stays itself.
fn normalise_word(s: &str) -> String {
    let w: String = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if w.is_empty() {
        s.trim().to_string()
    } else {
        w
    }
}

/// A yes/no consent cell: `Y`, `Yes`, `true`, `1`, `X`, `opted in` … / `N`, `No`, `false`,
/// `0`, `opted out`, `declined` …; empty means the export does not say.
pub fn consent_answer(s: &str) -> Result<Option<ConsentAnswer>, String> {
    let w = normalise_word(s);
    match w.as_str() {
        "" => Ok(None),
        "y" | "yes" | "true" | "t" | "1" | "x" | "optedin" | "optin" | "ok" | "allow"
        | "allowed" | "consented" | "granted" | "permit" | "si" | "sí" => {
            Ok(Some(ConsentAnswer::Yes))
        }
        "n" | "no" | "false" | "f" | "0" | "optedout" | "optout" | "declined" | "deny"
        | "denied" | "refused" | "stop" | "donottext" | "dnt" => Ok(Some(ConsentAnswer::No)),
        _ => Err(format!(
            "{:?} is not a yes/no answer; write Y or N",
            s.trim()
        )),
    }
}

/// A birth date: full year, not in the future, not before 1880.
pub fn birth_date(s: &str, month_first: bool, today: NaiveDate) -> Result<NaiveDate, String> {
    let d = match date_time(s, month_first) {
        Ok((d, _)) if s.trim().len() > 10 => d,
        _ => date(s, month_first, true)?,
    };
    if d > today {
        return Err("a birth date cannot be in the future".into());
    }
    if d.year() < 1880 {
        return Err(format!("{} is too long ago for a birth date", d.year()));
    }
    Ok(d)
}

#[cfg(test)]
mod tests;

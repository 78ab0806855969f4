//! Which appointments a desk batch is for (SPEC §3.4 "pick a day or window"): what staff
//! type — `today`, `tomorrow`, a date, a range of dates or part of one day — read as a local
//! window `[from, to)` in the practice's zone, with one clear line when it cannot be read.
//!
//! Pure: chrono and chrono-tz; `today` is handed in.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

/// A window of local time, `from` inclusive, `to` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalWindow {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// How to write a window, for the error line and the screen's hint.
pub const FORMS: &str =
    "today, tomorrow, 2026-03-05, 2026-03-05..2026-03-07 or 2026-03-05 13:00-17:00";

impl LocalWindow {
    /// One whole local day.
    pub fn day(d: NaiveDate) -> Self {
        Self {
            from: d.and_time(NaiveTime::MIN),
            to: d.and_time(NaiveTime::MIN) + Duration::days(1),
        }
    }

    /// Read what staff typed; `today` is the practice's local date.
    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, String> {
        let t = text.trim().to_lowercase();
        let bad = || {
            format!(
                "cannot read \"{}\" as a day or window; write {FORMS}",
                text.trim()
            )
        };
        match t.as_str() {
            "" | "today" => return Ok(Self::day(today)),
            "tomorrow" => return Ok(Self::day(today + Duration::days(1))),
            _ => {}
        }
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
        if let Some((a, b)) = t.split_once("..") {
            let (first, last) = (date(a)?, date(b)?);
            if last < first {
                return Err(format!(
                    "the window ends ({last}) before it starts ({first})"
                ));
            }
            if last - first > Duration::days(31) {
                return Err("a batch covers at most 31 days; pick a shorter window".into());
            }
            return Ok(Self {
                from: Self::day(first).from,
                to: Self::day(last).to,
            });
        }
        if let Some((day, hours)) = t.split_once(' ') {
            let d = date(day)?;
            let (a, b) = hours.trim().split_once('-').ok_or_else(bad)?;
            let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
            let (from, to) = (d.and_time(time(a)?), d.and_time(time(b)?));
            if to <= from {
                return Err(format!("the window ends ({b}) before it starts ({a})"));
            }
            return Ok(Self { from, to });
        }
        Ok(Self::day(date(&t)?))
    }

    /// The window as instants in `tz` (a local time a clock change skips counts from the
    /// first instant after it; one it repeats, from the earlier).
    pub fn in_zone(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (instant(self.from, tz), instant(self.to, tz))
    }

    /// "Thu Mar 5" / "Thu Mar 5 – Sat Mar 7" / "Thu Mar 5 13:00–17:00", for the title.
    pub fn label(&self) -> String {
        let whole = |t: NaiveDateTime| t.time() == NaiveTime::MIN;
        let last_day = (self.to - Duration::seconds(1)).date();
        match (
            whole(self.from) && whole(self.to),
            self.from.date() == last_day,
        ) {
            (true, true) => self.from.format("%a %b %-d").to_string(),
            (true, false) => format!(
                "{} – {}",
                self.from.format("%a %b %-d"),
                last_day.format("%a %b %-d")
            ),
            _ => format!(
                "{} {}–{}",
                self.from.format("%a %b %-d"),
                self.from.format("%H:%M"),
                self.to.format("%H:%M")
            ),
        }
    }
}

fn instant(t: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let mut probe = t;
    // A gap is at most a few hours: step forward to the first local time that exists.
    for _ in 0..240 {
        if let Some(at) = probe.and_local_timezone(tz).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += Duration::minutes(1);
    }
    t.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn at(m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(m, day).and_hms_opt(h, min, 0).unwrap()
    }

    #[rstest]
    #[case("today", at(3, 4, 0, 0), at(3, 5, 0, 0))]
    #[case("  Tomorrow ", at(3, 5, 0, 0), at(3, 6, 0, 0))]
    #[case("", at(3, 4, 0, 0), at(3, 5, 0, 0))]
    #[case("2026-03-09", at(3, 9, 0, 0), at(3, 10, 0, 0))]
    #[case("2026-03-05..2026-03-07", at(3, 5, 0, 0), at(3, 8, 0, 0))]
    #[case("2026-03-05 .. 2026-03-05", at(3, 5, 0, 0), at(3, 6, 0, 0))]
    #[case("2026-03-05 13:00-17:30", at(3, 5, 13, 0), at(3, 5, 17, 30))]
    #[case("2026-03-05  08:00 - 12:00", at(3, 5, 8, 0), at(3, 5, 12, 0))]
    fn what_staff_type_reads_as_a_window(
        #[case] text: &str,
        #[case] from: NaiveDateTime,
        #[case] to: NaiveDateTime,
    ) {
        assert_eq!(
            LocalWindow::parse(text, d(3, 4)),
            Ok(LocalWindow { from, to })
        );
    }

    #[rstest]
    #[case("next week", "cannot read \"next week\"")]
    #[case("2026-02-30", "cannot read")]
    #[case("05/03/2026", "cannot read")]
    #[case("2026-03-07..2026-03-05", "ends (2026-03-05) before it starts")]
    #[case("2026-03-01..2026-05-01", "at most 31 days")]
    #[case("2026-03-05 17:00-13:00", "ends (13:00) before it starts")]
    #[case("2026-03-05 13:00", "cannot read")]
    fn what_cannot_be_read_says_why_in_one_line(#[case] text: &str, #[case] says: &str) {
        let e = LocalWindow::parse(text, d(3, 4)).unwrap_err();
        assert!(e.contains(says) && !e.contains('\n'), "{e}");
    }

    #[test]
    fn labels_and_instants_in_the_practice_zone() {
        let tz = chrono_tz::America::New_York;
        let w = LocalWindow::parse("2026-03-08", d(3, 4)).unwrap();
        assert_eq!(w.label(), "Sun Mar 8");
        // 8 March 2026 springs forward: the day has 23 hours.
        let (from, to) = w.in_zone(tz);
        assert_eq!(to - from, Duration::hours(23));
        let w = LocalWindow::parse("2026-03-08 02:30-04:00", d(3, 4)).unwrap();
        assert_eq!(w.in_zone(tz).0.to_rfc3339(), "2026-03-08T07:00:00+00:00");
        assert_eq!(
            LocalWindow::parse("2026-03-05..2026-03-07", d(3, 4))
                .unwrap()
                .label(),
            "Thu Mar 5 – Sat Mar 7"
        );
        assert_eq!(
            LocalWindow::parse("2026-03-05 13:00-17:00", d(3, 4))
                .unwrap()
                .label(),
            "Thu Mar 5 13:00–17:00"
        );
    }
}

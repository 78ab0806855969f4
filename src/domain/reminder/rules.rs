//! The practice's reminder rules as values: the schedule (offsets), the allowed window
//! ("quiet hours"), the caps, the lead time and the opt-out notice (SPEC §5.5–§5.7, §8).
//!
//! Pure: these are the values the planner and the window checks read. `config` reads them
//! from the file's `[reminders]` table (serde, so a bad value names its key and line) and
//! checks the rules that span keys; nothing here reads a file.

use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, de};

/// `[reminders]`: the automatic schedule and the limits of SPEC §5.5–§5.7.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReminderRules {
    /// Hours before the start at which reminders go, e.g. `[48, 24]`.
    pub offsets_hours: Vec<u32>,
    pub quiet_hours: QuietHours,
    pub max_per_day: u32,
    pub max_per_week: u32,
    /// No reminder closer than this to the start.
    pub min_lead_minutes: u32,
    pub opt_out_notice: OptOutNotice,
}

impl Default for ReminderRules {
    fn default() -> Self {
        Self {
            offsets_hours: vec![48, 24],
            quiet_hours: QuietHours::default(),
            max_per_day: 1,
            max_per_week: 3,
            min_lead_minutes: 120,
            opt_out_notice: OptOutNotice::Every,
        }
    }
}

impl ReminderRules {
    /// The rules that span keys, as (key, message) naming the key to fix.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.offsets_hours.is_empty() {
            return Err((
                "reminders.offsets_hours",
                "needs at least one offset, e.g. [48, 24]",
            ));
        }
        let mut seen = self.offsets_hours.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != self.offsets_hours.len() || seen.first() == Some(&0) {
            return Err((
                "reminders.offsets_hours",
                "offsets must be distinct and above 0 hours",
            ));
        }
        if self.max_per_day == 0 || self.max_per_week < self.max_per_day {
            return Err((
                "reminders.max_per_week",
                "max_per_day must be at least 1 and max_per_week at least max_per_day",
            ));
        }
        Ok(())
    }
}

/// The window in which automated messages may go out, in the patient's local time.
/// Named `quiet_hours` in the file as in SPEC §8; `start`..`end` is the *allowed* window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// The widest window the product allows (08:00–20:00, the strictest state rules).
    pub const WIDEST: (u32, u32) = (8 * 60, 20 * 60);

    /// A window from its two times: `start` before `end`, inside the widest window.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, String> {
        let minutes = |t: NaiveTime| {
            use chrono::Timelike;
            t.hour() * 60 + t.minute()
        };
        let shown = |t: NaiveTime| t.format("%H:%M").to_string();
        let (lo, hi) = Self::WIDEST;
        if minutes(start) >= minutes(end) {
            return Err(format!(
                "quiet hours start {} must be before end {}",
                shown(start),
                shown(end)
            ));
        }
        if minutes(start) < lo || minutes(end) > hi {
            return Err(format!(
                "quiet hours {}–{} are wider than 08:00–20:00; they may only be narrowed",
                shown(start),
                shown(end)
            ));
        }
        Ok(Self { start, end })
    }
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            start: hm(8, 0),
            end: hm(20, 0),
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start: String,
            end: String,
        }
        let raw = Raw::deserialize(d)?;
        let start = parse_hhmm(&raw.start).map_err(de::Error::custom)?;
        let end = parse_hhmm(&raw.end).map_err(de::Error::custom)?;
        Self::new(start, end).map_err(de::Error::custom)
    }
}

fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| format!("{s:?} is not a time of day like \"08:00\""))
}

/// Whether "Reply STOP to opt out" goes on every reminder or only the first after an opt-in.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptOutNotice {
    #[default]
    Every,
    First,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(vec![48, 24], 1, 3, Ok(()))]
    #[case(vec![], 1, 3, Err("reminders.offsets_hours"))]
    #[case(vec![24, 24], 1, 3, Err("reminders.offsets_hours"))]
    #[case(vec![0, 24], 1, 3, Err("reminders.offsets_hours"))]
    #[case(vec![24], 0, 3, Err("reminders.max_per_week"))]
    #[case(vec![24], 2, 1, Err("reminders.max_per_week"))]
    #[case(vec![72, 2], 2, 2, Ok(()))]
    fn rules_that_span_keys_name_the_key(
        #[case] offsets_hours: Vec<u32>,
        #[case] max_per_day: u32,
        #[case] max_per_week: u32,
        #[case] expected: Result<(), &str>,
    ) {
        let rules = ReminderRules {
            offsets_hours,
            max_per_day,
            max_per_week,
            ..ReminderRules::default()
        };
        assert_eq!(rules.check().map_err(|(key, _)| key), expected);
    }

    #[rstest]
    #[case((9, 0), (18, 30), true)]
    #[case((8, 0), (20, 0), true)]
    #[case((7, 59), (20, 0), false)]
    #[case((8, 0), (20, 1), false)]
    #[case((12, 0), (12, 0), false)]
    #[case((18, 0), (9, 0), false)]
    fn quiet_hours_may_only_narrow_the_widest_window(
        #[case] start: (u32, u32),
        #[case] end: (u32, u32),
        #[case] ok: bool,
    ) {
        let q = QuietHours::new(hm(start.0, start.1), hm(end.0, end.1));
        assert_eq!(q.is_ok(), ok, "{q:?}");
    }
}

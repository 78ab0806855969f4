//! Who is due the patient texts `remind` sends besides reminders — the onboarding welcome and
//! the post-visit survey link — and whether the practice has set what those texts point to.
//!
//! Pure: std, chrono. The workflow loads the candidates and the template, asks here, and
//! writes a line for each answer; the shared checks (consent, quiet hours, caps) stay in
//! [`super::window`].

use chrono::{DateTime, Duration, Utc};

use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::template::{Placeholder, Template};

/// Patients added this recently (and opted in) get the onboarding welcome.
pub const WELCOME_WITHIN: Duration = Duration::days(14);
/// Survey links are not sent for visits older than this after their delay.
pub const SURVEY_WITHIN: Duration = Duration::days(2);

/// A patient added at `created_at` is due the welcome now: added in the last 14 days (and not
/// in the future, which only a wrong clock writes).
pub fn welcome_due(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    created_at <= now && now - created_at <= WELCOME_WITHIN
}

/// A visit is due its survey link now: it was completed, `delay` has passed since it ended,
/// and not more than two days beyond that (a link about a visit weeks ago reads as spam).
pub fn survey_due(visit: &Appointment, delay: Duration, now: DateTime<Utc>) -> bool {
    if visit.status != AppointmentStatus::Completed {
        return false;
    }
    let ended = visit.start + Duration::minutes(i64::from(visit.duration_minutes));
    let from = ended + delay;
    from <= now && now <= from + SURVEY_WITHIN
}

/// How far back the candidate visits for surveys start, for the query that loads them.
pub fn survey_candidates_since(delay: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    now - delay - SURVEY_WITHIN - Duration::days(1)
}

/// Which of the practice's links are set (`[practice] portal_url`, `[survey] url`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PracticeLinks {
    pub portal_url: bool,
    pub survey_url: bool,
}

/// A setting a patient text needs and the practice has not set: the text is skipped with
/// this reason, and the rest of the run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingLink {
    PortalUrl,
    SurveyUrl,
}

impl MissingLink {
    /// The skip reason staff read.
    pub fn reason(self) -> &'static str {
        match self {
            Self::PortalUrl => "no portal URL set",
            Self::SurveyUrl => "no survey URL set",
        }
    }
}

/// The link this (possibly edited) template needs and the practice has not set, if any. A
/// template that does not use `{portal_url}` needs no portal URL.
pub fn missing_link(template: &Template, links: PracticeLinks) -> Option<MissingLink> {
    if template.uses(Placeholder::PortalUrl) && !links.portal_url {
        return Some(MissingLink::PortalUrl);
    }
    if template.uses(Placeholder::SurveyUrl) && !links.survey_url {
        return Some(MissingLink::SurveyUrl);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
    use crate::domain::message::MessageKind;
    use crate::domain::template::default_template;
    use chrono::TimeZone;
    use rstest::rstest;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    #[rstest]
    #[case::added_an_hour_ago(at(25, 8), true)]
    #[case::added_exactly_14_days_ago(at(11, 9), true)]
    #[case::added_14_days_and_an_hour_ago(at(11, 8), false)]
    #[case::added_a_year_ago(Utc.with_ymd_and_hms(2025, 3, 25, 9, 0, 0).unwrap(), false)]
    #[case::added_in_the_future(at(26, 9), false)]
    fn welcome_goes_to_patients_added_in_the_last_two_weeks(
        #[case] created: DateTime<Utc>,
        #[case] due: bool,
    ) {
        assert_eq!(welcome_due(created, at(25, 9)), due);
    }

    fn visit(status: AppointmentStatus, start: DateTime<Utc>) -> Appointment {
        Appointment {
            id: AppointmentId(1),
            patient_id: PatientId(1),
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            duration_minutes: 30,
            status,
            booked_at: start - Duration::days(10),
            callback_requested: false,
            to_rebook: false,
        }
    }

    #[rstest]
    // Ended 10:30; delay 2 h: due from 12:30 until two days later.
    #[case::before_the_delay(AppointmentStatus::Completed, at(25, 12), false)]
    #[case::after_the_delay(AppointmentStatus::Completed, at(25, 13), true)]
    #[case::last_hour_of_the_window(AppointmentStatus::Completed, at(27, 12), true)]
    #[case::after_the_window(AppointmentStatus::Completed, at(27, 13), false)]
    #[case::a_no_show(AppointmentStatus::NoShow, at(25, 13), false)]
    #[case::cancelled(AppointmentStatus::Cancelled, at(25, 13), false)]
    #[case::still_booked(AppointmentStatus::Booked, at(25, 13), false)]
    #[case::arrived_not_completed(AppointmentStatus::Arrived, at(25, 13), false)]
    fn survey_follows_a_completed_visit_after_its_delay(
        #[case] status: AppointmentStatus,
        #[case] now: DateTime<Utc>,
        #[case] due: bool,
    ) {
        let v = visit(status, at(25, 10));
        assert_eq!(survey_due(&v, Duration::hours(2), now), due);
    }

    #[test]
    fn every_due_visit_is_among_the_candidates_loaded() {
        let delay = Duration::hours(2);
        let now = at(27, 12);
        let v = visit(AppointmentStatus::Completed, at(25, 10));
        assert!(survey_due(&v, delay, now));
        assert!(survey_candidates_since(delay, now) <= v.start);
    }

    fn template(body: &str) -> Template {
        Template::parse(body).unwrap()
    }

    const BOTH: PracticeLinks = PracticeLinks {
        portal_url: true,
        survey_url: true,
    };
    const NO_PORTAL: PracticeLinks = PracticeLinks {
        portal_url: false,
        survey_url: true,
    };
    const NO_SURVEY: PracticeLinks = PracticeLinks {
        portal_url: true,
        survey_url: false,
    };

    #[rstest]
    #[case::welcome_with_both(MessageKind::Welcome, BOTH, None)]
    #[case::welcome_without_portal(MessageKind::Welcome, NO_PORTAL, Some(MissingLink::PortalUrl))]
    #[case::welcome_without_survey(MessageKind::Welcome, NO_SURVEY, None)]
    #[case::survey_with_both(MessageKind::Survey, BOTH, None)]
    #[case::survey_without_survey(MessageKind::Survey, NO_SURVEY, Some(MissingLink::SurveyUrl))]
    #[case::survey_without_portal(MessageKind::Survey, NO_PORTAL, None)]
    fn the_shipped_templates_need_their_links(
        #[case] kind: MessageKind,
        #[case] links: PracticeLinks,
        #[case] missing: Option<MissingLink>,
    ) {
        let t = template(default_template(kind).unwrap());
        assert_eq!(missing_link(&t, links), missing);
    }

    #[test]
    fn an_edited_welcome_without_the_portal_needs_no_portal_url() {
        let t = template("Welcome to {practice_name}, {first_name}! Questions? {practice_phone}");
        assert_eq!(missing_link(&t, NO_PORTAL), None);
    }

    #[test]
    fn the_reasons_say_what_to_set() {
        assert_eq!(MissingLink::PortalUrl.reason(), "no portal URL set");
        assert_eq!(MissingLink::SurveyUrl.reason(), "no survey URL set");
    }
}

//! Every word the console shows, in one place (key labels live in the keymap table, which is
//! the single source of the footer and the help overlay). No IO; imports domain types only.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::ProviderKind;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentFlag;
use crate::domain::reply::ReplyKind;
use crate::workflow::day::ProviderStatus;

pub const EMPTY_CELL: &str = "—";
pub const LOADING: &str = "Loading…";
// batch
/// The batch preview has nothing to send.
pub const BATCH_NOTHING: &str = "Nothing to send for these days now.";
pub const BATCH_NO_RETRY: &str =
    "No text of this batch is left waiting; failures for good are listed with their code.";
pub const BATCH_EMPTY: &str = "No appointments in these days.";
pub const BATCH_CANCELLING: &str = " · cancelling after the texts in flight…";
pub const PROMPTS_NOTHING: &str = "None of these patients may get this prompt now; see each line.";
pub const PROMPTS_NONE: &str = "No patient chosen: mark rows on the day view with space, then P.";
pub const NO_APPOINTMENTS: &str = "No appointments on this day.";
pub const ALL_CONFIRMED: &str = "Every appointment on this day is confirmed or settled.";
pub const FILTER_ON: &str = "showing unconfirmed only — u shows all";
pub const SEARCH_TITLE: &str = " Find a patient ";
pub const SEARCH_PROMPT: &str = "Name or phone: ";
pub const SEARCH_HINT: &str =
    "Type any part of a name (\"ada lov\", accents optional) or 3+ digits of a mobile number.";
pub const SEARCH_NONE: &str = "No patient matches.";
pub const SEARCHING: &str = "Searching…";
pub const NO_UPCOMING: &str = "no upcoming";
pub const HELP_TITLE: &str = " Keys — Esc closes ";
pub const HELP_TYPING: &str = "type to search by name or phone digits";
pub const NOT_A_TERMINAL: &str = "the console needs a terminal window; run frontdesk in one, or use a command (see frontdesk --help)";
pub const PROVIDER_UNKNOWN: &str = "SMS: checking…";

/// The column headers of the day table.
pub mod header {
    pub const TIME: &str = "Time";
    pub const PATIENT: &str = "Patient";
    pub const CLINICIAN: &str = "Clinician";
    /// When the column is narrower than "Clinician".
    pub const CLINICIAN_SHORT: &str = "Clin.";
    pub const TYPE: &str = "Type";
    pub const STATUS: &str = "Status";
    pub const REPLY: &str = "Reply";
    pub const SMS: &str = "SMS";
    pub const PORTAL: &str = "Portal";
}

/// The search list's column headers.
pub mod search_header {
    pub const NAME: &str = "Patient";
    pub const BORN: &str = "Born";
    pub const MOBILE: &str = "Mobile";
    pub const NEXT: &str = "Next appointment";
    pub const SMS: &str = "SMS";
}

/// Help overlay section titles.
/// managers: what opening a patient says until the patient screen exists.
pub const PATIENT_SCREEN_MISSING: &str = "The patient screen is not in this version yet";

pub mod section {
    pub const DAY: &str = "Day view";
    pub const SEARCH: &str = "Patient search";
    pub const CONFIRM: &str = "Confirm box";
    pub const HELP: &str = "This help";
    pub const ANYWHERE: &str = "Anywhere";
    // sign-in
    pub const STAFF: &str = "Staff accounts";
    pub const STAFF_FORM: &str = "Staff form";
    pub const LEGEND: &str = "Symbols";
    // reception
    pub const PATIENT: &str = "Patient screen";
    pub const COMPOSE: &str = "Writing a text / choosing a prompt";
    pub const FORM: &str = "Consent, opt-out and mobile forms";
    pub const INBOX: &str = "Replies and call-backs";
    pub const CLOSURE: &str = "Closure / schedule-change notice"; // closure
    pub const BATCH: &str = "Reminder batch";
    // batch
    pub const BATCH_WINDOW: &str = "Reminder batch: typing a day or window";
    pub const PROMPTS: &str = "Portal prompt to several patients";
    // managers
    pub const STATS: &str = "Statistics";
    pub const STATS_DRILL: &str = "Statistics: appointments behind a number";
    pub const STATS_PERIOD: &str = "Statistics: custom period";
    pub const TEMPLATES: &str = "Templates";
    pub const TEMPLATE_EDIT: &str = "Templates: editing";
    pub const AUDIT: &str = "Audit";
    pub const AUDIT_FILTER: &str = "Audit: filter";
}

// closure
pub mod closure;

/// What help says after a key the signed-in role may not use.
pub const NOT_FOR_YOUR_ROLE: &str = "not for your role"; // sign-in

mod reminders;
pub use reminders::{
    reminder, reminder_detail, reminder_loading, reminder_needs_words, reminder_on_file,
};

/// The symbol legend shown at the end of the help overlay.
pub const LEGEND: &[(&str, &str)] = &[
    ("✓ in", "SMS consent: opted in with evidence"),
    ("none", "SMS consent: nothing recorded — no automated texts"),
    ("✗ out", "SMS consent: opted out — no texts"),
    ("·  …", "reminder planned / queued"),
    ("✓  ✓✓", "reminder sent / delivered"),
    ("✗  –", "reminder failed / skipped"),
    ("»", "reminder waiting (quiet hours, caps): goes later"),
    ("⊘", "reminder blocked by the PHI gate (clinical detail)"),
    ("C R STOP", "latest reply: confirm, call me back, opt-out"),
];

/// "Wednesday, November 25, 2026 · today".
pub fn day_title(date: NaiveDate, today: NaiveDate) -> String {
    let base = date.format("%A, %B %-d, %Y").to_string();
    match (date - today).num_days() {
        0 => format!("{base} · today"),
        1 => format!("{base} · tomorrow"),
        -1 => format!("{base} · yesterday"),
        _ => base,
    }
}

/// "18 appointments · 5 unconfirmed".
pub fn day_counts(total: usize, unconfirmed: usize) -> String {
    let noun = if total == 1 {
        "appointment"
    } else {
        "appointments"
    };
    format!("{total} {noun} · {unconfirmed} unconfirmed")
}

/// Local "HH:MM".
pub fn clock_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// "Wed Nov 25 10:00" for the search list.
pub fn short_when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %b %-d %H:%M").to_string()
}

pub fn status(s: AppointmentStatus) -> &'static str {
    s.label()
}

/// The consent cell: symbol plus words, so it reads without colour.
pub fn consent(flag: ConsentFlag, wide: bool) -> &'static str {
    match (flag, wide) {
        (ConsentFlag::OptedIn, false) => "✓ in",
        (ConsentFlag::OptedIn, true) => "✓ opted in",
        (ConsentFlag::None, _) => "none",
        (ConsentFlag::OptedOut, false) => "✗ out",
        (ConsentFlag::OptedOut, true) => "✗ opted out",
    }
}

pub fn consent_long(flag: ConsentFlag) -> &'static str {
    match flag {
        ConsentFlag::OptedIn => "SMS opted in",
        ConsentFlag::None => "no SMS consent",
        ConsentFlag::OptedOut => "SMS opted out",
    }
}

pub fn portal(active: bool) -> &'static str {
    if active { "yes" } else { "no" }
}

pub fn reply(kind: Option<ReplyKind>) -> &'static str {
    kind.map_or(EMPTY_CELL, ReplyKind::tag)
}

/// "Consultation with Dr. Lindqvist".
pub fn visit(type_label: &str, clinician: &str) -> String {
    format!("{type_label} with {clinician}")
}

/// "48h".
pub fn offset_header(hours: u32) -> String {
    format!("{hours}h")
}

/// Extra facts about the selected row's patient that explain a missing text.
pub fn row_flags(has_mobile: bool, number_flagged: bool, callback: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !has_mobile {
        out.push("no mobile number");
    }
    if number_flagged {
        out.push("mobile number failed — fix it");
    }
    if callback {
        out.push("asked to be called back");
    }
    out
}

/// The footer's provider state: online / offline / outbox N.
pub fn provider(status: &ProviderStatus) -> String {
    let state = match status.online {
        Some(true) => "● online",
        Some(false) => "○ offline",
        None => "? not contacted yet",
    };
    let name = match status.provider {
        ProviderKind::Outbox => "outbox provider",
        ProviderKind::Twilio => "Twilio",
    };
    format!("SMS {state} ({name}) · outbox {}", status.outbox)
}

pub fn provider_error(e: &str) -> String {
    format!("SMS status unavailable: {e}")
}

pub fn too_small(width: u16, height: u16, min_w: u16, min_h: u16) -> String {
    format!(
        "Terminal too small — need at least {min_w}×{min_h} (now {width}×{height}). Enlarge the window, or press q to quit."
    )
}

pub fn day_load_failed(e: &str) -> String {
    format!("Could not load this day: {e}. Press r to try again.")
}

pub fn search_failed(e: &str) -> String {
    format!("Search failed: {e}")
}

pub fn search_count(n: usize) -> String {
    match n {
        1 => "1 patient — Enter opens the day of their next appointment".into(),
        n => format!("{n} patients — Enter opens the day of their next appointment"),
    }
}

pub fn no_next_appointment(name: &str) -> String {
    format!("{name} has no upcoming appointment.")
}

pub fn appointment_gone() -> String {
    "That appointment is no longer on this day.".into()
}

pub fn nothing_selected() -> String {
    "No appointment selected.".into()
}

/// Title of the confirm box for a destructive change.
pub fn confirm_title(to: AppointmentStatus) -> String {
    match to {
        AppointmentStatus::Cancelled => " Cancel this appointment? ".into(),
        AppointmentStatus::NoShow => " Mark as no-show? ".into(),
        other => format!(" Mark as {other}? "),
    }
}

pub fn confirm_body(to: AppointmentStatus) -> String {
    match to {
        AppointmentStatus::Cancelled => {
            "It stays on record as cancelled; reminders for it stop.".into()
        }
        AppointmentStatus::NoShow => {
            "It counts as a no-show in the statistics. If they turn up later, mark arrived.".into()
        }
        other => format!("The appointment will be marked {other}."),
    }
}

pub const CONFIRM_KEYS: &str = "y / Enter: yes      n / Esc: no";

/// The toast after a change landed.
pub fn marked(time: &str, name: &str, to: AppointmentStatus) -> String {
    format!("{time} {name} — marked {to}")
}

pub fn refused(e: &str) -> String {
    format!("Not changed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_day_titles() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            day_title(today, today),
            "Wednesday, November 25, 2026 · today"
        );
        assert!(day_title(today.pred_opt().unwrap(), today).ends_with("· yesterday"));
        assert_eq!(
            day_title(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), today),
            "Tuesday, December 1, 2026"
        );
    }
}

// reception
/// The words of the patient screen, its forms and the text box.
pub mod desk {
    use chrono::{DateTime, Utc};
    use chrono_tz::Tz;

    use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
    use crate::domain::message::MessageKind;
    use crate::domain::report::SendOutcome;
    use crate::workflow::send::SendLine;

    pub const CONSENT: &str = "Consent";
    pub const NO_CONSENT_EVENTS: &str =
        "  nothing recorded — no texts until a signed consent is recorded (i)";
    pub const UPCOMING: &str = "Upcoming appointments";
    pub const PAST: &str = "Past appointments";
    pub const NONE: &str = "  none";
    pub const MESSAGES: &str = "Messages (newest first)";
    pub const NO_MESSAGES: &str = "  no texts yet";
    pub const COMPOSE_TITLE: &str = " Text to ";
    pub const PROMPT_TITLE: &str = " Portal prompt to ";
    pub const GATE_OK: &str = "PHI check: nothing clinical found";
    pub const EMPTY_TEXT: &str = "Type the text. It goes out behind the practice's name.";
    pub const PROMPT_HELP: &str =
        "The text only asks the patient to log in; the content stays in the portal.";
    pub const SENDING: &str = "Sending…";
    pub const INSTEAD: &str =
        "Ctrl-P: send a portal prompt instead (the content stays in the portal)";
    pub const RECORDED_BY: &str = "Recorded by you (the signed-in member of staff), now.";
    pub const SAVING: &str = "Recording…";

    /// The four prompts with what each says, in the order the picker lists them.
    pub const PROMPTS: [(MessageKind, &str); 4] = [
        (MessageKind::PortalNewMessage, "new secure message"),
        (MessageKind::PortalResultsReady, "results ready"),
        (MessageKind::PortalIntakeForms, "complete intake forms"),
        (
            MessageKind::PortalRenewalReview,
            "prescription renewal needs review",
        ),
    ];

    /// "Patient · Lovelace, Ada".
    pub fn title(name: &str) -> String {
        format!("Patient · {name}")
    }

    /// "Wed Nov 25 2026 09:00" in the practice's zone.
    pub fn when(t: DateTime<Utc>, tz: Tz) -> String {
        t.with_timezone(&tz)
            .format("%a %b %-d %Y %H:%M")
            .to_string()
    }

    /// "Nov 25 09:00" for message lines.
    pub fn short(t: DateTime<Utc>, tz: Tz) -> String {
        t.with_timezone(&tz).format("%b %-d %H:%M").to_string()
    }

    /// The consent state in one line.
    pub fn consent_now(state: &ConsentState, tz: Tz) -> String {
        let day = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d").to_string();
        match state {
            ConsentState::None => "SMS: no consent recorded — no texts".into(),
            ConsentState::OptedIn {
                since,
                method,
                evidence,
            } => format!(
                "SMS: ✓ opted in since {} ({}, {evidence})",
                day(*since),
                method.label()
            ),
            ConsentState::Unverified { since } => format!(
                "SMS: opt-in of {} has no evidence — no texts until it is recorded (i)",
                day(*since)
            ),
            ConsentState::OptedOut { since, method } => {
                format!(
                    "SMS: ✗ opted out since {} ({})",
                    day(*since),
                    method.label()
                )
            }
        }
    }

    /// One consent event: when, what, how, evidence, who.
    pub fn consent_event(e: &ConsentEvent, tz: Tz) -> String {
        let what = match e.kind {
            ConsentKind::OptIn => "opt-in ",
            ConsentKind::OptOut => "opt-out",
        };
        let evidence = e.evidence.as_deref().unwrap_or("no evidence");
        format!(
            "  {}  {what}  {} · {evidence} · recorded by {}",
            short(e.at, tz),
            e.method.label(),
            e.recorded_by
        )
    }

    /// "mobile +12015550134" or what is wrong with it.
    pub fn mobile(number: Option<&str>, problem: Option<(&str, DateTime<Utc>)>, tz: Tz) -> String {
        match (number, problem) {
            (None, _) => "no mobile number (m adds one)".into(),
            (Some(n), None) => format!("mobile {n}"),
            (Some(n), Some((code, at))) => format!(
                "mobile {n} ⚠ failed ({code}) on {} — no texts until fixed (m)",
                short(at, tz)
            ),
        }
    }

    pub fn portal(active: bool) -> &'static str {
        if active {
            "portal account: active"
        } else {
            "portal account: none"
        }
    }

    /// Method choices offered by each form.
    pub const OPT_IN_METHODS: [ConsentMethod; 3] = [
        ConsentMethod::WrittenForm,
        ConsentMethod::ESignature,
        ConsentMethod::Portal,
    ];
    pub const OPT_OUT_METHODS: [ConsentMethod; 4] = [
        ConsentMethod::Verbal,
        ConsentMethod::WrittenForm,
        ConsentMethod::ESignature,
        ConsentMethod::Portal,
    ];

    /// The toast after a send: what happened to the text, with the reason when it did not go.
    pub fn sent(name: &str, kind: MessageKind, line: Option<&SendLine>) -> String {
        let what = if kind == MessageKind::Custom {
            "text"
        } else {
            "portal prompt"
        };
        let Some(l) = line else {
            return format!("{what} to {name}: nothing to send");
        };
        let outcome = match l.outcome {
            SendOutcome::InOutbox => "in the outbox",
            SendOutcome::Queued => "queued for the provider",
            SendOutcome::Deferred => "waits",
            SendOutcome::AlreadySent => "already sent today — not sent again",
            other => other.as_str(),
        };
        let code = l
            .code
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        match &l.reason {
            Some(r) => format!("{what} to {name}: {outcome}{code} — {r}"),
            None => format!("{what} to {name}: {outcome}{code}"),
        }
    }

    pub const INBOX_TITLE: &str = "Replies and call-backs";
    pub const NO_REPLIES: &str = "  no replies waiting";
    pub const NO_CALLBACKS: &str = "  nobody to call back";
    pub const CALL_ME: &str = "asked to be called back about this visit";
    /// closure: c / f / o on a call-back line.
    pub const ONLY_REPLIES: &str =
        "Confirm, flag and opt-out act on a reply; phone this patient, then h marks it handled";

    pub const NOTHING_TO_UNDO: &str =
        "Nothing to undo: no status was changed here since the day was opened.";

    /// The toast after an undo.
    pub fn undone(to: crate::domain::appointment::AppointmentStatus) -> String {
        format!("Undone — the appointment is {to} again")
    }

    /// The confirm box's warning for a change on another day.
    pub fn not_today(day: chrono::NaiveDate) -> String {
        format!("This is {} — not today.", day.format("%A, %B %-d"))
    }

    /// The search found more than it lists.
    pub fn search_more(shown: usize) -> String {
        format!(
            "more than {shown} patients match — the first {shown} are listed; type more to narrow"
        )
    }

    /// "Replies to read (2)".
    pub fn replies_header(n: usize) -> String {
        format!("Replies to read ({n})")
    }

    /// "Call back (1)".
    pub fn callbacks_header(n: usize) -> String {
        format!("Call back ({n})")
    }

    /// The status line's part about the inbox.
    pub fn inbox_counts(replies: usize, callbacks: usize) -> String {
        format!("replies {replies} · call back {callbacks}")
    }

    /// The segment counter: "GSM-7 · 1 segment · 87 left".
    pub fn segments(encoding: &str, segments: u32, left: u32) -> String {
        let noun = if segments == 1 { "segment" } else { "segments" };
        format!("{encoding} · {segments} {noun} · {left} left in this one")
    }
}

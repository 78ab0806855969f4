//! Words of the closure / schedule-change notice screen and of the reply inbox's actions.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::report::SendOutcome;
use crate::workflow::closure_desk::{ClosureLine, ClosureView};

pub const TITLE: &str = "Closure / schedule-change notice";
pub const FROM: &str = "From";
pub const TO: &str = "To";
pub const NOTICE: &str = "Notice";
pub const WHO: &str = "Who";
pub const EVERYONE: &str = "everyone booked";
pub const WHO_HINT: &str = "←/→ on this line: one clinician's visits only";

/// "only Dr. Chen's visits".
pub fn only(clinician: &str) -> String {
    format!("only {clinician}'s visits")
}
pub const FORMAT_HINT: &str = "YYYY-MM-DD HH:MM, practice time";
pub const NOTICE_HINT: &str = "the practice's name goes in front; checked as you type";
pub const EMPTY_NOTICE: &str = "Write what patients should know (no clinical detail).";
pub const GATE_OK: &str = "✓ nothing clinical";
pub const PREVIEW_HINT: &str = "Enter on the notice shows who gets it and who does not.";
pub const LOADING: &str = "Looking at everyone booked in the window…";
pub const WORKING: &str = "Working… (Esc hides this box; the work goes on)";
pub const NOT_YOURS: &str = "Not allowed: your role does not send closure notices.";
pub const EDITED: &str = "Changed since the list was made: Enter to see it again before sending.";
pub const NOTHING_BOOKED: &str = "Nobody has an open visit in this window: nothing to send.";
pub const PREVIEW_FIRST: &str = "Press Enter on the notice first, to see who gets it.";
pub const ASK_TITLE: &str = " Send the closure notice? ";
pub const OPT_OUT_TITLE: &str = " Record an opt-out from this reply? ";
/// The day view's status cell of a visit a closure notice took away.
pub const REBOOK: &str = "rebook";
/// The day view's detail line for it.
pub const REBOOK_LONG: &str = "rebook: a closure notice took this visit";
pub const NOT_A_TIME: &str = "not a time yet: YYYY-MM-DD HH:MM";
pub const NO_SUCH_TIME: &str = "that time does not exist here (clocks change)";
pub const END_BEFORE_START: &str = "the end must be after the start";

/// "→ Thu Mar 5 08:00 EST" beside a window field.
pub fn when(t: DateTime<Utc>, tz: Tz) -> String {
    format!("→ {}", t.with_timezone(&tz).format("%a %b %-d %H:%M %Z"))
}

/// "12 visits: 9 will get it · 3 will not (3 → call-back list) · …".
pub fn summary(v: &ClosureView) -> String {
    let (reach, calls) = v.counts();
    let n = v.lines.len();
    let not = n - reach;
    let visits = if n == 1 { "visit" } else { "visits" };
    let (get, got) = if v.dry_run {
        ("will get it", "will not")
    } else {
        ("told", "not told")
    };
    let mut out = format!("{n} {visits}: {reach} {get} · {not} {got}");
    if calls > 0 {
        out.push_str(&format!(" ({calls} → call back)"));
    }
    if v.dry_run {
        out.push_str(" · all to rebook");
    } else {
        let marked = v.lines.iter().filter(|l| l.rebook).count();
        out.push_str(&format!(" · {marked} marked to rebook"));
    }
    out
}

/// The outcome of one line, short: "goes now", "in the outbox", "no consent → call back".
pub fn outcome(l: &ClosureLine) -> String {
    let words = match l.line.outcome {
        SendOutcome::WouldSend => "goes now".to_string(),
        SendOutcome::InOutbox => "in the outbox".to_string(),
        SendOutcome::Sent => "sent".to_string(),
        SendOutcome::Queued => "queued for the provider".to_string(),
        SendOutcome::AlreadySent => "already told — not sent again".to_string(),
        other => other.as_str().replace('_', " "),
    };
    let reason = l
        .line
        .reason
        .as_deref()
        .map(|r| r.trim_end_matches("; on the call-back list"));
    let code = l
        .line
        .code
        .as_deref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    let mut out = match reason {
        Some(r) if l.reaches() => format!("{words}: {r}"),
        Some(r) => format!("{r}{code}"),
        None => format!("{words}{code}"),
    };
    if l.line.callback {
        out.push_str(" → call back");
    }
    out
}

/// The confirm box's lines before the send.
pub fn ask(v: &ClosureView, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<String> {
    let (reach, calls) = v.counts();
    let f = |t: DateTime<Utc>| t.with_timezone(&tz).format("%a %b %-d %H:%M").to_string();
    vec![
        format!("Closed {} – {}", f(from), f(to)),
        format!("{reach} get the notice now or before it begins."),
        format!("{calls} go on the call-back list (cannot be told in time)."),
        format!("All {} visits are marked for rebooking.", v.lines.len()),
    ]
}

/// The confirm box's lines before an opt-out from a reply.
pub fn ask_opt_out(name: &str, body: &str) -> Vec<String> {
    vec![
        format!("{name} wrote: \"{}\"", body.trim()),
        "No more texts to this number (everyone on it).".to_string(),
        "The reply is kept as the opt-out's evidence.".to_string(),
    ]
}

/// What confirm / flag act on, for the inbox's detail line.
pub fn visit(t: DateTime<Utc>, tz: Tz) -> String {
    format!("visit {}", t.with_timezone(&tz).format("%a %b %-d %H:%M"))
}

pub const NO_VISIT: &str = "no upcoming visit";

/// A closure call-back's reason, short enough for the list ("closure notice: no consent");
/// the detail line below the lists has it in full.
pub fn callback_short(reason: &str) -> String {
    match reason.split_once(" could not reach the patient in time: ") {
        Some((kind, why)) => format!("{kind} notice not in time: {why}"),
        None => reason.to_string(),
    }
}

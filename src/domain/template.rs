//! Message templates: the closed placeholder set, parsing, rendering in the patient's time
//! zone, the rules a template must meet before it is saved, and the shipped defaults.
//!
//! Pure: std, chrono(-tz), thiserror; reads `reminder::rules::OptOutNotice` as a value. The PHI
//! gate is *not* applied here: the workflow gates every rendered body, with the spans
//! [`Template::render_marked`] reports as filled from the database (SPEC §5.1: first name,
//! clinician, practice name, date, time, location) so that a patient's own name never reads as
//! a drug or a disease. The spans stay correct through the GSM-7 normalisation: the renderer
//! marks each value while it tidies and normalises, then takes the marks out.
//!
//! Placeholders (SPEC §1 forbids any that could carry clinical detail; the set is closed):
//!
//! | placeholder        | value                                                              |
//! |--------------------|--------------------------------------------------------------------|
//! | `{first_name}`     | the patient's first name                                           |
//! | `{practice_name}`  | the practice's name                                                |
//! | `{practice_phone}` | the practice's phone as people write it ([`display_phone`])        |
//! | `{date}`           | the (first) appointment's day in the patient's zone: `Wed Nov 25`  |
//! | `{time}`           | the (first) appointment's time in the patient's zone: `9:30 AM`    |
//! | `{time2}`          | same-day double booking: the later time(s), joined with " and "    |
//! | `{clinician}`      | the clinician's display name ("Dr. Okafor")                        |
//! | `{location}`       | the practice's neutral location (an address, never a department)   |
//! | `{portal_url}`     | the patient portal's address                                       |
//! | `{survey_url}`     | the post-visit survey link                                         |
//! | `{reply_options}`  | [`REPLY_OPTIONS`] — never asks for CANCEL                          |
//! | `{opt_out}`        | [`OPT_OUT_NOTICE`] when the notice is due, otherwise nothing       |
//!
//! `{{` and `}}` write a literal brace. Anything else between braces is an error naming it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::consent::ConsentState;
use super::message::MessageKind;
use super::phone::E164;
use super::segments::{self, MAX_SEGMENTS};
use crate::domain::reminder::rules::OptOutNotice;
use tidy::tidy_spaces;

/// The words `{opt_out}` renders to (SPEC §5.3, §5.9).
pub const OPT_OUT_NOTICE: &str = "Reply STOP to opt out.";

/// The words `{reply_options}` renders to. CANCEL is deliberately absent: a reply of CANCEL is
/// an opt-out (SPEC §5.3), so no message may invite it.
pub const REPLY_OPTIONS: &str = "Reply C to confirm, R to reschedule.";

/// A value a template may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    FirstName,
    PracticeName,
    PracticePhone,
    Date,
    Time,
    Time2,
    Clinician,
    Location,
    PortalUrl,
    SurveyUrl,
    ReplyOptions,
    OptOut,
}

impl Placeholder {
    pub const ALL: [Self; 12] = [
        Self::FirstName,
        Self::PracticeName,
        Self::PracticePhone,
        Self::Date,
        Self::Time,
        Self::Time2,
        Self::Clinician,
        Self::Location,
        Self::PortalUrl,
        Self::SurveyUrl,
        Self::ReplyOptions,
        Self::OptOut,
    ];

    /// The name written between braces.
    pub fn name(self) -> &'static str {
        match self {
            Self::FirstName => "first_name",
            Self::PracticeName => "practice_name",
            Self::PracticePhone => "practice_phone",
            Self::Date => "date",
            Self::Time => "time",
            Self::Time2 => "time2",
            Self::Clinician => "clinician",
            Self::Location => "location",
            Self::PortalUrl => "portal_url",
            Self::SurveyUrl => "survey_url",
            Self::ReplyOptions => "reply_options",
            Self::OptOut => "opt_out",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Filled from the practice's own records, never typed into a message (SPEC §5.1): the
    /// PHI gate's vocabulary rules do not read these values, its identifier rules do.
    pub fn is_trusted(self) -> bool {
        matches!(
            self,
            Self::FirstName
                | Self::PracticeName
                | Self::Date
                | Self::Time
                | Self::Time2
                | Self::Clinician
                | Self::Location
        )
    }

    /// "{first_name}, {practice_name}, …" for error messages and the editor's help.
    pub fn list() -> String {
        Self::ALL
            .iter()
            .map(|p| format!("{{{}}}", p.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why a template cannot be used or saved. Messages say what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unknown placeholder {{{name}}}; the placeholders are {}",
        Placeholder::list()
    )]
    UnknownPlaceholder {
        name: String,
        /// Byte offset of the `{`.
        at: usize,
    },
    #[error("a {{ at character {character} is never closed; write {{{{ for a literal brace")]
    UnclosedBrace {
        /// Byte offset.
        at: usize,
        /// 1-based character position, as the editor counts.
        character: usize,
    },
    #[error("a }} at character {character} has no opening {{; write }}}} for a literal brace")]
    StrayClosingBrace { at: usize, character: usize },
    #[error("{{{placeholder}}} has no value for this message ({why})")]
    MissingValue {
        placeholder: &'static str,
        why: &'static str,
    },
    #[error("the template is empty")]
    Empty,
    #[error("{0} messages are written at the desk, not from a template")]
    NotATemplate(MessageKind),
    #[error("every message must name the practice: add {{practice_name}}")]
    MissingPracticeName,
    #[error("every message must give the practice's phone number: add {{practice_phone}}")]
    MissingPracticePhone,
    #[error("this message must carry the opt-out wording: add {{opt_out}}")]
    MissingOptOut,
    #[error("a HELP reply must say \"Msg & data rates may apply\" and \"Msg frequency varies\"")]
    MissingHelpWording,
    #[error("a {kind} message needs {{{placeholder}}}")]
    MissingPlaceholder {
        kind: MessageKind,
        placeholder: &'static str,
    },
    #[error(
        "templates must not ask patients to reply CANCEL (it opts them out); use {{reply_options}}"
    )]
    AsksForCancel,
    #[error(
        "{{reply_options}} belongs in appointment reminders only; patients cannot confirm a {0}"
    )]
    ReplyOptionsOutsideReminder(MessageKind),
    #[error(
        "rendered with long names this is {segments} SMS segments; the limit is {MAX_SEGMENTS}"
    )]
    TooLong { segments: u32 },
}

/// 1-based character position of byte offset `at`.
fn char_pos(body: &str, at: usize) -> usize {
    body.get(..at).map_or(at, |s| s.chars().count()) + 1
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(Placeholder),
}

/// A parsed template: known to use only the closed placeholder set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Everything a template may draw on for one message. Times are rendered in `tz`, the
/// patient's zone ([`crate::domain::patient::Patient::zone`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RenderContext<'a> {
    pub first_name: &'a str,
    pub practice_name: &'a str,
    /// As people write it; see [`display_phone`].
    pub practice_phone: &'a str,
    pub portal_url: &'a str,
    /// Neutral: an address, never a department or specialty.
    pub location: &'a str,
    pub tz: Tz,
    /// Appointment start(s) in order: the first gives `{date}`/`{time}`, the rest `{time2}`.
    pub starts: &'a [DateTime<Utc>],
    pub clinician: Option<&'a str>,
    pub survey_url: Option<&'a str>,
    /// Render `{opt_out}` as [`OPT_OUT_NOTICE`]; decide with [`wants_opt_out_notice`].
    pub opt_out_notice: bool,
}

impl Template {
    /// Parse a body; an unknown placeholder or an unbalanced brace is an error naming it.
    /// Used when a template is loaded as well as when it is saved.
    pub fn parse(body: &str) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => {
                    return Err(TemplateError::StrayClosingBrace {
                        at: i,
                        character: char_pos(body, i),
                    });
                }
                '{' => {
                    let rest = &body[i + 1..];
                    let end = rest
                        .find(['}', '{', '\n'])
                        .filter(|&e| rest[e..].starts_with('}'))
                        .ok_or_else(|| TemplateError::UnclosedBrace {
                            at: i,
                            character: char_pos(body, i),
                        })?;
                    let name = &rest[..end];
                    let slot = Placeholder::parse(name).ok_or_else(|| {
                        TemplateError::UnknownPlaceholder {
                            name: name.to_string(),
                            at: i,
                        }
                    })?;
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Slot(slot));
                    // Skip the name and the closing brace.
                    for _ in 0..name.chars().count() + 1 {
                        chars.next();
                    }
                }
                _ => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        if pieces
            .iter()
            .all(|p| matches!(p, Piece::Text(t) if t.trim().is_empty()))
        {
            return Err(TemplateError::Empty);
        }
        Ok(Self { pieces })
    }

    /// Does the template use this placeholder?
    pub fn uses(&self, p: Placeholder) -> bool {
        self.pieces.contains(&Piece::Slot(p))
    }

    /// The fixed wording, placeholders left out (for wording rules).
    fn literal(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Slot(_) => " ",
            })
            .collect()
    }

    /// The body for one message: placeholders filled, whitespace left by an empty `{opt_out}`
    /// tidied, and typography normalised to GSM-7 ([`segments::normalise`]).
    pub fn render(&self, ctx: &RenderContext<'_>) -> Result<String, TemplateError> {
        // Room for the text and typical values at once: one allocation, not a growing one.
        let room = self.pieces.iter().map(|p| match p {
            Piece::Text(t) => t.len(),
            Piece::Slot(_) => 24,
        });
        let mut out = String::with_capacity(room.sum());
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Slot(p) => out.push_str(&value(*p, ctx)?),
            }
        }
        let tidy = tidy_spaces(&out);
        // Most bodies need no change: keep the tidied string rather than copy it.
        Ok(match segments::normalise(&tidy) {
            std::borrow::Cow::Borrowed(_) => tidy,
            std::borrow::Cow::Owned(changed) => changed,
        })
    }
}

/// One placeholder's value; control characters in stored values become spaces so a value
/// can never add lines or hide text.
fn value(p: Placeholder, ctx: &RenderContext<'_>) -> Result<String, TemplateError> {
    let missing = |why| TemplateError::MissingValue {
        placeholder: p.name(),
        why,
    };
    let given = |v: &str, why| {
        let v: String = v
            .chars()
            .map(|c| {
                if c.is_control() || c == OPEN || c == CLOSE {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let v = v.trim();
        if v.is_empty() {
            Err(missing(why))
        } else {
            Ok(v.to_string())
        }
    };
    let local = |t: &DateTime<Utc>| t.with_timezone(&ctx.tz);
    match p {
        Placeholder::FirstName => given(ctx.first_name, "the patient has no first name"),
        Placeholder::PracticeName => given(ctx.practice_name, "set practice.name"),
        Placeholder::PracticePhone => given(ctx.practice_phone, "set practice.phone"),
        Placeholder::PortalUrl => given(ctx.portal_url, "set practice.portal_url"),
        Placeholder::Location => given(ctx.location, "set practice.location"),
        Placeholder::Date => ctx
            .starts
            .first()
            .map(|t| local(t).format("%a %b %-d").to_string())
            .ok_or_else(|| missing("no appointment")),
        Placeholder::Time => ctx
            .starts
            .first()
            .map(|t| local(t).format("%-I:%M %p").to_string())
            .ok_or_else(|| missing("no appointment")),
        // A later visit on another day (several appointments in one text) names its day.
        Placeholder::Time2 => match ctx.starts.get(1..) {
            Some(rest) if !rest.is_empty() => Ok(rest
                .iter()
                .map(|t| {
                    let same_day = ctx
                        .starts
                        .first()
                        .is_some_and(|f| local(f).date_naive() == local(t).date_naive());
                    let format = if same_day {
                        "%-I:%M %p"
                    } else {
                        "%a %b %-d %-I:%M %p"
                    };
                    local(t).format(format).to_string()
                })
                .collect::<Vec<_>>()
                .join(" and ")),
            _ => Err(missing("only same-day double bookings have a second time")),
        },
        Placeholder::Clinician => given(ctx.clinician.unwrap_or(""), "no clinician"),
        Placeholder::SurveyUrl => given(ctx.survey_url.unwrap_or(""), "set survey.url"),
        Placeholder::ReplyOptions => Ok(REPLY_OPTIONS.to_string()),
        Placeholder::OptOut => Ok(if ctx.opt_out_notice {
            OPT_OUT_NOTICE.to_string()
        } else {
            String::new()
        }),
    }
}

/// The practice phone as US patients read it ("555-555-0100"); other countries keep E.164.
pub fn display_phone(phone: &E164) -> String {
    let s = phone.as_str();
    match s.strip_prefix("+1") {
        Some(d) if d.len() == 10 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => s.to_string(),
    }
}

/// Whether `{opt_out}` renders the notice (SPEC §5.3, §5.9). HELP replies and opt-in
/// confirmations always carry it (CTIA); the opt-out confirmation never does; with
/// `opt_out_notice = "every"` every other message carries it, with `"first"` only the first
/// message after an opt-in ([`first_since_opt_in`]).
pub fn wants_opt_out_notice(
    kind: MessageKind,
    notice: OptOutNotice,
    first_since_opt_in: bool,
) -> bool {
    match kind {
        MessageKind::HelpReply | MessageKind::OptInConfirmation => true,
        MessageKind::OptOutConfirmation | MessageKind::Reply => false,
        _ => notice == OptOutNotice::Every || first_since_opt_in,
    }
}

/// Is the next outbound message the first since the patient's latest opt-in? `last_outbound`
/// is the newest outbound message to the patient that left or may have left (any status but
/// blocked or withdrawn). Without an opt-in nothing may be sent, so this answers `true` (the
/// notice is never wrongly left off).
pub fn first_since_opt_in(consent: &ConsentState, last_outbound: Option<DateTime<Utc>>) -> bool {
    match (consent, last_outbound) {
        (ConsentState::OptedIn { since, .. }, Some(last)) => last < *since,
        _ => true,
    }
}

/// The kinds that have a template (everything outbound except desk-written custom texts).
pub fn is_templated(kind: MessageKind) -> bool {
    !matches!(kind, MessageKind::Custom | MessageKind::Reply)
}

fn is_reminder(kind: MessageKind) -> bool {
    matches!(
        kind,
        MessageKind::Reminder48h | MessageKind::Reminder24h | MessageKind::SameDayDouble
    )
}

/// Check a template before it is stored (SPEC §3 screen 6, §5.3, §5.9): it parses, names the
/// practice and its phone, carries the opt-out wording where it is required, has what its kind
/// is for (a reminder's date and time, a prompt's portal link), never asks for CANCEL, and rendered with long sample values fits in [`MAX_SEGMENTS`]. The PHI verdict is
/// the caller's (it runs `phi::check` on the sample rendering).
pub fn validate_for_save(kind: MessageKind, body: &str) -> Result<(), TemplateError> {
    if !is_templated(kind) {
        return Err(TemplateError::NotATemplate(kind));
    }
    let t = Template::parse(body)?;
    if !t.uses(Placeholder::PracticeName) {
        return Err(TemplateError::MissingPracticeName);
    }
    if !t.uses(Placeholder::PracticePhone) {
        return Err(TemplateError::MissingPracticePhone);
    }
    let literal = t.literal().to_lowercase();
    let literal_notice = literal.contains("reply stop to opt out");
    if kind != MessageKind::OptOutConfirmation && !t.uses(Placeholder::OptOut) && !literal_notice {
        return Err(TemplateError::MissingOptOut);
    }
    if kind == MessageKind::HelpReply
        && !(literal.contains("data rates may apply") && literal.contains("frequency"))
    {
        return Err(TemplateError::MissingHelpWording);
    }
    for &p in required_placeholders(kind) {
        if !t.uses(p) {
            return Err(TemplateError::MissingPlaceholder {
                kind,
                placeholder: p.name(),
            });
        }
    }
    if asks_for_cancel(&t.literal()) {
        return Err(TemplateError::AsksForCancel);
    }
    if t.uses(Placeholder::ReplyOptions) && !is_reminder(kind) {
        return Err(TemplateError::ReplyOptionsOutsideReminder(kind));
    }
    let rendered = t.render(&sample_context(kind, SampleSize::Long))?;
    let segments = segments::analyse(&rendered).segments;
    if segments > MAX_SEGMENTS {
        return Err(TemplateError::TooLong { segments });
    }
    Ok(())
}

/// What a message of `kind` is for, beyond the practice's name and phone: a reminder names
/// its date and time (a double booking both times), a portal prompt or welcome links the
/// portal, a survey its link.
fn required_placeholders(kind: MessageKind) -> &'static [Placeholder] {
    use Placeholder as P;
    match kind {
        MessageKind::Reminder48h | MessageKind::Reminder24h => &[P::Date, P::Time],
        MessageKind::SameDayDouble => &[P::Date, P::Time, P::Time2],
        MessageKind::Closure => &[P::Date],
        MessageKind::PortalNewMessage
        | MessageKind::PortalResultsReady
        | MessageKind::PortalIntakeForms
        | MessageKind::PortalRenewalReview
        | MessageKind::Welcome
        | MessageKind::Refill => &[P::PortalUrl],
        MessageKind::Survey => &[P::SurveyUrl],
        _ => &[],
    }
}

/// A CANCEL written as a keyword (upper case), or invited ("reply/text/send … cancel").
fn asks_for_cancel(literal: &str) -> bool {
    let words: Vec<&str> = literal
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        let lower = w.to_lowercase();
        if lower != "cancel" && lower != "cancelar" {
            return false;
        }
        let shouted = w.chars().all(|c| c.is_uppercase());
        let invited = words[i.saturating_sub(3)..i].iter().any(|p| {
            matches!(
                p.to_lowercase().as_str(),
                "reply" | "text" | "send" | "respond" | "type" | "responda" | "responde" | "envie"
            )
        });
        shouted || invited
    })
}

mod sample;
mod tidy;
mod trusted;
pub use sample::{SampleSize, sample_context};
use trusted::{CLOSE, OPEN};
pub use trusted::{Rendered, spans_of_values};

macro_rules! defaults {
    ($($kind:ident => $file:literal),* $(,)?) => {
        /// The shipped templates, one per templated kind, for the store to seed. Each comes
        /// from `assets/templates/<kind>.txt`, trimmed.
        pub const DEFAULT_TEMPLATES: &[(MessageKind, &str)] = &[$(
            (MessageKind::$kind,
             include_str!(concat!("../../assets/templates/", $file, ".txt")).trim_ascii()),
        )*];
        #[cfg(test)]
        const DEFAULT_FILES: &[(MessageKind, &str)] = &[$((MessageKind::$kind, $file)),*];
    };
}

defaults!(
    Reminder48h => "reminder-48h",
    Reminder24h => "reminder-24h",
    SameDayDouble => "same-day-double",
    PortalNewMessage => "portal-new-message",
    PortalResultsReady => "portal-results-ready",
    PortalIntakeForms => "portal-intake-forms",
    PortalRenewalReview => "portal-renewal-review",
    Welcome => "welcome",
    Closure => "closure",
    Survey => "survey",
    Refill => "refill",
    HelpReply => "help-reply",
    OptOutConfirmation => "opt-out-confirmation",
    OptInConfirmation => "opt-in-confirmation",
);

/// The shipped body for `kind`, if it has one.
pub fn default_template(kind: MessageKind) -> Option<&'static str> {
    DEFAULT_TEMPLATES
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, body)| *body)
}

#[cfg(test)]
mod tests;

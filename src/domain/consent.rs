//! SMS consent (TCPA): the current state is derived from the patient's consent events.
//!
//! Pure. SPEC §5.2: a patient may receive automated SMS only when the latest event is an
//! opt-in *with evidence* and no later opt-out. Opt-out wins immediately. Events are never
//! edited or deleted; a change of mind is a new event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Opt in or out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    OptIn,
    OptOut,
}

impl ConsentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptIn => "opt_in",
            Self::OptOut => "opt_out",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::OptIn, Self::OptOut]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How the consent or revocation reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// A signed paper form (evidence: the scanned form's reference).
    WrittenForm,
    /// An electronic signature (evidence: the signature record id).
    ESignature,
    /// Ticked in the patient portal (evidence: the portal's record id).
    Portal,
    /// A keyword by SMS: START/UNSTOP/YES to opt in, STOP and friends to opt out
    /// (evidence: the inbound message's provider id).
    SmsKeyword,
    /// The provider reported the recipient unsubscribed (Twilio 21610).
    ProviderReport,
    /// Told to staff in person or by phone (valid for opt-outs, which need no evidence).
    Verbal,
    /// Came with an import from the practice-management system or EHR, which holds the
    /// patient's agreement (evidence: the file, its SHA-256 and the line or entry).
    Import,
    /// A reply in the patient's own words that staff read as an opt-out ("please don't text
    /// me any more"); evidence: the reply's provider id and its text. Opt-outs only.
    SmsReply,
}

impl ConsentMethod {
    pub const ALL: [Self; 8] = [
        Self::WrittenForm,
        Self::ESignature,
        Self::Portal,
        Self::SmsKeyword,
        Self::ProviderReport,
        Self::Verbal,
        Self::Import,
        Self::SmsReply,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrittenForm => "written_form",
            Self::ESignature => "e_signature",
            Self::Portal => "portal",
            Self::SmsKeyword => "sms_keyword",
            Self::ProviderReport => "provider_report",
            Self::Verbal => "verbal",
            Self::Import => "import",
            Self::SmsReply => "sms_reply",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::WrittenForm => "written form",
            Self::ESignature => "e-signature",
            Self::Portal => "portal",
            Self::SmsKeyword => "SMS keyword",
            Self::ProviderReport => "provider report",
            Self::Verbal => "verbal",
            Self::Import => "import from the practice system",
            Self::SmsReply => "SMS reply, read by staff",
        }
    }
    /// Methods that can carry an opt-in (TCPA wants written or electronic agreement).
    pub fn can_opt_in(self) -> bool {
        matches!(
            self,
            Self::WrittenForm | Self::ESignature | Self::Portal | Self::SmsKeyword | Self::Import
        )
    }
}

/// One recorded consent change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub kind: ConsentKind,
    pub method: ConsentMethod,
    /// Reference to the evidence (form id, signature id, message sid).
    pub evidence: Option<String>,
    /// Staff username, or `system` for keywords and provider reports.
    pub recorded_by: String,
    pub at: DateTime<Utc>,
}

/// Why a consent event cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("an opt-in needs evidence: the form, signature or portal record reference")]
    MissingEvidence,
    #[error("an opt-in cannot be recorded as {0}; use written form, e-signature or portal")]
    MethodCannotOptIn(&'static str),
}

impl ConsentEvent {
    /// Check an event before it is stored.
    pub fn validate(&self) -> Result<(), ConsentError> {
        if self.kind == ConsentKind::OptIn {
            if !self.method.can_opt_in() {
                return Err(ConsentError::MethodCannotOptIn(self.method.label()));
            }
            if self.evidence.as_deref().is_none_or(|e| e.trim().is_empty()) {
                return Err(ConsentError::MissingEvidence);
            }
        }
        Ok(())
    }
}

/// The consent state that decides whether automated SMS may go out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConsentState {
    /// Nothing recorded.
    None,
    /// Opted in with evidence: automated SMS allowed.
    OptedIn {
        since: DateTime<Utc>,
        method: ConsentMethod,
        evidence: String,
    },
    /// An opt-in without evidence (e.g. imported): treated as no consent until fixed.
    Unverified { since: DateTime<Utc> },
    /// Opted out: nothing more is sent (beyond one confirmation).
    OptedOut {
        since: DateTime<Utc>,
        method: ConsentMethod,
    },
}

/// The three-way flag the day view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentFlag {
    OptedIn,
    None,
    OptedOut,
}

impl ConsentState {
    /// Fold events in the order they were recorded (oldest first).
    /// The last word counts: the state after the last event, whatever came before it.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a ConsentEvent>) -> Self {
        events.into_iter().fold(Self::None, |_, e| {
            Self::after(e.kind, e.method, e.evidence.as_deref(), e.at)
        })
    }

    /// The state after a last word of `kind` by `method` with `evidence`, recorded `at`: what
    /// [`Self::from_events`] folds to when that is the last event — for readers that have
    /// only the last word (the patient's row carries it, migration 19).
    pub fn after(
        kind: ConsentKind,
        method: ConsentMethod,
        evidence: Option<&str>,
        at: DateTime<Utc>,
    ) -> Self {
        match kind {
            ConsentKind::OptOut => Self::OptedOut { since: at, method },
            ConsentKind::OptIn => match verified_evidence(method, evidence) {
                Some(ev) => Self::OptedIn {
                    since: at,
                    method,
                    evidence: ev.to_string(),
                },
                None => Self::Unverified { since: at },
            },
        }
    }

    /// May automated SMS go to this patient?
    pub fn may_text(&self) -> bool {
        matches!(self, Self::OptedIn { .. })
    }

    /// Has the patient opted out (the last word was a STOP, a form, or the provider's)?
    pub fn is_opted_out(&self) -> bool {
        matches!(self, Self::OptedOut { .. })
    }

    /// Would recording `kind` now change nothing? An opt-out over an opt-out, or an opt-in
    /// where automated texts may already go (an unverified opt-in is not one).
    pub fn already(&self, kind: ConsentKind) -> bool {
        match kind {
            ConsentKind::OptOut => self.is_opted_out(),
            ConsentKind::OptIn => self.may_text(),
        }
    }

    pub fn flag(&self) -> ConsentFlag {
        match self {
            Self::OptedIn { .. } => ConsentFlag::OptedIn,
            Self::None | Self::Unverified { .. } => ConsentFlag::None,
            Self::OptedOut { .. } => ConsentFlag::OptedOut,
        }
    }
}

impl ConsentFlag {
    /// The flag of a patient whose last event was `kind` by `method` with `evidence` (none
    /// recorded: `None`): [`ConsentState::from_events`]'s flag from the last word alone, for
    /// the day sheet, which reads it from the patient's row (migration 19).
    pub fn after(last: Option<(ConsentKind, ConsentMethod, Option<&str>)>) -> Self {
        match last {
            None => Self::None,
            Some((ConsentKind::OptOut, ..)) => Self::OptedOut,
            Some((ConsentKind::OptIn, method, evidence)) => {
                match verified_evidence(method, evidence) {
                    Some(_) => Self::OptedIn,
                    None => Self::None,
                }
            }
        }
    }
}

/// An opt-in's evidence, trimmed, when it makes the opt-in count: some evidence, given by a
/// method that can opt in (SPEC §5.2).
fn verified_evidence(method: ConsentMethod, evidence: Option<&str>) -> Option<&str> {
    evidence
        .map(str::trim)
        .filter(|ev| !ev.is_empty() && method.can_opt_in())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ev(
        kind: ConsentKind,
        method: ConsentMethod,
        evidence: Option<&str>,
        day: u32,
    ) -> ConsentEvent {
        ConsentEvent {
            kind,
            method,
            evidence: evidence.map(str::to_string),
            recorded_by: "desk".into(),
            at: Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0).unwrap(),
        }
    }

    #[test]
    fn no_events_means_no_consent() {
        let s = ConsentState::from_events(&[]);
        assert_eq!(s, ConsentState::None);
        assert!(!s.may_text());
    }

    #[test]
    fn opt_in_with_evidence_allows_texts() {
        let s = ConsentState::from_events(&[ev(
            ConsentKind::OptIn,
            ConsentMethod::WrittenForm,
            Some("FORM-1"),
            1,
        )]);
        assert!(s.may_text());
        assert_eq!(s.flag(), ConsentFlag::OptedIn);
    }

    #[test]
    fn opt_in_without_evidence_is_not_consent() {
        let s = ConsentState::from_events(&[ev(
            ConsentKind::OptIn,
            ConsentMethod::Portal,
            Some("  "),
            1,
        )]);
        assert!(matches!(s, ConsentState::Unverified { .. }));
        assert!(!s.may_text());
        assert_eq!(s.flag(), ConsentFlag::None);
    }

    #[test]
    fn later_opt_out_wins_and_later_opt_in_restores() {
        let opt_in = ev(
            ConsentKind::OptIn,
            ConsentMethod::ESignature,
            Some("SIG-9"),
            1,
        );
        let stop = ev(
            ConsentKind::OptOut,
            ConsentMethod::SmsKeyword,
            Some("SM1"),
            2,
        );
        let start = ev(
            ConsentKind::OptIn,
            ConsentMethod::SmsKeyword,
            Some("SM2"),
            3,
        );
        let out = ConsentState::from_events(&[opt_in.clone(), stop.clone()]);
        assert_eq!(out.flag(), ConsentFlag::OptedOut);
        assert!(!out.may_text());
        assert!(ConsentState::from_events(&[opt_in, stop, start]).may_text());
    }

    #[test]
    fn validation_needs_evidence_and_a_method_that_can_opt_in() {
        assert_eq!(
            ev(ConsentKind::OptIn, ConsentMethod::WrittenForm, None, 1).validate(),
            Err(ConsentError::MissingEvidence)
        );
        assert!(matches!(
            ev(ConsentKind::OptIn, ConsentMethod::Verbal, Some("x"), 1).validate(),
            Err(ConsentError::MethodCannotOptIn(_))
        ));
        assert!(
            ev(ConsentKind::OptOut, ConsentMethod::Verbal, None, 1)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for m in ConsentMethod::ALL {
            assert_eq!(ConsentMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(ConsentKind::parse("opt_out"), Some(ConsentKind::OptOut));
    }

    /// The flag from the last word alone is the flag of the whole fold, for every kind,
    /// method and sort of evidence, after any earlier event.
    #[test]
    fn the_flag_after_the_last_word_is_the_fold_s_flag() {
        let evidence = [None, Some(""), Some("  "), Some("FORM-7")];
        for kind in [ConsentKind::OptIn, ConsentKind::OptOut] {
            for method in ConsentMethod::ALL {
                for given in evidence {
                    for before in [None, Some(ConsentKind::OptIn), Some(ConsentKind::OptOut)] {
                        let mut events: Vec<ConsentEvent> = before
                            .map(|k| ev(k, ConsentMethod::WrittenForm, Some("F"), 1))
                            .into_iter()
                            .collect();
                        events.push(ev(kind, method, given, 2));
                        let want = ConsentState::from_events(&events).flag();
                        let got = ConsentFlag::after(Some((kind, method, given)));
                        assert_eq!(got, want, "{kind:?} {method:?} {given:?} after {before:?}");
                    }
                }
            }
        }
        assert_eq!(
            ConsentFlag::after(None),
            ConsentState::from_events(&[]).flag()
        );
    }
}

//! What a provider's final refusal of a text does to the text and to patients' records — one
//! policy for every send path (`remind`, `send`, the outbox, replies) and for the delivery
//! statuses `sync` reads, so a code means the same thing however it arrives.
//!
//! Pure: std. The workflow maps the provider's code onto a [`Refusal`], loads the facts
//! ([`Refused`], [`Holder`]), asks [`on_refusal`], then writes what comes back and audits it.

use super::ids::PatientId;
use super::message::MessageKind;

/// What a final refusal means, as far as the practice's records go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The number unsubscribed at the provider or carrier (Twilio 21610).
    Unsubscribed,
    /// The number is invalid, not a mobile, or unreachable.
    NumberProblem,
    /// Refused for this text only; the records do not change.
    Other,
}

/// The refused text, as the policy needs to see it.
#[derive(Clone, Copy, Debug)]
pub struct Refused<'a> {
    pub kind: MessageKind,
    /// The number the text went to.
    pub to: &'a str,
    /// The patient the text was for, with their number and flag as they are now.
    pub patient: Option<Recipient<'a>>,
}

/// The text's patient as the record stands now (staff may have fixed the number since).
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    pub id: PatientId,
    pub mobile: Option<&'a str>,
    pub number_flagged: bool,
}

/// A patient whose record holds the refused number (a family may share one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holder {
    pub patient: PatientId,
    pub opted_out: bool,
}

/// What becomes of the refused text's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Failed, with the provider's code.
    Failed,
    /// Taken back: the provider already did what the text was for.
    Withdrawn,
}

/// One change to a patient's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordChange {
    /// Record an opt-out reported by the provider.
    OptOut(PatientId),
    /// Flag the number: no texts until staff fix it.
    FlagNumber(PatientId),
}

/// The decision: the row's fate and the record changes, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub fate: Fate,
    pub changes: Vec<RecordChange>,
}

/// The policy. An unsubscribed number makes everyone who holds it opted out (once: who is
/// opted out already gets no second event); the provider answers a STOP itself and then
/// refuses our own confirmation, so that confirmation is withdrawn, not failed. A number
/// problem flags the text's patient only while their record still holds that number and is
/// not flagged yet. Anything else fails the text and changes no record.
pub fn on_refusal(refusal: Refusal, text: &Refused<'_>, holders: &[Holder]) -> Decision {
    let fate = match (refusal, text.kind) {
        (Refusal::Unsubscribed, MessageKind::OptOutConfirmation) => Fate::Withdrawn,
        _ => Fate::Failed,
    };
    let changes = match refusal {
        Refusal::Unsubscribed => holders
            .iter()
            .filter(|h| !h.opted_out)
            .map(|h| RecordChange::OptOut(h.patient))
            .collect(),
        Refusal::NumberProblem => text
            .patient
            .filter(|p| p.mobile == Some(text.to) && !p.number_flagged)
            .map(|p| vec![RecordChange::FlagNumber(p.id)])
            .unwrap_or_default(),
        Refusal::Other => Vec::new(),
    };
    Decision { fate, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const TO: &str = "+12015550134";
    const ADA: PatientId = PatientId(1);
    const BEN: PatientId = PatientId(2);

    fn ada(mobile: Option<&'static str>, flagged: bool) -> Option<Recipient<'static>> {
        Some(Recipient {
            id: ADA,
            mobile,
            number_flagged: flagged,
        })
    }

    fn holders(ada_out: bool, ben_out: bool) -> Vec<Holder> {
        vec![
            Holder {
                patient: ADA,
                opted_out: ada_out,
            },
            Holder {
                patient: BEN,
                opted_out: ben_out,
            },
        ]
    }

    #[rstest]
    #[case::unsubscribed_opts_out_everyone_on_the_number(
        Refusal::Unsubscribed, MessageKind::Reminder24h, ada(Some(TO), false), holders(false, false),
        Fate::Failed, vec![RecordChange::OptOut(ADA), RecordChange::OptOut(BEN)]
    )]
    #[case::unsubscribed_skips_who_is_opted_out_already(
        Refusal::Unsubscribed, MessageKind::Reminder24h, ada(Some(TO), false), holders(true, false),
        Fate::Failed, vec![RecordChange::OptOut(BEN)]
    )]
    #[case::unsubscribed_with_nobody_on_the_number(
        Refusal::Unsubscribed, MessageKind::PortalNewMessage, None, vec![],
        Fate::Failed, vec![]
    )]
    #[case::our_confirmation_after_the_providers_own_is_withdrawn(
        Refusal::Unsubscribed, MessageKind::OptOutConfirmation, ada(Some(TO), false), holders(true, true),
        Fate::Withdrawn, vec![]
    )]
    #[case::a_number_problem_flags_the_patient(
        Refusal::NumberProblem, MessageKind::Reminder24h, ada(Some(TO), false), holders(false, false),
        Fate::Failed, vec![RecordChange::FlagNumber(ADA)]
    )]
    #[case::a_number_fixed_since_is_not_flagged(
        Refusal::NumberProblem, MessageKind::Reminder24h, ada(Some("+12015550199"), false), holders(false, false),
        Fate::Failed, vec![]
    )]
    #[case::a_number_removed_since_is_not_flagged(
        Refusal::NumberProblem, MessageKind::Reminder24h, ada(None, false), vec![],
        Fate::Failed, vec![]
    )]
    #[case::a_flagged_number_is_not_flagged_twice(
        Refusal::NumberProblem, MessageKind::Survey, ada(Some(TO), true), holders(false, false),
        Fate::Failed, vec![]
    )]
    #[case::a_number_problem_never_touches_consent(
        Refusal::NumberProblem, MessageKind::OptOutConfirmation, ada(Some(TO), false), holders(true, false),
        Fate::Failed, vec![RecordChange::FlagNumber(ADA)]
    )]
    #[case::a_text_without_a_patient_flags_nobody(
        Refusal::NumberProblem, MessageKind::Reminder24h, None, holders(false, false),
        Fate::Failed, vec![]
    )]
    #[case::any_other_refusal_fails_the_text_only(
        Refusal::Other, MessageKind::Reminder24h, ada(Some(TO), false), holders(false, false),
        Fate::Failed, vec![]
    )]
    fn a_refusal_decides_the_row_and_the_records(
        #[case] refusal: Refusal,
        #[case] kind: MessageKind,
        #[case] patient: Option<Recipient<'static>>,
        #[case] on_number: Vec<Holder>,
        #[case] fate: Fate,
        #[case] changes: Vec<RecordChange>,
    ) {
        let text = Refused {
            kind,
            to: TO,
            patient,
        };
        assert_eq!(
            on_refusal(refusal, &text, &on_number),
            Decision { fate, changes }
        );
    }
}

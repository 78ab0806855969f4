//! Consent over time, for disputes and review: was consent valid at an instant, during a
//! window, and which opt-ins a manager should look at again.
//!
//! Pure. The state at any instant is `domain::consent`'s fold over the events recorded up to
//! and including that instant — the same rule the send path applies — so this module never
//! re-decides what an opt-out means. Events are in recording order (oldest first).

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use super::consent::{ConsentEvent, ConsentMethod, ConsentState};
use super::ids::{MessageId, PatientId};
use super::message::MessageKind;

/// How long an opt-in stands before a manager should re-confirm it (SPEC §3.8).
pub const STALE_AFTER_MONTHS: u32 = 12;

/// The consent state at instant `t`: every event recorded at or before `t`, folded.
pub fn state_at(events: &[ConsentEvent], t: DateTime<Utc>) -> ConsentState {
    ConsentState::from_events(events.iter().take_while(|e| e.at <= t))
}

/// Could automated SMS go to this patient at instant `t`?
pub fn valid_at(events: &[ConsentEvent], t: DateTime<Utc>) -> bool {
    state_at(events, t).may_text()
}

/// Was consent valid at some instant of `[from, to]`? Several events in one second count as
/// one change (the state after the last of them).
pub fn valid_during(events: &[ConsentEvent], from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    Timeline::new(events).valid_during(from, to)
}

/// One patient's consent as a list of changes — the instants their events were recorded at,
/// each with whether texts were allowed from then on — for answering many "valid at t?"
/// questions about one patient without folding the events each time (the statistics ask one
/// per appointment). Built with [`valid_at`], so it says exactly what the fold says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    changes: Vec<(DateTime<Utc>, bool)>,
}

impl Timeline {
    /// From events in recording order.
    pub fn new(events: &[ConsentEvent]) -> Self {
        let mut changes = Vec::new();
        push_changes(events, &mut changes);
        Self { changes }
    }

    pub fn view(&self) -> TimelineView<'_> {
        TimelineView(&self.changes)
    }

    pub fn valid_at(&self, t: DateTime<Utc>) -> bool {
        self.view().valid_at(t)
    }

    pub fn valid_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.view().valid_during(from, to)
    }
}

/// Append the changes of one patient's events (recording order) to `out`.
fn push_changes(events: &[ConsentEvent], out: &mut Vec<(DateTime<Utc>, bool)>) {
    let first = out.len();
    for e in events {
        if out.len() > first && out.last().is_some_and(|(at, _)| *at == e.at) {
            continue;
        }
        out.push((e.at, valid_at(events, e.at)));
    }
}

/// A borrowed timeline (one patient's slice of [`ConsentTimelines`], or a [`Timeline`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimelineView<'a>(&'a [(DateTime<Utc>, bool)]);

impl TimelineView<'_> {
    pub fn valid_at(&self, t: DateTime<Utc>) -> bool {
        let i = self.0.partition_point(|(at, _)| *at <= t);
        i > 0 && self.0[i - 1].1
    }

    /// Valid at some instant of `[from, to]`.
    pub fn valid_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        if from > to {
            return false;
        }
        self.valid_at(from)
            || self
                .0
                .iter()
                .any(|&(at, valid)| valid && at > from && at <= to)
    }
}

/// Every patient's timeline in three flat arrays (no allocation per patient): what the
/// statistics read for a practice of 100,000 patients.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsentTimelines {
    /// In increasing order.
    patients: Vec<PatientId>,
    /// `changes[starts[i]..starts[i + 1]]` is patient `i`'s timeline.
    starts: Vec<usize>,
    changes: Vec<(DateTime<Utc>, bool)>,
    /// Patient id → position + 1 (0: none), while the ids are dense enough for it; empty
    /// otherwise (then the sorted list is searched).
    slots: Vec<u32>,
    sparse: bool,
}

impl ConsentTimelines {
    /// Add one patient's events (recording order). Patients must come in increasing id
    /// order; one that does not is ignored (it would not be found).
    pub fn push(&mut self, patient: PatientId, events: &[ConsentEvent]) {
        if self.patients.last().is_some_and(|p| *p >= patient) {
            return;
        }
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.patients.push(patient);
        push_changes(events, &mut self.changes);
        self.starts.push(self.changes.len());
        let dense = usize::try_from(patient.0)
            .ok()
            .filter(|&i| i <= 4 * self.patients.len() + 65_536);
        match dense {
            Some(i) if !self.sparse => {
                if self.slots.len() <= i {
                    self.slots.resize(i + 1, 0);
                }
                self.slots[i] = self.patients.len() as u32;
            }
            _ => {
                self.sparse = true;
                self.slots = Vec::new();
            }
        }
    }

    /// A patient's timeline; empty (never valid) for one without events.
    pub fn get(&self, patient: PatientId) -> TimelineView<'_> {
        let found = if self.sparse {
            self.patients.binary_search(&patient).ok()
        } else {
            usize::try_from(patient.0)
                .ok()
                .and_then(|i| self.slots.get(i))
                .and_then(|&slot| (slot as usize).checked_sub(1))
        };
        match found {
            Some(i) => TimelineView(&self.changes[self.starts[i]..self.starts[i + 1]]),
            None => TimelineView(&[]),
        }
    }

    pub fn len(&self) -> usize {
        self.patients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patients.is_empty()
    }
}

/// Does a text of this kind need consent? Answers to the patient's own keywords (HELP, the
/// one STOP confirmation, the START confirmation) go whatever the state (SPEC §5.3);
/// everything else — reminders, prompts, notices, free text — needs it (SPEC §5.2).
pub fn needs_consent(kind: MessageKind) -> bool {
    !matches!(
        kind,
        MessageKind::HelpReply
            | MessageKind::OptOutConfirmation
            | MessageKind::OptInConfirmation
            | MessageKind::Reply
    )
}

/// Is a current opt-in older than [`STALE_AFTER_MONTHS`] calendar months at `now`?
/// (An opt-in of 29 February is stale from 28 February a year on.)
pub fn is_stale(state: &ConsentState, now: DateTime<Utc>) -> bool {
    match state {
        ConsentState::OptedIn { since, .. } => since
            .checked_add_months(Months::new(STALE_AFTER_MONTHS))
            .is_some_and(|due| due <= now),
        _ => false,
    }
}

/// What consent said when a text left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "consent", rename_all = "snake_case")]
pub enum ConsentAtSend {
    /// Opted in with evidence at that moment.
    Valid,
    /// An answer to the patient's own keyword: consent not needed.
    NotNeeded,
    /// Sent although consent was not valid: a compliance finding.
    Missing { state: String },
}

impl ConsentAtSend {
    pub fn label(&self) -> &str {
        match self {
            Self::Valid => "valid",
            Self::NotNeeded => "not needed (answer to the patient's keyword)",
            Self::Missing { state } => state,
        }
    }
}

/// Judge one sent text against the consent history.
pub fn at_send(
    events: &[ConsentEvent],
    kind: MessageKind,
    sent_at: DateTime<Utc>,
) -> ConsentAtSend {
    if !needs_consent(kind) {
        return ConsentAtSend::NotNeeded;
    }
    match state_at(events, sent_at) {
        ConsentState::OptedIn { .. } => ConsentAtSend::Valid,
        ConsentState::None => ConsentAtSend::Missing {
            state: "no consent recorded".into(),
        },
        ConsentState::Unverified { .. } => ConsentAtSend::Missing {
            state: "opt-in without evidence".into(),
        },
        ConsentState::OptedOut { .. } => ConsentAtSend::Missing {
            state: "opted out".into(),
        },
    }
}

/// A text that left, as the consent review sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentText {
    pub id: MessageId,
    pub kind: MessageKind,
    pub sent_at: DateTime<Utc>,
}

/// Something about one patient's consent a manager should look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum ConsentFinding {
    /// The current opt-in is older than 12 months: re-confirm it.
    StaleOptIn {
        since: DateTime<Utc>,
        method: ConsentMethod,
        evidence: String,
    },
    /// The latest event is an opt-in without evidence: no texts go until it is fixed.
    OptInWithoutEvidence { since: DateTime<Utc> },
    /// A text that needed consent left while consent was not valid. Must never happen.
    SentWithoutConsent {
        message: MessageId,
        kind: MessageKind,
        sent_at: DateTime<Utc>,
        state: String,
    },
}

/// The review of one patient: their events (oldest first) and the texts that left.
pub fn review(
    patient: PatientId,
    events: &[ConsentEvent],
    sent: &[SentText],
    now: DateTime<Utc>,
) -> Vec<(PatientId, ConsentFinding)> {
    let mut out = Vec::new();
    match state_at(events, now) {
        s @ ConsentState::OptedIn { .. } if is_stale(&s, now) => {
            if let ConsentState::OptedIn {
                since,
                method,
                evidence,
            } = s
            {
                out.push(ConsentFinding::StaleOptIn {
                    since,
                    method,
                    evidence,
                });
            }
        }
        ConsentState::Unverified { since } => {
            out.push(ConsentFinding::OptInWithoutEvidence { since })
        }
        _ => {}
    }
    for t in sent {
        if let ConsentAtSend::Missing { state } = at_send(events, t.kind, t.sent_at) {
            out.push(ConsentFinding::SentWithoutConsent {
                message: t.id,
                kind: t.kind,
                sent_at: t.sent_at,
                state,
            });
        }
    }
    out.into_iter().map(|f| (patient, f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::ConsentKind;
    use chrono::TimeZone;
    use rstest::rstest;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    fn ev(kind: ConsentKind, evidence: Option<&str>, t: DateTime<Utc>) -> ConsentEvent {
        ConsentEvent {
            kind,
            method: match kind {
                ConsentKind::OptIn => ConsentMethod::WrittenForm,
                ConsentKind::OptOut => ConsentMethod::SmsKeyword,
            },
            evidence: evidence.map(str::to_string),
            recorded_by: "desk".into(),
            at: t,
        }
    }

    /// Opt-in on 1 March 09:00, STOP on 10 March 12:00, START on 20 March 08:00.
    fn history() -> Vec<ConsentEvent> {
        vec![
            ev(ConsentKind::OptIn, Some("FORM-1"), at(2026, 3, 1, 9)),
            ev(ConsentKind::OptOut, Some("SM1"), at(2026, 3, 10, 12)),
            ev(ConsentKind::OptIn, Some("SM2"), at(2026, 3, 20, 8)),
        ]
    }

    #[rstest]
    #[case(at(2026, 2, 28, 9), false)] // before anything
    #[case(at(2026, 3, 1, 8), false)] // an hour before the opt-in
    #[case(at(2026, 3, 1, 9), true)] // the opt-in's own second
    #[case(at(2026, 3, 5, 0), true)]
    #[case(at(2026, 3, 10, 12), false)] // the STOP's own second: opt-out wins at once
    #[case(at(2026, 3, 15, 0), false)]
    #[case(at(2026, 3, 20, 8), true)] // START restores
    #[case(at(2027, 1, 1, 0), true)]
    fn consent_at_an_instant(#[case] t: DateTime<Utc>, #[case] valid: bool) {
        assert_eq!(valid_at(&history(), t), valid);
    }

    #[test]
    fn an_opt_in_without_evidence_is_never_valid() {
        let events = vec![ev(ConsentKind::OptIn, None, at(2026, 3, 1, 9))];
        assert!(!valid_at(&events, at(2026, 4, 1, 0)));
        assert!(matches!(
            state_at(&events, at(2026, 4, 1, 0)),
            ConsentState::Unverified { .. }
        ));
    }

    #[rstest]
    #[case(at(2026, 3, 11, 0), at(2026, 3, 19, 0), false)] // wholly inside the opt-out
    #[case(at(2026, 3, 11, 0), at(2026, 3, 20, 8), true)] // ends on the START
    #[case(at(2026, 3, 9, 0), at(2026, 3, 11, 0), true)] // starts while opted in
    #[case(at(2026, 2, 1, 0), at(2026, 3, 1, 8), false)] // ends before the opt-in
    #[case(at(2026, 3, 5, 0), at(2026, 3, 4, 0), false)] // empty window
    fn consent_during_a_window(
        #[case] from: DateTime<Utc>,
        #[case] to: DateTime<Utc>,
        #[case] valid: bool,
    ) {
        assert_eq!(valid_during(&history(), from, to), valid);
    }

    #[test]
    fn an_opt_in_and_opt_out_in_one_second_is_one_opt_out() {
        let t = at(2026, 3, 1, 9);
        let events = vec![
            ev(ConsentKind::OptIn, Some("F"), t),
            ev(ConsentKind::OptOut, None, t),
        ];
        assert!(!valid_during(&events, at(2026, 2, 1, 0), at(2026, 4, 1, 0)));
    }

    #[rstest]
    #[case(at(2025, 11, 25, 9), at(2026, 11, 25, 8), false)] // an hour short of 12 months
    #[case(at(2025, 11, 25, 9), at(2026, 11, 25, 9), true)] // exactly 12 months
    #[case(at(2024, 2, 29, 9), at(2025, 2, 28, 8), false)]
    #[case(at(2024, 2, 29, 9), at(2025, 2, 28, 9), true)] // leap day: stale on 28 February
    #[case(at(2020, 1, 1, 0), at(2026, 1, 1, 0), true)]
    fn opt_ins_go_stale_after_twelve_months(
        #[case] since: DateTime<Utc>,
        #[case] now: DateTime<Utc>,
        #[case] stale: bool,
    ) {
        let s = state_at(&[ev(ConsentKind::OptIn, Some("F"), since)], now);
        assert_eq!(is_stale(&s, now), stale);
    }

    #[test]
    fn only_a_current_opt_in_can_be_stale() {
        let now = at(2028, 1, 1, 0);
        assert!(!is_stale(&state_at(&history()[..2], now), now), "opted out");
        assert!(!is_stale(&ConsentState::None, now));
    }

    #[rstest]
    #[case(MessageKind::Reminder24h, at(2026, 3, 5, 0), "valid")]
    #[case(MessageKind::Reminder24h, at(2026, 3, 15, 0), "opted out")]
    #[case(
        MessageKind::PortalResultsReady,
        at(2026, 2, 1, 0),
        "no consent recorded"
    )]
    #[case(MessageKind::Custom, at(2026, 3, 15, 0), "opted out")]
    #[case(
        MessageKind::OptOutConfirmation,
        at(2026, 3, 10, 12),
        "not needed (answer to the patient's keyword)"
    )]
    #[case(
        MessageKind::HelpReply,
        at(2026, 2, 1, 0),
        "not needed (answer to the patient's keyword)"
    )]
    fn consent_when_a_text_left(
        #[case] kind: MessageKind,
        #[case] sent: DateTime<Utc>,
        #[case] label: &str,
    ) {
        assert_eq!(at_send(&history(), kind, sent).label(), label);
    }

    #[test]
    fn review_lists_stale_and_unverified_opt_ins_and_texts_without_consent() {
        let p = PatientId(7);
        let now = at(2027, 6, 1, 0);
        let sent = vec![
            SentText {
                id: MessageId(1),
                kind: MessageKind::Reminder24h,
                sent_at: at(2026, 3, 5, 0),
            },
            SentText {
                id: MessageId(2),
                kind: MessageKind::Reminder48h,
                sent_at: at(2026, 3, 12, 0),
            },
            SentText {
                id: MessageId(3),
                kind: MessageKind::OptOutConfirmation,
                sent_at: at(2026, 3, 10, 12),
            },
        ];
        let found = review(p, &history(), &sent, now);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(matches!(found[0].1, ConsentFinding::StaleOptIn { .. }));
        assert_eq!(
            found[1].1,
            ConsentFinding::SentWithoutConsent {
                message: MessageId(2),
                kind: MessageKind::Reminder48h,
                sent_at: at(2026, 3, 12, 0),
                state: "opted out".into(),
            }
        );
        let unverified = vec![ev(ConsentKind::OptIn, Some(" "), at(2027, 5, 1, 0))];
        assert_eq!(
            review(p, &unverified, &[], now),
            vec![(
                p,
                ConsentFinding::OptInWithoutEvidence {
                    since: at(2027, 5, 1, 0)
                }
            )]
        );
        let fresh = vec![ev(ConsentKind::OptIn, Some("F"), at(2027, 1, 1, 0))];
        let after = SentText {
            sent_at: at(2027, 2, 1, 0),
            ..sent[0].clone()
        };
        assert!(review(p, &fresh, &[after], now).is_empty());
    }

    #[test]
    fn the_timeline_says_what_the_fold_says_at_every_instant() {
        let mut events = history();
        events.push(ev(ConsentKind::OptIn, None, at(2026, 4, 1, 0))); // unverified: not valid
        events.push(ev(ConsentKind::OptIn, Some("F2"), at(2026, 4, 1, 0))); // same second
        let tl = Timeline::new(&events);
        let mut t = at(2026, 2, 27, 0);
        while t < at(2026, 4, 5, 0) {
            assert_eq!(tl.valid_at(t), valid_at(&events, t), "{t}");
            t += chrono::Duration::minutes(30);
        }
        assert!(
            tl.valid_at(at(2026, 4, 1, 0)),
            "the last event of a second decides"
        );
        let mut all = ConsentTimelines::default();
        all.push(PatientId(3), &events[..2]);
        all.push(PatientId(9), &events);
        all.push(PatientId(5), &events); // out of order: ignored
        assert_eq!(all.len(), 2);
        assert!(all.get(PatientId(9)).valid_at(at(2026, 4, 2, 0)));
        assert!(
            !all.get(PatientId(3)).valid_at(at(2026, 4, 2, 0)),
            "opted out"
        );
        assert!(all.get(PatientId(3)).valid_at(at(2026, 3, 2, 0)));
        assert!(
            !all.get(PatientId(5)).valid_at(at(2026, 4, 2, 0)),
            "not found: never valid"
        );
        assert!(!all.get(PatientId(-1)).valid_at(at(2026, 3, 2, 0)));
        // Ids too far apart for a table: searched, same answers.
        let mut far = ConsentTimelines::default();
        far.push(PatientId(3), &events[..2]);
        far.push(PatientId(90_000_000_000), &events);
        assert!(
            far.get(PatientId(90_000_000_000))
                .valid_at(at(2026, 4, 2, 0))
        );
        assert!(far.get(PatientId(3)).valid_at(at(2026, 3, 2, 0)));
        assert!(!far.get(PatientId(4)).valid_at(at(2026, 3, 2, 0)));
    }
}

//! Words typed at the desk that go out as a text (a custom text to one patient, a closure
//! notice to everyone booked in a window): the body they become — "{practice}: {typed}" and,
//! when due, the opt-out notice — and the live check of that body by the PHI gate and the
//! length rule. Pure, so the console runs [`check`] on every keystroke and the send paths
//! (`custom_text`, `send::closure`) record exactly the body it judged. Imports only
//! `outbound` (the one screening) and the domain's template wording.

use std::ops::Range;

use crate::domain::template::OPT_OUT_NOTICE;
use crate::phi::Gate;
use crate::workflow::record_text::{self, Screened};

/// The body that goes out for `typed`, and the spans the practice filled (trusted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    pub body: String,
    pub trusted: Vec<Range<usize>>,
    /// Where the typed text starts in `body` (to point at findings in what was typed).
    pub typed_at: usize,
}

/// "{practice}: {typed}" and, when due, the opt-out notice. Pure.
pub fn compose(practice: &str, typed: &str, opt_out_notice: bool) -> Composed {
    let typed = typed.trim();
    let mut body = format!("{practice}: ");
    let typed_at = body.len();
    body.push_str(typed);
    let mut trusted: Vec<Range<usize>> = Vec::with_capacity(2);
    trusted.push(0..practice.len());
    if opt_out_notice {
        body.push(' ');
        let at = body.len();
        body.push_str(OPT_OUT_NOTICE);
        trusted.push(at..body.len());
    }
    Composed {
        body,
        trusted,
        typed_at,
    }
}

/// The live check: what the gate and the length rule say about `typed` as it would go out
/// (with the opt-out notice, the longer case). Pure; fast enough for every keystroke.
pub fn check(gate: &Gate, practice: &str, typed: &str) -> (Composed, Screened) {
    let composed = compose(practice, typed, true);
    let screened = record_text::screen_rendered(gate, &composed.body, &composed.trusted);
    (composed, screened)
}

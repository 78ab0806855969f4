//! The read-only view of one checked text that the PHI gate's rules share (`rules.rs`,
//! `identifiers.rs`): token spans, sentence and clause tests, which match covers a token, and
//! per-sentence summaries. Every question here is answered in constant time from arrays
//! `matching.rs` fills once per text, so the rules stay linear in the length of the text.
//! Pure; imports only std and the sibling modules.

use std::cell::Cell;

use super::lexicon::{Lexicon, Test, class};
use super::matching::Scratch;
use super::{Category, Finding};

/// Read-only view for the rules.
pub(crate) struct Cx<'a> {
    pub lex: &'a Lexicon,
    pub text: &'a str,
    pub s: &'a Scratch,
    /// Steps taken by the rules' windows (tests assert it grows linearly with the text).
    pub work: Cell<u64>,
}

impl Cx<'_> {
    pub(crate) fn n(&self) -> usize {
        self.s.toks.toks.len()
    }

    /// Count `steps` of work (see [`Scratch::work`]).
    #[inline]
    pub(crate) fn tick(&self, steps: usize) {
        self.work.set(self.work.get() + steps as u64);
    }

    pub(crate) fn same_sentence(&self, a: usize, b: usize) -> bool {
        self.s.sentence.get(a) == self.s.sentence.get(b)
    }

    /// Same clause: no `, : ; ( )`, spaced dash or sentence break between `a` and `b`.
    pub(crate) fn same_clause(&self, a: usize, b: usize) -> bool {
        self.s.clause.get(a) == self.s.clause.get(b)
    }

    /// The classes of every word of token `k`'s sentence, or-ed together.
    pub(crate) fn sentence_class(&self, k: usize) -> u64 {
        self.s
            .sentence
            .get(k)
            .and_then(|&i| self.s.sent_class.get(i as usize))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn finding(
        &self,
        first: usize,
        last: usize,
        category: Category,
        rule: &'static str,
    ) -> Finding {
        let start = self.s.toks.toks[first].start;
        let end = self.s.toks.toks[last].end;
        Finding {
            start,
            end,
            category,
            rule,
            text: self.text.get(start..end).unwrap_or("").to_string(),
            allowed: false,
        }
    }

    pub(crate) fn gap(&self, a: usize, b: usize) -> &str {
        let (ta, tb) = (self.s.toks.toks[a], self.s.toks.toks[b]);
        self.text.get(ta.end..tb.start).unwrap_or("")
    }

    /// The vocabulary match covering token `k`, if any (matches never overlap).
    fn match_at(&self, k: usize) -> Option<u32> {
        let m = *self.s.covered_by.get(k)?;
        let m = self.s.matches.get(m.checked_sub(1)? as usize)?;
        Some(m.pid)
    }

    /// Any vocabulary match covers token `k`: two ambiguous clinical words side by side
    /// ("allergy injection") are context for each other.
    pub(crate) fn vocabulary_match_at(&self, k: usize) -> bool {
        self.match_at(k).is_some()
    }

    /// An always-clinical match covers token `k`.
    pub(crate) fn clinical_match_at(&self, k: usize) -> bool {
        self.match_at(k)
            .and_then(|pid| self.lex.phrase(pid))
            .is_some_and(|p| {
                p.senses
                    .iter()
                    .any(|s| !s.ctx && !s.upper && s.test != Test::ValueOnly)
            })
    }

    /// A medication match covers token `k`.
    pub(crate) fn medication_at(&self, k: usize) -> bool {
        self.match_at(k)
            .and_then(|pid| self.lex.phrase(pid))
            .is_some_and(|p| p.senses.iter().any(|s| s.category == Category::Medication))
    }

    /// A word of token `k`'s sentence addresses the patient ("you", "your", "su").
    pub(crate) fn sentence_addresses_patient(&self, k: usize) -> bool {
        self.sentence_class(k) & class::YOU != 0
    }
}

pub(crate) fn parse_num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::MAX)
}

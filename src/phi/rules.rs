//! The PHI gate's rules on vocabulary: turns matched vocabulary into findings (context
//! windows, events and buildings that are not the patient's care), runs the value,
//! identifier and instruction rules, then the allow-list and the overlap clean-up. Matching is
//! in `matching.rs`, names in `names.rs`, values in `values.rs`, identifiers in
//! `identifiers.rs`. Pure; imports only std and the sibling modules. The rules are described
//! in `mod.rs`.

use std::cell::Cell;
use std::ops::Range;

use super::context::Cx;
use super::identifiers::{may_hold_medicare_id, medicare_ids};
use super::lexicon::{Lexicon, Test, class};
use super::matching::{
    How, Match, Scratch, index_matches, last_of_class, look_up_words, mark_grammar_phrases,
    match_vocabulary, summarise_sentences,
};
use super::names::{mark_names, mark_street_names, mark_trusted};
use super::text::{flag, tokenize};
use super::url::mark_urls;
use super::{Category, Finding, rule};

/// Words of context a context-only term looks at, before and after.
const CUE_BEFORE: usize = 3;
const CUE_AFTER: usize = 2;

/// Check `text`; tokens inside `trusted` spans are names (see `names::mark_trusted`).
/// Returns the findings and the steps of work done (linear in the text: see the tests).
pub(crate) fn run(
    lex: &Lexicon,
    text: &str,
    trusted: &[Range<usize>],
    allow: &[Vec<String>],
    s: &mut Scratch,
) -> (Vec<Finding>, u64) {
    tokenize(text, &mut s.toks);
    mark_urls(text, &mut s.toks);
    let n = s.toks.toks.len();
    let mut out = Vec::new();
    look_up_words(lex, text, s);
    mark_grammar_phrases(lex, s);
    mark_trusted(text, trusted, s);
    summarise_sentences(s);
    mark_names(lex, text, s);
    mark_street_names(lex, text, s);
    match_vocabulary(lex, text, s);
    index_matches(lex, s);
    let cx = Cx {
        lex,
        text,
        s: &*s,
        work: Cell::new(0),
    };
    for m in &s.matches {
        cx.vocabulary_finding(m, &mut out);
    }
    for i in 0..n {
        if s.class[i] & class::TEST_GENERIC != 0
            && s.class[i] & class::SAFE == 0
            && (i == 0 || s.class[i - 1] & class::TEST_GENERIC == 0)
        {
            // Generic test words: only a polarity or a measured value makes a result.
            let last = last_of_class(s, i, class::TEST_GENERIC);
            cx.result(i, last, false, &mut out);
        }
    }
    cx.doses(&mut out);
    cx.identifiers(&mut out);
    cx.icd10cm_codes(&mut out);
    cx.instructions(&mut out);
    if may_hold_medicare_id(&s.toks) {
        medicare_ids(text, &mut out);
    }
    let work = s.work + cx.work.get() + out.len() as u64;
    mark_allowed(allow, s, &mut out);
    dedup(&mut out);
    (out, work)
}

impl Cx<'_> {
    fn vocabulary_finding(&self, m: &Match, out: &mut Vec<Finding>) {
        let Some(p) = self.lex.phrase(m.pid) else {
            return;
        };
        if (m.first..=m.last).all(|k| self.s.class[k] & class::SAFE != 0) {
            // Inside an everyday phrase: "water pressure", "immunization record".
            return;
        }
        if self.not_about_the_patient(m) {
            return;
        }
        if self.s.toks.toks[m.first].has(flag::URL) {
            // In a URL only words that are clinical by themselves count ("/hiv-results").
            if let Some(sense) = p
                .senses
                .iter()
                .find(|s| s.test == Test::No && !s.ctx && !s.upper)
            {
                out.push(self.finding(m.first, m.last, sense.category, self.rule_for(m, false)));
            }
            return;
        }
        // Test meanings first: a value or polarity makes the more specific finding.
        for sense in p.senses.iter().filter(|s| s.test != Test::No) {
            if sense.ctx && !self.has_context(m) {
                continue;
            }
            if sense.upper && !self.all_upper(m) {
                continue;
            }
            if self.result(m.first, m.last, true, out) {
                return;
            }
            if sense.test == Test::Named {
                out.push(self.finding(
                    m.first,
                    m.last,
                    Category::Procedure,
                    self.rule_for(m, sense.ctx),
                ));
                return;
            }
        }
        for sense in p.senses.iter().filter(|s| s.test == Test::No) {
            if sense.upper && !self.all_upper(m) {
                continue;
            }
            if sense.ctx && !self.has_context(m) {
                continue;
            }
            out.push(self.finding(m.first, m.last, sense.category, self.rule_for(m, sense.ctx)));
            return;
        }
    }

    /// A vocabulary word that names an event, a job or a building rather than the
    /// patient's care: "the Diabetes Awareness 5K", "Heart Walk", "we're hiring a physical
    /// therapy assistant", "the Cancer Center parking garage is closed" (a title-case name
    /// before a facility word, with no "you"/"your" in the sentence).
    fn not_about_the_patient(&self, m: &Match) -> bool {
        let s = self.s;
        let n = self.n();
        let in_sentence = |k: usize| self.same_sentence(k, m.first);
        let next = m.last + 1;
        if next < n && in_sentence(next) {
            let c = s.class[next];
            let t = s.toks.toks[next];
            if c & class::EVENT != 0 || (c & class::EVENT_NAME != 0 && t.has(flag::CAP)) {
                return true;
            }
        }
        // The name may go on for two more title-case words ("Cardiology Associates
        // building").
        let mut f = next;
        while f < n && f <= m.last + 3 && in_sentence(f) && s.class[f] & class::FACILITY == 0 {
            if !s.toks.toks[f].has(flag::CAP) || f == m.last + 3 {
                break;
            }
            f += 1;
        }
        let title_case = (m.first..=m.last).all(|k| s.toks.toks[k].has(flag::CAP));
        if f < n
            && in_sentence(f)
            && s.class[f] & class::FACILITY != 0
            && title_case
            && !self.sentence_addresses_patient(m.first)
        {
            return true;
        }
        self.sentence_class(m.first) & class::JOB != 0
    }

    fn rule_for(&self, m: &Match, ctx: bool) -> &'static str {
        match m.how {
            How::Misspelled => rule::TERM_MISSPELLED,
            How::Suffix => rule::TERM_SUFFIX,
            How::Obfuscated => rule::TERM_OBFUSCATED,
            How::Exact if ctx => rule::TERM_IN_CONTEXT,
            How::Exact => rule::TERM,
        }
    }

    fn all_upper(&self, m: &Match) -> bool {
        (m.first..=m.last).all(|k| self.s.toks.toks[k].has(flag::UPPER))
    }

    /// A clinical cue in the same sentence near the match, and the match not inside an
    /// everyday phrase.
    fn has_context(&self, m: &Match) -> bool {
        let s = self.s;
        if (m.first..=m.last).any(|k| s.class[k] & class::SAFE != 0) {
            return false;
        }
        let t = s.toks.toks[m.first];
        // A field value after a colon is written in title case ("Appt: Allergy Injection"):
        // like a sentence start, its capital does not make it a proper noun.
        let sentence_start = m.first == 0
            || t.has(flag::BREAK)
            || self.gap(m.first - 1, m.first).trim_end().ends_with(':');
        let proper = t.has(flag::CAP) && !t.has(flag::UPPER) && !sentence_start;
        // Weak cues are possessives and prepositions: they stand before the term ("your
        // cold", "seen for depression"); after it only strong cues and "appointment"-like
        // words count ("depression screening", "flu appointment"), not "flu shots for staff".
        let (before, after) = if proper {
            (class::STRONG_CUE, class::STRONG_CUE)
        } else {
            (
                class::CUE | class::STRONG_CUE,
                class::CUE_AFTER | class::STRONG_CUE,
            )
        };
        let lo = m.first.saturating_sub(CUE_BEFORE);
        let hi = (m.last + CUE_AFTER).min(self.n() - 1);
        let generic = s
            .sent_first_generic
            .get(s.sentence[m.first] as usize)
            .is_some_and(|&g| (g as usize) < m.first);
        if generic {
            // "If you have a fever or cough, call before coming in": advice to anyone.
            return false;
        }
        self.tick(hi + 1 - lo);
        // Cues stop at clause and sentence boundaries: "Due to icy road conditions, your
        // appointment…" gives "conditions" no cue.
        (lo..=hi).any(|k| {
            (k < m.first || k > m.last)
                && self.same_clause(k, m.first)
                && s.class[k] & class::SAFE == 0
                && !s.name[k]
                && (s.class[k] & if k < m.first { before } else { after } != 0
                    || self.clinical_match_at(k)
                    || (!proper && self.vocabulary_match_at(k)))
        })
    }
}

/// Findings entirely inside an allow-listed phrase are allowed.
fn mark_allowed(allow: &[Vec<String>], s: &Scratch, out: &mut [Finding]) {
    if allow.is_empty() || out.is_empty() {
        return;
    }
    let n = s.toks.toks.len();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for phrase in allow {
        let len = phrase.len();
        if len == 0 || len > n {
            continue;
        }
        for i in 0..=n - len {
            if s.toks.norm(i) == phrase[0] && (1..len).all(|k| s.toks.norm(i + k) == phrase[k]) {
                spans.push((s.toks.toks[i].start, s.toks.toks[i + len - 1].end));
            }
        }
    }
    if spans.is_empty() {
        return;
    }
    // A finding is allowed when some span starting at or before it reaches past its end: by
    // start, the furthest end so far answers that for every finding in one sweep.
    spans.sort_unstable();
    out.sort_by_key(|f| f.start);
    let (mut j, mut reach) = (0, 0);
    for f in out.iter_mut() {
        while j < spans.len() && spans[j].0 <= f.start {
            reach = reach.max(spans[j].1);
            j += 1;
        }
        if f.end <= reach {
            f.allowed = true;
        }
    }
}

/// Drop findings contained in another one (a dose inside a result, a test inside a phrase).
/// Sorted by start, longest first, a finding is inside an earlier one exactly when it ends
/// no later than the furthest end kept so far.
fn dedup(out: &mut Vec<Finding>) {
    if out.len() < 2 {
        return;
    }
    out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut reach = 0;
    let mut first = true;
    out.retain(|f| {
        if !first && f.end <= reach {
            return false;
        }
        first = false;
        reach = reach.max(f.end);
        true
    });
}

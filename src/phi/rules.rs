//! The PHI gate's rules: turns matched vocabulary into findings — context windows, test
//! values and polarity, doses, medication instructions — then the allow-list and overlap
//! clean-up. Identifiers are in `identifiers.rs`, matching in `matching.rs`. Pure; imports
//! only std and the sibling modules. The rules are described in `mod.rs`.

use super::identifiers::{may_hold_medicare_id, medicare_ids};
use super::lexicon::{Lexicon, Test, class};
use super::matching::{
    How, Match, Scratch, last_of_class, look_up_words, mark_grammar_phrases, mark_names,
    mark_street_names, match_vocabulary,
};
use super::text::{Kind, flag, tokenize};
use super::{Category, Finding, rule};

/// Words of context a context-only term looks at, before and after.
const CUE_BEFORE: usize = 3;
const CUE_AFTER: usize = 2;
/// Words after a test name where its value or polarity may stand.
const VALUE_AFTER: usize = 4;
/// Words after a test name where a number with a lab unit may stand.
const VALUE_AFTER_UNIT: usize = 7;
/// Words before a test name where a polarity may stand ("abnormal mammogram").
const POLARITY_BEFORE: usize = 2;
/// Words after a count ("2 tablets") where a frequency or body site makes it a dose.
const DOSE_CONTEXT_AFTER: usize = 4;

pub(crate) fn run(
    lex: &Lexicon,
    text: &str,
    allow: &[Vec<String>],
    s: &mut Scratch,
) -> Vec<Finding> {
    tokenize(text, &mut s.toks);
    let n = s.toks.toks.len();
    let mut out = Vec::new();
    look_up_words(lex, text, s);
    mark_grammar_phrases(lex, s);
    mark_names(lex, text, s);
    mark_street_names(lex, s);
    match_vocabulary(lex, text, s);
    let has_job = s.class.iter().any(|c| c & class::JOB != 0);
    let cx = Cx {
        lex,
        text,
        s: &*s,
        has_job,
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
    cx.instructions(&mut out);
    if may_hold_medicare_id(&s.toks) {
        medicare_ids(text, &mut out);
    }
    mark_allowed(allow, s, &mut out);
    dedup(&mut out);
    out
}

/// Read-only view for the rules.
pub(crate) struct Cx<'a> {
    pub lex: &'a Lexicon,
    pub text: &'a str,
    pub s: &'a Scratch,
    /// Some word of the text is a job-advertisement word (rare: most texts skip that check).
    pub has_job: bool,
}

impl Cx<'_> {
    pub(crate) fn n(&self) -> usize {
        self.s.toks.toks.len()
    }

    pub(crate) fn same_sentence(&self, a: usize, b: usize) -> bool {
        self.s.sentence.get(a) == self.s.sentence.get(b)
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
            && !(0..n).any(|k| in_sentence(k) && s.class[k] & class::YOU != 0)
        {
            return true;
        }
        self.has_job && (0..n).any(|k| in_sentence(k) && s.class[k] & class::JOB != 0)
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
        if (0..m.first).any(|k| s.class[k] & class::GENERIC != 0 && self.same_sentence(k, m.first))
        {
            // "If you have a fever or cough, call before coming in": advice to anyone.
            return false;
        }
        (lo..=hi).any(|k| {
            (k < m.first || k > m.last)
                && self.same_sentence(k, m.first)
                && s.class[k] & class::SAFE == 0
                && !s.name[k]
                && (s.class[k] & if k < m.first { before } else { after } != 0
                    || self.clinical_match_at(k)
                    || (!proper && self.vocabulary_match_at(k)))
        })
    }

    /// Any vocabulary match covers token `k`: two ambiguous clinical words side by side
    /// ("allergy injection") are context for each other.
    fn vocabulary_match_at(&self, k: usize) -> bool {
        self.s.matches.iter().any(|m| m.first <= k && k <= m.last)
    }

    /// Another always-clinical match covers token `k`.
    fn clinical_match_at(&self, k: usize) -> bool {
        self.s.matches.iter().any(|m| {
            m.first <= k
                && k <= m.last
                && self.lex.phrase(m.pid).is_some_and(|p| {
                    p.senses
                        .iter()
                        .any(|s| !s.ctx && !s.upper && s.test != Test::ValueOnly)
                })
        })
    }

    /// A value or polarity for the test at `first..=last`; pushes a result and returns true.
    /// `specific`: a named test, after which a plain number counts as its value.
    fn result(&self, first: usize, last: usize, specific: bool, out: &mut Vec<Finding>) -> bool {
        let s = self.s;
        let n = self.n();
        let hi = (last + VALUE_AFTER_UNIT).min(n - 1);
        for k in last + 1..=hi {
            if !self.same_sentence(k, first) {
                break;
            }
            if s.class[k] & class::SAFE != 0 {
                continue;
            }
            if k > last + VALUE_AFTER {
                // Further away only a number with a lab unit: "weight at your last visit
                // was 240 lbs".
                if s.toks.toks[k].kind == Kind::Number
                    && k + 1 < n
                    && s.class[k + 1] & class::LAB_UNIT != 0
                    && let Some(end) = self.measurement(k, specific)
                {
                    out.push(self.finding(first, end, Category::Result, rule::TEST_VALUE));
                    return true;
                }
                continue;
            }
            if s.toks.toks[k].kind == Kind::Number {
                if let Some(end) = self.measurement(k, specific) {
                    out.push(self.finding(first, end, Category::Result, rule::TEST_VALUE));
                    return true;
                }
                continue;
            }
            if s.class[k] & (class::POLARITY | class::POLARITY_AFTER) != 0 {
                out.push(self.finding(first, k, Category::Result, rule::TEST_POLARITY));
                return true;
            }
        }
        let lo = first.saturating_sub(POLARITY_BEFORE);
        for k in (lo..first).rev() {
            if !self.same_sentence(k, first) {
                break;
            }
            if s.class[k] & class::POLARITY != 0 && s.class[k] & class::SAFE == 0 {
                out.push(self.finding(k, last, Category::Result, rule::TEST_POLARITY));
                return true;
            }
        }
        false
    }

    /// Is the number at `k` a measured value? Returns the last token of the value
    /// (a unit or the second half of a ratio).
    fn measurement(&self, k: usize, specific: bool) -> Option<usize> {
        let s = self.s;
        let n = self.n();
        let t = s.toks.toks[k];
        if t.kind != Kind::Number || t.has(flag::MULTIDOT) || self.not_a_value(k) {
            return None;
        }
        let next = (k + 1 < n).then_some(k + 1);
        if let Some(j) = next {
            let gap = self.gap(k, j);
            if s.toks.toks[j].kind == Kind::Number && gap.trim() == "/" {
                // A ratio: a date (11/25, 3/4/2026) or a reading (150/95).
                let a = parse_num(s.toks.norm(k));
                let b = parse_num(s.toks.norm(j));
                let third = j + 1 < n
                    && s.toks.toks[j + 1].kind == Kind::Number
                    && self.gap(j, j + 1).trim() == "/";
                let date = (a <= 12.0 && b <= 31.0) || (a <= 31.0 && b <= 12.0) || third;
                return (!date).then_some(j);
            }
            if s.class[j] & (class::LAB_UNIT) != 0 {
                return Some(last_of_class(s, j, class::LAB_UNIT));
            }
            let v = parse_num(s.toks.norm(k));
            if !t.has(flag::DECIMAL)
                && !(94.0..=110.0).contains(&v)
                && matches!(s.toks.norm(j), "degrees" | "grados" | "f" | "c")
            {
                // "20 degrees, dress warmly": the weather; 94-110 °F is a body.
                return None;
            }
        }
        let after = next.map_or_else(|| self.text.get(t.end..).unwrap_or(""), |j| self.gap(k, j));
        if after.trim_start().starts_with('%') {
            return Some(k);
        }
        if t.has(flag::DECIMAL) {
            return Some(k);
        }
        if specific {
            let digits = s.toks.norm(k).len();
            let v = parse_num(s.toks.norm(k));
            let year = digits == 4 && (1900.0..=2100.0).contains(&v);
            if !year && digits <= 4 {
                return Some(k);
            }
        }
        None
    }

    /// Prices, places, times, dates and phone numbers are never values or doses.
    fn not_a_value(&self, k: usize) -> bool {
        let s = self.s;
        let n = self.n();
        let t = s.toks.toks[k];
        if t.has(flag::URL) {
            return true;
        }
        let before = if k == 0 {
            self.text.get(..t.start).unwrap_or("")
        } else {
            self.gap(k - 1, k)
        };
        if before.contains('$') || before.contains('#') || before.contains('€') {
            return true;
        }
        if k > 0 && s.class[k - 1] & (class::PLACE | class::MONTH) != 0 {
            return true;
        }
        if k > 0
            && s.toks.toks[k - 1].kind == Kind::Number
            && (before.contains(':') || before.contains('-'))
        {
            return true;
        }
        if k + 1 < n {
            let after = self.gap(k, k + 1);
            if s.class[k + 1] & (class::TIME_UNIT | class::MONTH) != 0 {
                return true;
            }
            if s.toks.toks[k + 1].kind == Kind::Number
                && (after.contains(':')
                    || after.contains('-')
                    || after.contains(')')
                    || after.contains('.'))
            {
                return true;
            }
        }
        before.trim_end().ends_with('(')
    }

    /// `dose`: a number with a dose unit ("500 mg"), or with a count of tablets, pills,
    /// drops or units that reads as a dose: a medication or a medication verb in the same
    /// sentence, or a frequency or body site just after ("2 tablets twice a day", "2 drops
    /// in each eye") — not "2 tablets (an iPad and a Kindle)".
    fn doses(&self, out: &mut Vec<Finding>) {
        let s = self.s;
        for k in 0..self.n().saturating_sub(1) {
            if s.toks.toks[k].kind != Kind::Number
                || s.class[k + 1] & (class::DOSE_UNIT | class::DOSE_COUNT) == 0
            {
                continue;
            }
            if s.class[k + 1] & class::DOSE_UNIT == 0 && !self.count_is_a_dose(k + 1) {
                continue;
            }
            if s.toks.toks[k].has(flag::MULTIDOT)
                || s.toks.toks[k].has(flag::URL)
                || !self.same_sentence(k, k + 1)
            {
                continue;
            }
            let before = if k == 0 { "" } else { self.gap(k - 1, k) };
            if before.contains('$') || (k > 0 && s.class[k - 1] & class::PLACE != 0) {
                continue;
            }
            let last = last_of_class(s, k + 1, class::DOSE_UNIT | class::DOSE_COUNT);
            out.push(self.finding(k, last, Category::Medication, rule::DOSE));
        }
    }

    /// Is the count word at `u` ("tablets", "drops", "units") part of a dose?
    fn count_is_a_dose(&self, u: usize) -> bool {
        let s = self.s;
        let n = self.n();
        let in_sentence = |k: usize| self.same_sentence(k, u);
        let after = (u + 1..(u + 1 + DOSE_CONTEXT_AFTER).min(n))
            .take_while(|&k| in_sentence(k))
            .any(|k| s.class[k] & (class::DOSE_CONTEXT | class::TIME_UNIT) != 0);
        after
            || (0..n).any(|k| {
                k != u
                    && in_sentence(k)
                    && (s.class[k] & (class::MED_VERB | class::MED_OBJECT) != 0
                        && s.class[k] & class::DOSE_COUNT == 0
                        || self.medication_at(k))
            })
    }

    /// `medication_instruction`: a medication verb followed by a medication.
    fn instructions(&self, out: &mut Vec<Finding>) {
        let s = self.s;
        let n = self.n();
        for k in 0..n {
            if s.class[k] & class::MED_VERB == 0
                || (k > 0 && s.class[k - 1] & class::MED_VERB != 0)
                || s.toks.toks[k].has(flag::URL)
            {
                continue;
            }
            let hi = (k + 4).min(n - 1);
            for j in k + 1..=hi {
                if !self.same_sentence(j, k) {
                    break;
                }
                if s.class[j] & class::MED_OBJECT != 0 || self.medication_at(j) {
                    out.push(self.finding(
                        k,
                        j,
                        Category::Instruction,
                        rule::MEDICATION_INSTRUCTION,
                    ));
                    break;
                }
            }
            // "fast 12 hours", "fast for 8 hrs".
        }
        for k in 0..n.saturating_sub(2) {
            let w = s.toks.norm(k);
            if (w == "fast" || w == "ayune")
                && s.toks.toks[k + 1].kind == Kind::Number
                && s.class[k + 2] & class::TIME_UNIT != 0
            {
                out.push(self.finding(k, k + 2, Category::Instruction, rule::TERM));
            }
        }
    }

    fn medication_at(&self, j: usize) -> bool {
        self.s.matches.iter().any(|m| {
            m.first <= j
                && j <= m.last
                && self
                    .lex
                    .phrase(m.pid)
                    .is_some_and(|p| p.senses.iter().any(|s| s.category == Category::Medication))
        })
    }
}

pub(crate) fn parse_num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::MAX)
}

/// Findings entirely inside an allow-listed phrase are allowed.
fn mark_allowed(allow: &[Vec<String>], s: &Scratch, out: &mut [Finding]) {
    if allow.is_empty() || out.is_empty() {
        return;
    }
    let n = s.toks.toks.len();
    for phrase in allow {
        let len = phrase.len();
        if len == 0 || len > n {
            continue;
        }
        for i in 0..=n - len {
            if (0..len).all(|k| s.toks.norm(i + k) == phrase[k]) {
                let (start, end) = (s.toks.toks[i].start, s.toks.toks[i + len - 1].end);
                for f in out.iter_mut() {
                    if f.start >= start && f.end <= end {
                        f.allowed = true;
                    }
                }
            }
        }
    }
}

/// Drop findings contained in another one (a dose inside a result, a test inside a phrase).
fn dedup(out: &mut Vec<Finding>) {
    if out.len() < 2 {
        return;
    }
    out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(out.len());
    for f in out.drain(..) {
        if kept.iter().any(|k| k.start <= f.start && f.end <= k.end) {
            continue;
        }
        kept.push(f);
    }
    *out = kept;
}

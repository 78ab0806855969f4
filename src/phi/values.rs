//! The PHI gate's rules on values: a test with its value or polarity (`test_value`,
//! `test_polarity`), doses (`dose`), and medication instructions (`medication_instruction`).
//! Every search is a window of a few words, so the rules are linear in the text. Pure;
//! imports only std and the sibling modules.

use super::context::{Cx, parse_num};
use super::lexicon::class;
use super::matching::last_of_class;
use super::text::{Kind, flag};
use super::{Category, Finding, rule};

/// Words after a test name where its value or polarity may stand.
const VALUE_AFTER: usize = 4;
/// Words after a test name where a number with a lab unit may stand.
const VALUE_AFTER_UNIT: usize = 7;
/// Words before a test name where a polarity may stand ("abnormal mammogram").
const POLARITY_BEFORE: usize = 2;
/// Words after a count ("2 tablets") where a frequency or body site makes it a dose.
const DOSE_CONTEXT_AFTER: usize = 4;

impl Cx<'_> {
    /// A value or polarity for the test at `first..=last`; pushes a result and returns true.
    /// `specific`: a named test, after which a plain number counts as its value.
    pub(crate) fn result(
        &self,
        first: usize,
        last: usize,
        specific: bool,
        out: &mut Vec<Finding>,
    ) -> bool {
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
    pub(crate) fn doses(&self, out: &mut Vec<Finding>) {
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
        let hi = (u + 1 + DOSE_CONTEXT_AFTER).min(n);
        self.tick(hi.saturating_sub(u + 1));
        let after = (u + 1..hi)
            .take_while(|&k| in_sentence(k))
            .any(|k| s.class[k] & (class::DOSE_CONTEXT | class::TIME_UNIT) != 0);
        // A medication, or a medication verb or object, elsewhere in the sentence (counted
        // once per sentence by `matching::index_matches`; the count word itself never is).
        let meds = s.sent_med.get(s.sentence[u] as usize).copied().unwrap_or(0);
        after || meds > u32::from(self.medication_at(u))
    }

    /// `medication_instruction`: a medication verb followed by a medication.
    pub(crate) fn instructions(&self, out: &mut Vec<Finding>) {
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
}

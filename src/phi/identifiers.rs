//! Identifier and code rules of the PHI gate: SSN shapes, keyword + identifier (MRN, chart,
//! member id), date of birth, the Medicare Beneficiary Identifier, and ICD-10-CM codes behind
//! a label or in brackets. Pure; imports only std and the sibling modules (not `rules.rs`,
//! which calls these).

use super::context::{Cx, parse_num};
use super::lexicon::class;
use super::matching::last_of_class;
use super::text::{Kind, Tokens, flag};
use super::{Category, Finding, rule};

impl Cx<'_> {
    /// `ssn`, `record_number`, `member_id`, `date_of_birth`.
    pub(crate) fn identifiers(&self, out: &mut Vec<Finding>) {
        let s = self.s;
        let n = self.n();
        for k in 0..n {
            let t = s.toks.toks[k];
            if t.has(flag::URL) {
                continue;
            }
            // 123-45-6789 or 123 45 6789.
            if t.kind == Kind::Number && s.toks.norm(k).len() == 3 && k + 2 < n {
                let (b, c) = (k + 1, k + 2);
                let g1 = self.gap(k, b);
                let g2 = self.gap(b, c);
                if s.toks.toks[b].kind == Kind::Number
                    && s.toks.toks[c].kind == Kind::Number
                    && s.toks.norm(b).len() == 2
                    && s.toks.norm(c).len() == 4
                    && g1 == g2
                    && (g1 == "-" || g1 == " ")
                {
                    out.push(self.finding(k, c, Category::Identifier, rule::SSN));
                    continue;
                }
            }
            let c = s.class[k];
            if k > 0
                && s.class[k - 1]
                    & c
                    & (class::ID_SSN | class::ID_RECORD | class::ID_MEMBER | class::ID_DOB)
                    != 0
            {
                // Only the last word of a multi-word keyword starts the search.
                continue;
            }
            let kind = if c & class::ID_SSN != 0 {
                rule::SSN
            } else if c & class::ID_RECORD != 0 {
                rule::RECORD_NUMBER
            } else if c & class::ID_MEMBER != 0 {
                rule::MEMBER_ID
            } else if c & class::ID_DOB != 0 {
                rule::DATE_OF_BIRTH
            } else {
                continue;
            };
            let key_first = k;
            let key_last = last_of_class(
                s,
                k,
                c & (class::ID_SSN | class::ID_RECORD | class::ID_MEMBER | class::ID_DOB),
            );
            let hi = (key_last + 4).min(n - 1);
            for j in key_last + 1..=hi {
                if !self.same_sentence(j, key_first) {
                    break;
                }
                let found = if kind == rule::DATE_OF_BIRTH {
                    self.date_at(j)
                } else {
                    self.id_at(j, kind == rule::SSN)
                };
                if let Some(end) = found {
                    out.push(self.finding(key_first, end, Category::Identifier, kind));
                    break;
                }
            }
        }
    }

    /// `icd10cm_code`: an ICD-10-CM code ("E11.9", "J45.909", "M54.50", "S52.521A") in a
    /// sentence with a code label ("Dx:", "ICD-10", "diagnosis", "problem list"), or written
    /// in full in brackets after a word ("plantar fasciitis (M72.2)"); and only when it is in
    /// the code set: "door E11" in a notice is not a diagnosis, nor "bay F32.9" without a label.
    pub(crate) fn icd10cm_codes(&self, out: &mut Vec<Finding>) {
        let s = self.s;
        let n = self.n();
        let mut code = String::with_capacity(8);
        for k in 0..n {
            let t = s.toks.toks[k];
            if t.kind != Kind::Word || !t.has(flag::DIGITS_IN_WORD) || t.has(flag::URL) {
                continue;
            }
            let w = s.toks.norm(k).as_bytes();
            let shape = w.len() == 3
                && w[0].is_ascii_lowercase()
                && w[1].is_ascii_digit()
                && w[2].is_ascii_alphanumeric();
            if !shape {
                continue;
            }
            code.clear();
            code.push_str(s.toks.norm(k));
            let mut last = k;
            if k + 1 < n && self.gap(k, k + 1) == "." && s.toks.norm(k + 1).len() <= 4 {
                code.push_str(s.toks.norm(k + 1));
                last = k + 1;
                // A 7th character glued on after the digits: "S52.521A".
                if last + 1 < n
                    && self.gap(last, last + 1).is_empty()
                    && code.len() + s.toks.norm(last + 1).len() <= 7
                {
                    code.push_str(s.toks.norm(last + 1));
                    last += 1;
                }
            }
            let labelled = self.sentence_class(k) & class::CODE_LABEL != 0;
            let before = if k == 0 {
                self.text.get(..t.start).unwrap_or("")
            } else {
                self.gap(k - 1, k)
            };
            let bracketed = k > 0
                && s.toks.toks[k - 1].kind == Kind::Word
                && before.trim_end().ends_with(['(', '[']);
            // In brackets without a label only a full code ("(M72.2)"): a bare category
            // there is more often a reference ("order (A01)").
            let dotted = last > k;
            if (labelled || (bracketed && dotted)) && self.lex.is_icd10cm(&code) {
                out.push(self.finding(k, last, Category::Condition, rule::ICD10CM_CODE));
            }
        }
    }

    /// An identifier: 4+ digits (not a year, not a phone number) or letters with 3+ digits.
    fn id_at(&self, j: usize, ssn: bool) -> Option<usize> {
        let s = self.s;
        let t = s.toks.toks[j];
        let norm = s.toks.norm(j);
        let digits = norm.bytes().filter(u8::is_ascii_digit).count();
        match t.kind {
            Kind::Number => {
                if t.has(flag::DECIMAL) {
                    return None;
                }
                let v = parse_num(norm);
                let year = digits == 4 && (1900.0..=2100.0).contains(&v);
                if digits >= 5 || (digits == 4 && (!year || ssn)) {
                    // Letters right after ("12345A") belong to the id.
                    let mut end = j;
                    if j + 1 < self.n()
                        && s.toks.toks[j + 1].start == t.end
                        && s.toks.toks[j + 1].kind == Kind::Word
                    {
                        end = j + 1;
                    }
                    return Some(end);
                }
                None
            }
            Kind::Word => (digits >= 3 && norm.len() >= 5).then_some(j),
        }
    }

    /// A date at `j`: 3/4/1980, 03-04-1980, March 4 (1980), 4 March.
    fn date_at(&self, j: usize) -> Option<usize> {
        let s = self.s;
        let n = self.n();
        let t = s.toks.toks[j];
        if t.kind == Kind::Number {
            if s.toks.norm(j).len() == 8 {
                return Some(j);
            }
            let mut end = j;
            let mut parts = 1;
            while end + 1 < n
                && s.toks.toks[end + 1].kind == Kind::Number
                && matches!(self.gap(end, end + 1), "/" | "-" | ".")
            {
                end += 1;
                parts += 1;
            }
            if parts >= 2 {
                return Some(end);
            }
            if j + 1 < n && s.class[j + 1] & class::MONTH != 0 {
                return Some(j + 1);
            }
            return None;
        }
        if s.class[j] & class::MONTH != 0 && j + 1 < n && s.toks.toks[j + 1].kind == Kind::Number {
            let mut end = j + 1;
            if end + 1 < n
                && s.toks.toks[end + 1].kind == Kind::Number
                && s.toks.norm(end + 1).len() == 4
            {
                end += 1;
            }
            return Some(end);
        }
        None
    }
}

/// Medicare Beneficiary Identifier: 11 characters, C A AN N A AN N A A N N, with optional
/// hyphens after the 4th and 7th (letters exclude S, L, O, I, B, Z).
/// An MBI starts with a digit glued to letters-and-digits ("1EG4…"): one digit token
/// followed without a gap by a word with digits. Cheap test before the byte scan.
pub(crate) fn may_hold_medicare_id(toks: &Tokens) -> bool {
    toks.toks.windows(2).any(|w| {
        w[0].kind == Kind::Number
            && w[0].end - w[0].start == 1
            && w[1].start == w[0].end
            && w[1].has(flag::DIGITS_IN_WORD)
    })
}

pub(crate) fn medicare_ids(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let in_run = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let mut i = 0;
    while i < n {
        while i < n && !in_run(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < n && in_run(bytes[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && bytes[end - 1] == b'-' {
            end -= 1;
        }
        let run = bytes.get(start..end).unwrap_or(&[]);
        // 11 characters, or 13 with the two hyphens.
        if !(11..=13).contains(&run.len()) || !matches!(run.first(), Some(b'1'..=b'9')) {
            continue;
        }
        let mut chars = [0u8; 13];
        let mut len = 0;
        for &b in run.iter().filter(|&&b| b != b'-') {
            chars[len] = b.to_ascii_uppercase();
            len += 1;
        }
        if len == 11 && is_mbi(&chars[..11]) {
            out.push(Finding {
                start,
                end,
                category: Category::Identifier,
                rule: rule::MEDICARE_ID,
                text: text.get(start..end).unwrap_or("").to_string(),
                allowed: false,
            });
        }
    }
}

fn is_mbi(c: &[u8]) -> bool {
    let alpha = |b: u8| b.is_ascii_uppercase() && !b"SLOIBZ".contains(&b);
    let num = |b: u8| b.is_ascii_digit();
    let an = |b: u8| alpha(b) || num(b);
    matches!(c.first(), Some(b'1'..=b'9'))
        && alpha(c[1])
        && an(c[2])
        && num(c[3])
        && alpha(c[4])
        && an(c[5])
        && num(c[6])
        && alpha(c[7])
        && alpha(c[8])
        && num(c[9])
        && num(c[10])
}

//! The PHI gate's rules: turns a tokenised text and the compiled vocabularies into
//! findings (matching, names, context windows, values, doses, identifiers, instructions).
//! Pure; imports only std and the sibling modules. The rules are described in `mod.rs`.

use super::lexicon::{Lexicon, Test, class};
use super::text::{Kind, Tokens, digits_as_letters, flag, tokenize};
use super::{Category, Finding, rule};

/// How a vocabulary match was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Exact,
    Obfuscated,
    Misspelled,
}

#[derive(Clone, Copy, Debug)]
struct Match {
    first: usize,
    last: usize,
    pid: u32,
    how: How,
}

/// Buffers reused between checks on one thread.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    toks: Tokens,
    ids: Vec<Option<u32>>,
    how: Vec<How>,
    class: Vec<u32>,
    name: Vec<bool>,
    covered: Vec<bool>,
    sentence: Vec<u32>,
    matches: Vec<Match>,
    fuzzy: Vec<u32>,
    word: String,
}

/// Words of context a context-only term looks at, before and after.
const CUE_BEFORE: usize = 3;
const CUE_AFTER: usize = 2;
/// Words after a test name where its value or polarity may stand.
const VALUE_AFTER: usize = 4;
/// Words before a test name where a polarity may stand ("abnormal mammogram").
const POLARITY_BEFORE: usize = 2;

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
    match_vocabulary(lex, text, s);
    let cx = Cx { lex, text, s: &*s };
    for m in &s.matches {
        cx.vocabulary_finding(m, &mut out);
    }
    for i in 0..n {
        if s.class[i] & class::TEST_GENERIC != 0
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
    mark_allowed(text, allow, s, &mut out);
    dedup(&mut out);
    out
}

fn last_of_class(s: &Scratch, i: usize, c: u32) -> usize {
    let mut j = i;
    while j + 1 < s.toks.toks.len()
        && s.class[j + 1] & c != 0
        && !s.toks.toks[j + 1].has(flag::BREAK)
    {
        j += 1;
    }
    j
}

/// Word ids, trying the letter reading of digits and a plural `s`.
fn look_up_words(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    s.ids.clear();
    s.how.clear();
    s.class.clear();
    s.name.clear();
    s.covered.clear();
    s.sentence.clear();
    let mut sentence = 0u32;
    for i in 0..n {
        let t = s.toks.toks[i];
        if t.has(flag::BREAK) {
            sentence += 1;
        }
        s.sentence.push(sentence);
        let norm = s.toks.norm(i);
        let obf = t.has(flag::SYMBOL) || t.has(flag::JOINED);
        let mut how = if obf { How::Obfuscated } else { How::Exact };
        let mut id = lex.word(norm);
        if id.is_none() && t.kind == Kind::Word && t.has(flag::DIGITS_IN_WORD) {
            for alt in [false, true] {
                digits_as_letters(norm, alt, &mut s.word);
                id = lex.word(&s.word);
                if id.is_some() {
                    how = How::Obfuscated;
                    break;
                }
            }
        }
        if id.is_none() && t.kind == Kind::Word && norm.len() >= 5 {
            if let Some(stem) = norm.strip_suffix('s') {
                id = lex.word(stem).filter(|&w| !lex.starting_with(w).is_empty());
            }
        }
        if id.is_none() && t.kind == Kind::Word {
            let orig = text.get(t.start..t.end).unwrap_or("");
            if swap_l_and_i(orig, &mut s.word) {
                id = lex.word(&s.word);
                if id.is_some() {
                    how = How::Obfuscated;
                }
            }
        }
        s.ids.push(id);
        s.how.push(how);
        s.class.push(id.map_or(0, |w| lex.word_class[w as usize]));
        s.name.push(false);
        s.covered.push(false);
    }
}

/// "MRl", "HlV": a lower-case l among capitals reads as I; "vaIium": a capital I inside
/// lower-case letters reads as l. Writes the other reading; false when there is none.
fn swap_l_and_i(orig: &str, into: &mut String) -> bool {
    if !orig.is_ascii() || orig.len() < 3 {
        return false;
    }
    let uppers = orig.bytes().filter(u8::is_ascii_uppercase).count();
    let to_i = uppers >= 2 && orig.contains('l');
    let to_l = uppers <= 1 && orig.bytes().skip(1).any(|b| b == b'I');
    if !to_i && !to_l {
        return false;
    }
    into.clear();
    for (k, b) in orig.bytes().enumerate() {
        into.push(match b {
            b'l' if to_i => 'i',
            b'I' if to_l && k > 0 => 'l',
            _ => b.to_ascii_lowercase() as char,
        });
    }
    true
}

/// Does phrase `pid` match at token `i` (all its words, within one sentence)?
fn phrase_at(lex: &Lexicon, s: &Scratch, pid: u32, i: usize) -> Option<usize> {
    let p = lex.phrase(pid)?;
    let len = p.toks.len();
    if i + len > s.ids.len() {
        return None;
    }
    for (k, &w) in p.toks.iter().enumerate() {
        if s.ids[i + k] != Some(w) || (k > 0 && s.toks.toks[i + k].has(flag::BREAK)) {
            return None;
        }
    }
    Some(i + len - 1)
}

/// Multi-word grammar entries ("you have", "date of birth", "cold weather") give their
/// class to each of their words.
fn mark_grammar_phrases(lex: &Lexicon, s: &mut Scratch) {
    for i in 0..s.ids.len() {
        let Some(id) = s.ids[i] else { continue };
        if !lex
            .starts_grammar
            .get(id as usize)
            .copied()
            .unwrap_or(false)
        {
            continue;
        }
        for &pid in lex.starting_with(id) {
            let Some(p) = lex.phrase(pid) else { continue };
            if p.class == 0 || p.toks.len() < 2 {
                continue;
            }
            if let Some(last) = phrase_at(lex, s, pid, i) {
                for k in i..=last {
                    s.class[k] |= p.class;
                }
            }
        }
    }
}

/// True when some vocabulary phrase starting at this word blocks on its own.
fn starts_always_phrase(lex: &Lexicon, id: Option<u32>) -> bool {
    id.is_some_and(|id| lex.starts_always.get(id as usize).copied().unwrap_or(false))
}

/// The capitalised words after a title ("Dr. Jane Stone") or a greeting ("Hi Camila,"),
/// and a capitalised first word followed by a comma ("Heather, your…"), are names.
fn mark_names(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    for i in 0..n {
        let t = s.toks.toks[i];
        if !t.has(flag::CAP) || t.kind != Kind::Word {
            continue;
        }
        let prev = i.checked_sub(1);
        let after_title = prev.is_some_and(|p| s.class[p] & class::TITLE != 0);
        let after_greeting = prev
            .is_some_and(|p| s.class[p] & class::GREETING != 0 && !s.toks.toks[i].has(flag::BREAK));
        let always = starts_always_phrase(lex, s.ids[i]);
        if after_title && !t.has(flag::BREAK) {
            s.name[i] = true;
            // A second capitalised word is the surname, unless it is clinical by itself
            // ("Dr. Patel Oncology").
            let mut j = i + 1;
            while j < n && j <= i + 2 {
                let tj = s.toks.toks[j];
                if !tj.has(flag::CAP) || tj.has(flag::BREAK) || starts_always_phrase(lex, s.ids[j])
                {
                    break;
                }
                s.name[j] = true;
                if s.toks.norm(j).len() > 1 {
                    break;
                }
                j += 1;
            }
        } else if after_greeting && !always {
            s.name[i] = true;
        } else if (i == 0 || t.has(flag::BREAK)) && !always {
            let gap = text.get(t.end..).unwrap_or("");
            if gap.starts_with(',') {
                s.name[i] = true;
            }
        }
    }
}

/// Leftmost-longest vocabulary matches, then joined fragments, then one-typo matches.
fn match_vocabulary(lex: &Lexicon, text: &str, s: &mut Scratch) {
    s.matches.clear();
    let n = s.toks.toks.len();
    let mut i = 0;
    while i < n {
        let mut found = None;
        if let (Some(id), false) = (s.ids[i], s.name[i]) {
            for &pid in lex.starting_with(id) {
                let Some(p) = lex.phrase(pid) else { continue };
                if p.senses.is_empty() {
                    continue;
                }
                if let Some(last) = phrase_at(lex, s, pid, i) {
                    let how = if (i..=last).any(|k| s.how[k] == How::Obfuscated) {
                        How::Obfuscated
                    } else {
                        How::Exact
                    };
                    found = Some(Match {
                        first: i,
                        last,
                        pid,
                        how,
                    });
                    break;
                }
            }
        }
        if let Some(m) = found {
            for k in m.first..=m.last {
                s.covered[k] = true;
            }
            s.matches.push(m);
            i = m.last + 1;
        } else {
            i += 1;
        }
    }
    // Two neighbouring fragments that make one word: "chemo therapy", "can cer", "x-ray".
    for i in 0..n.saturating_sub(1) {
        let (a, b) = (s.toks.toks[i], s.toks.toks[i + 1]);
        if s.covered[i] || s.covered[i + 1] || s.name[i] || s.name[i + 1] {
            continue;
        }
        if a.kind != Kind::Word || b.has(flag::BREAK) || a.has(flag::URL) {
            continue;
        }
        let gap = text.get(a.end..b.start).unwrap_or("");
        if gap.is_empty() || gap.len() > 2 || !gap.chars().all(|c| c == ' ' || c == '-') {
            continue;
        }
        let (na, nb) = (s.toks.norm(i), s.toks.norm(i + 1));
        if na.len() + nb.len() < 6 || !lex.may_start(na.as_bytes()) || !lex.may_end(nb.as_bytes()) {
            continue;
        }
        let pid = lex.joined_word(na, nb);
        if let Some(pid) = pid {
            s.covered[i] = true;
            s.covered[i + 1] = true;
            s.matches.push(Match {
                first: i,
                last: i + 1,
                pid,
                how: How::Obfuscated,
            });
        }
    }
    // One typo: only words unknown to every list, in lower case or at a sentence start
    // (a capitalised word mid-sentence is a proper noun).
    for i in 0..n {
        let t = s.toks.toks[i];
        if s.covered[i]
            || s.name[i]
            || s.ids[i].is_some()
            || t.kind != Kind::Word
            || t.has(flag::URL)
        {
            continue;
        }
        if t.has(flag::CAP) && !t.has(flag::UPPER) && i > 0 && !t.has(flag::BREAK) {
            continue;
        }
        let norm = s.toks.norm(i);
        if !norm.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        lex.fuzzy(norm, &mut s.fuzzy);
        if let Some(&pid) = s.fuzzy.first() {
            s.covered[i] = true;
            s.matches.push(Match {
                first: i,
                last: i,
                pid,
                how: How::Misspelled,
            });
        }
    }
    s.matches.sort_by_key(|m| m.first);
}

/// Read-only view for the rules.
struct Cx<'a> {
    lex: &'a Lexicon,
    text: &'a str,
    s: &'a Scratch,
}

impl Cx<'_> {
    fn n(&self) -> usize {
        self.s.toks.toks.len()
    }

    fn same_sentence(&self, a: usize, b: usize) -> bool {
        self.s.sentence.get(a) == self.s.sentence.get(b)
    }

    fn finding(
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

    fn gap(&self, a: usize, b: usize) -> &str {
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

    fn rule_for(&self, m: &Match, ctx: bool) -> &'static str {
        match m.how {
            How::Misspelled => rule::TERM_MISSPELLED,
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
        let sentence_start = m.first == 0 || t.has(flag::BREAK);
        let proper = t.has(flag::CAP) && !t.has(flag::UPPER) && !sentence_start;
        let wanted = if proper {
            class::STRONG_CUE
        } else {
            class::CUE | class::STRONG_CUE
        };
        let lo = m.first.saturating_sub(CUE_BEFORE);
        let hi = (m.last + CUE_AFTER).min(self.n() - 1);
        (lo..=hi).any(|k| {
            (k < m.first || k > m.last)
                && self.same_sentence(k, m.first)
                && s.class[k] & class::SAFE == 0
                && !s.name[k]
                && (s.class[k] & wanted != 0 || self.clinical_match_at(k))
        })
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
        let hi = (last + VALUE_AFTER).min(n - 1);
        for k in last + 1..=hi {
            if !self.same_sentence(k, first) {
                break;
            }
            if s.class[k] & class::SAFE != 0 {
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

    /// `dose`: a number with a dose unit.
    fn doses(&self, out: &mut Vec<Finding>) {
        let s = self.s;
        for k in 0..self.n().saturating_sub(1) {
            if s.toks.toks[k].kind != Kind::Number || s.class[k + 1] & class::DOSE_UNIT == 0 {
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
            let last = last_of_class(s, k + 1, class::DOSE_UNIT);
            out.push(self.finding(k, last, Category::Medication, rule::DOSE));
        }
    }

    /// `ssn`, `record_number`, `member_id`, `date_of_birth`.
    fn identifiers(&self, out: &mut Vec<Finding>) {
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

fn parse_num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::MAX)
}

/// Medicare Beneficiary Identifier: 11 characters, C A AN N A AN N A A N N, with optional
/// hyphens after the 4th and 7th (letters exclude S, L, O, I, B, Z).
/// An MBI starts with a digit glued to letters-and-digits ("1EG4…"): one digit token
/// followed without a gap by a word with digits. Cheap test before the byte scan.
fn may_hold_medicare_id(toks: &Tokens) -> bool {
    toks.toks.windows(2).any(|w| {
        w[0].kind == Kind::Number
            && w[0].end - w[0].start == 1
            && w[1].start == w[0].end
            && w[1].has(flag::DIGITS_IN_WORD)
    })
}

fn medicare_ids(text: &str, out: &mut Vec<Finding>) {
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

/// Findings entirely inside an allow-listed phrase are allowed.
fn mark_allowed(text: &str, allow: &[Vec<String>], s: &Scratch, out: &mut [Finding]) {
    if allow.is_empty() || out.is_empty() {
        return;
    }
    let _ = text;
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

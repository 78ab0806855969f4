//! Matching a tokenised text against the compiled vocabularies: word look-up (with texting
//! shorthand, the letter reading of digits, plurals and l/I look-alikes), multi-word grammar
//! phrases, leftmost-longest vocabulary phrases (a service name also with one word inserted
//! before its clinic word), joined fragments and one-typo matches; then the per-token and
//! per-sentence summaries the rules read in constant time. Names are in `names.rs`.
//! Pure; imports only std and the sibling modules.

use super::Category;
use super::lexicon::{Lexicon, class};
use super::text::{Kind, Tokens, digits_as_letters, flag};

/// Letters from which a capitalised word mid-sentence may be read as a misspelled vocabulary
/// word ("Hypertention", "Endometreosis"); shorter ones are names and places.
const CAPITALISED_TYPO_LEN: usize = 9;

/// Short everyday words never taken for the fragment of a split clinical word.
const FUNCTION_WORDS: [&str; 39] = [
    "a", "an", "as", "at", "be", "by", "do", "go", "he", "if", "is", "it", "me", "my", "no", "of",
    "on", "or", "so", "to", "up", "us", "we", "am", "are", "and", "the", "for", "our", "you",
    "your", "all", "any", "not", "but", "was", "has", "had", "her",
];

/// How a vocabulary match was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    Exact,
    Obfuscated,
    Misspelled,
    /// An unknown word with a clinical ending ("tympanoplasty", "-itis").
    Suffix,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Match {
    pub first: usize,
    pub last: usize,
    pub pid: u32,
    pub how: How,
}

/// Buffers reused between checks on one thread.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub toks: Tokens,
    pub ids: Vec<Option<u32>>,
    pub how: Vec<How>,
    pub class: Vec<u64>,
    pub name: Vec<bool>,
    /// Inside a span the renderer filled from the database.
    pub trusted: Vec<bool>,
    pub covered: Vec<bool>,
    /// Sentence and clause number of each token.
    pub sentence: Vec<u32>,
    pub clause: Vec<u32>,
    pub matches: Vec<Match>,
    /// 1 + the index in `matches` of the match covering each token; 0 for none.
    pub covered_by: Vec<u32>,
    /// Per sentence: the classes of its words or-ed together, and whether it holds a number.
    pub sent_class: Vec<u64>,
    pub sent_number: Vec<bool>,
    /// Per sentence: the first word of advice to anyone ("if you have"), if any.
    pub sent_first_generic: Vec<u32>,
    /// Per sentence: words that make a count of tablets a dose (a medication, a medication
    /// verb or object).
    pub sent_med: Vec<u32>,
    pub fuzzy: Vec<u32>,
    pub word: String,
    /// Steps of matching work for the last text (tests assert it is linear in the text).
    pub work: u64,
}

pub(crate) fn last_of_class(s: &Scratch, i: usize, c: u64) -> usize {
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
pub(crate) fn look_up_words(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    // Flags start false and are filled in place; the rest is pushed once per token.
    for v in [&mut s.name, &mut s.trusted, &mut s.covered] {
        v.clear();
        v.resize(n, false);
    }
    s.ids.clear();
    s.how.clear();
    s.class.clear();
    s.sentence.clear();
    s.clause.clear();
    s.work = n as u64;
    let (mut sentence, mut clause) = (0u32, 0u32);
    for i in 0..n {
        let t = s.toks.toks[i];
        sentence += u32::from(t.has(flag::BREAK));
        clause += u32::from(t.has(flag::CLAUSE));
        s.sentence.push(sentence);
        s.clause.push(clause);
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
            if let Some(stem) = norm.strip_suffix("ies") {
                // "abnormalities" → "abnormality".
                s.word.clear();
                s.word.push_str(stem);
                s.word.push('y');
                id = lex.word(&s.word);
            }
            if id.is_none()
                && let Some(stem) = norm.strip_suffix('s')
            {
                id = lex.word(stem);
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
    }
}

/// Per-sentence summaries the rules and the value-only typo probe read in constant time:
/// the classes of the sentence's words, whether it holds a number, where its first word of
/// advice to anyone is. Run after grammar phrases and trusted spans are marked.
pub(crate) fn summarise_sentences(s: &mut Scratch) {
    let sentences = s.sentence.last().map_or(0, |&k| k as usize + 1);
    s.sent_class.clear();
    s.sent_class.resize(sentences, 0);
    s.sent_number.clear();
    s.sent_number.resize(sentences, false);
    s.sent_first_generic.clear();
    s.sent_first_generic.resize(sentences, u32::MAX);
    for (i, t) in s.toks.toks.iter().enumerate() {
        let k = s.sentence[i] as usize;
        let c = s.class[i];
        s.sent_class[k] |= c;
        if t.kind == Kind::Number && !s.trusted[i] {
            s.sent_number[k] = true;
        }
        if c & class::GENERIC != 0 && s.sent_first_generic[k] == u32::MAX {
            s.sent_first_generic[k] = i as u32;
        }
    }
}

/// Which match covers each token, and per sentence the words that make a count a dose.
/// Run after [`match_vocabulary`].
pub(crate) fn index_matches(lex: &Lexicon, s: &mut Scratch) {
    let n = s.toks.toks.len();
    s.covered_by.clear();
    s.covered_by.resize(n, 0);
    for (mi, m) in s.matches.iter().enumerate() {
        for k in m.first..=m.last.min(n.saturating_sub(1)) {
            s.covered_by[k] = mi as u32 + 1;
        }
    }
    s.sent_med.clear();
    s.sent_med.resize(s.sent_class.len(), 0);
    for i in 0..n {
        let c = s.class[i];
        let verb = c & (class::MED_VERB | class::MED_OBJECT) != 0 && c & class::DOSE_COUNT == 0;
        if verb || medication_covers(lex, s, i) {
            s.sent_med[s.sentence[i] as usize] += 1;
        }
    }
}

/// A medication match covers token `i`.
pub(crate) fn medication_covers(lex: &Lexicon, s: &Scratch, i: usize) -> bool {
    let Some(&m) = s.covered_by.get(i) else {
        return false;
    };
    m.checked_sub(1)
        .and_then(|m| s.matches.get(m as usize))
        .and_then(|m| lex.phrase(m.pid))
        .is_some_and(|p| p.senses.iter().any(|s| s.category == Category::Medication))
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
pub(crate) fn phrase_at(lex: &Lexicon, s: &Scratch, pid: u32, i: usize) -> Option<usize> {
    let p = lex.phrase(pid)?;
    let len = p.toks.len();
    if i + len > s.ids.len() {
        return None;
    }
    for (k, &w) in p.toks.iter().enumerate() {
        if s.ids[i + k] != Some(w)
            || (k > 0 && s.toks.toks[i + k].has(flag::BREAK))
            || s.trusted[i + k]
        {
            return None;
        }
    }
    Some(i + len - 1)
}

/// Does service phrase `pid` ("sleep disorders center") match at token `i` with one word
/// inserted before its clinic word ("Heart Rhythm Clinic" for "heart clinic")? The inserted
/// word is one that names a service, not a place (`[service_filler]`: health, care, rhythm…):
/// "Heart Lake Clinic" is a place.
fn gapped_phrase_at(lex: &Lexicon, s: &Scratch, pid: u32, i: usize) -> Option<usize> {
    let p = lex.phrase(pid)?;
    let len = p.toks.len();
    let (&last_word, head) = p.toks.split_last()?;
    let last = i + len;
    if last >= s.ids.len() {
        return None;
    }
    for (k, &w) in head.iter().enumerate() {
        if s.ids[i + k] != Some(w) || (k > 0 && s.toks.toks[i + k].has(flag::BREAK)) {
            return None;
        }
    }
    let gap = i + len - 1;
    let ok = (gap..=last).all(|k| !s.toks.toks[k].has(flag::CLAUSE) && !s.trusted[k])
        && s.class[gap] & class::SERVICE_FILLER != 0
        && s.ids[last] == Some(last_word);
    ok.then_some(last)
}

/// Multi-word grammar entries ("you have", "date of birth", "cold weather") give their
/// class to each of their words.
pub(crate) fn mark_grammar_phrases(lex: &Lexicon, s: &mut Scratch) {
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
        let next = s.ids.get(i + 1).copied().flatten();
        let (pids, seconds) = lex.starting_with_second(id);
        for (&pid, &second) in pids.iter().zip(seconds) {
            if second == u32::MAX || Some(second) != next {
                continue;
            }
            let Some(p) = lex.phrase(pid) else { continue };
            if p.class == 0 {
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
pub(crate) fn starts_always_phrase(lex: &Lexicon, id: Option<u32>) -> bool {
    id.is_some_and(|id| lex.starts_always.get(id as usize).copied().unwrap_or(false))
}

/// Leftmost-longest vocabulary matches, then joined fragments, then one-typo matches.
pub(crate) fn match_vocabulary(lex: &Lexicon, text: &str, s: &mut Scratch) {
    s.matches.clear();
    match_phrases(lex, s);
    match_joined_fragments(lex, text, s);
    match_endings_and_typos(lex, s);
    s.matches.sort_by_key(|m| m.first);
}

/// Leftmost-longest: at each word, the first vocabulary phrase that starts there.
fn match_phrases(lex: &Lexicon, s: &mut Scratch) {
    let n = s.toks.toks.len();
    let mut i = 0;
    while i < n {
        let found = phrase_match_at(lex, s, i);
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
}

/// The vocabulary phrase that starts at word `i`, if one does.
fn phrase_match_at(lex: &Lexicon, s: &mut Scratch, i: usize) -> Option<Match> {
    let (Some(id), false) = (s.ids[i], s.name[i]) else {
        return None;
    };
    let (starting, seconds) = lex.vocabulary_starting_with(id);
    s.work += starting.len() as u64;
    let next = s.ids.get(i + 1).copied().flatten();
    // Only words that start a service name taking an inserted word look twice.
    let may_gap = lex.starts_gapped.get(id as usize).copied().unwrap_or(false);
    let gapped = if may_gap { starting } else { &[] }
        .iter()
        .filter(|&&pid| lex.phrase(pid).is_some_and(|p| p.gap_ok));
    // A phrase of several words whose second word is not next cannot match (the
    // gapped ones are tried apart: their words are not side by side).
    let plain = starting
        .iter()
        .zip(seconds)
        .filter(|&(_, &second)| second == u32::MAX || Some(second) == next)
        .map(|(pid, _)| (pid, false));
    for (&pid, with_gap) in plain.chain(gapped.map(|pid| (pid, true))) {
        let Some(p) = lex.phrase(pid) else { continue };
        if p.senses.is_empty() {
            continue;
        }
        let at = if with_gap {
            gapped_phrase_at(lex, s, pid, i)
        } else {
            phrase_at(lex, s, pid, i)
        };
        if let Some(last) = at {
            let how = if (i..=last).any(|k| s.how[k] == How::Obfuscated) {
                How::Obfuscated
            } else {
                How::Exact
            };
            return Some(Match {
                first: i,
                last,
                pid,
                how,
            });
        }
    }
    None
}

/// Two neighbouring fragments that make one word: "chemo therapy", "can cer", "x-ray".
fn match_joined_fragments(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    for i in 0..n.saturating_sub(1) {
        let (a, b) = (s.toks.toks[i], s.toks.toks[i + 1]);
        if s.covered[i] || s.covered[i + 1] || s.name[i] || s.name[i + 1] {
            continue;
        }
        // Two words the vocabulary already knows are two words ("in patient", "pre op"),
        // not one split clinical word; a split one has a fragment that is no word ("can cer").
        if s.ids[i].is_some() && s.ids[i + 1].is_some() {
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
        let Some(pid) = lex.joined_word(na, nb) else {
            continue;
        };
        // "as part" is not "aspart": a fragment that is a short everyday word is that word.
        let function_word = |w: &str| w.len() <= 4 && FUNCTION_WORDS.contains(&w);
        if !function_word(na) && !function_word(nb) {
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
}

/// A clinical ending, else one typo, on the words no list knows.
fn match_endings_and_typos(lex: &Lexicon, s: &mut Scratch) {
    let n = s.toks.toks.len();
    // A clinical ending, else one typo: only words unknown to every list. A capitalised
    // word mid-sentence is a proper noun (a street, a town, a surname) unless it is long or
    // a clinic word follows it ("Hypertention", "Cardiolgy Clinic"): then a typo may be read,
    // never an ending.
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
        let norm = s.toks.norm(i);
        if !norm.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        let proper = t.has(flag::CAP) && !t.has(flag::UPPER) && i > 0 && !t.has(flag::BREAK);
        if proper {
            let clinic_next = i + 1 < n
                && s.class[i + 1] & class::CLINIC_WORD != 0
                && !s.toks.toks[i + 1].has(flag::CLAUSE);
            if norm.len() < CAPITALISED_TYPO_LEN && !clinic_next {
                continue;
            }
        } else if let Some(pid) = lex.suffix(norm) {
            s.covered[i] = true;
            s.matches.push(Match {
                first: i,
                last: i,
                pid,
                how: How::Suffix,
            });
            continue;
        }
        s.work += 2 * norm.len() as u64;
        lex.fuzzy(norm, &mut s.fuzzy);
        if s.fuzzy.is_empty() {
            // A misspelled value-only test name, in a sentence with a number or an outcome
            // word: "potasium was low 3.1", "sodum was 129".
            let k = s.sentence[i] as usize;
            let value = s.sent_number.get(k).copied().unwrap_or(false)
                || s.sent_class
                    .get(k)
                    .is_some_and(|c| c & class::POLARITY != 0);
            if value {
                s.work += 2 * norm.len() as u64;
                lex.value_fuzzy(norm, &mut s.fuzzy);
            }
        }
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
}

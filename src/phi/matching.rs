//! Matching a tokenised text against the compiled vocabularies: word look-up (with the
//! letter reading of digits, plurals and l/I look-alikes), multi-word grammar phrases, names
//! after titles and greetings, leftmost-longest vocabulary phrases, joined fragments and
//! one-typo matches. Pure; imports only std and the sibling modules.

use super::lexicon::{Lexicon, class};
use super::text::{Kind, Tokens, digits_as_letters, flag};

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
    pub class: Vec<u32>,
    pub name: Vec<bool>,
    pub covered: Vec<bool>,
    pub sentence: Vec<u32>,
    pub matches: Vec<Match>,
    pub fuzzy: Vec<u32>,
    pub word: String,
}

pub(crate) fn last_of_class(s: &Scratch, i: usize, c: u32) -> usize {
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
pub(crate) fn starts_always_phrase(lex: &Lexicon, id: Option<u32>) -> bool {
    id.is_some_and(|id| lex.starts_always.get(id as usize).copied().unwrap_or(false))
}

/// The capitalised words after a title ("Dr. Jane Stone") or a greeting ("Hi Camila,"),
/// and a capitalised first word followed by a comma ("Heather, your…"), are names.
pub(crate) fn mark_names(lex: &Lexicon, text: &str, s: &mut Scratch) {
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

/// Capitalised words before a street or place word ("Heart Lake Road", "Cancer Survivors
/// Park") are a place name: marked as names, so never vocabulary. Title case only, up to
/// three words, within one sentence.
/// A place named by a vocabulary phrase ("Roswell Park" the cancer centre) stays
/// vocabulary.
pub(crate) fn mark_street_names(lex: &Lexicon, s: &mut Scratch) {
    let n = s.toks.toks.len();
    for j in 1..n {
        let t = s.toks.toks[j];
        if s.class[j] & class::STREET == 0
            || !t.has(flag::CAP)
            || t.has(flag::UPPER)
            || t.has(flag::BREAK)
        {
            continue;
        }
        let mut k = j;
        while k > 0 && j - k < 3 {
            let prev = s.toks.toks[k - 1];
            if !prev.has(flag::CAP) || prev.has(flag::UPPER) || prev.kind != Kind::Word {
                break;
            }
            k -= 1;
            if prev.has(flag::BREAK) {
                break;
            }
        }
        let vocabulary_place = (k..j).any(|i| {
            s.ids[i].is_some_and(|id| {
                lex.starting_with(id).iter().any(|&pid| {
                    lex.phrase(pid).is_some_and(|p| !p.senses.is_empty())
                        && phrase_at(lex, s, pid, i).is_some_and(|last| last >= j)
                })
            })
        });
        if !vocabulary_place {
            for name in &mut s.name[k..j] {
                *name = true;
            }
        }
    }
}

/// Leftmost-longest vocabulary matches, then joined fragments, then one-typo matches.
pub(crate) fn match_vocabulary(lex: &Lexicon, text: &str, s: &mut Scratch) {
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
    // A clinical ending, else one typo: only words unknown to every list, in lower case or
    // at a sentence start (a capitalised word mid-sentence is a proper noun).
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
        if let Some(pid) = lex.suffix(norm) {
            s.covered[i] = true;
            s.matches.push(Match {
                first: i,
                last: i,
                pid,
                how: How::Suffix,
            });
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

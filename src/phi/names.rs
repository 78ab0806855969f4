//! Which words of a text are names, never vocabulary: the spans the template renderer filled
//! from the database (trusted), people's names in the frames people write them in, and place
//! names before a street or place word. Pure; imports only std, smallvec and the sibling
//! modules.

use std::ops::Range;

use smallvec::SmallVec;

use super::lexicon::{Lexicon, class};
use super::matching::{Scratch, phrase_at, starts_always_phrase};
use super::text::{Kind, flag};

/// Tokens inside a trusted span (a value the renderer filled from the database: first name,
/// clinician, practice name, date, time, location label) are names: no vocabulary, typo or
/// context rule reads them, and they are no cue for the words around them. Identifier
/// keywords and months keep their class in a value with digits, so identifier rules still fire
/// inside them ("Ann MRN 00482913"; a patient named "Born" is no keyword). A
/// possessive written after the span ("{first_name}'s") belongs to it.
pub(crate) fn mark_trusted(text: &str, trusted: &[Range<usize>], s: &mut Scratch) {
    if trusted.is_empty() {
        return;
    }
    let mut spans: SmallVec<[Range<usize>; 8]> = trusted
        .iter()
        .filter(|r| r.start < r.end)
        .cloned()
        .collect();
    spans.sort_unstable_by_key(|r| r.start);
    // Merge overlaps, so one pointer walks spans and tokens together.
    let mut merged: SmallVec<[Range<usize>; 8]> = SmallVec::new();
    for r in spans {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut j = 0;
    for i in 0..s.toks.toks.len() {
        let t = s.toks.toks[i];
        while j < merged.len() && merged[j].end <= t.start {
            j += 1;
        }
        let Some(span) = merged.get(j) else { break };
        let tail = text.get(span.end.max(t.start)..t.end).unwrap_or("");
        let inside = span.start <= t.start && (t.end <= span.end || matches!(tail, "'s" | "s"));
        if inside {
            s.trusted[i] = true;
            s.name[i] = true;
            // An identifier keyword counts only in a value that holds digits ("Ann MRN
            // 00482913"): a patient named "Born" is not a date-of-birth keyword.
            let digits = text
                .get(span.clone())
                .is_some_and(|v| v.bytes().any(|b| b.is_ascii_digit()));
            s.class[i] &= if digits { class::KEPT_WHEN_TRUSTED } else { 0 };
        }
    }
}

/// Is this word clinical by itself, as a single word ("Bariatric", not "Hospital" although
/// "hospital bed" is)?
fn is_always_word(lex: &Lexicon, id: Option<u32>) -> bool {
    id.is_some_and(|id| {
        lex.starting_with(id).iter().any(|&pid| {
            lex.phrase(pid).is_some_and(|p| {
                p.toks.len() == 1
                    && p.senses
                        .iter()
                        .any(|s| !s.ctx && !s.upper && s.test != super::lexicon::Test::ValueOnly)
            })
        })
    })
}

/// Does a pause follow token `i` (`, : ; . ! ? )` or the end of the text)? A capitalised word
/// that ends a name frame there is a name even when it is a vocabulary word ("Reminder for
/// Maria Parkinson:", "Hi Lyrica,"); "Parkinson's clinic" goes on and stays vocabulary.
fn pause_after(text: &str, s: &Scratch, i: usize) -> bool {
    let t = s.toks.toks[i];
    let rest = text.get(t.end..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with([',', ':', ';', '.', '!', '?', ')', '\n', '\r'])
}

/// Mark the capitalised words after a name (surnames, up to two more) as names: not when
/// one is clinical by itself, unless a pause follows it ("Dear Anna Graves,").
fn mark_surnames(lex: &Lexicon, text: &str, s: &mut Scratch, i: usize) {
    let n = s.toks.toks.len();
    let mut j = i + 1;
    while j < n && j <= i + 2 {
        let t = s.toks.toks[j];
        if !t.has(flag::CAP) || t.has(flag::CLAUSE) || t.kind != Kind::Word || s.trusted[j] {
            break;
        }
        if starts_always_phrase(lex, s.ids[j]) && !pause_after(text, s, j) {
            break;
        }
        s.name[j] = true;
        j += 1;
    }
}

/// Is the gap before token `i` a colon after a word that is no clinical field label?
/// "Maple Street Clinic: Heather, see you…" frames a name; "Dx: Asthma, mild" does not.
fn after_heading_colon(text: &str, s: &Scratch, i: usize) -> bool {
    let Some(p) = i.checked_sub(1) else {
        return false;
    };
    let (a, b) = (s.toks.toks[p], s.toks.toks[i]);
    let gap = text.get(a.end..b.start).unwrap_or("");
    gap.trim() == ":" && a.kind == Kind::Word && s.class[p] & (class::CUE | class::CODE_LABEL) == 0
}

/// A name label before token `i`: "Name:", "Patient:" (a single word needs its colon) or
/// "Reminder for" (a phrase needs none).
fn after_name_label(text: &str, s: &Scratch, i: usize) -> bool {
    let Some(p) = i.checked_sub(1) else {
        return false;
    };
    if s.class[p] & class::NAME_LABEL == 0 || s.trusted[p] {
        return false;
    }
    let phrase = p > 0 && s.class[p - 1] & class::NAME_LABEL != 0;
    let gap = text
        .get(s.toks.toks[p].end..s.toks.toks[i].start)
        .unwrap_or("");
    phrase || gap.contains(':')
}

/// People's names: the capitalised words after a title ("Dr. Jane Stone"), a greeting ("Hi
/// Camila,"), a name label ("Name: Lupe Willis", "Reminder for Maria Parkinson:"), and a
/// capitalised word followed by a comma at a sentence start or after a heading's colon
/// ("Heather, your…", "Oak Family Practice: Willis, your…"). A word clinical by itself is a
/// name only where a pause follows it in a greeting or label frame ("Hi Lyrica,").
pub(crate) fn mark_names(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    for i in 0..n {
        let t = s.toks.toks[i];
        if !t.has(flag::CAP) || t.kind != Kind::Word || s.name[i] {
            continue;
        }
        let prev = i.checked_sub(1);
        let after_title = prev.is_some_and(|p| s.class[p] & class::TITLE != 0);
        let after_greeting =
            prev.is_some_and(|p| s.class[p] & class::GREETING != 0) && !t.has(flag::BREAK);
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
        } else if after_greeting || after_name_label(text, s, i) {
            let direct = prev.is_some_and(|p| {
                text.get(s.toks.toks[p].end..t.start)
                    .is_some_and(|g| g.trim_matches([' ', ':']).is_empty())
            });
            if !always || (direct && pause_after(text, s, i)) {
                s.name[i] = true;
                mark_surnames(lex, text, s, i);
            }
        } else if (i == 0 || t.has(flag::BREAK) || after_heading_colon(text, s, i)) && !always {
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
///
/// A place-end word (`[place_end]`: "Surgery", a UK general practice) after title-case words
/// is part of the name too, with a "Center"/"Centre" after it: "Elm Road Surgery", "Tamar
/// Valley Surgery", "Lakeside Surgery Center"; not when a word before it is clinical
/// ("Bariatric Surgery Center", "Plastic Surgery Center").
///
/// The words of a place name stand next to each other, spaces only between them: "Reminder:
/// Surgery visit" is a heading and a procedure, not a practice called "Reminder Surgery".
pub(crate) fn mark_street_names(lex: &Lexicon, text: &str, s: &mut Scratch) {
    let n = s.toks.toks.len();
    for j in 1..n {
        let t = s.toks.toks[j];
        let place_end = s.class[j] & class::PLACE_END != 0;
        if s.class[j] & class::STREET == 0 && !place_end
            || !t.has(flag::CAP)
            || t.has(flag::UPPER)
            || t.has(flag::BREAK)
        {
            continue;
        }
        let mut k = j;
        while k > 0 && j - k < 3 {
            let prev = s.toks.toks[k - 1];
            let spaced = text
                .get(prev.end..s.toks.toks[k].start)
                .is_some_and(|gap| gap.bytes().all(|b| b == b' '));
            if !prev.has(flag::CAP) || prev.has(flag::UPPER) || prev.kind != Kind::Word || !spaced {
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
        if vocabulary_place {
            continue;
        }
        let mut end = j;
        if place_end {
            if k == j || (k..j).any(|i| is_always_word(lex, s.ids[i])) {
                continue;
            }
            end = j + 1;
            if end < n
                && s.toks.toks[end].has(flag::CAP)
                && !s.toks.toks[end].has(flag::BREAK)
                && s.class[end] & class::CLINIC_WORD != 0
            {
                end += 1;
            }
        }
        for name in &mut s.name[k..end] {
            *name = true;
        }
    }
}

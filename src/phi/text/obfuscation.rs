//! Undoing what people do to slip a word past a filter: letters spaced out ("H I V",
//! "c-a-n-c-e-r") joined back into one token, and digits read as the letters they stand for
//! ("h1v", "d1abet3s"). Pure; part of the tokenizer in `text`.

use super::{Kind, Token, Tokens, flag};

/// Join runs of single letters or digits separated by one space, dot, hyphen, underscore,
/// slash or asterisk ("H I V", "h.i.v.", "c-a-n-c-e-r") into one token.
pub(super) fn join_spaced_letters(text: &str, out: &mut Tokens) {
    let n = out.toks.len();
    if n < 2 {
        return;
    }
    let single = |t: &Token| t.norm_end - t.norm_start == 1 && t.end - t.start <= 4;
    let mut i = 0;
    let mut write = 0;
    let mut merged: Vec<Token> = Vec::new();
    let mut any = false;
    while i < n {
        let t = out.toks[i];
        let mut j = i;
        if single(&t) {
            while j + 1 < n && single(&out.toks[j + 1]) && {
                let gap = text
                    .get(out.toks[j].end..out.toks[j + 1].start)
                    .unwrap_or("");
                !gap.is_empty()
                    && gap.len() <= 2
                    && gap
                        .chars()
                        .all(|c| matches!(c, ' ' | '.' | '-' | '_' | '/' | '*'))
            } {
                j += 1;
            }
        }
        if j > i {
            any = true;
            let start_norm = out.buf.len() as u32;
            let mut joined = String::with_capacity(j - i + 1);
            for k in i..=j {
                let tk = out.toks[k];
                joined.push_str(
                    out.buf
                        .get(tk.norm_start as usize..tk.norm_end as usize)
                        .unwrap_or(""),
                );
            }
            out.buf.push_str(&joined);
            let all_upper = (i..=j).all(|k| out.toks[k].has(flag::CAP));
            let mut flags = flag::JOINED | (t.flags & (flag::BREAK | flag::CLAUSE));
            if all_upper {
                flags |= flag::UPPER | flag::CAP;
            }
            let kind = if joined.bytes().all(|b| b.is_ascii_digit()) {
                Kind::Number
            } else {
                Kind::Word
            };
            if kind == Kind::Word && joined.bytes().any(|b| b.is_ascii_digit()) {
                flags |= flag::DIGITS_IN_WORD;
            }
            merged.push(Token {
                start: t.start,
                end: out.toks[j].end,
                norm_start: start_norm,
                norm_end: out.buf.len() as u32,
                kind,
                flags,
            });
        } else {
            merged.push(t);
        }
        write += 1;
        i = j + 1;
    }
    if any {
        debug_assert_eq!(write, merged.len());
        out.toks = merged;
    }
}

/// The letter reading of digits inside a word: "h1v" → "hiv", "d1abet3s" → "diabetes".
/// `alt` picks the second reading of 1 (l instead of i).
pub(crate) fn digits_as_letters(word: &str, alt: bool, into: &mut String) {
    into.clear();
    for b in word.bytes() {
        into.push(match b {
            b'0' => 'o',
            b'1' if alt => 'l',
            b'1' => 'i',
            b'3' => 'e',
            b'4' => 'a',
            b'5' => 's',
            b'7' => 't',
            b'8' => 'b',
            b'9' => 'g',
            _ => b as char,
        });
    }
}

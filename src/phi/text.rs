//! Folding and tokenising a message for the PHI gate: owns the rules for case, accents,
//! look-alike characters, symbol substitution ("c@ncer"), spaced letters ("H I V") and the
//! sentence and clause breaks. Pure; imports only std (URLs are marked by `url.rs`, which
//! imports this module, not the other way round).
//!
//! Every token keeps the byte span of the original text it came from, so findings can
//! point into the caller's string however much folding happened.

use std::str::CharIndices;

mod obfuscation;
pub(crate) use obfuscation::digits_as_letters;
use obfuscation::join_spaced_letters;

/// A token's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters, possibly with digits after the first letter ("a1c", "t2dm").
    Word,
    /// Digits, possibly with one decimal point ("8.2") or several dots ("555.555.0100").
    Number,
}

/// Token flags.
pub(crate) mod flag {
    /// Every letter was upper case in the original ("HIV", "MS").
    pub const UPPER: u16 = 1;
    /// The first letter was upper case ("Stone").
    pub const CAP: u16 = 1 << 1;
    /// A symbol stood for a letter ("c@ncer", "$yphilis").
    pub const SYMBOL: u16 = 1 << 2;
    /// Joined from spaced or dotted single letters ("H I V", "h.i.v").
    pub const JOINED: u16 = 1 << 3;
    /// A sentence ends between the previous token and this one.
    pub const BREAK: u16 = 1 << 4;
    /// A number with more than one dot (a phone number or a version, never a value).
    pub const MULTIDOT: u16 = 1 << 5;
    /// A number with one decimal point.
    pub const DECIMAL: u16 = 1 << 6;
    /// A digit stands inside letters ("h1v", "d1abetes"): try the letter reading too.
    pub const DIGITS_IN_WORD: u16 = 1 << 7;
    /// Inside a URL or an e-mail address.
    pub const URL: u16 = 1 << 8;
    /// A clause ends between the previous token and this one (`, ;`, a spaced dash, or
    /// a sentence break): context cues do not reach across it.
    pub const CLAUSE: u16 = 1 << 9;
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    /// Byte span in the original text.
    pub start: usize,
    pub end: usize,
    /// Range of the folded form in [`Tokens::buf`].
    pub norm_start: u32,
    pub norm_end: u32,
    pub kind: Kind,
    pub flags: u16,
}

impl Token {
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
}

/// A tokenised message: the tokens and one buffer holding their folded forms.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub buf: String,
    pub toks: Vec<Token>,
}

impl Tokens {
    pub fn norm(&self, i: usize) -> &str {
        let t = &self.toks[i];
        self.buf
            .get(t.norm_start as usize..t.norm_end as usize)
            .unwrap_or("")
    }
}

/// What one character is to the tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A letter, folded to lower-case ASCII when it has an ASCII reading.
    Letter(char),
    /// An ASCII digit.
    Digit(char),
    /// A symbol that is read as a letter inside a word (`@` → a).
    Symbol(char),
    /// Invisible inside a word: apostrophes, zero-width characters, soft hyphen.
    Joiner,
    /// Anything else separates tokens.
    Sep,
}

/// Fold one character. Covers Latin-1 and Latin Extended-A accents, Cyrillic and Greek
/// letters that look like Latin ones, fullwidth forms; other letters are lower-cased.
fn classify(c: char) -> (Class, bool) {
    if c.is_ascii() {
        return match c {
            'a'..='z' => (Class::Letter(c), false),
            'A'..='Z' => (Class::Letter(c.to_ascii_lowercase()), true),
            '0'..='9' => (Class::Digit(c), false),
            '@' => (Class::Symbol('a'), false),
            '$' => (Class::Symbol('s'), false),
            '!' => (Class::Symbol('i'), false),
            '|' => (Class::Symbol('l'), false),
            '\'' | '`' => (Class::Joiner, false),
            _ => (Class::Sep, false),
        };
    }
    let upper = c.is_uppercase();
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{00B4}' | '\u{200B}' | '\u{200C}'
        | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => return (Class::Joiner, false),
        '€' => return (Class::Symbol('e'), false),
        '¢' => return (Class::Symbol('c'), false),
        // Cyrillic and Greek look-alikes of Latin letters.
        'а' | 'А' | 'α' | 'Α' => 'a',
        'В' | 'β' | 'Β' => 'b',
        'е' | 'Е' | 'ε' | 'Ε' | 'ё' => 'e',
        'о' | 'О' | 'ο' | 'Ο' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'с' | 'С' => 'c',
        'у' | 'У' | 'Υ' => 'y',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'і' | 'І' | 'ι' | 'Ι' => 'i',
        'ј' | 'Ј' => 'j',
        'ѕ' | 'Ѕ' => 's',
        'К' | 'к' | 'κ' | 'Κ' => 'k',
        'М' | 'м' | 'Μ' => 'm',
        'Н' | 'Η' => 'h',
        'Т' | 'т' | 'τ' | 'Τ' => 't',
        'ν' | 'Ν' => 'n',
        'Ζ' => 'z',
        'υ' => 'u',
        _ => {
            let u = c as u32;
            if (0xFF01..=0xFF5E).contains(&u) {
                // Fullwidth ASCII.
                let ascii = char::from_u32(u - 0xFEE0).unwrap_or(' ');
                let (class, up) = classify(ascii);
                return (class, up);
            }
            if let Some(l) = latin_extended_a(c) {
                l
            } else if c.is_alphabetic() {
                return (Class::Letter(c.to_lowercase().next().unwrap_or(c)), upper);
            } else {
                return (Class::Sep, false);
            }
        }
    };
    (Class::Letter(folded), upper)
}

/// Latin Extended-A (U+0100–U+017F) to its base letter.
fn latin_extended_a(c: char) -> Option<char> {
    const BASE: &str = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    let u = c as u32;
    if !(0x100..=0x17F).contains(&u) {
        return None;
    }
    BASE.as_bytes()
        .get((u - 0x100) as usize)
        .map(|b| *b as char)
}

/// True for characters that end a sentence for the context windows.
fn is_break(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | ';' | '\n' | '\r' | '¿' | '¡' | '\u{2022}'
    )
}

/// Abbreviations whose trailing dot does not end a sentence.
fn dot_keeps_sentence(prev_norm: &str) -> bool {
    matches!(
        prev_norm,
        "dr" | "drs"
            | "dra"
            | "mr"
            | "mrs"
            | "ms"
            | "sr"
            | "sra"
            | "srta"
            | "st"
            | "ste"
            | "no"
            | "vs"
            | "jr"
            | "inc"
            | "approx"
            | "apt"
            | "ave"
            | "blvd"
            | "rd"
            | "bldg"
            | "ext"
            | "tel"
            | "ph"
            | "hr"
            | "hrs"
            | "min"
            | "mins"
            | "lb"
            | "lbs"
            | "oz"
            | "fl"
            | "pt"
            | "prof"
            | "e"
            | "g"
            | "i"
    )
}

/// Split `text` into folded tokens. `out` is reused between calls.
pub(crate) fn tokenize(text: &str, out: &mut Tokens) {
    out.buf.clear();
    out.toks.clear();
    let mut t = Tokenizer {
        text,
        out,
        cur: None,
        letters: 0,
        uppers: 0,
        pending: Pending::default(),
    };
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        let (class, upper) = classify(c);
        match class {
            Class::Letter(l) => t.letter(&mut chars, i, c, l, upper),
            Class::Digit(d) => t.digit(i, d),
            Class::Symbol(l) => t.symbol(&chars, i, c, l),
            Class::Joiner => {
                // Inside a word it disappears ("crohn's", "don't"); elsewhere it separates.
                if !(t.cur.is_some() && next_is_alnum(&chars)) {
                    t.end_token();
                }
            }
            Class::Sep => t.separator(&chars, i, c),
        }
    }
    t.end_token();
    join_spaced_letters(text, out);
}

/// The class of the next character: only separators, symbols and joiners look ahead;
/// letters and digits (most of a text) do not pay for it.
fn next_class(chars: &CharIndices<'_>) -> Option<Class> {
    chars.clone().next().map(|(_, n)| classify(n).0)
}

fn next_is_alnum(chars: &CharIndices<'_>) -> bool {
    matches!(next_class(chars), Some(Class::Letter(_) | Class::Digit(_)))
}

/// The token being built while [`tokenize`] walks the text.
struct Tokenizer<'t, 'o> {
    text: &'t str,
    out: &'o mut Tokens,
    cur: Option<Token>,
    /// Letters and capitals in the current token (an all-capitals word is marked).
    letters: u32,
    uppers: u32,
    pending: Pending,
}

impl Tokenizer<'_, '_> {
    fn end_token(&mut self) {
        finish(
            self.out,
            self.cur.take(),
            self.letters,
            self.uppers,
            &mut self.pending,
        );
        self.letters = 0;
        self.uppers = 0;
    }

    #[inline]
    fn letter(&mut self, chars: &mut CharIndices<'_>, i: usize, c: char, l: char, upper: bool) {
        if self.cur.is_some_and(|t| t.kind == Kind::Number) {
            // "500mg", "10am": the number ends where letters start.
            self.end_token();
        }
        let out = &mut *self.out;
        let t = self
            .cur
            .get_or_insert_with(|| new_token(out, i, Kind::Word, upper));
        if l == 'ß' {
            out.buf.push_str("ss");
        } else {
            out.buf.push(l);
        }
        t.end = i + c.len_utf8();
        self.letters += 1;
        if upper {
            self.uppers += 1;
        }
        // Fast path: the rest of a run of ASCII letters, most of any text.
        let rest = chars.as_str().as_bytes();
        let run = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if run > 0 {
            for &b in &rest[..run] {
                out.buf.push(b.to_ascii_lowercase() as char);
                if b.is_ascii_uppercase() {
                    self.uppers += 1;
                }
            }
            t.end += run;
            self.letters += run as u32;
            chars.nth(run - 1);
        }
    }

    #[inline]
    fn digit(&mut self, i: usize, d: char) {
        let out = &mut *self.out;
        let t = self
            .cur
            .get_or_insert_with(|| new_token(out, i, Kind::Number, false));
        if t.kind == Kind::Word {
            t.flags |= flag::DIGITS_IN_WORD;
        }
        out.buf.push(d);
        t.end = i + 1;
    }

    fn symbol(&mut self, chars: &CharIndices<'_>, i: usize, c: char, l: char) {
        // A symbol is a letter only inside a word or before letters ("$yphilis"), never
        // before digits ("$120", "@9am").
        let in_word = self.cur.is_some_and(|t| t.kind == Kind::Word);
        let next_letter = matches!(next_class(chars), Some(Class::Letter(_)));
        if (in_word && next_is_alnum(chars)) || (self.cur.is_none() && next_letter && c != '!') {
            let out = &mut *self.out;
            let t = self
                .cur
                .get_or_insert_with(|| new_token(out, i, Kind::Word, false));
            t.flags |= flag::SYMBOL;
            out.buf.push(l);
            t.end = i + c.len_utf8();
            self.letters += 1;
        } else {
            self.end_token();
            if is_break(c) {
                self.pending.brk = true;
            }
        }
    }

    fn separator(&mut self, chars: &CharIndices<'_>, i: usize, c: char) {
        if self.number_goes_on(chars, i, c) {
            return;
        }
        let prev_norm_is_abbrev = c == '.'
            && self.cur.is_some_and(|t| {
                self.out
                    .buf
                    .get(t.norm_start as usize..)
                    .is_some_and(dot_keeps_sentence)
            });
        let was_token = self.cur.is_some();
        self.end_token();
        if is_break(c) && !(c == '.' && was_token && prev_norm_is_abbrev) {
            // "9.5" never gets here; "Dr. Patel" keeps its sentence.
            self.pending.brk = true;
        }
        if ends_clause(c, self.text, i) {
            self.pending.clause = true;
        }
    }

    /// A `.` or `,` inside a number ("9.5", "1,000") that the number keeps.
    fn number_goes_on(&mut self, chars: &CharIndices<'_>, i: usize, c: char) -> bool {
        let text = self.text;
        let Some(t) = self.cur.as_mut() else {
            return false;
        };
        if t.kind != Kind::Number || !(c == '.' || c == ',') {
            return false;
        }
        // Cheapest tests first: this runs after most words of a text.
        let next_digit = matches!(next_class(chars), Some(Class::Digit(_)));
        // Not in spaced characters: "b.1.2" is b, 1, 2, not b and 1.2.
        let spaced =
            t.end - t.start == 1 && text.get(..t.start).is_some_and(|b| b.ends_with(['.', '-']));
        if !next_digit || spaced {
            return false;
        }
        let ndigits = count_digits_ahead(&text[i + 1..]);
        if c == ',' && ndigits == 3 && !t.has(flag::DECIMAL) {
            // Thousands separator: "1,000".
            return true;
        }
        if t.has(flag::DECIMAL) {
            t.flags |= flag::MULTIDOT;
        }
        t.flags |= flag::DECIMAL;
        self.out.buf.push('.');
        true
    }
}

fn count_digits_ahead(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn new_token(out: &Tokens, start: usize, kind: Kind, upper: bool) -> Token {
    let n = out.buf.len() as u32;
    Token {
        start,
        end: start,
        norm_start: n,
        norm_end: n,
        kind,
        flags: if upper { flag::CAP } else { 0 },
    }
}

/// Breaks seen since the last token, given to the next one.
#[derive(Default)]
struct Pending {
    brk: bool,
    clause: bool,
}

fn finish(out: &mut Tokens, tok: Option<Token>, letters: u32, uppers: u32, p: &mut Pending) {
    let Some(mut t) = tok else { return };
    t.norm_end = out.buf.len() as u32;
    if t.norm_end == t.norm_start {
        return;
    }
    if letters >= 2 && uppers == letters {
        t.flags |= flag::UPPER;
    }
    if !out.toks.is_empty() {
        if p.brk {
            t.flags |= flag::BREAK | flag::CLAUSE;
        }
        if p.clause {
            t.flags |= flag::CLAUSE;
        }
    }
    *p = Pending::default();
    out.toks.push(t);
}

/// `,`, `;` and a dash with a space on each side end a clause ("Due to icy road conditions,
/// our office is closed": "conditions" and "office" are in different clauses). A colon does
/// not ("Appt: Neuro f/u" is one field), nor brackets ("tubes follow-up (ear infections)").
fn ends_clause(c: char, text: &str, i: usize) -> bool {
    match c {
        ',' | ';' => true,
        '-' | '\u{2013}' | '\u{2014}' => {
            text.get(..i).is_some_and(|b| b.ends_with(' '))
                && text
                    .get(i + c.len_utf8()..)
                    .is_some_and(|a| a.starts_with(' '))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        let mut t = Tokens::default();
        tokenize(text, &mut t);
        (0..t.toks.len()).map(|i| t.norm(i).to_string()).collect()
    }

    #[test]
    fn folds_case_accents_and_apostrophes() {
        assert_eq!(
            norms("Crohn's DIABÉTICO Niño"),
            ["crohns", "diabetico", "nino"]
        );
    }

    #[test]
    fn symbols_read_as_letters_only_inside_words() {
        assert_eq!(
            norms("c@ncer $yphilis $120 @ 9am"),
            ["cancer", "syphilis", "120", "9", "am"]
        );
    }

    #[test]
    fn spaced_and_dotted_letters_join() {
        assert_eq!(
            norms("H I V and h.i.v. and c-a-n-c-e-r"),
            ["hiv", "and", "hiv", "and", "cancer"]
        );
        assert_eq!(norms("Reply C or R"), ["reply", "c", "or", "r"]);
    }

    #[test]
    fn numbers_units_and_decimals() {
        assert_eq!(
            norms("500mg 8.2% 1,000 8,2 555.555.0100"),
            ["500", "mg", "8.2", "1000", "8.2", "555.555.0100"]
        );
    }

    #[test]
    fn look_alikes_fold_to_latin() {
        // Cyrillic с and а.
        assert_eq!(norms("\u{0441}\u{0430}ncer"), ["cancer"]);
        assert_eq!(norms("ＨＩＶ"), ["hiv"]);
    }

    #[test]
    fn spans_point_into_the_original() {
        let text = "Hi Ána, c@ncer";
        let mut t = Tokens::default();
        tokenize(text, &mut t);
        let spans: Vec<&str> = t.toks.iter().map(|k| &text[k.start..k.end]).collect();
        assert_eq!(spans, ["Hi", "Ána", "c@ncer"]);
    }

    #[test]
    fn sentence_breaks_but_not_after_titles() {
        let mut t = Tokens::default();
        tokenize("See Dr. Patel. Stay positive", &mut t);
        let breaks: Vec<bool> = t.toks.iter().map(|k| k.has(flag::BREAK)).collect();
        assert_eq!(breaks, [false, false, false, true, false]);
    }
}

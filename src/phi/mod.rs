//! The PHI gate (SPEC §6): decides whether a text carries clinical detail and says where and
//! why. Owns the vocabularies in `assets/phi/` and the rules over them. PURE: imports only
//! std, serde, rustc-hash and smallvec — no IO, no clock, no store, no other frontdesk module — so it can run on
//! every rendered body and on every keystroke.
//!
//! # Using it
//! [`check`] uses the built-in vocabularies; [`Gate::with_allow_list`] adds the practice's
//! reviewed phrases (its name, its address). [`Gate::check_with`] takes the byte spans a
//! rendered body's values were filled from the database (SPEC §5.1: first name, clinician,
//! practice name, date, time, location; `domain::template::Template::render_marked` reports
//! them): vocabulary, typo and context rules do not fire inside them and they are no cue for
//! the words around them, identifier rules still fire inside a value with digits, and the
//! template's own words are read in full. Free text typed by staff has no trusted spans.
//! All return a [`Verdict`]: `blocked` and the
//! [`Finding`]s, each with a byte span into the input, a [`Category`] and the id of the rule
//! that fired ([`rule`]). A finding inside an allow-listed phrase is still reported, with
//! `allowed: true`, but does not block: "Riverside Cancer Center" can be a deliberate choice
//! the template screen shows, never a silent one.
//!
//! # How the vocabularies are loaded, and why
//! The lists are plain text under `assets/phi/` (their sources and licences are in
//! `assets/phi/README.md`), embedded with `include_str!` and compiled on first use into
//! hash tables behind a `std::sync::LazyLock`. Embedding keeps the gate free of IO and
//! impossible to run without its vocabularies; compiling at run time (≈ 11 ms, measured in
//! `docs/BENCHMARKS.md`) rather than in a build script keeps the data reviewable as text
//! and the build simple. After that a check allocates only its findings.
//!
//! # How a text is read
//! 0. **Shorthand** (`shorthand.txt`): texting spellings read as the word they stand for
//!    before any matching ("b4" before, "ur" your, "pls" please, "vax" vaccine, "midnite"
//!    midnight); the finding still points at what was written.
//! 1. **Folding** (`text.rs`): lower case; accents dropped (é → e, ñ → n); apostrophes and
//!    zero-width characters vanish inside words (Crohn's → crohns); Cyrillic and Greek
//!    look-alikes and fullwidth letters read as Latin; `@ $ ! | € ¢` inside or before letters
//!    read as a, s, i, l, e, c ("c@ncer", "$yphilis"); digits inside a word are tried as
//!    letters too ("h1v", "d1abetes"); runs of single letters separated by one space, dot,
//!    hyphen, slash or underscore are joined ("H I V", "h.i.v.", "c-a-n-c-e-r"); two
//!    neighbouring fragments are joined when together they make a vocabulary word
//!    ("chemo therapy", "can cer"; never with a short everyday word: "as part" is not
//!    "aspart"). Sentences end at `. ! ? ;` and new lines (not after "Dr." and similar), and
//!    context never crosses them; clauses end at `,`, `;` and a spaced dash too, and weak
//!    cues do not cross those ("Due to icy road conditions, your appointment…").
//! 2. **Vocabulary** (`lexicon.rs`): phrases of folded words, longest match first. Each entry
//!    is either *always* clinical ("chemotherapy"), *context-only* (`ctx`: "cold",
//!    "depression", "stroke", drug names that are first names), *capitals-only* (`upper`:
//!    "AIDS", "MS"), or a *test* name. Words of at least 6 letters that block on their own
//!    also match with one typo (insertion, deletion, substitution or swap), unless the typo
//!    makes another real word (`fuzzy_exceptions.txt`: "cancel" is not "cancer"). A
//!    capitalised word mid-sentence is read with a typo only from 9 letters or before a clinic
//!    word ("Hypertention", "Cardiolgy follow-up"); a value-only test name ("sodium") from 5
//!    typed letters in a sentence with a number or an outcome word ("sodum was 129").
//!    Multi-word ICD-10-CM condition names are phrases like any other ("trigger finger"); a
//!    service phrase ending in a clinic word also matches with one service word inserted
//!    ("Heart Rhythm Clinic").
//! 3. **Clinical endings** (`suffixes.txt`): a word in no list, written in lower case or
//!    capitals or starting a sentence, whose ending is surgical, diagnostic or a disease
//!    suffix ("-ectomy", "-oscopy", "-plasty", "-itis", "-emia", "-opathy") or a drug-class
//!    stem ("-statin", "-olol", "-umab", "-gliflozin") is clinical: the lists cannot name
//!    every rare procedure, disease or new drug. Everyday words with such endings
//!    ("academia", "dichotomy", "nostalgia", "April") are listed there as exceptions, and
//!    the everyday words of `fuzzy_exceptions.txt` never match either.
//! 4. **Names** (`names.rs`): trusted spans; the capitalised word after a title (Dr., Dra.,
//!    Ms., Nurse), a greeting (Hi, Dear, Hola) or a name label ("Name:", "Patient:",
//!    "Reminder for") with up to two surnames after it, and a word followed by a comma after
//!    a heading's colon ("Maple Street Clinic: Heather, …") is a name, never vocabulary — a
//!    word clinical by itself only where a pause follows it ("Reminder for Maria
//!    Parkinson:"); so are up to three title-case words before a street or place word
//!    (`[street]`: "Heart Lake Road", "Cancer Survivors Park") and before "Surgery", a UK
//!    practice (`[place_end]`: "Elm Road Surgery").
//!
//! # Rules (ids in [`rule`])
//! - `term`: an always-clinical vocabulary phrase. `term_obfuscated`: the same reached only
//!   through symbols, spacing or joining. `term_misspelled`: one typo away. `term_suffix`:
//!   an unknown word with a clinical ending.
//! - `term_in_context`: a context-only phrase with a clinical cue in the same sentence:
//!   up to 3 words before, a possessive or preposition (`grammar.txt` `[cue]`: your, for,
//!   with, su, tu…, and possessives of people: "baby's", "son's"); up to 2 words after, an
//!   "appointment" word or "due" (`[cue_after]`: "shots are due"); on either
//!   side, a strong cue (`[strong_cue]`: diagnosed, symptoms, treatment, test…) or another
//!   vocabulary match ("allergy injection"); a scheduling system's field label before it
//!   ("Appt:", "Visit type:", "Dept:") or "f/u" after it. A capitalised one mid-sentence
//!   ("Stone Creek Rd") needs a strong cue or an always-clinical neighbour; after a colon,
//!   title case is a field value, not a proper noun ("Appt: Allergy Injection"). Everyday phrases (`[safe]`:
//!   "cold weather", "stay positive", "tropical depression") never count, nor does a
//!   context-only word in advice to anyone (`[generic]`: "If you have a fever or cough,
//!   call first").
//! - `test_value`: a test named with a measured value within 4 words: a decimal (8.2), a
//!   ratio that is not a date (150/95), a number with a lab unit (210 mg/dL, 7%, 240 lbs),
//!   or — after a specific test name — a plain number; within 7 words, a number with a lab
//!   unit ("weight at your last visit was 240 lbs"). Times, dates, prices, phone numbers and numbers
//!   after room/suite/level/floor are never values.
//! - `test_polarity`: a test (named, or a generic word: test, results, labs…) with an outcome
//!   word in the same sentence: positive, negative, abnormal, normal, high, low, elevated…
//!   within 4 words after or 2 before; weaker ones (good, fine, clear, better) only after.
//! - `dose`: a number with a dose unit (500 mg, 2 mcg); a count of tablets, pills, drops or
//!   units only with a medication, a medication verb or word in the sentence, or a
//!   frequency, time or body site just after (`[dose_count]`, `[dose_context]`: "2 tablets
//!   twice a day", "10 units at bedtime"; not "2 tablets (an iPad and a Kindle)").
//! - `medication_instruction`: take/stop/hold/skip/increase/start… followed within 4 words by
//!   a medication or a medication word (meds, dose, insulin, blood thinner). Fixed phrasings
//!   (fasting, bowel prep, nothing to eat after midnight) are vocabulary (`term`).
//! - `ssn`, `record_number`, `member_id`, `date_of_birth`, `medicare_id`: identifiers —
//!   an SSN shape (123-45-6789), or a keyword (MRN, chart #, member ID, NHS number, DOB…)
//!   followed within 4 words by an identifier (4+ digits, or letters with 3+ digits) or a
//!   date; a Medicare Beneficiary Identifier by its shape.
//! - `icd10cm_code` (category condition): an ICD-10-CM code in a sentence with a code label
//!   ("Dx:", "ICD-10", "problem list") or, written in full, in brackets after a word
//!   ("(M72.2)"), and only when `icd10cm_codes.txt` has it ("door E11" passes).
//!
//! # Linear time
//! Every rule reads a window of a few words or a per-sentence summary computed once
//! (`matching::summarise_sentences`, `matching::index_matches`); the overlap clean-up and
//! the allow-list are one sweep over sorted spans. `Gate::work` counts the steps, and a test
//! asserts that ten times the text costs no more than ten times the work
//! (`trusted_tests.rs`); the bench times `check` on 1–8 MB of findings.
//!
//! A vocabulary match that names an event, a job or a building rather than the patient's care
//! is no finding: a word after it that makes it an event or organisation (`[event]`:
//! "Diabetes Awareness", "Cancer Society"; `[event_name]`, capitalised: "Heart Walk"), a job
//! advertisement in the sentence (`[job]`: "we're hiring a physical therapy assistant"), or a
//! title-case name before a building word (`[facility]`: "the Cancer Center parking garage")
//! in a sentence with no word addressing the patient (`[you]`: you, your, su…).
//!
//! Negation does not make a mention safe: "no sign of cancer" is blocked like "cancer".
//!
//! # Tests
//! Unit and property tests in `tests.rs` (every always-clinical term blocks a reminder; case
//! and letter spacing keep terms blocked; arbitrary UTF-8 never panics), `trusted_tests.rs`
//! (trusted spans, name frames, linear work) and `round3_tests.rs` (issue 13's recall and
//! precision changes, both sides); the labelled corpus in `tests/data/phi/`
//! (`cargo test --test phi_corpus`); every template with every US first name and surname
//! (`tests/phi_names.rs`); the command in `tests/phi_cli.rs`;
//! a fuzz target: `cargo +nightly fuzz run --fuzz-dir tests/fuzz phi_check`.

mod context;
mod identifiers;
mod keys;
mod lexicon;
mod matching;
mod names;
mod rules;
mod text;
mod url;
mod values;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::LazyLock;

use serde::Serialize;

use lexicon::Lexicon;

/// What kind of clinical detail a finding is. Serialised in snake_case; these names are
/// stable (the CLI's JSON, the audit log and the template screen use them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// `condition`: a diagnosis or condition, with its abbreviations ("diabetes", "HTN").
    Condition,
    /// `result`: a test with a value, a unit or a polarity ("A1C 8.2", "tested positive").
    Result,
    /// `medication`: a drug name or a dose ("metformin", "500 mg").
    Medication,
    /// `procedure`: a procedure, treatment, screening or named test ("chemo", "MRI").
    Procedure,
    /// `service`: a specialty or service that reveals a condition ("oncology").
    Service,
    /// `identifier`: SSN, medical record number, date of birth, insurance member id.
    Identifier,
    /// `instruction`: a clinical instruction ("fast after midnight", "stop taking warfarin").
    Instruction,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Condition,
        Category::Result,
        Category::Medication,
        Category::Procedure,
        Category::Service,
        Category::Identifier,
        Category::Instruction,
    ];

    /// The stable name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Condition => "condition",
            Category::Result => "result",
            Category::Medication => "medication",
            Category::Procedure => "procedure",
            Category::Service => "service",
            Category::Identifier => "identifier",
            Category::Instruction => "instruction",
        }
    }

    /// How staff read it: "looks like {label}".
    pub fn label(self) -> &'static str {
        match self {
            Category::Condition => "a diagnosis/condition",
            Category::Result => "a test result",
            Category::Medication => "a medication or dose",
            Category::Procedure => "a procedure/treatment",
            Category::Service => "a revealing specialty/service",
            Category::Identifier => "a patient identifier",
            Category::Instruction => "a clinical instruction",
        }
    }
}

/// The ids of the rules that produce findings (stable; see the module doc).
pub mod rule {
    pub const TERM: &str = "term";
    pub const TERM_OBFUSCATED: &str = "term_obfuscated";
    pub const TERM_MISSPELLED: &str = "term_misspelled";
    pub const TERM_SUFFIX: &str = "term_suffix";
    pub const TERM_IN_CONTEXT: &str = "term_in_context";
    pub const TEST_VALUE: &str = "test_value";
    pub const TEST_POLARITY: &str = "test_polarity";
    pub const DOSE: &str = "dose";
    pub const MEDICATION_INSTRUCTION: &str = "medication_instruction";
    pub const SSN: &str = "ssn";
    pub const RECORD_NUMBER: &str = "record_number";
    pub const MEMBER_ID: &str = "member_id";
    pub const DATE_OF_BIRTH: &str = "date_of_birth";
    pub const MEDICARE_ID: &str = "medicare_id";
    pub const ICD10CM_CODE: &str = "icd10cm_code";
}

/// One piece of clinical detail found in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Byte offset of the first byte in the checked text.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    pub category: Category,
    /// Which rule fired (see [`rule`]).
    pub rule: &'static str,
    /// The text at `start..end`.
    pub text: String,
    /// Inside an allow-listed phrase: reported, but not blocking.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allowed: bool,
}

/// The gate's answer for one text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// True when at least one finding is not allowed: the text must not go by SMS.
    pub blocked: bool,
    /// Every finding, in text order, allowed ones included.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// One line for staff, e.g. `blocked: "chemotherapy" looks like a procedure/treatment —
    /// send a portal prompt instead`.
    pub fn summary(&self) -> String {
        let Some(first) = self.findings.iter().find(|f| !f.allowed) else {
            return if self.findings.is_empty() {
                "ok: no clinical detail found".to_string()
            } else {
                let mut s = String::from("ok: only allow-listed phrases (");
                for (i, f) in self.findings.iter().enumerate() {
                    let _ = write!(s, "{}\"{}\"", if i > 0 { ", " } else { "" }, f.text);
                }
                s.push_str(") — reviewed as deliberate");
                s
            };
        };
        let more = self.findings.iter().filter(|f| !f.allowed).count() - 1;
        let mut s = format!(
            "blocked: \"{}\" looks like {}",
            first.text,
            first.category.label()
        );
        if more > 0 {
            let _ = write!(s, " (and {more} more)");
        }
        s.push_str(" — send a portal prompt instead");
        s
    }
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::builtin);

thread_local! {
    static SCRATCH: RefCell<matching::Scratch> = RefCell::new(matching::Scratch::default());
}

/// Compile the built-in vocabularies now rather than on the first check (the console calls
/// this at start-up; benches use it to time the load).
pub fn warm_up() {
    LazyLock::force(&LEXICON);
}

/// Check `text` with the built-in vocabularies.
pub fn check(text: &str) -> Verdict {
    Gate::default().check(text)
}

/// The gate with the practice's allow-list.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    /// Allow-listed phrases as folded word sequences.
    allow: Vec<Vec<String>>,
}

impl Gate {
    /// `allow`: phrases reviewed as deliberate (the practice's name, its address). A finding
    /// entirely inside one of them is reported with `allowed: true` and does not block.
    pub fn with_allow_list(allow: &[String]) -> Gate {
        let mut toks = text::Tokens::default();
        let allow = allow
            .iter()
            .filter_map(|phrase| {
                text::tokenize(phrase, &mut toks);
                let words: Vec<String> = (0..toks.toks.len())
                    .map(|i| toks.norm(i).to_string())
                    .collect();
                (!words.is_empty()).then_some(words)
            })
            .collect();
        Gate { allow }
    }

    /// Check free text: every word is read (text typed by staff has no trusted spans).
    pub fn check(&self, text: &str) -> Verdict {
        self.check_with(text, &[])
    }

    /// Check a rendered body with the byte spans the renderer filled from the database
    /// (first name, clinician, practice name, date, time, location label; SPEC §5.1):
    /// vocabulary, typo and context rules do not fire inside them and they are no cue for
    /// the words around them; identifier rules (SSN, record number, member id, date of
    /// birth, Medicare id) still do; the template's own words are checked in full. Spans
    /// that do not fall on character boundaries or lie outside the text are ignored.
    pub fn check_with(&self, text: &str, trusted: &[Range<usize>]) -> Verdict {
        let mut findings = self.run(text, trusted).0;
        findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        let blocked = findings.iter().any(|f| !f.allowed);
        Verdict { blocked, findings }
    }

    fn run(&self, text: &str, trusted: &[Range<usize>]) -> (Vec<Finding>, u64) {
        let lex = &*LEXICON;
        SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => rules::run(lex, text, trusted, &self.allow, &mut scratch),
                Err(_) => rules::run(
                    lex,
                    text,
                    trusted,
                    &self.allow,
                    &mut matching::Scratch::default(),
                ),
            })
            .unwrap_or_else(|_| {
                rules::run(
                    lex,
                    text,
                    trusted,
                    &self.allow,
                    &mut matching::Scratch::default(),
                )
            })
    }

    /// Steps of work the gate does on `text` (tokens, phrase candidates, window steps,
    /// findings): proportional to the length of the text, whatever it holds. For the
    /// linear-time test and the bench; not a timing.
    #[doc(hidden)]
    pub fn work(&self, text: &str) -> u64 {
        self.run(text, &[]).1
    }
}

/// Compile the built-in vocabularies afresh and return the number of phrases (benches time
/// this as the vocabulary load; checks use the copy compiled once).
#[doc(hidden)]
pub fn compile_vocabularies() -> usize {
    Lexicon::builtin().phrases.len()
}

/// Every vocabulary phrase that blocks on its own, folded, with its category. For tests
/// and review tools; not needed to check text.
#[doc(hidden)]
pub fn always_terms() -> Vec<(String, Category)> {
    LEXICON.always_terms()
}

#[cfg(test)]
mod round3_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trusted_tests;

//! The PHI gate's vocabularies, compiled once from `assets/phi/` into lookup tables: owns
//! the file formats and the indexes (word ids and their shorthand spellings, phrase starts,
//! misspelling indexes, the ICD-10-CM code set). Pure; imports std, smallvec and the sibling
//! `keys` and `text` modules.

use smallvec::SmallVec;

use super::Category;
use super::keys::{FxMap, TRIGRAMS, hash_ids, hash_str, stream_hash, trigram, within_one_edit};
use super::text::{Tokens, tokenize};
use build::{entries, parse_sense};
use typos::TypoIndex;

/// Word classes the rules use, from `assets/phi/grammar.txt` (one bit each).
pub(crate) mod class {
    pub const CUE: u64 = 1;
    pub const STRONG_CUE: u64 = 1 << 1;
    pub const POLARITY: u64 = 1 << 2;
    pub const POLARITY_AFTER: u64 = 1 << 3;
    pub const TEST_GENERIC: u64 = 1 << 4;
    pub const DOSE_UNIT: u64 = 1 << 5;
    pub const LAB_UNIT: u64 = 1 << 6;
    pub const TIME_UNIT: u64 = 1 << 7;
    pub const PLACE: u64 = 1 << 8;
    pub const TITLE: u64 = 1 << 9;
    pub const GREETING: u64 = 1 << 10;
    pub const SAFE: u64 = 1 << 11;
    pub const ID_SSN: u64 = 1 << 12;
    pub const ID_RECORD: u64 = 1 << 13;
    pub const ID_MEMBER: u64 = 1 << 14;
    pub const ID_DOB: u64 = 1 << 15;
    pub const MONTH: u64 = 1 << 16;
    pub const MED_VERB: u64 = 1 << 17;
    pub const MED_OBJECT: u64 = 1 << 18;
    pub const GENERIC: u64 = 1 << 19;
    pub const CUE_AFTER: u64 = 1 << 20;
    pub const DOSE_COUNT: u64 = 1 << 21;
    pub const DOSE_CONTEXT: u64 = 1 << 22;
    pub const STREET: u64 = 1 << 23;
    pub const EVENT: u64 = 1 << 24;
    pub const EVENT_NAME: u64 = 1 << 25;
    pub const JOB: u64 = 1 << 26;
    pub const FACILITY: u64 = 1 << 27;
    pub const YOU: u64 = 1 << 28;
    pub const NAME_LABEL: u64 = 1 << 29;
    pub const CLINIC_WORD: u64 = 1 << 30;
    pub const CODE_LABEL: u64 = 1 << 31;
    pub const PLACE_END: u64 = 1 << 32;
    pub const SERVICE_FILLER: u64 = 1 << 33;

    /// What a trusted span keeps: identifier rules still fire inside it.
    pub const KEPT_WHEN_TRUSTED: u64 = ID_SSN | ID_RECORD | ID_MEMBER | ID_DOB | MONTH;

    pub const SECTIONS: [(&str, u64); 34] = [
        ("cue", CUE),
        ("strong_cue", STRONG_CUE),
        ("polarity", POLARITY),
        ("polarity_after", POLARITY_AFTER),
        ("test_generic", TEST_GENERIC),
        ("dose_unit", DOSE_UNIT),
        ("lab_unit", LAB_UNIT),
        ("time_unit", TIME_UNIT),
        ("place", PLACE),
        ("title", TITLE),
        ("greeting", GREETING),
        ("safe", SAFE),
        ("id_ssn", ID_SSN),
        ("id_record", ID_RECORD),
        ("id_member", ID_MEMBER),
        ("id_dob", ID_DOB),
        ("month", MONTH),
        ("med_verb", MED_VERB),
        ("med_object", MED_OBJECT),
        ("generic", GENERIC),
        ("cue_after", CUE_AFTER),
        ("dose_count", DOSE_COUNT),
        ("dose_context", DOSE_CONTEXT),
        ("street", STREET),
        ("event", EVENT),
        ("event_name", EVENT_NAME),
        ("job", JOB),
        ("facility", FACILITY),
        ("you", YOU),
        ("name_label", NAME_LABEL),
        ("clinic_word", CLINIC_WORD),
        ("code_label", CODE_LABEL),
        ("place_end", PLACE_END),
        ("service_filler", SERVICE_FILLER),
    ];
}

/// How a vocabulary test name behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    /// Not a test name.
    No,
    /// Naming it is clinical (reported as a procedure); with a value or polarity, a result.
    Named,
    /// An ordinary word ("sugar"): a result only with a value or polarity next to it.
    ValueOnly,
}

/// One meaning of a vocabulary phrase.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sense {
    pub category: Category,
    /// Blocks only with clinical context nearby.
    pub ctx: bool,
    /// Counts only when written in capitals.
    pub upper: bool,
    pub test: Test,
    /// May be matched with one typo.
    pub fuzzy: bool,
}

/// Most words a phrase may have (the longest shipped phrase has 5).
pub(crate) const MAX_PHRASE: usize = 8;

#[derive(Debug)]
pub(crate) struct Phrase {
    /// Its words, inline: phrases are loaded by the tens of thousands, and an allocation
    /// each for their words and meanings would dominate the load time.
    pub toks: SmallVec<[u32; MAX_PHRASE]>,
    /// Its meanings, one per category (rarely more than two: "cholesterol" has two).
    pub senses: SmallVec<[Sense; 3]>,
    /// Grammar classes of the phrase as a whole (multi-word grammar entries).
    pub class: u64,
    /// A name of two or more words ending in a clinic word ("sleep disorders clinic"): it
    /// also matches with one word inserted before that word ("Sleep Disorders Health Clinic").
    pub gap_ok: bool,
}

/// The compiled vocabularies.
#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    /// Word hash → spelling (open addressing on a hash collision, see [`Lexicon::word`]).
    /// A spelling is a range of `arena` and the word id it reads as: its own word, or for a
    /// texting shorthand ("b4", "ur") the word it stands for. The texts live in one arena,
    /// so loading allocates no string per word.
    words: FxMap<u64, u32>,
    spellings: Vec<(u32, u32, u32)>,
    arena: String,
    /// Each word's text, by word id, as a range of `arena`.
    texts: Vec<(u32, u32)>,
    /// Grammar classes of each single word, by word id.
    pub word_class: Vec<u64>,
    /// Per word id: does a multi-word grammar phrase start with it? Does a phrase that
    /// blocks on its own? (Precomputed so the per-word checks are one load.)
    pub starts_grammar: Vec<bool>,
    pub starts_always: Vec<bool>,
    /// Per word id: does a service name that takes an inserted word start with it?
    pub starts_gapped: Vec<bool>,
    /// Phrases starting with each word id, longest first.
    /// (compressed rows: phrases starting with word `w` are
    /// `starts[starts_at[w]..starts_at[w + 1]]`; one allocation for all words)
    starts_at: Vec<u32>,
    starts: Vec<u32>,
    /// Per word id: where its vocabulary phrases end in its row (grammar-only ones follow).
    vocab_end: Vec<u32>,
    /// The second word of each phrase in `starts` (same index), `u32::MAX` for one word:
    /// most candidates fail on it, so it is tested without touching the phrase.
    second: Vec<u32>,
    pub phrases: Vec<Phrase>,
    /// Words that may be matched with one typo anywhere.
    fuzzy: TypoIndex,
    /// Value-only test names ("sodium", "potassium") with their phrase ids and letter sets,
    /// matched with one typo only in a sentence with a number or an outcome word ("sodum was
    /// 129"). A few dozen words: compared one by one after a letter-set filter, cheaper than
    /// a dozen hash probes.
    value_words: Vec<(String, u32, u32)>,
    /// Bitsets of the first and last three letters of the single words that block on their
    /// own: a cheap "could this be a vocabulary word?" before joining fragments.
    prefix3: Vec<u64>,
    suffix3: Vec<u64>,
    /// Single words that block on their own, by [`stream_hash`]: "is `a` + `b` one of
    /// them?" without building `a + b`.
    joinable: FxMap<u64, u32>,
    /// Words that are one typo from a vocabulary word but are words in their own right
    /// ("cancel" for "cancer"): never read as misspellings.
    /// Hashes only: 28,000 entries load without an allocation each.
    fuzzy_exceptions: FxMap<u64, ()>,
    /// Word endings that make an unknown word clinical ("-ectomy", "-itis", "-statin"),
    /// longest first, each with the phrase that carries its category; and the words with
    /// such an ending that are not clinical ("academia", "dichotomy"), by hash.
    suffixes: Vec<(&'static str, u32)>,
    /// `suffixes[suffix_at[b]..suffix_at[b + 1]]` end in the letter pair `b` (see
    /// [`pair_index`]), so a word is compared with a handful of endings, not all of them.
    suffix_at: Vec<u16>,
    suffix_exceptions: FxMap<u64, ()>,
    /// Where each category line of `icd10cm_codes.txt` is (see `codes.rs`).
    codes: Vec<(u32, u32)>,
}

/// The set of letters a-z in `w`, one bit each.
pub(crate) fn letter_set(w: &str) -> u32 {
    w.bytes()
        .filter(u8::is_ascii_lowercase)
        .fold(0, |m, b| m | 1 << (b - b'a'))
}

/// Index of the last two letters of an ASCII lower-case word (26 × 26 buckets).
fn pair_index(w: &[u8]) -> Option<usize> {
    let [.., a, b] = w else { return None };
    (a.is_ascii_lowercase() && b.is_ascii_lowercase())
        .then(|| usize::from(a - b'a') * 26 + usize::from(b - b'a'))
}

/// Shortest word the suffix rule reads: the shortest ending (4 letters) and a 3-letter stem.
const SUFFIX_MIN_WORD: usize = 7;

/// A vocabulary file, its category and whether its entries are test names.
struct Source {
    text: &'static str,
    category: Category,
    tests: bool,
}

const SOURCES: [Source; 12] = [
    Source {
        text: include_str!("../../assets/phi/conditions_icd10cm.txt"),
        category: Category::Condition,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/conditions_icd10cm_phrases.txt"),
        category: Category::Condition,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/conditions_icd10cm_more.txt"),
        category: Category::Condition,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/procedures_icd10pcs.txt"),
        category: Category::Procedure,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/medications_drugs.txt"),
        category: Category::Medication,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/conditions.txt"),
        category: Category::Condition,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/medications.txt"),
        category: Category::Medication,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/procedures.txt"),
        category: Category::Procedure,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/services.txt"),
        category: Category::Service,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/tests.txt"),
        category: Category::Procedure,
        tests: true,
    },
    Source {
        text: include_str!("../../assets/phi/results.txt"),
        category: Category::Result,
        tests: false,
    },
    Source {
        text: include_str!("../../assets/phi/instructions.txt"),
        category: Category::Instruction,
        tests: false,
    },
];

const GRAMMAR: &str = include_str!("../../assets/phi/grammar.txt");
const SUFFIXES: &str = include_str!("../../assets/phi/suffixes.txt");
const FUZZY_EXCEPTIONS: &str = include_str!("../../assets/phi/fuzzy_exceptions.txt");
const SHORTHAND: &str = include_str!("../../assets/phi/shorthand.txt");
const ICD10CM_CODES: &str = include_str!("../../assets/phi/icd10cm_codes.txt");

/// Starts the key word of the phrases that carry a suffix's category; the tokenizer never
/// makes a word with it.
const SUFFIX_MARK: &str = "~suffix ";

/// Shortest word the misspelling index accepts: one typo in fewer letters changes meaning.
pub(crate) const FUZZY_MIN_LEN: usize = 6;

/// Shortest typed word read as a misspelled value-only test name, beside a value ("sodum").
pub(crate) const VALUE_FUZZY_MIN_LEN: usize = 5;

impl Lexicon {
    /// Compile the built-in vocabularies.
    pub fn builtin() -> Lexicon {
        let mut lex = Lexicon::default();
        // Sized for the shipped lists, so the tables do not grow and rehash while loading.
        lex.words.reserve(32_768);
        lex.spellings.reserve(32_768);
        lex.texts.reserve(32_768);
        lex.arena.reserve(262_144);
        lex.word_class.reserve(32_768);
        lex.phrases.reserve(32_768);
        let mut scratch = Tokens::default();
        let mut ids = Vec::new();
        let mut by_toks: FxMap<u64, u32> = FxMap::default();
        by_toks.reserve(32_768);
        for src in &SOURCES {
            for (term, flags) in entries(src.text) {
                let sense = parse_sense(src, flags);
                if !lex.intern_phrase(term, &mut scratch, &mut ids) {
                    continue;
                }
                let pid = lex.phrase_for(&ids, &mut by_toks);
                lex.add_sense(pid, sense);
                // The same phrase written without spaces: "x ray" → "xray", "hiv aids".
                if ids.len() > 1 {
                    let joined: String = ids.iter().filter_map(|&id| lex.word_text(id)).collect();
                    if joined.len() >= 4 {
                        let id = lex.intern_word(&joined);
                        let pid = lex.phrase_for(&[id], &mut by_toks);
                        lex.add_sense(
                            pid,
                            Sense {
                                fuzzy: false,
                                ..sense
                            },
                        );
                    }
                }
            }
        }
        let mut section = 0u64;
        for line in GRAMMAR.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = class::SECTIONS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(0, |(_, c)| *c);
                continue;
            }
            if section == 0 || !lex.intern_phrase(line, &mut scratch, &mut ids) {
                continue;
            }
            if ids.len() == 1 {
                lex.word_class[ids[0] as usize] |= section;
            } else {
                let pid = lex.phrase_for(&ids, &mut by_toks);
                if let Some(p) = lex.phrases.get_mut(pid as usize) {
                    p.class |= section;
                }
            }
        }
        lex.fuzzy_exceptions.reserve(FUZZY_EXCEPTIONS.len() / 9);
        for (term, _) in entries(FUZZY_EXCEPTIONS) {
            lex.fuzzy_exceptions.insert(hash_str(term), ());
        }
        lex.load_suffixes(&mut by_toks);
        lex.load_shorthand();
        lex.codes = codes::index(ICD10CM_CODES);
        lex.build_indexes();
        lex
    }

    /// Is `code` (upper or lower case, no dot: "E119") an ICD-10-CM code?
    pub fn is_icd10cm(&self, code: &str) -> bool {
        codes::contains(ICD10CM_CODES, &self.codes, code)
    }

    /// The phrase of a clinical ending of `w` (folded, lower-case ASCII letters), unless `w`
    /// is one of the listed everyday words. The stem must keep at least 3 letters.
    pub fn suffix(&self, w: &str) -> Option<u32> {
        if w.len() < SUFFIX_MIN_WORD {
            return None;
        }
        let b = pair_index(w.as_bytes())?;
        let (lo, hi) = (*self.suffix_at.get(b)?, *self.suffix_at.get(b + 1)?);
        let &(_, pid) = self
            .suffixes
            .get(usize::from(lo)..usize::from(hi))?
            .iter()
            .find(|(end, _)| w.len() >= end.len() + 3 && w.ends_with(end))?;
        let h = hash_str(w);
        // Everyday words (the misspelling exceptions) and the listed exceptions never match.
        (!self.suffix_exceptions.contains_key(&h) && !self.fuzzy_exceptions.contains_key(&h))
            .then_some(pid)
    }

    fn spelling_text(&self, sp: u32) -> Option<&str> {
        let &(a, b, _) = self.spellings.get(sp as usize)?;
        self.arena.get(a as usize..b as usize)
    }
}

/// The next key to try when a word's hash slot holds another word.
pub(crate) fn next_probe(key: u64) -> u64 {
    key.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15
}

mod build;
mod codes;
mod index;
mod lookup;
mod typos;

#[cfg(test)]
mod tests;

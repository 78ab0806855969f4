//! The PHI gate's vocabularies, compiled once from `assets/phi/` into lookup tables: owns
//! the file formats and the indexes (word ids, phrase starts, misspelling index).
//! Pure; imports only std and the sibling `text` module.

use std::hash::Hasher;

use super::Category;
use super::hash::{FxHasher, FxMap, TRIGRAMS, hash_str, stream_hash, trigram, within_one_edit};
use super::text::{Tokens, tokenize};

/// Word classes the rules use, from `assets/phi/grammar.txt` (one bit each).
pub(crate) mod class {
    pub const CUE: u32 = 1;
    pub const STRONG_CUE: u32 = 1 << 1;
    pub const POLARITY: u32 = 1 << 2;
    pub const POLARITY_AFTER: u32 = 1 << 3;
    pub const TEST_GENERIC: u32 = 1 << 4;
    pub const DOSE_UNIT: u32 = 1 << 5;
    pub const LAB_UNIT: u32 = 1 << 6;
    pub const TIME_UNIT: u32 = 1 << 7;
    pub const PLACE: u32 = 1 << 8;
    pub const TITLE: u32 = 1 << 9;
    pub const GREETING: u32 = 1 << 10;
    pub const SAFE: u32 = 1 << 11;
    pub const ID_SSN: u32 = 1 << 12;
    pub const ID_RECORD: u32 = 1 << 13;
    pub const ID_MEMBER: u32 = 1 << 14;
    pub const ID_DOB: u32 = 1 << 15;
    pub const MONTH: u32 = 1 << 16;
    pub const MED_VERB: u32 = 1 << 17;
    pub const MED_OBJECT: u32 = 1 << 18;
    pub const GENERIC: u32 = 1 << 19;
    pub const CUE_AFTER: u32 = 1 << 20;
    pub const DOSE_COUNT: u32 = 1 << 21;
    pub const DOSE_CONTEXT: u32 = 1 << 22;
    pub const STREET: u32 = 1 << 23;
    pub const EVENT: u32 = 1 << 24;
    pub const EVENT_NAME: u32 = 1 << 25;
    pub const JOB: u32 = 1 << 26;
    pub const FACILITY: u32 = 1 << 27;
    pub const YOU: u32 = 1 << 28;

    pub const SECTIONS: [(&str, u32); 29] = [
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

/// A short list stored inline: phrases are loaded by the tens of thousands, and an
/// allocation each for their words and meanings would dominate the load time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inline<T: Copy, const N: usize> {
    len: u8,
    items: [T; N],
}

impl<T: Copy, const N: usize> Inline<T, N> {
    fn new(fill: T) -> Self {
        Inline {
            len: 0,
            items: [fill; N],
        }
    }

    fn push(&mut self, item: T) -> bool {
        let Some(slot) = self.items.get_mut(self.len as usize) else {
            return false;
        };
        *slot = item;
        self.len += 1;
        true
    }
}

impl<T: Copy, const N: usize> std::ops::Deref for Inline<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.items.get(..self.len as usize).unwrap_or(&[])
    }
}

impl<T: Copy, const N: usize> std::ops::DerefMut for Inline<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        let len = self.len as usize;
        self.items.get_mut(..len).unwrap_or(&mut [])
    }
}

const NO_SENSE: Sense = Sense {
    category: Category::Condition,
    ctx: false,
    upper: false,
    test: Test::No,
    fuzzy: false,
};

#[derive(Debug)]
pub(crate) struct Phrase {
    pub toks: Inline<u32, MAX_PHRASE>,
    /// Its meanings, one per category (at most three: "cholesterol" has two).
    pub senses: Inline<Sense, 3>,
    /// Grammar classes of the phrase as a whole (multi-word grammar entries).
    pub class: u32,
}

/// The compiled vocabularies.
#[derive(Debug, Default)]
pub(crate) struct Lexicon {
    /// Word hash → word id (open addressing on a hash collision, see [`Lexicon::word`]);
    /// the texts live in one arena, so loading allocates no string per word.
    words: FxMap<u64, u32>,
    arena: String,
    /// Each word's text, by word id, as a range of `arena`.
    texts: Vec<(u32, u32)>,
    /// Grammar classes of each single word, by word id.
    pub word_class: Vec<u32>,
    /// Per word id: does a multi-word grammar phrase start with it? Does a phrase that
    /// blocks on its own? (Precomputed so the per-word checks are one load.)
    pub starts_grammar: Vec<bool>,
    pub starts_always: Vec<bool>,
    /// Phrases starting with each word id, longest first.
    /// (compressed rows: phrases starting with word `w` are
    /// `starts[starts_at[w]..starts_at[w + 1]]`; one allocation for all words)
    starts_at: Vec<u32>,
    starts: Vec<u32>,
    pub phrases: Vec<Phrase>,
    /// Hashes of every word of the misspelling-tolerant vocabulary and of each of its
    /// one-letter deletions, with the phrase id: the symmetric-delete index.
    fuzzy: Vec<(u64, u32)>,
    /// Bitsets of the first and last three letters of the single words that block on their
    /// own: a cheap "could this be a vocabulary word?" before joining or typo probes.
    prefix3: Vec<u64>,
    suffix3: Vec<u64>,
    /// The same for the words of the misspelling index only (a tighter filter for typos).
    fuzzy_prefix3: Vec<u64>,
    fuzzy_suffix3: Vec<u64>,
    /// Single words that block on their own, by [`stream_hash`]: "is `a` + `b` one of
    /// them?" without building `a + b`.
    joinable: FxMap<u64, u32>,
    /// Where each bucket (top [`FUZZY_BITS`] bits of the hash) starts in `fuzzy`.
    fuzzy_buckets: Vec<u32>,
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

const SOURCES: [Source; 11] = [
    Source {
        text: include_str!("../../assets/phi/conditions_icd10cm.txt"),
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

/// Starts the key word of the phrases that carry a suffix's category; the tokenizer never
/// makes a word with it.
const SUFFIX_MARK: &str = "~suffix ";

/// Bits of the hash that pick a misspelling-index bucket.
const FUZZY_BITS: u32 = 16;

/// Shortest word the misspelling index accepts: one typo in fewer letters changes meaning.
pub(crate) const FUZZY_MIN_LEN: usize = 6;

impl Lexicon {
    /// Compile the built-in vocabularies.
    pub fn builtin() -> Lexicon {
        let mut lex = Lexicon::default();
        // Sized for the shipped lists, so the tables do not grow and rehash while loading.
        lex.words.reserve(32_768);
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
        let mut section = 0u32;
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
        lex.build_indexes();
        lex
    }

    /// `suffixes.txt`: each category's endings share one phrase, keyed by a word no text
    /// can produce ("~suffix procedure"), so a suffix match is a vocabulary match like any
    /// other for the rules.
    fn load_suffixes(&mut self, by_toks: &mut FxMap<u64, u32>) {
        for (term, flag) in entries(SUFFIXES) {
            let category = match flag {
                "except" => {
                    self.suffix_exceptions.insert(hash_str(term), ());
                    continue;
                }
                "procedure" => Category::Procedure,
                "condition" => Category::Condition,
                "medication" => Category::Medication,
                _ => continue,
            };
            let key = format!("{SUFFIX_MARK}{}", category.as_str());
            let id = self.intern_word(&key);
            let pid = self.phrase_for(&[id], by_toks);
            self.add_sense(
                pid,
                Sense {
                    category,
                    ctx: false,
                    upper: false,
                    test: Test::No,
                    fuzzy: false,
                },
            );
            self.suffixes.push((term, pid));
        }
        // By letter pair, longest first within a pair.
        self.suffixes.sort_by_key(|(term, _)| {
            (
                pair_index(term.as_bytes()).unwrap_or(usize::MAX),
                std::cmp::Reverse(term.len()),
            )
        });
        let mut at = vec![0u16; 26 * 26 + 1];
        for (term, _) in &self.suffixes {
            if let Some(b) = pair_index(term.as_bytes()) {
                at[b + 1] += 1;
            }
        }
        for b in 0..26 * 26 {
            at[b + 1] += at[b];
        }
        self.suffix_at = at;
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

    /// Tokenise a vocabulary term into word ids; false if it has no words.
    fn intern_phrase(&mut self, term: &str, scratch: &mut Tokens, ids: &mut Vec<u32>) -> bool {
        ids.clear();
        let simple =
            term.bytes().all(|b| b.is_ascii_lowercase() || b == b' ') && !term.contains("  ");
        if simple {
            // Already folded (the generated lists): split on spaces.
            for w in term.split(' ').filter(|w| w.len() > 1) {
                ids.push(self.intern_word(w));
            }
            if ids.len() == term.split(' ').count() {
                return !ids.is_empty() && ids.len() <= MAX_PHRASE;
            }
            ids.clear();
        }
        tokenize(term, scratch);
        for i in 0..scratch.toks.len() {
            ids.push(self.intern_word(scratch.norm(i)));
        }
        !ids.is_empty() && ids.len() <= MAX_PHRASE
    }

    fn intern_word(&mut self, w: &str) -> u32 {
        let mut key = hash_str(w);
        loop {
            match self.words.get(&key) {
                Some(&id) if self.word_text(id) == Some(w) => return id,
                Some(_) => key = next_probe(key),
                None => break,
            }
        }
        let id = self.word_class.len() as u32;
        self.words.insert(key, id);
        let start = self.arena.len() as u32;
        self.arena.push_str(w);
        self.texts.push((start, self.arena.len() as u32));
        self.word_class.push(0);
        id
    }

    /// The phrase with these word ids, created if new. Keyed by a hash of the ids (no
    /// allocation per lookup); a hash collision just makes a second phrase.
    fn phrase_for(&mut self, ids: &[u32], by_toks: &mut FxMap<u64, u32>) -> u32 {
        let mut h = FxHasher::default();
        for &id in ids {
            h.add(u64::from(id));
        }
        let key = h.finish();
        if let Some(&pid) = by_toks.get(&key)
            && self
                .phrases
                .get(pid as usize)
                .is_some_and(|p| *p.toks == *ids)
        {
            return pid;
        }
        let pid = self.phrases.len() as u32;
        let mut toks = Inline::new(0);
        for &id in ids {
            toks.push(id);
        }
        self.phrases.push(Phrase {
            toks,
            senses: Inline::new(NO_SENSE),
            class: 0,
        });
        by_toks.entry(key).or_insert(pid);
        pid
    }

    /// Add a meaning; a later file's entry for the same category replaces an earlier one
    /// (curated decisions override generated lists).
    fn add_sense(&mut self, pid: u32, sense: Sense) {
        let Some(p) = self.phrases.get_mut(pid as usize) else {
            return;
        };
        if let Some(s) = p.senses.iter_mut().find(|s| {
            s.category == sense.category && (s.test == Test::No) == (sense.test == Test::No)
        }) {
            *s = sense;
        } else {
            let _ = p.senses.push(sense);
        }
    }
}

/// The next key to try when a word's hash slot holds another word.
pub(crate) fn next_probe(key: u64) -> u64 {
    key.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15
}

/// Lines of a vocabulary file: `term` or `term<TAB>flags`, `#` comments.
fn entries(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines().filter_map(|line| {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut parts = line.splitn(2, '\t');
        let term = parts.next()?.trim();
        let flags = parts.next().unwrap_or("").trim();
        (!term.is_empty()).then_some((term, flags))
    })
}

fn parse_sense(src: &Source, flags: &str) -> Sense {
    let has = |f: &str| flags.split(',').any(|x| x.trim() == f);
    let test = if !src.tests {
        Test::No
    } else if has("value") {
        Test::ValueOnly
    } else {
        Test::Named
    };
    Sense {
        category: src.category,
        ctx: has("ctx"),
        upper: has("upper"),
        test,
        fuzzy: !has("nofuzzy") && !has("ctx") && !has("upper") && test != Test::ValueOnly,
    }
}

mod index;
mod lookup;

#[cfg(test)]
mod tests;

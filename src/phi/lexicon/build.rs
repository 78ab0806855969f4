//! Building the lexicon from its files: reading a vocabulary file's lines, a term's senses,
//! interning words, spellings and phrases, the suffix and shorthand tables. Runs once, in
//! `Lexicon::builtin`; the lookups the gate makes per text are in the parent and `lookup`.

use super::*;

impl Lexicon {
    /// `shorthand.txt`: texting spellings read as the word they stand for ("b4" → before,
    /// "ur" → your). Loaded last: a shorthand that is also a vocabulary word reads as its
    /// expansion from then on.
    pub(super) fn load_shorthand(&mut self) {
        for (short, long) in entries(SHORTHAND) {
            let target = self.intern_word(long);
            self.add_spelling(short, target);
        }
    }

    /// `suffixes.txt`: each category's endings share one phrase, keyed by a word no text
    /// can produce ("~suffix procedure"), so a suffix match is a vocabulary match like any
    /// other for the rules.
    pub(super) fn load_suffixes(&mut self, by_toks: &mut FxMap<u64, u32>) {
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

    /// Tokenise a vocabulary term into word ids; false if it has no words.
    pub(super) fn intern_phrase(
        &mut self,
        term: &str,
        scratch: &mut Tokens,
        ids: &mut Vec<u32>,
    ) -> bool {
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

    pub(super) fn intern_word(&mut self, w: &str) -> u32 {
        // One probe sequence: find the spelling, or the free slot to add it at.
        let mut key = hash_str(w);
        while let Some(&sp) = self.words.get(&key) {
            if self.spelling_text(sp) == Some(w) {
                return self.spellings.get(sp as usize).map_or(0, |e| e.2);
            }
            key = next_probe(key);
        }
        let id = self.word_class.len() as u32;
        let start = self.arena.len() as u32;
        self.arena.push_str(w);
        let end = self.arena.len() as u32;
        self.texts.push((start, end));
        self.word_class.push(0);
        let sp = self.spellings.len() as u32;
        self.spellings.push((start, end, id));
        self.words.insert(key, sp);
        id
    }

    /// Make `w` read as word `id` (its own spelling, or a shorthand for another word).
    pub(super) fn add_spelling(&mut self, w: &str, id: u32) {
        let mut key = hash_str(w);
        loop {
            match self.words.get(&key) {
                Some(&sp) if self.spelling_text(sp) == Some(w) => {
                    if let Some(entry) = self.spellings.get_mut(sp as usize) {
                        entry.2 = id;
                    }
                    return;
                }
                Some(_) => key = next_probe(key),
                None => break,
            }
        }
        let start = self.arena.len() as u32;
        self.arena.push_str(w);
        let sp = self.spellings.len() as u32;
        self.spellings.push((start, self.arena.len() as u32, id));
        self.words.insert(key, sp);
    }

    /// The phrase with these word ids, created if new. Keyed by a hash of the ids (no
    /// allocation per lookup); a hash collision just makes a second phrase.
    pub(super) fn phrase_for(&mut self, ids: &[u32], by_toks: &mut FxMap<u64, u32>) -> u32 {
        let key = hash_ids(ids);
        if let Some(&pid) = by_toks.get(&key)
            && self
                .phrases
                .get(pid as usize)
                .is_some_and(|p| *p.toks == *ids)
        {
            return pid;
        }
        let pid = self.phrases.len() as u32;
        self.phrases.push(Phrase {
            toks: SmallVec::from_slice(ids),
            senses: SmallVec::new(),
            class: 0,
            gap_ok: false,
        });
        by_toks.entry(key).or_insert(pid);
        pid
    }

    /// Add a meaning; a later file's entry for the same category replaces an earlier one
    /// (curated decisions override generated lists).
    pub(super) fn add_sense(&mut self, pid: u32, sense: Sense) {
        let Some(p) = self.phrases.get_mut(pid as usize) else {
            return;
        };
        if let Some(s) = p.senses.iter_mut().find(|s| {
            s.category == sense.category && (s.test == Test::No) == (sense.test == Test::No)
        }) {
            *s = sense;
        } else {
            p.senses.push(sense);
        }
    }
}

/// Lines of a vocabulary file: `term` or `term<TAB>flags`, `#` comments.
pub(super) fn entries(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
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

pub(super) fn parse_sense(src: &Source, flags: &str) -> Sense {
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

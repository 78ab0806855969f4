//! Looking words and phrases up in the compiled vocabularies: the read-only side of
//! [`Lexicon`], used on every check.

use super::*;

impl Lexicon {
    /// Could `w` (folded) start and end like a single vocabulary word? `None` for letters
    /// outside a-z, where the bitsets cannot tell.
    pub fn may_start(&self, w: &[u8]) -> bool {
        trigram(w.get(..3)).is_none_or(|a| {
            self.prefix3
                .get(a / 64)
                .is_some_and(|b| b >> (a % 64) & 1 == 1)
        })
    }

    pub fn may_end(&self, w: &[u8]) -> bool {
        trigram(w.get(w.len().saturating_sub(3)..)).is_none_or(|a| {
            self.suffix3
                .get(a / 64)
                .is_some_and(|b| b >> (a % 64) & 1 == 1)
        })
    }

    /// The single-word phrase that blocks on its own and is spelled `a` followed by `b`.
    pub fn joined_word(&self, a: &str, b: &str) -> Option<u32> {
        let h = stream_hash(stream_hash(0, a.as_bytes()), b.as_bytes());
        let pid = *self.joinable.get(&h)?;
        let w = self.word_text(*self.phrase(pid)?.toks.first()?)?;
        (w.len() == a.len() + b.len() && w.starts_with(a) && w.ends_with(b)).then_some(pid)
    }

    /// The id of folded word `w`; a texting shorthand reads as the word it stands for.
    pub fn word(&self, w: &str) -> Option<u32> {
        let mut key = hash_str(w);
        loop {
            let sp = *self.words.get(&key)?;
            let &(a, b, id) = self.spellings.get(sp as usize)?;
            if self.arena.get(a as usize..b as usize) == Some(w) {
                return Some(id);
            }
            key = next_probe(key);
        }
    }

    /// Phrases that start with this word id, longest first.
    pub fn starting_with(&self, id: u32) -> &[u32] {
        let (Some(&lo), Some(&hi)) = (
            self.starts_at.get(id as usize),
            self.starts_at.get(id as usize + 1),
        ) else {
            return &[];
        };
        self.starts.get(lo as usize..hi as usize).unwrap_or(&[])
    }

    /// Vocabulary phrases (with a meaning) that start with this word id, longest first, with
    /// their second words (`u32::MAX` for a single word).
    pub fn vocabulary_starting_with(&self, id: u32) -> (&[u32], &[u32]) {
        let (Some(&lo), Some(&hi)) = (
            self.starts_at.get(id as usize),
            self.vocab_end.get(id as usize),
        ) else {
            return (&[], &[]);
        };
        let range = lo as usize..hi as usize;
        (
            self.starts.get(range.clone()).unwrap_or(&[]),
            self.second.get(range).unwrap_or(&[]),
        )
    }

    /// Every phrase that starts with this word id, with their second words.
    pub fn starting_with_second(&self, id: u32) -> (&[u32], &[u32]) {
        let (Some(&lo), Some(&hi)) = (
            self.starts_at.get(id as usize),
            self.starts_at.get(id as usize + 1),
        ) else {
            return (&[], &[]);
        };
        let range = lo as usize..hi as usize;
        (
            self.starts.get(range.clone()).unwrap_or(&[]),
            self.second.get(range).unwrap_or(&[]),
        )
    }

    pub fn phrase(&self, pid: u32) -> Option<&Phrase> {
        self.phrases.get(pid as usize)
    }

    /// A word's text by id.
    pub fn word_text(&self, id: u32) -> Option<&str> {
        let &(a, b) = self.texts.get(id as usize)?;
        self.arena.get(a as usize..b as usize)
    }

    /// Phrases one typo (insertion, deletion, substitution or swap of neighbours) from `w`
    /// (folded, ASCII letters, 6+ letters), verified by edit distance.
    pub fn fuzzy(&self, w: &str, out: &mut Vec<u32>) {
        self.fuzzy
            .probe(w, &self.fuzzy_exceptions, |pid| self.single_word(pid), out);
    }

    /// Value-only test names one typo from `w` (5+ letters): the caller probes only in a
    /// sentence with a value or an outcome word.
    pub fn value_fuzzy(&self, w: &str, out: &mut Vec<u32>) {
        out.clear();
        if w.len() < VALUE_FUZZY_MIN_LEN || self.fuzzy_exceptions.contains_key(&hash_str(w)) {
            return;
        }
        let set = letter_set(w);
        for (v, pid, vset) in &self.value_words {
            // One typo changes at most two letters of the set (one out, one in).
            if v.len().abs_diff(w.len()) <= 1
                && (set ^ vset).count_ones() <= 2
                && within_one_edit(w, v)
            {
                out.push(*pid);
            }
        }
    }

    fn single_word(&self, pid: u32) -> Option<&str> {
        self.word_text(*self.phrase(pid)?.toks.first()?)
    }

    /// Every vocabulary phrase that blocks on its own, with its category (for tests and
    /// the property checks).
    pub fn always_terms(&self) -> Vec<(String, Category)> {
        let (arena, texts) = (&self.arena, &self.texts);
        let words_by_id: Vec<&str> = texts
            .iter()
            .map(|&(a, b)| arena.get(a as usize..b as usize).unwrap_or(""))
            .collect();
        let mut out = Vec::new();
        for p in &self.phrases {
            // A joined form starting with digits ("24hoururine") only exists spaced out:
            // text splits "24hour" at the digits.
            let first = p.toks.first().map_or("", |&id| words_by_id[id as usize]);
            if p.toks.len() == 1 && first.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            if first.starts_with(SUFFIX_MARK) {
                // A suffix's category, not a word.
                continue;
            }
            // "d c" (from "D&C") is only reachable through a symbol: spaced single letters
            // are joined, and "DC" must stay a place.
            if p.toks.len() > 1 && p.toks.iter().all(|&id| words_by_id[id as usize].len() == 1) {
                continue;
            }
            for s in p.senses.iter() {
                if !s.ctx && !s.upper && s.test != Test::ValueOnly {
                    let text: Vec<&str> =
                        p.toks.iter().map(|&id| words_by_id[id as usize]).collect();
                    out.push((text.join(" "), s.category));
                }
            }
        }
        out
    }
}

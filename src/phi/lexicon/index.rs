//! Building the lookup indexes once the vocabularies are loaded: phrase starts, the
//! first/last-trigram bitsets, the misspelling indexes and the phrases that take a word
//! inserted before their clinic word.

use super::*;

impl Lexicon {
    pub(super) fn build_indexes(&mut self) {
        self.index_phrase_starts();
        self.mark_phrase_starts();
        let (arena, texts) = (&self.arena, &self.texts);
        let words_by_id: Vec<&str> = texts
            .iter()
            .map(|&(a, b)| arena.get(a as usize..b as usize).unwrap_or(""))
            .collect();
        let (prefix3, suffix3) = trigram_sets(&self.phrases, &words_by_id);
        let joinable = joinable_words(&self.phrases, &words_by_id);
        let (fuzzy, value_words) = typo_indexes(&self.phrases, &words_by_id);
        self.prefix3 = prefix3;
        self.suffix3 = suffix3;
        self.joinable = joinable;
        self.fuzzy = fuzzy;
        self.value_words = value_words;
        self.mark_gapped();
    }

    /// Every phrase by its first word (a counting sort), vocabulary phrases first and
    /// longest first in each row — matching reads only the front of a row — with each
    /// phrase's second word beside it.
    fn index_phrase_starts(&mut self) {
        let nw = self.texts.len();
        let mut at = vec![0u32; nw + 1];
        for p in &self.phrases {
            if let Some(&first) = p.toks.first() {
                at[first as usize + 1] += 1;
            }
        }
        for w in 0..nw {
            at[w + 1] += at[w];
        }
        let mut fill = at.clone();
        let mut starts = vec![0u32; self.phrases.len()];
        for (pid, p) in self.phrases.iter().enumerate() {
            if let Some(&first) = p.toks.first() {
                starts[fill[first as usize] as usize] = pid as u32;
                fill[first as usize] += 1;
            }
        }
        let phrases = &self.phrases;
        let mut vocab_end = vec![0u32; nw];
        for w in 0..nw {
            if let Some(list) = starts.get_mut(at[w] as usize..at[w + 1] as usize) {
                if list.len() > 1 {
                    list.sort_by_key(|&pid| {
                        let p = &phrases[pid as usize];
                        (p.senses.is_empty(), std::cmp::Reverse(p.toks.len()))
                    });
                }
                let vocab = list
                    .iter()
                    .take_while(|&&pid| !phrases[pid as usize].senses.is_empty())
                    .count();
                vocab_end[w] = at[w] + vocab as u32;
            }
        }
        self.vocab_end = vocab_end;
        self.second = starts
            .iter()
            .map(|&pid| {
                phrases[pid as usize]
                    .toks
                    .get(1)
                    .copied()
                    .unwrap_or(u32::MAX)
            })
            .collect();
        self.starts_at = at;
        self.starts = starts;
    }

    /// Words that start a grammar phrase of several words, and words that start a phrase
    /// that blocks on its own.
    fn mark_phrase_starts(&mut self) {
        self.starts_grammar = vec![false; self.texts.len()];
        self.starts_always = vec![false; self.texts.len()];
        for p in &self.phrases {
            let Some(&first) = p.toks.first() else {
                continue;
            };
            if p.class != 0 && p.toks.len() > 1 {
                self.starts_grammar[first as usize] = true;
            }
            if p.senses
                .iter()
                .any(|s| !s.ctx && !s.upper && s.test != Test::ValueOnly)
            {
                self.starts_always[first as usize] = true;
            }
        }
    }

    /// Phrases that may take a word inserted before their last, clinic word, and the words
    /// they start with.
    fn mark_gapped(&mut self) {
        let word_class = &self.word_class;
        for p in &mut self.phrases {
            p.gap_ok = p.toks.len() >= 2
                && !p.senses.is_empty()
                && p.toks
                    .last()
                    .is_some_and(|&w| word_class[w as usize] & class::CLINIC_WORD != 0);
        }
        self.starts_gapped = vec![false; self.texts.len()];
        for p in &self.phrases {
            if let (true, Some(&first)) = (p.gap_ok, p.toks.first()) {
                self.starts_gapped[first as usize] = true;
            }
        }
    }
}

/// Whether a single word that blocks on its own has this first / last trigram: a cheap
/// "cannot be a split clinical word" test before any lookup.
fn trigram_sets(phrases: &[Phrase], words_by_id: &[&str]) -> (Vec<u64>, Vec<u64>) {
    let mut prefix3 = vec![0; TRIGRAMS.div_ceil(64)];
    let mut suffix3 = vec![0; TRIGRAMS.div_ceil(64)];
    for p in phrases {
        if p.toks.len() != 1 || !p.senses.iter().any(|s| !s.ctx && !s.upper) {
            continue;
        }
        let w = words_by_id[p.toks[0] as usize].as_bytes();
        if let (Some(a), Some(b)) = (
            trigram(w.get(..3)),
            trigram(w.get(w.len().saturating_sub(3)..)),
        ) {
            prefix3[a / 64] |= 1 << (a % 64);
            suffix3[b / 64] |= 1 << (b % 64);
        }
    }
    (prefix3, suffix3)
}

/// Single words of six letters or more that block on their own, by hash: what two
/// fragments joined ("can cer") may spell.
fn joinable_words(phrases: &[Phrase], words_by_id: &[&str]) -> FxMap<u64, u32> {
    let mut joinable = FxMap::default();
    for (pid, p) in phrases.iter().enumerate() {
        if p.toks.len() == 1 && p.senses.iter().any(|s| !s.ctx && !s.upper) {
            let w = words_by_id[p.toks[0] as usize];
            if w.len() >= 6 {
                joinable
                    .entry(stream_hash(0, w.as_bytes()))
                    .or_insert(pid as u32);
            }
        }
    }
    joinable
}

/// The one-typo index of the words read with a typo, and the value-only test names (read
/// with a typo only beside a value).
fn typo_indexes(phrases: &[Phrase], words_by_id: &[&str]) -> (TypoIndex, Vec<(String, u32, u32)>) {
    let typo_words = |value_only: bool| {
        phrases.iter().enumerate().filter_map(move |(pid, p)| {
            let wanted = if value_only {
                p.senses.iter().any(|s| s.test == Test::ValueOnly)
            } else {
                p.senses.iter().any(|s| s.fuzzy)
            };
            if p.toks.len() != 1 || !wanted {
                return None;
            }
            let w = words_by_id[p.toks[0] as usize];
            (w.len() >= FUZZY_MIN_LEN && w.bytes().all(|b| b.is_ascii_lowercase()))
                .then_some((w, pid as u32))
        })
    };
    let fuzzy = TypoIndex::build(typo_words(false), FUZZY_MIN_LEN);
    let value_words = typo_words(true)
        .map(|(w, pid)| (w.to_string(), pid, letter_set(w)))
        .collect();
    (fuzzy, value_words)
}

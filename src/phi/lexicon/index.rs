//! Building the lookup indexes once the vocabularies are loaded: phrase starts, the
//! first/last-trigram bitsets and the misspelling index.

use super::*;

impl Lexicon {
    pub(super) fn build_indexes(&mut self) {
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
        let phrases = &self.phrases;
        for w in 0..nw {
            if let Some(list) = starts.get_mut(at[w] as usize..at[w + 1] as usize)
                && list.len() > 1
            {
                list.sort_by_key(|&pid| std::cmp::Reverse(phrases[pid as usize].toks.len()));
            }
        }
        self.starts_at = at;
        self.starts = starts;
        let (arena, texts) = (&self.arena, &self.texts);
        let words_by_id: Vec<&str> = texts
            .iter()
            .map(|&(a, b)| arena.get(a as usize..b as usize).unwrap_or(""))
            .collect();
        self.prefix3 = vec![0; TRIGRAMS.div_ceil(64)];
        self.suffix3 = vec![0; TRIGRAMS.div_ceil(64)];
        for p in &self.phrases {
            if p.toks.len() != 1 || !p.senses.iter().any(|s| !s.ctx && !s.upper) {
                continue;
            }
            let w = words_by_id[p.toks[0] as usize].as_bytes();
            if let (Some(a), Some(b)) = (
                trigram(w.get(..3)),
                trigram(w.get(w.len().saturating_sub(3)..)),
            ) {
                self.prefix3[a / 64] |= 1 << (a % 64);
                self.suffix3[b / 64] |= 1 << (b % 64);
            }
        }
        let mut joinable = FxMap::default();
        for (pid, p) in self.phrases.iter().enumerate() {
            if p.toks.len() == 1 && p.senses.iter().any(|s| !s.ctx && !s.upper) {
                let w = words_by_id[p.toks[0] as usize];
                if w.len() >= 6 {
                    joinable
                        .entry(stream_hash(0, w.as_bytes()))
                        .or_insert(pid as u32);
                }
            }
        }
        self.joinable = joinable;
        let mut fuzzy = Vec::new();
        self.fuzzy_prefix3 = vec![0; TRIGRAMS.div_ceil(64)];
        self.fuzzy_suffix3 = vec![0; TRIGRAMS.div_ceil(64)];
        for (pid, p) in self.phrases.iter().enumerate() {
            if p.toks.len() != 1 || !p.senses.iter().any(|s| s.fuzzy) {
                continue;
            }
            let w = words_by_id[p.toks[0] as usize];
            if w.len() < FUZZY_MIN_LEN || !w.bytes().all(|b| b.is_ascii_lowercase()) {
                continue;
            }
            let wb = w.as_bytes();
            if let (Some(a), Some(b)) = (
                trigram(wb.get(..3)),
                trigram(wb.get(wb.len().saturating_sub(3)..)),
            ) {
                self.fuzzy_prefix3[a / 64] |= 1 << (a % 64);
                self.fuzzy_suffix3[b / 64] |= 1 << (b % 64);
            }
            fuzzy.push((hash_str(w), pid as u32));
            let mut buf = String::with_capacity(w.len());
            for i in 0..w.len() {
                buf.clear();
                buf.push_str(&w[..i]);
                buf.push_str(&w[i + 1..]);
                fuzzy.push((hash_str(&buf), pid as u32));
            }
        }
        // Counting sort by bucket: O(n), and a lookup reads one small bucket.
        let nb = 1usize << FUZZY_BITS;
        let bucket = |h: u64| (h >> (64 - FUZZY_BITS)) as usize;
        let mut starts = vec![0u32; nb + 1];
        for &(h, _) in &fuzzy {
            starts[bucket(h) + 1] += 1;
        }
        for i in 0..nb {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut sorted = vec![(0u64, 0u32); fuzzy.len()];
        for &(h, pid) in &fuzzy {
            let b = bucket(h);
            sorted[fill[b] as usize] = (h, pid);
            fill[b] += 1;
        }
        self.fuzzy = sorted;
        self.fuzzy_buckets = starts;
    }
}

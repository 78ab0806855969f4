//! A one-typo index (symmetric deletes): every word and each of its one-letter deletions,
//! hashed, in buckets by the top bits of the hash, with a first/last-trigram filter in front.
//! The gate keeps two: the words that may be misspelled anywhere, and the value-only test
//! names ("sodium"), probed only beside a value.

use super::super::keys::{FxMap, TRIGRAMS, hash_str, trigram, within_one_edit};

/// Bits of the hash that pick a bucket.
const BITS: u32 = 16;

#[derive(Debug, Default)]
pub(crate) struct TypoIndex {
    /// (hash of a word or of one of its deletions, phrase id), grouped by bucket.
    entries: Vec<(u64, u32)>,
    /// Where each bucket starts in `entries`.
    buckets: Vec<u32>,
    /// Bitsets of the first and last three letters of the indexed words.
    prefix3: Vec<u64>,
    suffix3: Vec<u64>,
    /// Shortest typed word probed.
    min_len: usize,
}

fn bucket(h: u64) -> usize {
    (h >> (64 - BITS)) as usize
}

impl TypoIndex {
    /// Index `words` (folded, lower-case ASCII) with their phrase ids; words typed with fewer
    /// than `min_len` letters are never probed.
    pub fn build<'a>(words: impl Iterator<Item = (&'a str, u32)>, min_len: usize) -> TypoIndex {
        let mut prefix3 = vec![0u64; TRIGRAMS.div_ceil(64)];
        let mut suffix3 = vec![0u64; TRIGRAMS.div_ceil(64)];
        let mut raw = Vec::new();
        let mut buf = String::new();
        for (w, pid) in words {
            let wb = w.as_bytes();
            if let (Some(a), Some(b)) = (
                trigram(wb.get(..3)),
                trigram(wb.get(wb.len().saturating_sub(3)..)),
            ) {
                prefix3[a / 64] |= 1 << (a % 64);
                suffix3[b / 64] |= 1 << (b % 64);
            }
            raw.push((hash_str(w), pid));
            for i in 0..w.len() {
                buf.clear();
                buf.push_str(&w[..i]);
                buf.push_str(&w[i + 1..]);
                raw.push((hash_str(&buf), pid));
            }
        }
        // Counting sort by bucket: O(n), and a lookup reads one small bucket.
        let nb = 1usize << BITS;
        let mut starts = vec![0u32; nb + 1];
        for &(h, _) in &raw {
            starts[bucket(h) + 1] += 1;
        }
        for i in 0..nb {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut entries = vec![(0u64, 0u32); raw.len()];
        for &(h, pid) in &raw {
            let b = bucket(h);
            entries[fill[b] as usize] = (h, pid);
            fill[b] += 1;
        }
        TypoIndex {
            entries,
            buckets: starts,
            prefix3,
            suffix3,
            min_len,
        }
    }

    /// Phrase ids of the indexed words one typo (insertion, deletion, substitution or swap of
    /// neighbours) from `w`, verified by edit distance; `text_of` gives a phrase's word.
    /// Words in `exceptions` (everyday words and names) are never read as a misspelling.
    pub fn probe<'a>(
        &self,
        w: &str,
        exceptions: &FxMap<u64, ()>,
        text_of: impl Fn(u32) -> Option<&'a str>,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        if w.len() < self.min_len || w.len() > 24 || self.entries.is_empty() {
            return;
        }
        if exceptions.contains_key(&hash_str(w)) {
            return;
        }
        // One typo leaves the first three or the last three letters intact (from 7 letters).
        let b = w.as_bytes();
        let in_set = |set: &[u64], t: Option<usize>| {
            t.is_none_or(|a| set.get(a / 64).is_some_and(|x| x >> (a % 64) & 1 == 1))
        };
        if b.len() >= 7
            && !in_set(&self.prefix3, trigram(b.get(..3)))
            && !in_set(&self.suffix3, trigram(b.get(b.len() - 3..)))
        {
            return;
        }
        let probe = |h: u64, out: &mut Vec<u32>| {
            let b = bucket(h);
            let (Some(&lo), Some(&hi)) = (self.buckets.get(b), self.buckets.get(b + 1)) else {
                return;
            };
            for &(k, pid) in self.entries.get(lo as usize..hi as usize).unwrap_or(&[]) {
                if k == h && !out.contains(&pid) {
                    out.push(pid);
                }
            }
        };
        probe(hash_str(w), out);
        let mut buf = String::with_capacity(w.len());
        for i in 0..w.len() {
            buf.clear();
            buf.push_str(&w[..i]);
            buf.push_str(&w[i + 1..]);
            probe(hash_str(&buf), out);
        }
        out.retain(|&pid| text_of(pid).is_some_and(|v| within_one_edit(w, v)));
    }
}

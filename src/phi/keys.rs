//! Keys for the PHI gate's lookup tables: the word hash (rustc-hash's FxHasher), a streaming
//! hash for joined fragments, three-letter bitset keys and the one-typo test. Pure; imports
//! std and rustc-hash only.

use std::hash::Hasher;

use rustc_hash::FxHasher;

pub(crate) use rustc_hash::FxHashMap as FxMap;

/// The hash of a word: FxHash is a few cycles per word, plenty for trusted keys.
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// The hash of a phrase's word ids.
pub(crate) fn hash_ids(ids: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    for &id in ids {
        h.write_u32(id);
    }
    h.finish()
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A byte-at-a-time hash that can be continued: `stream_hash(stream_hash(0, a), b)` is the
/// hash of `a` followed by `b`.
pub(crate) fn stream_hash(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
    }
    h
}

pub(crate) const TRIGRAMS: usize = 26 * 26 * 26;

/// Index of three lower-case ASCII letters.
pub(crate) fn trigram(t: Option<&[u8]>) -> Option<usize> {
    match t? {
        &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_lowercase) => {
            Some((usize::from(a - b'a') * 26 + usize::from(b - b'a')) * 26 + usize::from(c - b'a'))
        }
        _ => None,
    }
}

/// Optimal-string-alignment distance of at most one.
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if la == lb {
        // Substitution, or a swap of neighbours.
        if a[p + 1..] == b[p + 1..] {
            return true;
        }
        return p + 1 < la && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..];
    }
    let (long, short) = if la > lb { (a, b) } else { (b, a) };
    long[p + 1..] == short[p..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit() {
        assert!(within_one_edit("cancer", "canser"));
        assert!(within_one_edit("cancer", "cacner"));
        assert!(within_one_edit("cancer", "cancr"));
        assert!(within_one_edit("cancer", "cancerr"));
        assert!(!within_one_edit("cancer", "cnacre"));
        assert!(!within_one_edit("cancer", "dancers"));
    }

    #[test]
    fn streaming_hash_continues() {
        assert_eq!(
            stream_hash(stream_hash(0, b"chemo"), b"therapy"),
            stream_hash(0, b"chemotherapy")
        );
    }
}

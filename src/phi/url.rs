//! Finding URLs and e-mail addresses in a message for the PHI gate: their words count only
//! when clinical by themselves, their numbers never. Pure; std only.

use super::text::{Tokens, flag};

/// Flag tokens inside URLs and e-mail addresses: `https://…`, `www.…`, `name@host.org`,
/// `host.org/path`.
pub(crate) fn mark_urls(text: &str, out: &mut Tokens) {
    let bytes = text.as_bytes();
    let mut done = 0;
    // Only the whitespace-delimited chunks around a '.', '@' or ':' can be addresses.
    for (p, _) in bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'.' | b'@' | b':'))
    {
        // A '.' or ':' that ends a word ("Tuesday.", "Note:") starts no address; an address
        // has one with something after it, found at that one instead.
        if p < done || bytes.get(p + 1).is_none_or(u8::is_ascii_whitespace) {
            continue;
        }
        let start = bytes[..p]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(0, |w| w + 1);
        let stop = bytes[p..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(bytes.len(), |w| p + w);
        done = stop;
        let word = text
            .get(start..stop)
            .unwrap_or("")
            .trim_end_matches(['.', ',', ';', '!', '?', ')', '"', '\'']);
        let starts = |pre: &str| {
            word.get(..pre.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(pre))
        };
        let is_url = starts("www.")
            || word.contains("://")
            || word
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
            || has_domain(word);
        if !is_url {
            continue;
        }
        let end = start + word.len();
        // Tokens are in text order: find the first in the address by binary search, so a
        // text with many addresses stays linear.
        let first = out.toks.partition_point(|t| t.start < start);
        for t in out.toks[first..].iter_mut().take_while(|t| t.end <= end) {
            t.flags |= flag::URL;
        }
    }
}

/// "example.org", "portal.example.org/forms": a dot, a known top-level domain, then the
/// end or a slash.
fn has_domain(word: &str) -> bool {
    const TLDS: [&str; 10] = [
        "com", "org", "net", "gov", "edu", "health", "us", "io", "co", "info",
    ];
    word.match_indices('.').any(|(i, _)| {
        let rest = word.get(i + 1..).unwrap_or("");
        let tld = rest.split('/').next().unwrap_or("");
        i > 0 && TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld))
    })
}

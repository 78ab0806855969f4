//! Shared by the encryption tests: every patient name, phone number and message body of a
//! database, and a scan of files for any of them as plain bytes.
//!
//! Include with `mod plaintext_scan;`.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use frontdesk::store::Store;

/// What must never be readable on disk.
pub struct Needles {
    /// "First Last" of every patient, their E.164 mobiles and 10-digit national numbers,
    /// and every message body.
    pub whole: Vec<String>,
    /// First names and surnames on their own (4 bytes or more): searched in text files (logs),
    /// where a short random match cannot happen by chance as it can in ciphertext.
    pub words: Vec<String>,
}

/// Shorter strings ("1", "YES", "Li Wu") occur by chance in a megabyte of ciphertext; they
/// are looked for in the logs only (as words), or not at all.
const MIN_WHOLE: usize = 8;

pub fn needles(store: &Store) -> Needles {
    use frontdesk::domain::ids::PatientId;
    use frontdesk::store;
    let mut whole = Vec::new();
    let mut words = Vec::new();
    // Patient ids are dense from 1 (the store hands them out in order; nothing deletes).
    let count = store::patients::count(store).unwrap();
    for id in 1..=count {
        let p = store::patients::get(store, PatientId(id)).unwrap();
        let full = format!("{} {}", p.first_name, p.last_name);
        if full.len() >= MIN_WHOLE {
            whole.push(full);
        }
        for w in [p.first_name, p.last_name] {
            if w.len() >= 4 {
                words.push(w);
            }
        }
        if let Some(m) = p.mobile {
            let m = m.to_string();
            whole.push(m.trim_start_matches("+1").to_string());
            whole.push(m);
        }
        for message in store::messages::for_patient(store, PatientId(id)).unwrap() {
            if message.body.len() >= MIN_WHOLE {
                whole.push(message.body);
            }
        }
    }
    whole.sort();
    whole.dedup();
    words.sort();
    words.dedup();
    Needles { whole, words }
}

/// Every file under `dir`, recursively.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Panic naming the file and the needle if any file holds any needle as plain bytes
/// (`words` only in files under a `logs` folder). One Aho-Corasick pass per file.
pub fn assert_none_in(files: &[PathBuf], needles: &Needles) {
    assert!(needles.whole.len() > 10, "the fixture has patients");
    let whole = aho_corasick::AhoCorasick::new(&needles.whole).unwrap();
    let all: Vec<&String> = needles.whole.iter().chain(&needles.words).collect();
    let with_words = aho_corasick::AhoCorasick::new(&all).unwrap();
    for file in files {
        let bytes = std::fs::read(file).unwrap();
        let is_log = file.components().any(|c| c.as_os_str() == "logs");
        let (finder, names): (_, Vec<&String>) = if is_log {
            (&with_words, all.clone())
        } else {
            (&whole, needles.whole.iter().collect())
        };
        if let Some(m) = finder.find(&bytes) {
            panic!(
                "{} holds {:?} as plain bytes",
                file.display(),
                names[m.pattern().as_usize()]
            );
        }
    }
}

//! The ICD-10-CM code set (`assets/phi/icd10cm_codes.txt`): a code the gate reads behind a
//! label ("Dx: E11.9") or beside a term ("(M72.2)") blocks only when it is a real code, so
//! "door E11" or "bay F32.5" in a notice is not taken for a diagnosis.

/// Up to 7 characters (letters upper case, no dot) packed big-endian into a u64, so sorted
/// keys are sorted codes.
pub(crate) fn pack(code: &str) -> Option<u64> {
    if code.is_empty() || code.len() > 7 {
        return None;
    }
    let mut key = 0u64;
    for b in code.bytes() {
        if !b.is_ascii_alphanumeric() {
            return None;
        }
        key = key << 8 | u64::from(b.to_ascii_uppercase());
    }
    Some(key << (8 * (8 - code.len())))
}

/// Parse the file: a category, then what follows its dot in each code of the category.
pub(crate) fn parse(text: &str) -> Vec<u64> {
    let mut out = Vec::with_capacity(100_000);
    let mut buf = String::with_capacity(8);
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_ascii_whitespace();
        let Some(cat) = parts.next() else { continue };
        out.extend(pack(cat));
        for rest in parts {
            buf.clear();
            buf.push_str(cat);
            buf.push_str(rest);
            out.extend(pack(&buf));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_in_code_order_and_finds_codes() {
        assert!(pack("E11") < pack("E119"));
        assert!(pack("E119") < pack("E12"));
        let set = parse("# c\nE11 0 00 9\nJ45 909\n");
        for code in ["E11", "E110", "E1100", "E119", "J45", "J45909"] {
            assert!(set.binary_search(&pack(code).unwrap()).is_ok(), "{code}");
        }
        assert!(set.binary_search(&pack("E118").unwrap()).is_err());
        assert_eq!(pack("E11.9"), None);
    }
}

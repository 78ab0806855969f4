//! The ICD-10-CM code set (`assets/phi/icd10cm_codes.txt`): a code the gate reads behind a
//! label ("Dx: E11.9") or beside a term ("(M72.2)") blocks only when it is a real code, so
//! "door E11" or "bay F32.5" in a notice is not taken for a diagnosis.
//!
//! The file is kept as text: one sorted line per 3-character category, then what follows the
//! dot in each of its codes. Loading only finds where each line starts (a newline scan, well
//! under a millisecond for 98,000 codes); a look-up is a binary search on the categories and a
//! scan of one line, and runs only for a code-shaped word after a label or in brackets.

/// Where each category line starts and ends in `text`, in file (sorted) order.
pub(crate) fn index(text: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(2_048);
    let mut at = 0usize;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end();
        if !body.is_empty() && !body.starts_with('#') {
            out.push((at as u32, (at + body.len()) as u32));
        }
        at += line.len();
    }
    out
}

/// Is `code` (a category and what follows its dot, no dot: "E119", "j45909"; any case) in the
/// set `lines` indexes in `text`?
pub(crate) fn contains(text: &str, lines: &[(u32, u32)], code: &str) -> bool {
    let (Some(cat), Some(rest)) = (code.get(..3), code.get(3..)) else {
        return false;
    };
    let line_of = |&(a, b): &(u32, u32)| text.get(a as usize..b as usize).unwrap_or("");
    let found = lines.binary_search_by(|l| {
        let head = line_of(l).get(..3).unwrap_or("");
        head.bytes()
            .map(|b| b.to_ascii_uppercase())
            .cmp(cat.bytes().map(|b| b.to_ascii_uppercase()))
    });
    let Ok(i) = found else { return false };
    let line = lines.get(i).map(line_of).unwrap_or("");
    rest.is_empty()
        || line
            .split_ascii_whitespace()
            .skip(1)
            .any(|r| r.eq_ignore_ascii_case(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_categories_and_codes_in_any_case() {
        let text = "# c\nE11 0 00 9\nJ45 909\n";
        let lines = index(text);
        for code in [
            "E11", "E110", "E1100", "E119", "J45", "J45909", "j45909", "e119",
        ] {
            assert!(contains(text, &lines, code), "{code}");
        }
        for code in ["E118", "E12", "A01", "J4590", "E1", ""] {
            assert!(!contains(text, &lines, code), "{code}");
        }
    }

    #[test]
    fn the_shipped_set_is_complete_and_sorted() {
        let text = include_str!("../../../assets/phi/icd10cm_codes.txt");
        let lines = index(text);
        assert!(lines.len() > 1_900, "{}", lines.len());
        assert!(
            lines
                .windows(2)
                .all(|w| text[w[0].0 as usize..w[0].0 as usize + 3]
                    < text[w[1].0 as usize..w[1].0 as usize + 3])
        );
        for code in ["E119", "J45909", "M5450", "F411", "S52521A", "Z3A"] {
            assert!(contains(text, &lines, code), "{code}");
        }
    }
}

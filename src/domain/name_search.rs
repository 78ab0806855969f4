//! How the desk's search compares names: accents, case and compatibility forms folded away
//! ("Hernandez" finds Hernández, "dabrowski" Dąbrowski, "CHAVEZ" Chávez), letters that have
//! no decomposition written as people type them on a US keyboard (ł → l, ø → o, đ → d,
//! ß → ss, æ → ae), and a query word matching any part of a name. Pure.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `s` as the search compares it: lower case, without accents.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ł' | 'Ł' => out.push('l'),
            'ø' | 'Ø' => out.push('o'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ı' => out.push('i'),
            'þ' | 'Þ' => out.push_str("th"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The query's words, folded (commas and spaces separate them; at most 4).
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .take(4)
        .map(fold)
        .collect()
}

/// Shortest query word matched inside a name part rather than at its start: shorter ones
/// ("a", "lo") would match half the practice.
pub const INFIX_MIN: usize = 3;

/// How well the query words match a patient's folded names, best first: 0 every word starts
/// the last name, 1 starts the first name, 2 starts some part of a name ("lópez" in
/// "García López"), 3 occurs inside a part ("ández"). `None`: some word does not match.
/// A name matches when every word does; its rank is its worst word's.
pub fn rank(words: &[String], first: &str, last: &str) -> Option<u8> {
    if words.is_empty() {
        return None;
    }
    let parts = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let all: Vec<String> = parts(last).into_iter().chain(parts(first)).collect();
    words
        .iter()
        .map(|w| {
            if last.starts_with(w.as_str()) {
                Some(0)
            } else if first.starts_with(w.as_str()) {
                Some(1)
            } else if all.iter().any(|p| p.starts_with(w.as_str())) {
                Some(2)
            } else if w.chars().count() >= INFIX_MIN && all.iter().any(|p| p.contains(w.as_str())) {
                Some(3)
            } else {
                None
            }
        })
        .try_fold(0, |worst, r| r.map(|r| worst.max(r)))
}

/// Whether every word matches the folded name "last, first" (see [`rank`]).
pub fn matches(words: &[String], folded_name: &str) -> bool {
    let (last, first) = folded_name.split_once(", ").unwrap_or((folded_name, ""));
    rank(words, first, last).is_some()
}

/// Whether the query is a phone number fragment: 3+ digits and nothing but phone characters
/// ("415", "(415) 555", "+1 415").
pub fn phone_digits(query: &str) -> Option<String> {
    let q = query.trim();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let phone_like = q
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    (digits.len() >= 3 && phone_like).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("Hernandez", "Hernández, María", true)]
    #[case("dabrowski", "Dąbrowski, Łukasz", true)]
    #[case("lukasz", "Dąbrowski, Łukasz", true)]
    #[case("CHAVEZ", "Chávez, José", true)]
    #[case("jose chav", "Chávez, José", true)]
    #[case("nguyen thi", "Nguyễn, Thị Mai", true)]
    #[case("whitf", "Okonkwo-Whitfield, Alexandra", true)]
    #[case("strasse", "Straße, Anna", true)]
    #[case("soren", "Sørensen, Søren", true)]
    #[case("ana", "Okafor, Ada", false)]
    #[case("ada smith", "Okafor, Ada", false)]
    #[case("andez", "Hernández, María", true)]
    #[case("an", "Hernández, María", false)]
    #[case("lopez", "García López, José", true)]
    fn names(#[case] query: &str, #[case] name: &str, #[case] hit: bool) {
        assert_eq!(
            matches(&query_words(query), &fold(name)),
            hit,
            "{query} / {name}"
        );
    }

    #[rstest]
    #[case("415", Some("415"))]
    #[case("(415) 555-01", Some("41555501"))]
    #[case("+1 201", Some("1201"))]
    #[case("41", None)]
    #[case("ada 415", None)]
    fn phones(#[case] query: &str, #[case] digits: Option<&str>) {
        assert_eq!(phone_digits(query).as_deref(), digits);
    }

    #[test]
    fn last_name_starts_rank_before_first_names_parts_and_insides() {
        let w = query_words("lo");
        assert_eq!(rank(&w, "ada", "lovelace"), Some(0));
        assert_eq!(rank(&w, "lois", "smith"), Some(1));
        assert_eq!(rank(&w, "jose", "garcia lopez"), Some(2));
        assert_eq!(rank(&w, "jose", "calo"), None, "too short to match inside");
        assert_eq!(rank(&query_words("ovel"), "ada", "lovelace"), Some(3));
        assert_eq!(rank(&query_words("ada lov"), "ada", "lovelace"), Some(1));
    }

    #[test]
    fn nothing_typed_matches_nothing() {
        assert!(!matches(&query_words("  , "), "anyone"));
    }
}

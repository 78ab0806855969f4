//! People's names as exports write them: "OKAFOR, ADA M", "Ada Okafor", "SMITH, JOHN MD".
//!
//! Names are kept as written (accents, apostrophes, hyphens, particles) except for two
//! repairs that matter in a text message: a name written in capitals only is put in title
//! case, and a clinician written "Last, First" reads "First Last".

/// Collapse runs of whitespace and trim.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "O'NEILL-GARCÍA" → "O'Neill-García"; mixed-case names are left as they are
/// ("McDonald", "van der Berg", "DeShawn").
pub fn title_case_if_shouting(s: &str) -> String {
    let has_lower = s.chars().any(char::is_lowercase);
    let has_upper = s.chars().any(char::is_uppercase);
    if has_lower || !has_upper {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '\'' | '’' | '.');
    }
    out
}

/// A single "Patient Name" cell split into (first, last): "Okafor, Ada M." → ("Ada",
/// "Okafor"); "Ada Okafor" → ("Ada", "Okafor"). A trailing middle initial is dropped from the
/// first name (the reminder greets "Ada", not "Ada M."). Without a comma the last word is
/// taken as the family name, so "Last, First" is the safer form for multi-word surnames.
pub fn split_full(s: &str) -> Option<(String, String)> {
    let t = tidy(s);
    let (first, last) = match t.split_once(',') {
        Some((last, first)) => (tidy(first), tidy(last)),
        None => {
            let (first, last) = t.rsplit_once(' ')?;
            (first.to_string(), last.to_string())
        }
    };
    let first = drop_middle_initial(&first);
    if first.is_empty() || last.is_empty() {
        return None;
    }
    Some((
        title_case_if_shouting(&first),
        title_case_if_shouting(&last),
    ))
}

fn drop_middle_initial(given: &str) -> String {
    match given.rsplit_once(' ') {
        Some((head, tail)) if tail.trim_end_matches('.').chars().count() == 1 => head.to_string(),
        _ => given.to_string(),
    }
}

/// Credentials that follow a clinician's name.
const CREDENTIALS: [&str; 16] = [
    "MD", "DO", "NP", "PA", "PA-C", "FNP", "FNP-C", "DNP", "RN", "APRN", "DPM", "DC", "OD", "PHD",
    "LCSW", "MBBS",
];

/// A clinician's display name from what a system wrote: "SMITH, JOHN MD" → "John Smith, MD",
/// "Okafor, Ada" → "Ada Okafor", "Dr. Ada Okafor" stays.
pub fn clinician_display(s: &str) -> String {
    let t = tidy(s);
    let Some((last, given)) = t.split_once(',') else {
        return title_case_if_shouting(&t);
    };
    let mut words: Vec<&str> = given.split_whitespace().collect();
    let mut creds = Vec::new();
    while let Some(w) = words.last() {
        if CREDENTIALS.contains(&w.trim_end_matches('.').to_ascii_uppercase().as_str()) {
            creds.insert(0, w.trim_end_matches('.').to_ascii_uppercase());
            words.pop();
        } else {
            break;
        }
    }
    if words.is_empty() {
        // "Okafor, MD": the part after the comma was only credentials.
        return format!(
            "{}, {}",
            title_case_if_shouting(last.trim()),
            creds.join(" ")
        );
    }
    let name = title_case_if_shouting(&format!("{} {}", words.join(" "), last.trim()));
    if creds.is_empty() {
        name
    } else {
        format!("{name}, {}", creds.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("OKAFOR, ADA M", Some(("Ada", "Okafor")))]
    #[case("Okafor, Ada M.", Some(("Ada", "Okafor")))]
    #[case("Ada Okafor", Some(("Ada", "Okafor")))]
    #[case("García López, José Luis", Some(("José Luis", "García López")))]
    #[case("O'NEILL, SEÁN", Some(("Seán", "O'Neill")))]
    #[case("Nguyễn, Thị Hoa", Some(("Thị Hoa", "Nguyễn")))]
    #[case("Cher", None)]
    #[case(", Ada", None)]
    fn full_names_split(#[case] input: &str, #[case] want: Option<(&str, &str)>) {
        assert_eq!(
            split_full(input),
            want.map(|(f, l)| (f.to_string(), l.to_string()))
        );
    }

    #[rstest]
    #[case("SMITH, JOHN MD", "John Smith, MD")]
    #[case("Okafor, Ada", "Ada Okafor")]
    #[case("Dr. Ada Okafor", "Dr. Ada Okafor")]
    #[case("  Dr.  Adam   Careful ", "Dr. Adam Careful")]
    #[case("NGUYEN, LINH FNP-C", "Linh Nguyen, FNP-C")]
    #[case("de la Cruz, María", "María de la Cruz")]
    fn clinician_names_read_well_in_a_text(#[case] input: &str, #[case] want: &str) {
        assert_eq!(clinician_display(input), want);
    }

    #[test]
    fn mixed_case_is_left_alone() {
        assert_eq!(title_case_if_shouting("McDonald"), "McDonald");
        assert_eq!(title_case_if_shouting("D'ANGELO-SMITH"), "D'Angelo-Smith");
    }
}

//! Tests of trusted spans (SPEC §5.1), of people's names in untrusted text, and of the gate's
//! linear work on long texts (issue 13).

use std::ops::Range;

use rstest::rstest;

use super::*;

fn span_of(text: &str, part: &str) -> Range<usize> {
    let at = text.find(part).expect("part of the text");
    at..at + part.len()
}

fn with(text: &str, trusted: &[&str]) -> Verdict {
    let spans: Vec<_> = trusted.iter().map(|p| span_of(text, p)).collect();
    Gate::default().check_with(text, &spans)
}

#[test]
fn vocabulary_does_not_fire_inside_trusted_spans() {
    let text = "Cancer Care Partners: Lyrica Parkinson, see you Tue at 9:30 AM with Dr. Holter.";
    assert!(check(text).blocked, "untrusted, the names read as clinical");
    let v = with(
        text,
        &["Cancer Care Partners", "Lyrica Parkinson", "Dr. Holter"],
    );
    assert!(!v.blocked, "{:?}", v.findings);
}

#[test]
fn the_template_text_around_trusted_spans_is_checked_in_full() {
    let text = "Riverside Family Practice: Heather, your chemotherapy is Tue at 9:30 AM.";
    let v = with(
        text,
        &["Riverside Family Practice", "Heather", "Tue", "9:30 AM"],
    );
    assert!(v.blocked);
    assert_eq!(v.findings[0].text, "chemotherapy");
}

#[test]
fn identifier_rules_still_fire_inside_trusted_spans() {
    for (text, value) in [
        ("Hi Ann MRN 00482913, see you Tue.", "Ann MRN 00482913"),
        ("Hi Bo 123-45-6789, see you Tue.", "Bo 123-45-6789"),
        ("Hi Cy DOB 3/4/1980, see you Tue.", "Cy DOB 3/4/1980"),
        ("Hi Di 1EG4-TE5-MK73, see you Tue.", "Di 1EG4-TE5-MK73"),
    ] {
        let v = with(text, &[value]);
        assert!(v.blocked, "{text}");
        assert!(
            v.findings
                .iter()
                .all(|f| f.category == Category::Identifier),
            "{text}: {:?}",
            v.findings
        );
    }
}

#[test]
fn a_trusted_span_is_no_cue_for_the_words_after_it() {
    let text = "Family Care For depression? call us";
    assert!(check(text).blocked, "'for' is a cue for 'depression'");
    assert!(!with(text, &["Family Care For"]).blocked);
    // The template's own cue still counts: "your" is not in the span.
    assert!(with("Family Care: your depression screening", &["Family Care"]).blocked);
}

#[test]
fn a_possessive_after_a_trusted_name_belongs_to_it() {
    let text = "Lyrica's visit with Dr. Okafor is Tue at 9:30 AM.";
    assert!(!with(text, &["Lyrica", "Dr. Okafor", "Tue", "9:30 AM"]).blocked);
}

#[test]
fn odd_spans_are_ignored_not_trusted_wrongly() {
    let text = "Hi Ana, your chemotherapy is Tue.";
    // Empty, past the end, at the very end of the address space, not on char boundaries.
    let odd: [&[Range<usize>]; 4] = [
        &[0..0, 0..0],
        &[40..80, 90..95],
        &[usize::MAX - 1..usize::MAX, usize::MAX..usize::MAX],
        &[4..5, 3..7, 5..6],
    ];
    for spans in odd {
        let v = Gate::default().check_with(text, spans);
        assert!(v.blocked, "{spans:?}");
    }
    // Overlapping and unsorted spans are merged.
    let v = Gate::default().check_with("Hi Lyrica Holter, see you Tue.", &[10..16, 3..12]);
    assert!(!v.blocked, "{:?}", v.findings);
}

#[rstest]
#[case("Name: Lupe Willis. Appt: Tue 3/10 9:40 AM. Provider: Dr. Khan.")]
#[case("Patient: Adele Parkinson, appt Thu 10 AM, Room 4.")]
#[case("Reminder for Maria Parkinson: Mon 3/9 at 2:40 PM with Dr. Chen.")]
#[case("Reminder for James Coombs: Wed at 11 with Dr. Holter.")]
#[case("Maple Street Clinic: Heather, see you Thu Mar 5 at 10:30 AM. Reply C to confirm.")]
#[case("Oak Family Practice: Willis, your appointment is Tue at 9:15.")]
#[case("Hi Lyrica, please call us about your new address.")]
#[case("Dear Anna Graves, your appointment is Friday at 10.")]
fn names_in_the_frames_people_write_them_pass(#[case] text: &str) {
    let v = check(text);
    assert!(!v.blocked, "{text}: {:?}", v.findings);
}

#[rstest]
#[case("Reminder for Parkinsons clinic visit Tue")]
#[case("Reminder for Maria: Parkinson's follow-up Tue")]
#[case("Dx: Asthma, mild persistent")]
#[case("Reason for visit: Depression, follow-up")]
#[case("Hi, Lyrica refill is ready")]
#[case("Patient: Adele, chemotherapy Thu 10 AM")]
fn name_frames_do_not_hide_clinical_words(#[case] text: &str) {
    assert!(check(text).blocked, "{text}");
}

/// A long single line full of findings: every kind of rule fires again and again.
fn long_text(bytes: usize) -> String {
    const PIECE: &str = "Hi Maria, your HbA1c 8.2 and BP 150/95; stop taking warfarin 5 mg, \
        chemo therapy Tue, MRN 00482913, DOB 3/4/1980, Dx: E11.9, your cold, c@ncer, \
        diabetis, 2 tablets twice a day, https://example.org/hiv-results, Dr. Stone \
        Oncology. If you have a fever call us, Elm Road Surgery, Cancer Center parking. ";
    let mut s = String::with_capacity(bytes + PIECE.len());
    while s.len() < bytes {
        s.push_str(PIECE);
    }
    s
}

#[test]
fn work_grows_linearly_with_the_text() {
    let gate = Gate::default();
    let small = long_text(1_000_000);
    let big = long_text(10_000_000);
    let (w1, w10) = (gate.work(&small), gate.work(&big));
    let ratio = w10 as f64 / w1 as f64;
    let size = big.len() as f64 / small.len() as f64;
    assert!(
        ratio < size * 1.1,
        "10× the text took {ratio:.2}× the work ({w1} → {w10})"
    );
    // And a bounded amount per byte: the count covers every token and window step.
    assert!(
        w10 < 3 * big.len() as u64,
        "{w10} steps for {} bytes",
        big.len()
    );
    // The findings are really there: this is a text "full of findings".
    assert!(gate.check(&small).findings.len() > 10_000);
}

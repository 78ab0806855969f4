//! Unit tests of the PHI gate: one table per category, what must pass, the allow-list, and
//! property tests over the whole vocabulary.

use proptest::prelude::*;
use rstest::rstest;

use super::*;

fn categories(text: &str) -> Vec<Category> {
    check(text)
        .findings
        .iter()
        .filter(|f| !f.allowed)
        .map(|f| f.category)
        .collect()
}

fn assert_blocked_as(text: &str, category: Category) {
    let v = check(text);
    assert!(v.blocked, "not blocked: {text}");
    assert!(
        v.findings.iter().any(|f| f.category == category),
        "{text}: expected {category:?}, got {:?}",
        v.findings
    );
}

fn assert_passes(text: &str) {
    let v = check(text);
    assert!(!v.blocked, "blocked: {text}\n{:?}", v.findings);
}

const REMINDER: &str = "Hi Maria, reminder of your appointment with Dr. Patel on Tue Nov 25 at \
     9:30 AM at Riverside Family Practice, 12 Main St Suite 200. Reply C to confirm, R to \
     reschedule. Reply STOP to opt out.";

#[rstest]
#[case(REMINDER)]
#[case("Stay positive! See you Tuesday at 10:15 AM.")]
#[case("Please take the elevator to level 2, Suite 210.")]
#[case("Your copay is $25.00; parking is $5 for 2 hours.")]
#[case("Call us at (555) 555-0100 or 555.555.0101, ext 12.")]
#[case("Directions: https://example.org/maps?x=12&id=48213 and www.example.org/cold")]
#[case("Your appointment with Dr. Stone, Dr. Payne and Dr. Cole is on 11/25 at 9:30.")]
#[case("Due to cold weather we open at 10. The tropical depression may flood Main St.")]
#[case("Please don't cancel last minute; use the back entrance.")]
#[case("Your test results are ready. Log in to the portal to view them.")]
#[case("Hi Camila, your appointment is Monday. Hi Heather, see you Tuesday.")]
#[case("Hola Ana, su cita es el martes 25 de noviembre a las 9:30. Responda C para confirmar.")]
#[case("Room 150/151 on the 1st floor; your appointment is 11/25 at 9:30.")]
#[case("It is 20 degrees today, dress warmly. Our score was 4.8 out of 5.")]
#[case("Your confirmation code is 48213; member services: 1-800-555-0188.")]
#[case("The water pressure is low in the building; we are collecting coats.")]
fn ordinary_messages_pass(#[case] text: &str) {
    assert_passes(text);
}

#[rstest]
#[case("Your diabetes follow-up is Tuesday")]
#[case("Update on your HTN and T2DM care")]
#[case("Dr. Reyes says there is no sign of cancer")]
#[case("Hope your cold is better soon")]
#[case("Your depression screening is due")]
#[case("Reminder: your HIV/AIDS clinic visit")]
#[case("Hola, su cita para la diabetes es el lunes")]
#[case("Your hypertention check")]
#[case("We are sorry about the miscarriage")]
fn conditions(#[case] text: &str) {
    assert_blocked_as(text, Category::Condition);
}

#[rstest]
#[case("Your A1C came back at 8.2")]
#[case("HbA1c 7.4% today")]
#[case("BP 150/95 at the visit")]
#[case("glucose 210 mg/dL this morning")]
#[case("You tested positive for flu")]
#[case("Your results are abnormal, please call")]
#[case("Your COVID test came back negative")]
#[case("Your pregnancy test was positive")]
#[case("Su prueba de embarazo salió positiva")]
#[case("Your sugar was 300 this morning")]
fn results(#[case] text: &str) {
    assert_blocked_as(text, Category::Result);
}

#[rstest]
#[case("Your metformin refill is ready")]
#[case("Take 500 mg twice a day")]
#[case("Inject 10 units at bedtime")]
#[case("Your Ozempic samples are here")]
#[case("Su receta de metformina está lista")]
#[case("Your 0zempic is in")]
fn medications(#[case] text: &str) {
    assert_blocked_as(text, Category::Medication);
}

#[rstest]
#[case("Your chemotherapy starts Monday")]
#[case("Reminder: colonoscopy on Tuesday at 7:30")]
#[case("Your MRI is at 3pm")]
#[case("Your chemo therapy is Tuesday")]
#[case("Your kemo session moved")]
#[case("Su cirugía es el lunes")]
#[case("Your flu shot is due")]
fn procedures(#[case] text: &str) {
    assert_blocked_as(text, Category::Procedure);
}

#[rstest]
#[case("Your appointment at the Oncology clinic")]
#[case("HIV clinic visit Friday")]
#[case("Psychiatry follow-up Wednesday")]
#[case("Methadone clinic hours changed")]
#[case("Fertility consult on Monday")]
#[case("Su cita en oncología es el lunes")]
fn services(#[case] text: &str) {
    assert_blocked_as(text, Category::Service);
}

#[rstest]
#[case("SSN 123-45-6789 on file")]
#[case("Your MRN is 00482913")]
#[case("chart # 88213 updated")]
#[case("DOB 03/04/1980, please verify")]
#[case("Date of birth: March 4, 1980")]
#[case("Member ID XJH123456789")]
#[case("Medicare 1EG4-TE5-MK73")]
#[case("Su número de expediente es 4482913")]
fn identifiers(#[case] text: &str) {
    assert_blocked_as(text, Category::Identifier);
}

#[rstest]
#[case("Please fast after midnight")]
#[case("Nothing to eat or drink after midnight")]
#[case("Start your bowel prep at 4pm")]
#[case("Stop taking warfarin 5 days before")]
#[case("Hold your blood thinner the morning of the visit")]
#[case("Please fast 12 hours before your labs")]
#[case("Venga en ayunas a su cita")]
#[case("Deje de tomar la aspirina")]
fn instructions(#[case] text: &str) {
    assert_blocked_as(text, Category::Instruction);
}

#[rstest]
#[case("H I V", "term_obfuscated")]
#[case("h.i.v.", "term_obfuscated")]
#[case("c@ncer", "term_obfuscated")]
#[case("$yphilis", "term_obfuscated")]
#[case("d1abetes", "term_obfuscated")]
#[case("CANCER", "term")]
#[case("Cáncer", "term")]
#[case("canser", "term_misspelled")]
#[case("\u{0441}ancer", "term")]
fn obfuscations_are_caught(#[case] text: &str, #[case] rule: &str) {
    let v = check(&format!("Reminder about your {text} visit"));
    assert!(v.blocked, "{text}");
    assert_eq!(v.findings[0].rule, rule, "{text}: {:?}", v.findings);
}

#[rstest]
#[case("uvulopalatopharyngoplasty", Category::Procedure)]
#[case("gastrojejunocolostomy", Category::Procedure)]
#[case("ureteroscopies", Category::Procedure)]
#[case("pseudoappendicitis", Category::Condition)]
#[case("enteropatía", Category::Condition)]
#[case("zorbacillin", Category::Medication)]
#[case("zarnovelumab", Category::Medication)]
#[case("cystourethrogram", Category::Procedure)]
fn unknown_words_with_a_clinical_ending_block(#[case] word: &str, #[case] category: Category) {
    let v = check(&format!("Hi Ann, about your {word} on Monday."));
    assert!(v.blocked, "{word}");
    assert_eq!(
        v.findings[0].rule, "term_suffix",
        "{word}: {:?}",
        v.findings
    );
    assert_eq!(v.findings[0].category, category, "{word}");
}

#[test]
fn everyday_words_with_a_clinical_ending_pass() {
    assert_passes("Our academia partners visit in April; it is a false dichotomy.");
    assert_passes("Nostalgia night: the microscopy club meets in Bohemia Hall.");
    assert_passes("Una pandemia de nostalgia en abril.");
    assert_passes("Our new program sends a telegram-style histogram of wait times.");
    // A capitalised word mid-sentence is a proper noun, not a suffix match.
    assert_passes("Our office on Ventnor Pilitis Road is open.");
}

#[test]
fn counts_of_tablets_or_units_are_doses_only_with_medication_context() {
    for text in [
        "Take 2 tablets twice a day",
        "2 tablets in the morning until Friday",
        "Use 2 drops in each eye",
        "Your new dose is 10 units at bedtime",
        "Tome 2 pastillas cada noche",
    ] {
        let v = check(text);
        assert!(v.blocked, "{text}");
        assert!(
            v.findings
                .iter()
                .any(|f| f.category == Category::Medication || f.category == Category::Instruction),
            "{text}: {:?}",
            v.findings
        );
    }
    assert_passes("Hi Tim, someone left 2 tablets (an iPad and a Kindle) in the waiting room.");
    assert_passes("The new building has 40 units; 3 units are still open for staff parking.");
    // Real dose units need no context.
    assert!(check("Hi Sam, 500 mg is ready").blocked);
}

#[test]
fn a_value_with_a_lab_unit_counts_a_little_further_away() {
    assert!(check("Your weight at your last visit was 240 lbs.").blocked);
    assert!(check("Your blood sugar this morning at home was 250 mg/dL.").blocked);
    // A plain number that far is not a value.
    assert_passes("The weight room in our building opens at 6 on Monday.");
    assert_passes("The weight limit on our exam tables is 500 lbs.");
}

#[rstest]
#[case("Appt: Allergy Injection")]
#[case("Visit type: BH INTAKE")]
#[case("Dept: ONC INFUSION - arrive 30 min early")]
#[case("Appt: Therapy 60 min")]
#[case("Appt: Neuro f/u")]
#[case("Appt: CT Chest w/ contrast")]
#[case("Reason for visit: Sinusitis")]
fn scheduling_system_fields_are_read_as_context(#[case] text: &str) {
    assert!(check(text).blocked, "{text}");
}

#[test]
fn neutral_scheduling_fields_pass() {
    assert_passes("Appt: Sports Physical. Date: 10/12 9:00. Loc: Suite 200.");
    assert_passes("Appt type: Annual Wellness. Location: Heart Lake Road office.");
    assert_passes("Visit type: New Patient. Dept: Family Medicine.");
}

#[test]
fn possessives_and_due_are_cues_for_context_words() {
    assert!(check("Reminder: your 2 month old's vaccines are due at the well visit.").blocked);
    assert!(check("Leo's shots are due on Friday.").blocked);
    assert!(check("Hi Mia, your son's flu shot is Friday.").blocked);
    assert_passes("Flu shots are now available for everyone.");
    assert_passes("Flu shots are delayed due to a supply problem.");
}

#[test]
fn capitalised_words_before_a_street_word_are_a_place() {
    assert_passes("Parking tip: the Cancer Survivors Park garage on Main St is full.");
    assert_passes("Construction on Heart Lake Road may delay your trip.");
    assert_passes("We moved to 12 Memory Lane, Suite 3.");
    // Only the place name: clinical words elsewhere still block.
    assert!(check("Your chemo is at our Oak Park office.").blocked);
    assert!(check("Your cancer screening is on Park Ave.").blocked);
    assert!(check("YOUR CANCER PARK VISIT").blocked);
    // A vocabulary phrase that ends in a street word is still vocabulary.
    assert!(check("Your visit at Roswell Park is on Monday.").blocked);
}

#[test]
fn urls_block_only_on_words_clinical_by_themselves() {
    assert!(check("Your results: https://example.org/hiv-results").blocked);
    assert!(!check("Survey: https://s.example.org/r/abc12345?mrn=1 or care@example.org").blocked);
}

#[test]
fn charities_and_amenities_are_not_about_the_patient() {
    assert_passes("The Cancer Society volunteer drive is collecting coats in our lobby.");
    assert_passes("We're proud to sponsor the American Heart Association walk.");
    assert_passes("Masks optional, hand sanitizer at every door.");
    assert_passes("Please bring your glasses and hearing aids if you use them.");
    assert!(check("Hi Sue, your hearing aid programming appointment is Tuesday.").blocked);
}

#[test]
fn events_jobs_and_buildings_are_not_the_patients_care() {
    assert_passes("The 5K for Diabetes Awareness starts at our parking lot Sunday at 8.");
    assert_passes("Join our team at the Heart Walk on Saturday!");
    assert_passes("We're hiring a physical therapy assistant - tell your friends!");
    assert_passes("The Cancer Center parking garage on Oak St is closed; please use Lot D.");
    assert_passes("Hi Cole, the Cardiology Associates building has a new entrance on 2nd Ave.");
    assert_passes("Our survey results: 96% of patients would recommend us!");
    // The same words about the patient still block.
    assert!(check("Your visit at the Cancer Center building is Monday.").blocked);
    assert!(check("Your HIV walk-in test is Monday.").blocked);
    assert!(check("Your cancer screening is Monday; parking is in Lot D.").blocked);
    assert!(check("Your Cardiology appointment is in the Tower building.").blocked);
}

#[test]
fn advice_to_anyone_and_staff_leave_pass() {
    assert_passes("If you have a fever or cough, please call before coming in.");
    assert_passes("Please answer the COVID screening questions before your visit.");
    assert_passes("Dr. Brown is back from maternity leave on Monday.");
    assert_passes("Masks are required in the clinic during flu season.");
    // Advice does not hide what is clinical by itself.
    assert!(check("If you have diabetes, bring your meter.").blocked);
    assert!(check("Your D&C is on Monday").blocked);
    assert_passes("Our Washington, D.C. office is open. Bring a photo ID.");
}

#[test]
fn spans_are_byte_offsets_into_the_text() {
    let text = "Hola José, su quimioterapia es el lunes";
    let v = check(text);
    let f = &v.findings[0];
    assert_eq!(&text[f.start..f.end], "quimioterapia");
    assert_eq!(f.text, "quimioterapia");
}

#[test]
fn allow_list_reports_but_does_not_block() {
    let gate = Gate::with_allow_list(&["Riverside Cancer Center".to_string()]);
    let v = gate.check("Your visit at Riverside Cancer Center is on Monday.");
    assert!(!v.blocked);
    assert_eq!(v.findings.len(), 1);
    assert!(v.findings[0].allowed);
    assert_eq!(v.findings[0].category, Category::Service);
    // The same words outside the allow-listed phrase still block.
    let v = gate.check("Your cancer screening at Riverside Cancer Center is on Monday.");
    assert!(v.blocked);
    // Without the allow-list the practice name blocks.
    assert!(check("Your visit at Riverside Cancer Center is on Monday.").blocked);
}

#[test]
fn summary_says_what_and_what_to_do() {
    let v = check("Your chemotherapy starts Monday");
    assert_eq!(
        v.summary(),
        "blocked: \"chemotherapy\" looks like a procedure/treatment — send a portal prompt instead"
    );
    assert_eq!(check(REMINDER).summary(), "ok: no clinical detail found");
}

#[test]
fn json_shape_is_the_spec_one() {
    let v = check("Your chemotherapy starts Monday");
    let json = serde_json::to_string(&v).unwrap_or_default();
    assert_eq!(
        json,
        r#"{"blocked":true,"findings":[{"start":5,"end":17,"category":"procedure","rule":"term","text":"chemotherapy"}]}"#
    );
}

#[test]
fn empty_and_odd_inputs() {
    assert!(!check("").blocked);
    assert!(!check("   \t  ").blocked);
    assert!(!check("1234567890 !!! ??? ...").blocked);
    assert_eq!(categories("..."), []);
}

/// Every always-clinical term, inserted into the ordinary reminder, blocks it.
#[test]
fn every_vocabulary_term_blocks_an_ordinary_reminder() {
    let terms = always_terms();
    assert!(terms.len() > 10_000, "{}", terms.len());
    let mut failures = Vec::new();
    for (term, _) in &terms {
        let text =
            format!("Hi Maria, reminder: {term} appointment with Dr. Patel on Tue at 9:30 AM.");
        if !check(&text).blocked {
            failures.push(term.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "{} terms did not block: {:?}",
        failures.len(),
        &failures[..failures.len().min(40)]
    );
}

fn term_strategy() -> impl Strategy<Value = String> {
    let terms: Vec<String> = always_terms().into_iter().map(|(t, _)| t).collect();
    proptest::sample::select(terms)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Changing the case of a blocked term keeps it blocked.
    #[test]
    fn case_changes_keep_terms_blocked(term in term_strategy(), mask in any::<u64>()) {
        let cased: String = term
            .chars()
            .enumerate()
            .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        let text = format!("Reminder: {cased} visit on Tue at 9:30 AM.");
        prop_assert!(check(&text).blocked, "{}", text);
    }

    /// Spacing or dotting every letter of a blocked term keeps it blocked.
    #[test]
    fn spaced_letters_keep_terms_blocked(term in term_strategy(), sep in prop::sample::select(vec![" ", ".", "-"])) {
        let letters: Vec<String> = term.chars().filter(|c| *c != ' ').map(String::from).collect();
        let spaced = letters.join(sep);
        let text = format!("Reminder: {spaced} visit on Tue at 9:30 AM.");
        prop_assert!(check(&text).blocked, "{}", text);
    }

    /// Arbitrary text never panics, and every span is a valid slice of it.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let v = check(&text);
        for f in &v.findings {
            prop_assert!(f.start <= f.end && f.end <= text.len());
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            prop_assert_eq!(&text[f.start..f.end], f.text.as_str());
        }
        prop_assert_eq!(v.blocked, v.findings.iter().any(|f| !f.allowed));
    }

    /// Text built from clinical-looking pieces never panics either.
    #[test]
    fn clinical_fragments_never_panic(parts in prop::collection::vec(prop::sample::select(vec![
        "HIV", "H I V", "c@ncer", "8.2", "150/95", "mg", "DOB", "MRN", "#", "123-45-6789",
        "Dr.", "Hi", ",", ".", " ", "é", "\u{200b}", "$", "1EG4-TE5-MK73", "stop taking", "your",
    ]), 0..40)) {
        let text: String = parts.concat();
        let _ = check(&text);
    }
}

/// For working on the vocabularies: `PHI_EXPLAIN='text|text' cargo test --lib
/// phi::tests::explain -- --ignored --nocapture` prints each verdict.
#[test]
#[ignore = "a tool, not a test"]
fn explain() {
    for text in std::env::var("PHI_EXPLAIN").unwrap_or_default().split('|') {
        let v = check(text);
        println!("{text}\n  {}", v.summary());
        for f in &v.findings {
            println!("    {:?} {} {:?}", f.category, f.rule, f.text);
        }
    }
}

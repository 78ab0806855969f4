//! No patient's reminder is blocked by their own name (issue 13): every shipped template is
//! rendered with every first name of the full public US lists (Census 1990 and SSA baby
//! names 1880-2017: 97,330 names) and every Census surname (88,799) as the clinician's name
//! and in the practice's name, and gated the way the workflow gates it — with the spans the
//! renderer filled from the database trusted (SPEC §5.1). The gate is called directly (no
//! database), on all cores.
//!
//! The lists are in `tests/data/phi/names_*.txt` (regenerate with
//! `assets/phi/scripts/gen_test_names.py`).
//!
//! Every name of both lists, in every template that has the slot, is 2.5 million gate checks:
//! about 10 s in an optimised build, about ten minutes unoptimised (the gate is ~30× slower at
//! opt-level 0). So `cargo test` (unoptimised) checks every 40th name plus the names the issue
//! found blocked, and `cargo test --release --test phi_names` (run by `.ci/run`) checks them
//! all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use frontdesk::domain::template::{
    DEFAULT_TEMPLATES, Placeholder, RenderContext, SampleSize, Template, sample_context,
};
use frontdesk::phi::Gate;

const FIRST: &str = include_str!("data/phi/names_first.txt");
const LAST: &str = include_str!("data/phi/names_last.txt");

fn names(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect()
}

/// Names the issue found blocked, or that are drugs, diseases or eponyms.
const KNOWN: [&str; 16] = [
    "Heather",
    "Camila",
    "Lyrica",
    "Allegra",
    "Mirena",
    "Willis",
    "Parkinson",
    "Coombs",
    "Holter",
    "Hodgkin",
    "Graves",
    "Addison",
    "Paget",
    "Pompe",
    "Alpers",
    "Goodpasture",
];

/// All names in an optimised build; every 40th and the known ones unoptimised.
fn to_check(list: &[&'static str]) -> Vec<&'static str> {
    if !cfg!(debug_assertions) {
        return list.to_vec();
    }
    let mut out: Vec<_> = list.iter().step_by(40).copied().collect();
    out.extend(KNOWN.iter().filter(|k| list.contains(k)));
    println!("unoptimised build: {} of {} names", out.len(), list.len());
    out
}

/// Which slot a name goes into.
#[derive(Clone, Copy, Debug)]
enum Slot {
    FirstName,
    Clinician,
    Practice,
}

/// Render every template with every name in `slot`; return the blocked renderings.
fn blocked(names: &[&'static str], slot: Slot) -> Vec<String> {
    let placeholder = match slot {
        Slot::FirstName => Placeholder::FirstName,
        Slot::Clinician => Placeholder::Clinician,
        Slot::Practice => Placeholder::PracticeName,
    };
    let templates: Vec<_> = DEFAULT_TEMPLATES
        .iter()
        .map(|(kind, body)| (*kind, Template::parse(body).unwrap()))
        .filter(|(_, t)| t.uses(placeholder))
        .collect();
    assert!(!templates.is_empty());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = names.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .map(|part| {
                let templates = &templates;
                scope.spawn(move || {
                    let gate = Gate::default();
                    let mut out = Vec::new();
                    let mut clinician = String::new();
                    let mut practice = String::new();
                    for name in part {
                        for (kind, t) in templates {
                            let base = sample_context(*kind, SampleSize::Typical);
                            clinician.clear();
                            practice.clear();
                            let ctx = match slot {
                                Slot::FirstName => RenderContext {
                                    first_name: name,
                                    ..base
                                },
                                Slot::Clinician => {
                                    clinician.push_str("Dr. ");
                                    clinician.push_str(name);
                                    RenderContext {
                                        clinician: Some(&clinician),
                                        ..base
                                    }
                                }
                                Slot::Practice => {
                                    practice.push_str(name);
                                    practice.push_str(" Family Practice");
                                    RenderContext {
                                        practice_name: &practice,
                                        ..base
                                    }
                                }
                            };
                            let r = t.render_marked(&ctx).unwrap();
                            let v = gate.check_with(&r.body, &r.trusted);
                            if v.blocked {
                                out.push(format!("{kind}: {} [{}]", r.body, v.summary()));
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn assert_none(label: &str, found: Vec<String>) {
    assert!(
        found.is_empty(),
        "{} renderings with {label} blocked, e.g.:\n{}",
        found.len(),
        found
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn lists_are_the_full_ones() {
    assert!(names(FIRST).len() >= 97_000, "{}", names(FIRST).len());
    assert!(names(LAST).len() >= 88_000, "{}", names(LAST).len());
    // The names the issue found blocked are in them.
    for n in ["Heather", "Camila", "Lyrica", "Allegra"] {
        assert!(names(FIRST).contains(&n), "{n}");
    }
    for n in ["Willis", "Parkinson", "Coombs", "Holter", "Hodgkin"] {
        assert!(names(LAST).contains(&n), "{n}");
    }
}

#[test]
fn no_first_name_blocks_any_template() {
    assert_none(
        "a first name",
        blocked(&to_check(&names(FIRST)), Slot::FirstName),
    );
}

#[test]
fn no_surname_blocks_as_the_clinicians_name() {
    assert_none(
        "a clinician's surname",
        blocked(&to_check(&names(LAST)), Slot::Clinician),
    );
}

#[test]
fn no_surname_blocks_in_the_practices_name() {
    assert_none(
        "a practice named after a surname",
        blocked(&to_check(&names(LAST)), Slot::Practice),
    );
}

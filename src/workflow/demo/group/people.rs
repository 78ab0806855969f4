//! The group's people: clinicians across the sites, and patients with their mobile numbers
//! and the consent they gave at the desk. Pure data from a seed (one random stream per
//! patient, so the result does not depend on how the work is split between threads).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{GroupScale, Span};
use crate::domain::consent::ConsentMethod;

/// The group's sites (a neutral place name: it may appear in a text).
pub const SITES: [&str; 4] = ["Riverside", "Hillcrest", "Lakeview", "Old Town"];

/// Area codes for the group's invented numbers: `+1 AAA 555 NNNN`, one per patient. 555
/// exchange numbers are not assigned to subscribers, and the demo's provider is the offline
/// outbox, so none of them is ever texted.
const AREA_CODES: [u32; 12] = [201, 212, 312, 415, 617, 718, 646, 973, 908, 732, 914, 516];

/// One patient, as generated (times are seconds since the epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    pub first: &'static str,
    pub last: &'static str,
    pub birth: Option<chrono::NaiveDate>,
    pub mobile: Option<String>,
    /// A few patients live in another zone (quiet hours are theirs).
    pub zone: Option<chrono_tz::Tz>,
    pub portal: bool,
    pub site: u8,
    pub created: i64,
    /// Opted in with evidence at the desk: when and how.
    pub opt_in: Option<(i64, ConsentMethod)>,
    /// An opt-in an earlier system recorded without evidence (counts as no consent).
    pub unverified: Option<i64>,
    /// Told the desk to stop texting (a verbal opt-out), if ever.
    pub verbal_opt_out: Option<i64>,
}

/// The patients (index = id − 1).
pub fn patients(seed: u64, scale: &GroupScale, span: Span) -> Vec<Person> {
    let firsts = super::super::names(super::super::FIRST_NAMES);
    let lasts = super::super::names(super::super::LAST_NAMES);
    (0..scale.patients)
        .map(|i| person(seed, i, span, scale.sites, (&firsts, &lasts)))
        .collect()
}

fn person(
    seed: u64,
    i: usize,
    span: Span,
    sites: usize,
    (firsts, lasts): (&[&'static str], &[&'static str]),
) -> Person {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_0000_0000 ^ i as u64);
    let day = 86_400;
    // Seven in ten were patients before the five years began; the rest joined during them.
    let created = if rng.random_bool(0.7) {
        span.first - rng.random_range(30..3000) * day
    } else {
        rng.random_range(span.first..span.now - day)
    };
    let mobile = rng.random_bool(0.95).then(|| {
        let area = AREA_CODES[i / 10_000 % AREA_CODES.len()];
        format!("+1{area}555{:04}", i % 10_000)
    });
    let roll: f64 = rng.random();
    let opt_in = (mobile.is_some() && roll < 0.82).then(|| {
        let at = created + rng.random_range(0..14 * day);
        let method = [
            ConsentMethod::WrittenForm,
            ConsentMethod::ESignature,
            ConsentMethod::Portal,
        ][rng.random_range(0..3)];
        (at, method)
    });
    let unverified = (mobile.is_some() && (0.82..0.86).contains(&roll)).then_some(created);
    let verbal_opt_out = opt_in
        .filter(|_| rng.random_bool(0.03))
        .map(|(at, _)| at + rng.random_range(30..1500) * day)
        .filter(|&at| at < span.now);
    Person {
        first: firsts[rng.random_range(0..firsts.len())],
        last: lasts[rng.random_range(0..lasts.len())],
        birth: chrono::NaiveDate::from_ymd_opt(
            rng.random_range(1935..2023),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        ),
        mobile,
        zone: rng.random_bool(0.03).then_some(chrono_tz::America::Chicago),
        portal: rng.random_bool(0.6),
        site: (i % sites) as u8,
        created,
        opt_in,
        unverified,
        verbal_opt_out,
    }
}

/// The group's clinicians: `per_site` at each site, "Dr. <family name>" or "NP <…>".
pub fn clinicians(seed: u64, sites: usize, per_site: usize) -> Vec<(String, u8)> {
    let lasts = super::super::names(super::super::LAST_NAMES);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC11_0000);
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(sites * per_site);
    while out.len() < sites * per_site {
        let last = lasts[rng.random_range(0..lasts.len())];
        if !used.insert(last) {
            continue;
        }
        let title = if rng.random_bool(0.25) { "NP" } else { "Dr." };
        out.push((format!("{title} {last}"), (out.len() / per_site) as u8));
    }
    out
}

//! Reception speed targets (issue 9): the live PHI check while typing a 480-character custom
//! text (one keystroke = one full check of the body as it would go out), and the desk's
//! accent-folding patient search on the demo practice. Run: `cargo bench --bench reception`.
//! Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::config::Config;
use frontdesk::phi::{self, Gate};
use frontdesk::store::Store;
use frontdesk::workflow::{custom_text, day, demo};

fn bench(c: &mut Criterion) {
    phi::warm_up();
    let gate = Gate::with_allow_list(&[]);
    let sentence = "Your ride to the clinic is here, the office opens at 10 and parking is free. ";
    let text: String = sentence.chars().cycle().take(480).collect();
    c.bench_function("live gate: one keystroke on a 480-char custom text", |b| {
        b.iter(|| {
            let (_, s) = custom_text::check(&gate, "Riverside Family Practice", &text);
            std::hint::black_box(s.segments)
        })
    });

    let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
    let config = Config::default();
    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
    demo::seed(&mut store, &config, 7, demo::DemoSize::default(), now).unwrap();
    c.bench_function(
        "patient search \"hernandez\" (demo DB, accents folded)",
        |b| b.iter(|| std::hint::black_box(day::search(&store, "hernandez", now).unwrap().len())),
    );
    c.bench_function("patient search \"415\" (demo DB, digits)", |b| {
        b.iter(|| std::hint::black_box(day::search(&store, "415", now).unwrap().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

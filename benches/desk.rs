//! The desk's speed targets (issue 2): seeding the demo practice, and switching days in the
//! day view on the demo database. Run: `cargo bench --bench desk`. Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::config::Config;
use frontdesk::store::Store;
use frontdesk::workflow::{day, demo};

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
    let config = Config::default();

    c.bench_function("demo seed (file DB, 400 patients, 6 weeks)", |b| {
        b.iter_with_setup(tempfile::TempDir::new, |dir| {
            let dir = dir.unwrap();
            let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
            demo::seed(&mut store, &config, 7, demo::DemoSize::default(), now).unwrap();
        })
    });

    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open(&dir.path().join("demo.db")).unwrap();
    demo::seed(&mut store, &config, 7, demo::DemoSize::default(), now).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut offset = 0i64;
    c.bench_function("day view: load the next day (demo DB)", |b| {
        b.iter(|| {
            offset = (offset + 1) % 14;
            let sheet = day::load(&store, &config, today + Duration::days(offset), now).unwrap();
            std::hint::black_box(sheet.rows.len())
        })
    });
    c.bench_function("patient search 'gar' (demo DB)", |b| {
        b.iter(|| std::hint::black_box(day::search(&store, "gar", now).unwrap().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

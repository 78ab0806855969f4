//! The import's speed target (issue 10): 100,000 appointments from a CSV export in under
//! 5 s and 200 MB. The file is generated here in the shape of an athenahealth-style export
//! (about 37,000 patients, 24 clinicians, consent for two in three). Run:
//! `cargo bench --bench import`. Every database here is encrypted (SQLCipher), as a
//! practice's is. `IMPORT_CSV_OUT=PATH [IMPORT_ROWS=N] cargo bench --bench import` writes the
//! file instead (what `benches/import_e2e.sh` times the release binary on). Figures and the
//! RSS measurement: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group};
use frontdesk::config::Config;
use frontdesk::domain::import::csv::{CsvOptions, read};
use frontdesk::phi::Gate;
use frontdesk::store::Store;
use frontdesk::store::cipher::DbKey;
use frontdesk::workflow::import::{self, Options, Source, SourceKind};

#[path = "../tests/support/athena_export.rs"]
mod athena_export;
use athena_export::export;

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
    let config = Config::default();
    let gate = Gate::default();
    let text = export(100_000);
    let bytes = text.as_bytes();
    let ctx = import::read_context(&config, now);
    let opts = Options {
        dry_run: false,
        cancel_missing: false,
        actor: "system",
        now,
    };
    let source = Source::new(SourceKind::Csv, "export.csv", bytes);
    let key = DbKey::generate().unwrap();

    let mut group = c.benchmark_group("import 100k appointments (CSV)");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("read and check the file", |b| {
        b.iter(|| {
            read(bytes, &CsvOptions { ctx, mappings: &[] })
                .appointments
                .len()
        })
    });
    group.bench_function("whole import into an empty file DB", |b| {
        b.iter_with_setup(tempfile::TempDir::new, |dir| {
            let dir = dir.unwrap();
            let mut store = Store::open_keyed(&dir.path().join("p.db"), &key).unwrap();
            let parsed = read(bytes, &CsvOptions { ctx, mappings: &[] });
            let out = import::run(&mut store, &config, &gate, parsed, &source, opts).unwrap();
            assert!(out.written);
        })
    });
    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open_keyed(&dir.path().join("p.db"), &key).unwrap();
    let parsed = read(bytes, &CsvOptions { ctx, mappings: &[] });
    import::run(&mut store, &config, &gate, parsed, &source, opts).unwrap();
    group.bench_function("the same file again (nothing changes)", |b| {
        b.iter(|| {
            let parsed = read(bytes, &CsvOptions { ctx, mappings: &[] });
            let out = import::run(&mut store, &config, &gate, parsed, &source, opts).unwrap();
            assert!(out.report.unchanged());
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Some(path) = std::env::var_os("IMPORT_CSV_OUT") {
        let rows = std::env::var("IMPORT_ROWS").map_or(100_000, |r| r.parse().unwrap());
        std::fs::write(path, export(rows)).unwrap();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

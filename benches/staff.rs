//! Sign-in cost (issue 11, "Speed": under 1 s with the chosen Argon2id parameters). Run:
//! `cargo bench --bench staff`. Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::domain::staff::credential::{hash_secret, verify_secret};
use frontdesk::domain::staff::{Role, Secret, Username};
use frontdesk::store::Store;
use frontdesk::workflow::staff::{self, NewMember};

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
    let secret = Secret::new("correct horse battery");
    let stored = hash_secret(&secret, &[7; 16]).unwrap();
    let mut group = c.benchmark_group("argon2id m=19 MiB t=2 p=1");
    group.sample_size(20);
    group.bench_function("hash a new secret", |b| {
        b.iter(|| hash_secret(&secret, &[7; 16]).unwrap())
    });
    group.bench_function("check a secret (match)", |b| {
        b.iter(|| verify_secret(&secret, &stored).unwrap())
    });
    group.finish();

    // The whole sign-in as the console and `--as` run it: load, check, clear the count,
    // audit (file database, WAL).
    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open(&dir.path().join("p.db")).unwrap();
    let admin = NewMember {
        username: Username::parse("ana").unwrap(),
        display_name: String::new(),
        role: Role::Admin,
        secret: secret.clone(),
    };
    staff::add_first_admin(&mut store, &admin, now).unwrap();
    let mut group = c.benchmark_group("sign-in");
    group.sample_size(20);
    group.bench_function("workflow::staff::sign_in (file DB, audited)", |b| {
        b.iter(|| staff::sign_in(&mut store, "ana", &secret, now).unwrap())
    });
    group.bench_function("unknown username (decoy check, audited)", |b| {
        b.iter(|| staff::sign_in(&mut store, "nobody", &secret, now).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! What encryption at rest costs the desk (issue 11, "Speed"): switching days and the
//! console's first frame on the demo practice, encrypted (SQLCipher, raw 256-bit key) against
//! the same database unencrypted, and an online backup. Run: `cargo bench --bench cipher`.
//! Figures: docs/BENCHMARKS.md.
//!
//! "Plain" is the same SQLCipher library opening a database without a key: no codec is
//! attached, so pages take SQLite's own path (what the plain `bundled` build did).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use std::path::Path;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::staff::{Member, Role, StaffId};
use frontdesk::store::Store;
use frontdesk::store::cipher::DbKey;
use frontdesk::tui::app::{App, update};
use frontdesk::tui::msg::Msg;
use frontdesk::tui::view;
use frontdesk::tui::worker::Runner;
use frontdesk::workflow::{day, demo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn open(path: &Path, key: Option<&DbKey>) -> Store {
    match key {
        Some(k) => Store::open_existing_keyed(path, k).unwrap(),
        None => Store::open_existing(path).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap();
    let config = Config::default();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let key = DbKey::generate().unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let plain_path = dir.path().join("plain.db");
    let cipher_path = dir.path().join("cipher.db");
    for (path, k) in [(&plain_path, None), (&cipher_path, Some(&key))] {
        let mut store = match k {
            Some(k) => Store::open_keyed(path, k).unwrap(),
            None => Store::open(path).unwrap(),
        };
        demo::seed(&mut store, &config, 7, demo::DemoSize::default(), now).unwrap();
    }

    for (name, path, k) in [
        ("plain", &plain_path, None),
        ("encrypted", &cipher_path, Some(&key)),
    ] {
        let store = open(path, k);
        let mut offset = 0i64;
        c.bench_function(
            &format!("day view: load the next day ({name} demo DB)"),
            |b| {
                b.iter(|| {
                    offset = (offset + 1) % 14;
                    let day = today + Duration::days(offset);
                    let sheet = day::load(&store, &config, day, now).unwrap();
                    std::hint::black_box(sheet.rows.len())
                })
            },
        );
        drop(store);
        // Launch to first frame, except entering the terminal: open (key, quick_check,
        // schema check), build the app, run its start-up commands, draw at 100×30.
        c.bench_function(
            &format!("console first frame ({name} demo DB: open, load today, draw 100x30)"),
            |b| {
                b.iter(|| {
                    // As just after the receptionist signed in (the sign-in itself is
                    // measured in benches/desk.rs).
                    let member = Member {
                        id: StaffId(1),
                        username: "maya".into(),
                        role: Role::Reception,
                    };
                    let mut runner = Runner::new(
                        open(path, k),
                        config.clone(),
                        Clock::Fixed(now),
                        Some(member.clone()),
                    );
                    let mut app = App::new(&config, today, None);
                    for cmd in update(&mut app, Msg::SignedIn(Ok(member))) {
                        if let Some(msg) = runner.run(cmd) {
                            update(&mut app, msg);
                        }
                    }
                    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
                    term.draw(|f| view::draw(f, &app)).unwrap();
                    std::hint::black_box(app.is_dirty())
                })
            },
        );
    }

    let store = open(&cipher_path, Some(&key));
    let mut n = 0;
    c.bench_function("backup: encrypted demo DB to a new file", |b| {
        b.iter(|| {
            n += 1;
            let dest = dir.path().join(format!("backup-{n}.db"));
            frontdesk::store::backup::write(&store, &dest, &key).unwrap();
            std::fs::remove_file(dest).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The desk's speed targets (issue 2): seeding the demo practice, and switching days in the
//! day view on the demo database. Run: `cargo bench --bench desk`. Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::staff::Secret;
use frontdesk::store::Store;
use frontdesk::tui::app::{App, update};
use frontdesk::tui::msg::{Cmd, Msg};
use frontdesk::tui::view;
use frontdesk::tui::worker::Runner;
use frontdesk::workflow::{day, demo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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
    demo::staff::seed_staff(&mut store, now).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut offset = 0i64;
    c.bench_function("day view: load the next day (demo DB)", |b| {
        b.iter(|| {
            offset = (offset + 1) % 14;
            let sheet = day::load(&store, &config, today + Duration::days(offset), now).unwrap();
            std::hint::black_box(sheet.rows.len())
        })
    });
    // Everything between launch and the first frame except entering the terminal: open the
    // database, build the app and draw the lock screen it opens on at 100×30.
    let db_path = dir.path().join("demo.db");
    c.bench_function(
        "console first frame (open demo DB, draw the lock screen 100x30)",
        |b| {
            b.iter(|| {
                let store = Store::open(&db_path).unwrap();
                let app = App::new(&config, today, None);
                let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
                term.draw(|f| view::draw(f, &app)).unwrap();
                std::hint::black_box((app.is_dirty(), store))
            })
        },
    );
    // Signing in as the demo receptionist (Argon2id m=19 MiB, t=2, p=1 on the worker, the
    // audit record) up to the first frame of today's day view: open the database, sign in,
    // run the commands the sign-in starts (today's sheet, provider state), draw at 100×30.
    c.bench_function(
        "console sign-in to first day frame (open demo DB, Argon2id, load today, draw 100x30)",
        |b| {
            b.iter(|| {
                let store = Store::open(&db_path).unwrap();
                let mut runner = Runner::new(store, config.clone(), Clock::Fixed(now), None);
                let mut app = App::new(&config, today, None);
                let sign_in = Cmd::SignIn {
                    username: "maya".into(),
                    secret: Secret::new("246810"),
                };
                let mut queue = vec![sign_in];
                while let Some(cmd) = queue.pop() {
                    if let Some(msg) = runner.run(cmd) {
                        queue.extend(update(&mut app, msg));
                    }
                }
                assert!(matches!(app.screen, frontdesk::tui::app::Screen::Day(_)));
                let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
                term.draw(|f| view::draw(f, &app)).unwrap();
                std::hint::black_box(matches!(update(&mut app, Msg::Tick).as_slice(), []))
            })
        },
    );
    c.bench_function("patient search 'gar' (demo DB)", |b| {
        b.iter(|| std::hint::black_box(day::search(&store, "gar", now).unwrap().len()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

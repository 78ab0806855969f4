//! Issue 14's table on the clinic-group database (100,000 patients, 2M appointments, 5M
//! messages, encrypted): day switch on the busiest day, topped up to a day of 2,000 visits
//! (whole, the sheet first, from the days kept, after another desk's commit about someone else
//! or about that day; and, on a year of days of 2,000 three years back, a day not read since
//! the connection opened, one just after another desk's commit, and the first far day after a
//! fresh open), patient search
//! by name part and by phone digits, reminder planning for that day, statistics for 12 weeks
//! and a year. The commits are written on the file: run it on a copy.
//!
//! The database is not made here (about two minutes): point `FRONTDESK_GROUP_DB` at one
//! written by `frontdesk demo --seed-only --scale group` (its key beside it, as the demo
//! keeps it). `benches/group_e2e.sh` does both, plus the console's cold start and memory.
//! Without the variable the bench says so and measures nothing, so `cargo bench` still runs.
//! Figures and query plans: docs/BENCHMARKS.md, "Clinic group".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark may fail loudly

#[path = "group/batch.rs"]
mod batch;
#[path = "../tests/fake_twilio/mod.rs"]
mod fake_twilio;
#[path = "group/far.rs"]
mod far;

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use frontdesk::domain::stats::{Period, Preset};
use frontdesk::store::appointments::NewAppointment;
use frontdesk::store::{self, Store};
use frontdesk::workflow::database::{KeySource, open_existing};
use frontdesk::workflow::{day, desk_patient, stats};

const DB_ENV: &str = "FRONTDESK_GROUP_DB";
/// Set to also time one reminder batch on a copy of the group database (needs ~3 GB free
/// beside it; the copy is removed afterwards).
const BATCH_ENV: &str = "FRONTDESK_GROUP_BATCH";

/// Book five-minute vaccination-clinic visits `range` in one write: the `i`th for the patient
/// and at the start `visit(i)` gives, with clinician `i` of the 40 in turn, all booked at
/// `booked_at`.
fn book_clinic(
    store: &mut Store,
    range: std::ops::Range<usize>,
    visit: impl Fn(usize) -> (PatientId, DateTime<Utc>),
    booked_at: DateTime<Utc>,
) {
    store
        .write(|c| {
            for i in range {
                let (patient_id, start) = visit(i);
                store::appointments::insert(
                    c,
                    &NewAppointment {
                        external_id: None,
                        patient_id,
                        clinician_id: ClinicianId(1 + i as i64 % 40),
                        type_id: AppointmentTypeId(1),
                        start,
                        duration_minutes: 5,
                        status: AppointmentStatus::Booked,
                        booked_at,
                    },
                )?;
            }
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
}

/// The visits issue 14 times a day switch and planning on: a day of 2,000.
const DAY_VISITS: usize = 2_000;

/// A day this full is a clinic group's, and is topped up to [`DAY_VISITS`]; a smaller file's
/// days (the growth table's 10 k – 1 M appointments, docs/BENCHMARKS.md) are measured as
/// generated, since topping them up would make every size's day the same 2,000 visits.
const GROUP_DAY: usize = 1_000;

/// Bring `date` up to [`DAY_VISITS`] visits, as a vaccination clinic would: the generator's
/// busiest day holds 1,441 (40 clinicians' 15-minute slots), so the rest are five-minute
/// visits booked ten days before, spread over the clinicians, the opening hours and the whole
/// patient list (some patients then have two visits that day, as real doubles do). Idempotent:
/// a day already that full is left alone, so reruns on the same file measure the same day;
/// so is a day under [`GROUP_DAY`] (a smaller file's). Returns the day's visits.
fn top_up_day(store: &mut Store, config: &Config, date: NaiveDate) -> usize {
    let tz = config.practice.time_zone;
    let have = store::day::sheet(&*store, date, tz).unwrap().rows.len();
    if have < GROUP_DAY {
        return have;
    }
    let (open, _) = store::day::day_bounds(date, tz);
    let open = open + Duration::hours(8);
    let visit = |i: usize| {
        let start = open + Duration::minutes(5 * (i as i64 % 120));
        (PatientId(1 + (i as i64 * 7_919) % 100_000), start)
    };
    book_clinic(store, have..DAY_VISITS, visit, open - Duration::days(10));
    store::day::sheet(&*store, date, tz).unwrap().rows.len()
}

/// A visit on `date` (its id and callback flag), for a commit that changes nothing anyone
/// reads: the flag set again to what it is.
fn on_far_day(store: &Store, tz: chrono_tz::Tz, date: NaiveDate) -> (AppointmentId, bool) {
    let row = store::day::sheet(store, date, tz).unwrap().rows.remove(0);
    (row.appointment_id, row.callback_requested)
}

/// The moment the group was written ("now" of its history), from the demo's marker.
fn seeded_at(store: &Store) -> DateTime<Utc> {
    let at = store::settings::get(store, "demo.seeded_at")
        .unwrap()
        .expect("not a demo database: no demo.seeded_at");
    DateTime::parse_from_rfc3339(&at)
        .unwrap()
        .with_timezone(&Utc)
}

/// The day with the most appointments among `days`, and its count.
fn busiest_day(
    store: &Store,
    config: &Config,
    days: impl Iterator<Item = NaiveDate>,
) -> (NaiveDate, usize) {
    days.map(|d| {
        let n = store::day::sheet(store, d, config.practice.time_zone)
            .unwrap()
            .rows
            .len();
        (d, n)
    })
    .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
    .unwrap()
}

/// Load `date` and keep it, as the worker does.
fn keep(
    store: &Store,
    config: &Config,
    ahead: &mut day::DaysAhead,
    date: NaiveDate,
    now: DateTime<Utc>,
) {
    let version = day::data_version(store).unwrap();
    let (sheet, mark) = day::load_marked(store, config, date, now, None).unwrap();
    ahead.keep(
        sheet,
        day::Stamp {
            version,
            mark,
            at: now,
        },
    );
}

/// The worker's switch to `date` (`Runner::load_day`): the change counter, the change log
/// since the kept days' loads when it moved, the rows of the patients it named read again,
/// the kept sheet if still true, else a load.
fn switch(
    store: &Store,
    config: &Config,
    ahead: &mut day::DaysAhead,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> usize {
    let version = day::data_version(store).unwrap();
    if let Some(mark) = ahead.to_check(version) {
        ahead.check(version, &day::changes_since(store, mark).unwrap());
    }
    if let Some(patch) = ahead.to_patch(date, version, now) {
        let rows = day::read_patch(store, config, &patch, now).unwrap();
        ahead.patched(&patch, rows);
    }
    if let Some(sheet) = ahead.get(date, version, now) {
        return sheet.clone().rows.len();
    }
    let (sheet, mark) = day::load_marked(store, config, date, now, None).unwrap();
    let rows = sheet.rows.len();
    ahead.keep(
        sheet,
        day::Stamp {
            version,
            mark,
            at: now,
        },
    );
    rows
}

fn bench(c: &mut Criterion) {
    let Some(path) = std::env::var_os(DB_ENV).map(PathBuf::from) else {
        eprintln!(
            "group bench skipped: set {DB_ENV} to a clinic-group database \
             (benches/group_e2e.sh makes one and runs this bench on it)"
        );
        return;
    };
    let config = Config::demo();
    let store = open_existing(&path, &KeySource::for_demo(&path))
        .unwrap()
        .store;
    let now = seeded_at(&store);
    let tz = config.practice.time_zone;
    let today = now.with_timezone(&tz).date_naive();
    // The four weeks around "now"; the day switched to is the busiest of the week after.
    let around = (-14..14).map(|d| today + Duration::days(d));
    let (busiest, busiest_visits) = busiest_day(&store, &config, around);
    let week_after = (1..=7).map(|d| busiest + Duration::days(d));
    let (next, _) = busiest_day(&store, &config, week_after);
    let mut store = store;
    let count = top_up_day(&mut store, &config, busiest);
    let next_count = top_up_day(&mut store, &config, next);
    let store = store;
    eprintln!(
        "group: now {now}, busiest day {busiest} ({count} appointments), switch partner {next} ({next_count})"
    );

    if std::env::var_os(BATCH_ENV).is_some() {
        batch::remind_batch(&path, &config, now);
    }

    let mut group = c.benchmark_group("group");
    group.sample_size(20);
    let mut flip = false;
    group.bench_function(
        "day switch (busiest day and another, sheet + reminder cells)",
        |b| {
            b.iter(|| {
                flip = !flip;
                let date = if flip { busiest } else { next };
                std::hint::black_box(day::load(&store, &config, date, now).unwrap().rows.len())
            })
        },
    );

    // What the desk sees first on a switch to a day not kept: the sheet alone (its reminder
    // cells follow, `Cmd::LoadCells`), read as the console's worker reads it, with every
    // patient's line kept (`DaysAhead::known`).
    // The worker's idle steps after sign-in (a key pressed meanwhile waits for the one under
    // way): every patient's line, then every patient's record facts, a share at a time.
    group.bench_function(
        "every patient's line and record, read whole (all the idle steps)",
        |b| b.iter(|| std::hint::black_box(day::read_known(&store, &config).unwrap().len())),
    );
    let per = day::PATIENTS_PER_STEP;
    group.bench_function("one idle step: the first share of patients' lines", |b| {
        b.iter(|| {
            let mut known = day::Known::default();
            std::hint::black_box(day::learn_step(&store, &config, &mut known, per).unwrap())
        })
    });
    let mut lines_only = day::Known::default();
    while !lines_only.is_whole() {
        day::learn_step(&store, &config, &mut lines_only, per).unwrap();
    }
    group.bench_function("one idle step: the first share of patients' records", |b| {
        b.iter_batched(
            || lines_only.clone(),
            |mut known| {
                std::hint::black_box(day::learn_step(&store, &config, &mut known, per).unwrap())
            },
            criterion::BatchSize::LargeInput,
        )
    });
    drop(lines_only);
    let mut lines = day::read_known(&store, &config).unwrap();
    flip = false;
    group.bench_function(
        "day switch, the sheet first (busiest day and another; cells after)",
        |b| {
            b.iter(|| {
                flip = !flip;
                let date = if flip { busiest } else { next };
                std::hint::black_box(
                    day::load_sheet_marked(&store, &config, date, Some(&mut lines))
                        .unwrap()
                        .0
                        .rows
                        .len(),
                )
            })
        },
    );

    // A day this connection has not read since it opened. The days are a year of busy
    // weekdays three years back (no other row reads them), each topped up to 2,000 visits as
    // the switch days are, walked in turn. With the patients' lines kept, a day reads only its
    // own visits' and replies' pages (about 40); the walk's 260 days of them take about as much
    // as the 40 MiB page cache holds, so this is a day partly read again from the file. The
    // cold case proper is the next two rows.
    let mut store = store;
    // A group's busy days; below group scale, the days at least half as busy as its busiest.
    let far_least = if busiest_visits >= GROUP_DAY {
        GROUP_DAY
    } else {
        (busiest_visits / 2).max(1)
    };
    let far_year: Vec<NaiveDate> = (3 * 365..4 * 365)
        .map(|d| today - Duration::days(d))
        .filter(|d| store::day::sheet(&store, *d, tz).unwrap().rows.len() >= far_least)
        .collect();
    let visits: Vec<usize> = far_year
        .iter()
        .map(|d| top_up_day(&mut store, &config, *d))
        .collect();
    let store = store;
    // Measured here, before the long rows: each sample opens the file again as a console
    // does, and a console is a young process. At the end of the run (eight minutes of
    // iterations, several copies of every patient's line alive, the heap churned by them) the
    // same reads took 5.0–5.4 ms against 3.1–3.4 here, with the same pages read from the
    // file and no page fault: every function in the profile slower alike, the process's
    // memory and not the reads (docs/BENCHMARKS.md, "Twelfth session").
    group.finish();
    far::first_far_day(c, &path, &config, (today, now), &far_year);
    let mut group = c.benchmark_group("group");
    group.sample_size(20);
    // The top-ups above log more rows than the change log keeps (16,384): it can no longer
    // vouch for the patients read before them, and they are dropped at the next read. The
    // worker reads them whole again when idle; so does the bench.
    let mut lines = day::read_known(&store, &config).unwrap();
    eprintln!(
        "group: {} busy days three years back, {} to {} visits a day",
        far_year.len(),
        visits.iter().min().unwrap_or(&0),
        visits.iter().max().unwrap_or(&0)
    );
    let mut walk = far_year.iter().cycle();
    group.bench_function(
        "day switch, the sheet first, a day of 2,000 not read since open (a year of them)",
        |b| {
            b.iter(|| {
                let date = *walk.next().unwrap();
                std::hint::black_box(
                    day::load_sheet_marked(&store, &config, date, Some(&mut lines))
                        .unwrap()
                        .0
                        .rows
                        .len(),
                )
            })
        },
    );

    // A day not kept, just after another desk's commit: SQLite then empties this
    // connection's page cache (the file changed under it), so every page the day needs is
    // read and decrypted again — with the patients' lines kept, its visits' and replies'; read
    // with its patients' rows, a page per patient besides.
    let mut desk = open_existing(&path, &KeySource::for_demo(&path))
        .unwrap()
        .store;
    let far = on_far_day(&store, tz, far_year[0]);
    let mut days = far_year.iter().cycle();
    for (name, with_lines) in [
        (
            "day switch, the sheet first, a day of 2,000 just after another desk's commit",
            true,
        ),
        (
            "day switch, the sheet first, a day of 2,000 just after another desk's commit, \
             read with its patients' rows",
            false,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    desk.write(|tx| store::appointments::set_callback(tx, far.0, far.1))
                        .unwrap();
                    *days.next().unwrap()
                },
                |date| {
                    let known = with_lines.then_some(&mut lines);
                    let sheet = day::load_sheet_marked(&store, &config, date, known).unwrap();
                    std::hint::black_box(sheet.0.rows.len())
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    assert!(
        lines.records_whole(),
        "the kept patients were dropped: the rows above read their patients' rows"
    );
    // Its reminder cells, which the desk sees drawn as loading after the sheet: read just
    // after another desk's commit too (the sheet read before it, untimed). A past day reads
    // no patient for its cells; a day to come reads its patients' records (and the history
    // of any patient whose cells turn on it), so both are measured: the walk's past days,
    // and the two busiest days, which are to come.
    let mut to_come = [busiest, next].into_iter().cycle();
    // The sheet's own copy (the untimed setup and the timed cells each need one at once).
    let mut for_sheets = lines.clone();
    for (name, past, with_known) in [
        (
            "the reminder cells of a day of 2,000, just after another desk's commit",
            true,
            true,
        ),
        (
            "the reminder cells of a day of 2,000 to come, just after another desk's commit",
            false,
            true,
        ),
        (
            "the reminder cells of a day of 2,000 to come, just after another desk's commit, \
             read with its patients' rows",
            false,
            false,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let date = if past {
                        *days.next().unwrap()
                    } else {
                        to_come.next().unwrap()
                    };
                    let known = Some(&mut for_sheets);
                    let sheet = day::load_sheet_marked(&store, &config, date, known).unwrap();
                    desk.write(|tx| store::appointments::set_callback(tx, far.0, far.1))
                        .unwrap();
                    sheet.0
                },
                |mut sheet| {
                    let known = with_known.then_some(&mut lines);
                    day::fill_cells(&store, &config, &mut sheet, now, known).unwrap();
                    std::hint::black_box(sheet.rows.len())
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }

    assert!(
        lines.records_whole(),
        "the kept patients were dropped: the cells above read their patients' rows"
    );
    // What the console's worker does when the day switched to was loaded ahead (the day
    // before and after the one shown are, while the desk reads it): the change counter, the
    // kept sheet, a copy for the screen.
    let mut ahead = day::DaysAhead::default();
    keep(&store, &config, &mut ahead, next, now);
    group.bench_function("day switch to a day loaded ahead (worker's hit)", |b| {
        b.iter(|| std::hint::black_box(switch(&store, &config, &mut ahead, next, now)))
    });

    // Another desk commits between two switches (a callback flag set again on a visit): the
    // worker reads the change log since the kept day's load and keeps the day when the
    // change is about someone else (a visit two weeks earlier, of a patient not on it), or
    // loads it again when it is about one of its visits.
    let mut other = open_existing(&path, &KeySource::for_demo(&path))
        .unwrap()
        .store;
    let on_next = store::day::sheet(&store, next, tz).unwrap();
    let patients: std::collections::HashSet<_> =
        on_next.rows.iter().map(|r| r.patient_id).collect();
    let elsewhere = store::day::sheet(&store, next - Duration::days(14), tz)
        .unwrap()
        .rows
        .into_iter()
        .find(|r| !patients.contains(&r.patient_id))
        .unwrap();
    let touched = on_next.rows[on_next.rows.len() / 2].clone();
    for (name, row) in [
        (
            "day switch to a neighbour after another desk's unrelated commit",
            &elsewhere,
        ),
        (
            "day switch to a neighbour after a commit touching that day",
            &touched,
        ),
    ] {
        keep(&store, &config, &mut ahead, next, now);
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    other
                        .write(|tx| {
                            store::appointments::set_callback(
                                tx,
                                row.appointment_id,
                                row.callback_requested,
                            )
                        })
                        .unwrap()
                },
                |()| std::hint::black_box(switch(&store, &config, &mut ahead, next, now)),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    // A patient of the generator's own history: the middle visit a week before the busiest
    // day (the same weekday, not topped up, so its patients have their years of texts).
    let sheet = store::day::sheet(&store, busiest - Duration::days(7), tz).unwrap();
    let row = &sheet.rows[sheet.rows.len() / 2];
    // A name part: four letters from the middle of a real surname on that day.
    let surname = row
        .patient_name
        .split(',')
        .next()
        .unwrap()
        .trim()
        .to_lowercase();
    let part: String = surname.chars().take(4).collect();
    let mobile = store::patients::get(&store, row.patient_id)
        .unwrap()
        .mobile
        .map(|m| m.as_str().to_string());
    let hits = day::search(&store, &part, now).unwrap().len();
    eprintln!(
        "group: search by name part ({} letters) finds {hits}",
        part.chars().count()
    );
    group.bench_function("patient search by name part", |b| {
        b.iter(|| std::hint::black_box(day::search(&store, &part, now).unwrap().len()))
    });
    if let Some(m) = mobile {
        let digits: String = m
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let hits = day::search(&store, &digits, now).unwrap().len();
        eprintln!("group: search by the last 6 digits of a mobile finds {hits}");
        group.bench_function("patient search by phone digits (last 6)", |b| {
            b.iter(|| std::hint::black_box(day::search(&store, &digits, now).unwrap().len()))
        });
    }

    // A patient's thread (migration 18: read through the two by-direction indexes) and the
    // whole patient screen that shows it.
    let texts = store::messages::for_patient(&store, row.patient_id)
        .unwrap()
        .len();
    eprintln!("group: the patient in the middle of the day a week before has {texts} texts");
    group.bench_function("a patient's texts, both directions", |b| {
        b.iter(|| {
            std::hint::black_box(store::messages::for_patient(&store, row.patient_id).unwrap())
        })
    });
    group.bench_function("a patient's file (patient screen)", |b| {
        b.iter(|| {
            std::hint::black_box(desk_patient::load(&store, &config, row.patient_id, now).unwrap())
        })
    });

    let (from, to) = store::day::day_bounds(busiest, tz);
    let appointments = store::appointments::starting_between(&store, from, to).unwrap();
    eprintln!("group: planning {} appointments", appointments.len());
    group.bench_function(
        "reminder planning for the busiest day (facts, history, plan)",
        |b| {
            b.iter(|| {
                std::hint::black_box(
                    day::reminder_cells(&store, &config, &appointments, now)
                        .unwrap()
                        .len(),
                )
            })
        },
    );

    group.sample_size(10);
    let twelve = Period::preset(Preset::Last12Weeks, today);
    let year = Period::new(today - Duration::days(364), today).unwrap();
    group.bench_function("statistics, 12 weeks", |b| {
        b.iter(|| {
            stats::compute(&store, &config, twelve, now)
                .unwrap()
                .totals
                .appointments
        })
    });
    group.bench_function("statistics, a year", |b| {
        b.iter(|| {
            stats::compute(&store, &config, year, now)
                .unwrap()
                .totals
                .appointments
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

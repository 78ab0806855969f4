//! The group bench's first switch to a far day after the console opens: a row of its own,
//! since each iteration opens and warms a fresh connection.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::Criterion;
use frontdesk::config::Config;
use frontdesk::workflow::database::{KeySource, open_existing};
use frontdesk::workflow::day;

/// The first switch after the console opens, to a day far from today: a connection opened
/// and warmed as the console's worker warms it (before sign-in `day::warm`: today; signed
/// in, every patient's line and record), then a day of 2,000 it has not read, from `far`.
/// Each iteration opens the file again, so the samples are few and short.
pub fn first_far_day(
    c: &mut Criterion,
    path: &Path,
    config: &Config,
    (today, now): (NaiveDate, DateTime<Utc>),
    far: &[NaiveDate],
) {
    let mut group = c.benchmark_group("group");
    group
        .sampling_mode(criterion::SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(50))
        .measurement_time(std::time::Duration::from_millis(500));
    let mut days = far.iter().cycle();
    group.bench_function(
        "day switch, the sheet first, the first far day of 2,000 after open (warmed)",
        |b| {
            b.iter_custom(|iters| {
                let mut spent = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let fresh = open_existing(path, &KeySource::for_demo(path))
                        .unwrap()
                        .store;
                    day::warm(&fresh, config, today, now).unwrap();
                    let mut lines = day::read_known(&fresh, config).unwrap();
                    let date = *days.next().unwrap();
                    let started = Instant::now();
                    let sheet = day::load_sheet_marked(&fresh, config, date, Some(&mut lines))
                        .unwrap()
                        .0;
                    spent += started.elapsed();
                    std::hint::black_box(sheet.rows.len());
                }
                spent
            })
        },
    );
    group.finish();
}

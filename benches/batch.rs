//! The desk's reminder batch (issue 9, speed): the preview of a day of 200 appointments —
//! every appointment planned in the desk's mode, every text rendered and gated, names and
//! starts looked up for the screen — must take under 50 ms. Run:
//! `cargo bench --bench batch`. Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::batch::window::LocalWindow;
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use frontdesk::domain::phone::E164;
use frontdesk::store::appointments::NewAppointment;
use frontdesk::store::patients::NewPatient;
use frontdesk::store::{self, Store};
use frontdesk::workflow::batch_desk::{self, Desk};

/// 200 patients (a quarter without consent, a tenth without a mobile), each booked once
/// on Thursday 26 November 2026 between 08:00 and 18:00; a little history around them.
fn practice(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("practice.db")).unwrap();
    let added = Utc.with_ymd_and_hms(2026, 8, 1, 12, 0, 0).unwrap();
    store
        .write(|c| {
            let clinician = store::reference::insert_clinician(c, "Dr. Okafor")?;
            let ty = store::reference::insert_type(c, "Annual physical", "Check-up", 30)?;
            for i in 0..200i64 {
                let p = store::patients::insert(
                    c,
                    &NewPatient {
                        external_id: None,
                        first_name: format!("Pat{i:04}"),
                        last_name: "Bench".into(),
                        birth_date: None,
                        mobile: (i % 10 != 0)
                            .then(|| E164::try_from(format!("+1201555{:04}", 1000 + i)).unwrap()),
                        time_zone: None,
                        portal_active: true,
                    },
                    added,
                )?;
                if i % 4 != 0 {
                    store::consent::append(
                        c,
                        p,
                        &ConsentEvent {
                            kind: ConsentKind::OptIn,
                            method: ConsentMethod::WrittenForm,
                            evidence: Some(format!("FORM-{i}")),
                            recorded_by: "desk".into(),
                            at: added,
                        },
                    )?;
                }
                let start = New_York
                    .with_ymd_and_hms(2026, 11, 26, 8, 0, 0)
                    .unwrap()
                    .with_timezone(&Utc)
                    + chrono::Duration::minutes(3 * i);
                for (start, status) in [
                    (start, AppointmentStatus::Booked),
                    (
                        start + chrono::Duration::days(14),
                        AppointmentStatus::Booked,
                    ),
                    (
                        start - chrono::Duration::days(30),
                        AppointmentStatus::Completed,
                    ),
                ] {
                    store::appointments::insert(
                        c,
                        &NewAppointment {
                            external_id: None,
                            patient_id: p,
                            clinician_id: clinician,
                            type_id: ty,
                            start,
                            duration_minutes: 30,
                            status,
                            booked_at: added,
                        },
                    )?;
                }
            }
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
    store
}

fn bench(c: &mut Criterion) {
    frontdesk::phi::warm_up();
    let dir = tempfile::TempDir::new().unwrap();
    let store = practice(dir.path());
    let config = Config::default();
    // Wednesday 10:00 in New York: the day before.
    let clock = Clock::Fixed(
        New_York
            .with_ymd_and_hms(2026, 11, 25, 10, 0, 0)
            .unwrap()
            .to_utc(),
    );
    let desk = Desk {
        config: &config,
        clock: &clock,
        actor: "bench",
    };
    let day = LocalWindow::day(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let v = batch_desk::preview(&desk, &store, day).unwrap();
    assert_eq!(v.report.lines.len(), 200);
    c.bench_function("batch preview: a day of 200 appointments (file DB)", |b| {
        b.iter(|| {
            std::hint::black_box(
                batch_desk::preview(&desk, &store, day)
                    .unwrap()
                    .report
                    .lines
                    .len(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

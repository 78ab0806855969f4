//! The clinic-group demo (issue 14): `demo --seed-only --scale group` writes, from a seed,
//! 100,000 patients, 40 clinicians across 4 sites, about 2,000,000 appointments over five
//! years and about 5,000,000 messages (reminders, portal prompts, welcomes, replies and the
//! answers to them) with the consent events behind them — decided by the product's own
//! sending rules ([`texts`]), so the statistics, the consent review and `remind` see a
//! practice that obeyed them.
//!
//! How it stays fast: the people, the book and the texts are plain data made first (the
//! texts on both cores, one random stream per patient); the rows are then written by the
//! store's bulk writer ([`crate::store::bulk`]) in one transaction on a new database, while a
//! second thread renders the message bodies. Must not import tui or cli.

use std::collections::HashMap;
use std::sync::mpsc;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;

use crate::config::Config;
use crate::domain::audit::{DemoScale, DemoSeeded};
use crate::domain::ids::AppointmentTypeId;
use crate::store::bulk::{self, BulkMessage, BulkReply};
use crate::store::{self, Store, StoreError, Tx};
use crate::workflow::templates;

mod book;
mod people;
mod rows;
mod texts;

#[cfg(test)]
mod tests;

pub use people::SITES;

/// How big a group to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupScale {
    pub patients: usize,
    pub sites: usize,
    pub clinicians_per_site: usize,
    /// Days of history before today, and of bookings after it.
    pub days_back: i64,
    pub days_ahead: i64,
    /// Appointments to aim for (the slots are filled to this on average).
    pub appointments: usize,
}

impl GroupScale {
    /// Issue 14's clinic group: five years ending eight weeks from today.
    pub fn group() -> Self {
        Self {
            patients: 100_000,
            sites: 4,
            clinicians_per_site: 10,
            days_back: 5 * 365 - 56,
            days_ahead: 56,
            appointments: 2_000_000,
        }
    }

    /// The group at about `appointments` appointments instead of 2,000,000 (issue 14's
    /// growth table: 10 k, 100 k, 1 M): the same sites and five years, with patients and
    /// clinicians in proportion (at least one clinician a site), so that a busy day, a
    /// patient's history and the texts per appointment look like the full group's.
    pub fn with_appointments(appointments: usize) -> Self {
        let full = Self::group();
        let share = appointments as f64 / full.appointments as f64;
        let part = |n: usize| ((n as f64 * share).round() as usize).max(1);
        Self {
            patients: part(full.patients),
            clinicians_per_site: part(full.clinicians_per_site),
            appointments,
            ..full
        }
    }
}

/// The time the generated history covers (seconds since the epoch, UTC, and local days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub first: i64,
    pub now: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Span {
    fn new(now: DateTime<Utc>, tz: Tz, scale: &GroupScale) -> Self {
        let today = now.with_timezone(&tz).date_naive();
        let first_day = today - Duration::days(scale.days_back);
        Self {
            first: tz
                .from_local_datetime(&first_day.and_time(NaiveTime::MIN))
                .earliest()
                .map_or(now.timestamp(), |t| t.timestamp()),
            now: now.timestamp(),
            first_day,
            last_day: today + Duration::days(scale.days_ahead),
        }
    }

    /// Every local day of the span.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.first_day
            .iter_days()
            .take_while(move |d| *d <= self.last_day)
    }
}

/// What the generator wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSeeded {
    pub sites: usize,
    pub clinicians: usize,
    pub patients: usize,
    pub appointments: usize,
    pub messages: usize,
    pub consent_events: usize,
}

/// How the load runs: a page cache large enough for the whole new file (3.5 GB for the full
/// group; SQLite takes the pages as the file grows, so a smaller group uses less), so no page
/// is written mid-load and read and decrypted again — not the `UNIQUE` keys' index pages
/// while the rows go in, not the messages table in each of the sorted index builds after
/// them — and every page is encrypted once, at the commit (-6 % CPU and -15 % wall for
/// 4.6 GB instead of 1.8 GB peak memory, docs/BENCHMARKS.md); the indexes whose keys arrive in
/// ascending order (the book is written in start order, the texts in sent order, each
/// appointment's texts in the days before it) kept live, and the outbox's
/// (`messages_waiting`) and the texts sent before they were written
/// (`messages_sent_before_written`), which no generated text enters — building either
/// afterwards would read the whole messages table for an empty index; the rest — by patient,
/// by name, by mobile, by number, inbound provider ids — made, sorted, after the rows
/// (`Store::load_new`), in 64 MiB runs sorted on the second core (the group's rows are
/// generated, so the sorter's plain-text temporary files hold no practice's data;
/// docs/BENCHMARKS.md, "Fourth session"); and the commit's written pages dropped from the
/// kernel's cache as they reach the disk, so its 3.4 GB of writes reuse the same memory
/// instead of touching 3.4 GB the machine had not used (docs/BENCHMARKS.md, "Sixth session").
const LOAD: bulk::LoadSettings<'static> = bulk::LoadSettings {
    cache_mib: 4096,
    live_indexes: &[
        "appointments_by_start",
        "appointments_imported_by_start",
        "messages_by_created",
        "messages_reminders_by_created",
        "messages_by_appointment",
        "messages_waiting",
        "messages_sent_before_written",
        "outbound_by_provider_id",
        "consent_by_recorded",
    ],
    sort_runs_mib: 64,
    release_written: true,
};
/// Messages per batch handed from the rendering thread to the writer.
const BATCH: usize = 8192;

/// Generate the group and write it into `store` (a new, empty database).
pub fn seed(
    store: &mut Store,
    config: &Config,
    seed: u64,
    scale: GroupScale,
    now: DateTime<Utc>,
) -> Result<GroupSeeded, StoreError> {
    let tz = config.practice.time_zone;
    let span = Span::new(now, tz, &scale);
    let people = people::patients(seed, &scale, span);
    let clinicians = people::clinicians(seed, scale.sites, scale.clinicians_per_site);
    let mut book = book::book(seed, &scale, &people, &clinicians, (tz, span));
    let rules = texts::Rules {
        offsets: {
            let mut o = config.reminders.offsets_hours.clone();
            o.sort_unstable_by(|a, b| b.cmp(a));
            o
        },
        quiet: config.reminders.quiet_hours,
        caps: (config.reminders.max_per_day, config.reminders.max_per_week),
        min_lead: i64::from(config.reminders.min_lead_minutes) * 60,
        practice_zone: tz,
    };
    let plan = plan_texts(seed, &people, &book, &rules, span);
    texts::apply(&mut book, &plan.effects);
    let consent = rows::consent(&people, &plan.opt_outs);
    let written = Written {
        people: &people,
        clinicians: &clinicians,
        book: &book,
        texts: &plan.texts,
        consent: &consent,
    };
    store.load_new(LOAD, |tx| write(tx, config, &written, (seed, now)))
}

/// Every patient's texts, made on two threads, in the order they were sent.
fn plan_texts(
    seed: u64,
    people: &[people::Person],
    book: &[book::Appt],
    rules: &texts::Rules,
    span: Span,
) -> texts::History {
    // Each patient's appointments, in start order (the book is in start order).
    let mut mine: Vec<Vec<u32>> = vec![Vec::new(); people.len()];
    for (i, a) in book.iter().enumerate() {
        mine[a.patient as usize].push(i as u32);
    }
    let half = people.len() / 2;
    let part = |range: std::ops::Range<usize>| {
        let mut h = texts::History::default();
        for i in range {
            let one = texts::history(seed, (i as u32, &people[i]), (book, &mine[i]), rules, span);
            h.texts.extend(one.texts);
            h.effects.extend(one.effects);
            h.opt_outs.extend(one.opt_outs);
        }
        h
    };
    let (mut all, second) = std::thread::scope(|s| {
        let other = s.spawn(|| part(half..people.len()));
        let first = part(0..half);
        (first, other.join().unwrap_or_default())
    });
    all.texts.extend(second.texts);
    all.effects.extend(second.effects);
    all.opt_outs.extend(second.opt_outs);
    // Sent order; a patient's reply always comes minutes after the text it answers.
    all.texts
        .sort_unstable_by_key(|t| (t.at, t.patient, t.kind as u8));
    all
}

/// What goes into the database.
struct Written<'a> {
    people: &'a [people::Person],
    clinicians: &'a [(String, u8)],
    book: &'a [book::Appt],
    texts: &'a [texts::Text],
    consent: &'a [bulk::BulkConsent],
}

fn write(
    tx: &Tx<'_>,
    config: &Config,
    w: &Written<'_>,
    (seed, now): (u64, DateTime<Utc>),
) -> Result<GroupSeeded, StoreError> {
    let started = std::time::Instant::now();
    let types = reference(tx, w.clinicians)?;
    templates::ensure_defaults(tx, now)?;
    // The name search's index is filled in one statement after the rows, as an import does:
    // a trigger per patient made FTS5 write a segment and a statement journal per insert
    // (0.74 → 0.36 s for 100,000 patients).
    let search = store::patient_search::defer_indexing(tx)?;
    for (n, chunk) in w.people.chunks(BATCH).enumerate() {
        let rows: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| rows::patient(n * BATCH + i, p))
            .collect();
        bulk::insert_patients(tx, &rows)?;
    }
    store::patient_search::index_deferred(tx, search)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "group: patients written"
    );
    bulk::insert_consent(tx, w.consent)?;
    tracing::debug!(ms = started.elapsed().as_millis(), "group: consent written");
    for (n, chunk) in w.book.chunks(8 * BATCH).enumerate() {
        let rows: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, a)| rows::appointment(n * 8 * BATCH + i, a, &types))
            .collect();
        bulk::insert_appointments(tx, &rows)?;
    }
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "group: appointments written"
    );
    let mut loaded = HashMap::new();
    for kind in rows::KINDS {
        let t = templates::load(tx, kind).map_err(|e| StoreError::Conflict(e.to_string()))?;
        loaded.insert(kind, t);
    }
    let renderer = rows::Renderer::new(config, loaded, (w.people, w.book, w.clinicians));
    messages(tx, &renderer, w.texts)?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        "group: messages written"
    );
    finish(tx, w, (seed, now))
}

/// Clinicians and types, with the ids the rows use (a new database hands out 1, 2, …).
fn reference(
    tx: &Tx<'_>,
    clinicians: &[(String, u8)],
) -> Result<Vec<AppointmentTypeId>, StoreError> {
    for (i, (name, _)) in clinicians.iter().enumerate() {
        let id = store::reference::insert_clinician(tx, name)?;
        if id.0 != i as i64 + 1 {
            return Err(StoreError::Conflict(
                "the clinicians table was not empty".into(),
            ));
        }
    }
    super::TYPES
        .iter()
        .map(|(name, label, minutes)| store::reference::insert_type(tx, name, label, *minutes))
        .collect()
}

type Batch = Result<(Vec<BulkMessage>, Vec<BulkReply>), StoreError>;

/// Render on a second thread, write on this one. The written batches go back to the
/// rendering thread to be freed there: its allocator arena made their strings, and freeing
/// them on the writer (the load's critical path) was about an eighth of the writer's time in
/// glibc (`malloc_consolidate`, `_int_free`, the other arena's lock).
fn messages(
    tx: &Tx<'_>,
    renderer: &rows::Renderer<'_>,
    all: &[texts::Text],
) -> Result<(), StoreError> {
    let (send, receive) = mpsc::sync_channel::<Batch>(4);
    let (give_back, written) = mpsc::channel::<(Vec<BulkMessage>, Vec<BulkReply>)>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut spare = None;
            for (n, chunk) in all.chunks(BATCH).enumerate() {
                // Reuse a written batch's vectors: a 2 MB vector freed per batch made glibc
                // consolidate its small-chunk bins each time (~9 % of this thread).
                for (mut m, mut r) in written.try_iter() {
                    m.clear();
                    r.clear();
                    spare = Some((m, r));
                }
                let batch = render_batch(renderer, n * BATCH, chunk, spare.take());
                let failed = batch.is_err();
                if send.send(batch).is_err() || failed {
                    return;
                }
            }
        });
        for batch in receive {
            let (messages, replies) = batch?;
            bulk::insert_messages(tx, &messages)?;
            bulk::insert_replies(tx, &replies)?;
            // The last few come back after the renderer finished: then dropped here.
            let _ = give_back.send((messages, replies));
        }
        Ok(())
    })
}

fn render_batch(
    renderer: &rows::Renderer<'_>,
    first: usize,
    chunk: &[texts::Text],
    spare: Option<(Vec<BulkMessage>, Vec<BulkReply>)>,
) -> Batch {
    let (mut messages, mut replies) =
        spare.unwrap_or_else(|| (Vec::with_capacity(chunk.len()), Vec::new()));
    for (i, t) in chunk.iter().enumerate() {
        let (m, r) = renderer.rows((first + i) as i64 + 1, t)?;
        messages.push(m);
        replies.extend(r);
    }
    Ok((messages, replies))
}

/// Sites, the seed marker, the demo marker and the audit record of the seed.
fn finish(
    tx: &Tx<'_>,
    w: &Written<'_>,
    (seed, now): (u64, DateTime<Utc>),
) -> Result<GroupSeeded, StoreError> {
    let sites: Vec<_> = SITES
        .iter()
        .enumerate()
        .take(
            w.clinicians
                .iter()
                .map(|c| usize::from(c.1) + 1)
                .max()
                .unwrap_or(0),
        )
        .map(|(s, name)| {
            let ids: Vec<usize> = (0..w.clinicians.len())
                .filter(|&c| usize::from(w.clinicians[c].1) == s)
                .map(|c| c + 1)
                .collect();
            json!({ "site": name, "clinicians": ids })
        })
        .collect();
    store::settings::set(tx, "demo.group.sites", &json!(sites).to_string())?;
    store::settings::set(tx, super::SEEDED_KEY, &now.to_rfc3339())?;
    store::marker::mark(tx, store::marker::DbKind::Demo)?;
    let seeded = GroupSeeded {
        sites: sites.len(),
        clinicians: w.clinicians.len(),
        patients: w.people.len(),
        appointments: w.book.len(),
        messages: w.texts.len(),
        consent_events: w.consent.len(),
    };
    let event = DemoSeeded {
        seed,
        scale: DemoScale::Group,
        patients: seeded.patients,
        appointments: seeded.appointments,
        messages: seeded.messages,
    };
    store::audit::append(tx, &event.entry(now, super::SEED_ACTOR))?;
    Ok(seeded)
}

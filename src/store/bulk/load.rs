//! A new database filled in one go (`Store::load_new`, the clinic-group generator): its
//! session settings, and the migrations' indexes dropped before the rows and made again,
//! sorted, before the commit.

use super::super::{Result, Store, StoreError, Tx};
use super::release;

impl Store {
    /// Fill a new, empty database in one transaction (the clinic-group generator): `f` runs
    /// with a rollback journal instead of the WAL, no fsync, foreign keys not checked (the
    /// caller makes every reference itself and proves it in its tests), the migrations'
    /// indexes but `load.live_indexes` dropped (made again, sorted, before the commit:
    /// [`drop_indexes`], [`LoadSettings::sort_runs_mib`]) and a page cache of
    /// `load.cache_mib` MiB;
    /// afterwards the database is back in WAL mode with the usual
    /// settings and exactly the schema it started with.
    ///
    /// Why: in WAL mode every page of a multi-gigabyte transaction would be written (and
    /// encrypted) into the WAL and then copied into the database at the checkpoint; with a
    /// rollback journal a new page is written once, and the journal holds only the few pages
    /// the empty schema had. It stays all-or-nothing: a run killed midway leaves a hot journal
    /// that SQLite rolls back on the next open, to the empty database it started from.
    /// Refused (`Conflict`) when the database already holds patients.
    pub fn load_new<T, E>(
        &mut self,
        load: LoadSettings<'_>,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
    {
        let patients: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))
            .map_err(StoreError::from)?;
        if patients > 0 {
            return Err(StoreError::Conflict(
                "a bulk load writes only into an empty database".into(),
            )
            .into());
        }
        let path = self.path();
        let file = path.is_some();
        self.loading(file, load).map_err(E::from)?;
        let released = path.as_deref().filter(|_| load.release_written);
        let started = std::time::Instant::now();
        let (out, advised) = release::while_releasing(released, release::TICK, || {
            self.write(|tx| -> std::result::Result<T, E> {
                let indexes = drop_indexes(tx, load.live_indexes).map_err(E::from)?;
                let logging = super::super::changes::pause_logging(tx).map_err(E::from)?;
                let out = f(tx)?;
                super::super::changes::resume_logging(tx, logging).map_err(E::from)?;
                tracing::debug!(ms = started.elapsed().as_millis(), "bulk load: rows in");
                create_indexes(tx, &indexes, load.sort_runs_mib).map_err(E::from)?;
                tracing::debug!(
                    ms = started.elapsed().as_millis(),
                    "bulk load: indexes made"
                );
                Ok(out)
            })
        });
        let ms = started.elapsed().as_millis();
        tracing::debug!(advised, ms, "bulk load committed");
        let restored = self.loaded(file);
        let out = out?;
        restored.map_err(E::from)?;
        Ok(out)
    }

    fn loading(&self, file: bool, load: LoadSettings<'_>) -> Result<()> {
        if file {
            self.journal_mode("DELETE")?;
            self.conn.pragma_update(None, "synchronous", "OFF")?;
        }
        // The generator makes every reference itself (its test runs `foreign_key_check`);
        // looking up each message's patient and appointment in a 2 GB file is not needed.
        self.conn.pragma_update(None, "foreign_keys", false)?;
        self.conn
            .pragma_update(None, "cache_size", -i64::from(load.cache_mib) * 1024)?;
        if load.sort_runs_mib > 0 {
            // SQLite sorts on worker threads only when its temporary files are files (this
            // SQLCipher build keeps them in memory by default): see `sort_runs_mib`.
            self.conn.pragma_update(None, "temp_store", "FILE")?;
            self.conn.pragma_update(None, "threads", 1)?;
        }
        Ok(())
    }

    fn loaded(&self, file: bool) -> Result<()> {
        self.conn.pragma_update(None, "foreign_keys", true)?;
        self.conn.pragma_update(None, "cache_size", -2000)?;
        self.conn.pragma_update(None, "cache_spill", true)?;
        self.conn.pragma_update(None, "threads", 0)?;
        self.conn.pragma_update(None, "temp_store", "DEFAULT")?;
        if file {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
            self.journal_mode("WAL")?;
        }
        Ok(())
    }

    /// Switch the journal mode, which needs the file alone: another program that has it open
    /// (a console on the new file, a `remind`) is named as such, not as "database is locked".
    fn journal_mode(&self, mode: &str) -> Result<()> {
        let switched = self
            .conn
            .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| {
                r.get::<_, String>(0)
            });
        match switched {
            Ok(_) => Ok(()),
            Err(e) if crate::store::error::is_busy(&e) => Err(StoreError::InUse(
                self.path()
                    .map_or_else(|| "the database".into(), |p| p.display().to_string()),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// How [`Store::load_new`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSettings<'a> {
    /// The page cache for the load, in MiB.
    pub cache_mib: u32,
    /// Indexes kept up to date row by row instead of dropped and made again: those whose
    /// keys arrive in (nearly) ascending order, so each insert lands on the index's last,
    /// cached pages — cheaper than one more sorted pass over a multi-gigabyte table.
    pub live_indexes: &'a [&'a str],
    /// How the dropped indexes are sorted when they are made again. `0`: in memory, on the
    /// writer's thread, in runs as large as the page cache (at most 512 MiB): one linked-list
    /// merge sort of millions of keys, 40–60 % of a clinic group's index builds. `N`: the page
    /// cache is set to `N` MiB for the builds (without spilling: the load's pages stay in
    /// memory), so SQLite cuts each index's keys into runs of `N` MiB, sorts them on a second
    /// thread while the writer reads on, and merges them — a run that fits the processor's
    /// caches sorts several times faster, and the sort leaves the critical path. The runs go
    /// to SQLite's temporary files (unlinked when opened, deleted when the index is made):
    /// **in plain text**, as the keys hold phone numbers, so only for a database made of
    /// generated data (the clinic-group demo), never for a practice's own rows.
    pub sort_runs_mib: u32,
    /// Whether a second thread asks the kernel, while the load commits, to write its pages
    /// out and drop them from the operating system's page cache (a file database only;
    /// `release`): the commit's writes then land in memory just freed instead of gigabytes
    /// the machine had never touched. Changes what the kernel caches, never what the file
    /// holds.
    pub release_written: bool,
}

/// The indexes the migrations created (not SQLite's own for `UNIQUE` columns, which cannot
/// be dropped), in the order they were made, with the SQL that made them.
type Indexes = Vec<(String, String)>;

/// Drop every index the migrations made, so a bulk load writes only the tables (and the
/// `UNIQUE` columns' own indexes). Why: rows arrive in id order, so the tables grow at their
/// end, but each secondary index (messages by patient, by appointment, by time …) takes its
/// rows in no particular order — in a multi-gigabyte load that is a random B-tree insert per
/// row and index, with page-cache misses, re-reads and, encrypted, a decryption per re-read.
/// `CREATE INDEX` afterwards reads the table once, sorts and writes the index pages in order.
fn drop_indexes(tx: &Tx<'_>, live: &[&str]) -> Result<Indexes> {
    let conn = super::super::sql(tx);
    let mut indexes = {
        let mut stmt = conn.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<Indexes>>()?
    };
    indexes.retain(|(name, _)| !live.contains(&name.as_str()));
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(indexes)
}

/// Make the dropped indexes again from the very SQL the migrations stored, so the schema
/// after a load is the one a new database has (`sqlite_master` compared in the tests). A
/// `UNIQUE` index the rows break fails here, and with it the whole load.
fn create_indexes(tx: &Tx<'_>, indexes: &Indexes, sort_runs_mib: u32) -> Result<()> {
    let conn = super::super::sql(tx);
    if sort_runs_mib > 0 {
        // The sorter cuts its runs at the page cache's size. Below it, SQLite writes some of
        // the load's pages out during the builds (~120,000 of 842,000 for the clinic group)
        // instead of at the commit: each page is still written once. Turning spilling off
        // (before the transaction: inside one, SQLite applies it only at the next) kept them
        // all in memory, +0.5 GB, for no gain (docs/BENCHMARKS.md, "Eleventh session").
        conn.pragma_update(None, "cache_size", -i64::from(sort_runs_mib) * 1024)?;
    }
    for (name, sql) in indexes {
        let started = std::time::Instant::now();
        conn.execute_batch(sql)?;
        let ms = started.elapsed().as_millis();
        tracing::debug!(index = %name, ms, "bulk load: index made");
    }
    Ok(())
}

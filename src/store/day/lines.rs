//! Patients' lines: what a day row shows of its patient, from the patient's own records (their
//! row, with their last consent word, and their replies filed against no visit) — read with
//! each visit by [`super::sheet`], or kept by a reader for [`super::sheet_knowing`].

use super::{Result, replies, text};
use crate::domain::consent::ConsentFlag;
use crate::domain::day::{PatientLine, UnfiledReply};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::reply::ReplyKind;
use crate::store::{Db, from_ts};
use rusqlite::params;
use std::collections::HashMap;

/// Up to `?2` patients' lines with ids after `?1`, in id order ([`patient_lines_after`]).
pub(crate) const LINES_AFTER: &str = concat!(
    "SELECT p.id, ",
    line_columns!(),
    " FROM patients p WHERE p.id > ?1 ORDER BY p.id LIMIT ?2"
);

/// One patient's line ([`super::sheet_knowing`], for a patient not known).
pub(crate) const LINE_OF: &str = concat!(
    "SELECT p.id, ",
    line_columns!(),
    " FROM patients p WHERE p.id = ?1"
);

/// Every patient's line, by id, with their unfiled replies ([`patient_lines_after`] in one
/// go: a full read of the patients table and of the unfiled replies' index, a few MB even at
/// a clinic group's 100,000 patients).
pub fn patient_lines(conn: &impl Db) -> Result<HashMap<PatientId, PatientLine>> {
    Ok(patient_lines_after(conn, PatientId(0), usize::MAX)?.0)
}

/// The lines, by id, with their unfiled replies, of up to `most` patients with ids after
/// `after`, in id order — what [`super::sheet_knowing`]'s caller keeps, read a share at a
/// time — and the id to go on after (`None`: no patient left).
pub fn patient_lines_after(
    conn: &impl Db,
    after: PatientId,
    most: usize,
) -> Result<(HashMap<PatientId, PatientLine>, Option<PatientId>)> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(LINES_AFTER)?;
    let limit = i64::try_from(most).unwrap_or(-1);
    let rows = stmt.query_map(params![after.0, limit], |r| {
        Ok((PatientId(r.get(0)?), read_line(r, 1)?))
    })?;
    let mut lines = HashMap::new();
    let mut last = after;
    for row in rows {
        let (id, line) = row?;
        lines.insert(id, line?);
        last = id;
    }
    // In patient order (the index's): each patient's replies are one run.
    let unfiled = unfiled_replies(conn, replies::UNFILED_BETWEEN, [after.0, last.0])?;
    for run in unfiled.chunk_by(|a, b| a.0 == b.0) {
        if let Some(line) = lines.get_mut(&run[0].0) {
            line.unfiled = run.iter().map(|(_, r)| r.clone()).collect();
        }
    }
    let more = lines.len() == most;
    Ok((lines, more.then_some(last)))
}

/// One patient's line, with their unfiled replies.
pub(super) fn line_of(conn: &rusqlite::Connection, patient: i64) -> Result<PatientLine> {
    let mut stmt = conn.prepare_cached(LINE_OF)?;
    let mut line = stmt.query_row([patient], |r| read_line(r, 1))??;
    let replies = unfiled_replies(conn, replies::UNFILED_OF, [patient])?;
    line.unfiled = replies.into_iter().map(|(_, r)| r).collect();
    Ok(line)
}

/// The unfiled replies `sql` reads ([`replies::UNFILED_BETWEEN`] or [`replies::UNFILED_OF`]), with
/// their patients.
fn unfiled_replies<P: rusqlite::Params>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> Result<Vec<(PatientId, UnfiledReply)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            ReplyKind::parse(text(r, 1)?.unwrap_or_default()),
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    rows.map(|r| {
        let (patient, kind, at, message) = r?;
        let reply = UnfiledReply {
            kind,
            at: from_ts(at)?,
            message: MessageId(message),
        };
        Ok((PatientId(patient), reply))
    })
    .collect()
}

/// The [`line_columns`] from column `at` on (a consent word frontdesk cannot read: `Err`
/// inside, for the caller to report with the row).
pub(super) fn read_line(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Result<PatientLine>> {
    let name: String = r.get(at)?;
    let (has_mobile, portal, number_flagged) = (r.get(at + 1)?, r.get(at + 2)?, r.get(at + 3)?);
    let consent = consent_flag(text(r, at + 4)?, text(r, at + 5)?, text(r, at + 6)?);
    Ok(consent.map(|consent| PatientLine {
        name: name.into_boxed_str(),
        has_mobile,
        portal,
        number_flagged,
        consent,
        unfiled: Box::new([]),
    }))
}

/// The flag of a patient's last consent event as the patient's row carries it (migration
/// 19); no event, no flag.
fn consent_flag(
    kind: Option<&str>,
    method: Option<&str>,
    evidence: Option<&str>,
) -> Result<ConsentFlag> {
    let word = crate::store::consent::row_word(kind, method)?;
    Ok(ConsentFlag::after(word.map(|(k, m)| (k, m, evidence))))
}

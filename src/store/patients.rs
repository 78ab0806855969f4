//! Patients: insert, read, search, and the number-problem flag.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Row, params};
use std::collections::HashMap;

use super::{Result, StoreError, found, from_ts, parse_date, ts};
use crate::domain::consent::ConsentState;
use crate::domain::ids::PatientId;
use crate::domain::name_search::fold;
use crate::domain::patient::{NumberProblem, Patient};
use crate::domain::phone::E164;

/// A patient to be created (the id is assigned by the database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPatient {
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub mobile: Option<E164>,
    pub time_zone: Option<Tz>,
    pub portal_active: bool,
}

pub fn insert(conn: &impl Write, p: &NewPatient, now: DateTime<Utc>) -> Result<PatientId> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "INSERT INTO patients (external_id, first_name, last_name, birth_date, mobile, time_zone,
                               portal_active, created_at, search_last, search_first)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        p.external_id,
        p.first_name,
        p.last_name,
        p.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        p.mobile.as_ref().map(E164::as_str),
        p.time_zone.map(|z| z.name().to_string()),
        p.portal_active,
        ts(now),
        fold(&p.last_name),
        fold(&p.first_name),
    ])?;
    Ok(PatientId(conn.last_insert_rowid()))
}

/// Write a patient's folded names (`name_search::fold`, what the search compares) after its
/// names changed: the `patients_renamed` trigger cleared them when the names were written.
pub(super) fn write_folded(
    conn: &rusqlite::Connection,
    id: PatientId,
    first: &str,
    last: &str,
) -> Result<()> {
    conn.prepare_cached("UPDATE patients SET search_last = ?2, search_first = ?3 WHERE id = ?1")?
        .execute(params![id.0, fold(last), fold(first)])?;
    Ok(())
}

const COLUMNS: &str = "id, external_id, first_name, last_name, birth_date, mobile, time_zone,
                       portal_active, number_problem_code, number_problem_at, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<RawPatient> {
    Ok(RawPatient {
        id: r.get(0)?,
        external_id: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        birth_date: r.get(4)?,
        mobile: r.get(5)?,
        time_zone: r.get(6)?,
        portal_active: r.get(7)?,
        problem_code: r.get(8)?,
        problem_at: r.get(9)?,
        created_at: r.get(10)?,
    })
}

/// Row as stored, before its text columns are checked.
struct RawPatient {
    id: i64,
    external_id: Option<String>,
    first_name: String,
    last_name: String,
    birth_date: Option<String>,
    mobile: Option<String>,
    time_zone: Option<String>,
    portal_active: bool,
    problem_code: Option<String>,
    problem_at: Option<i64>,
    created_at: i64,
}

impl RawPatient {
    fn check(self) -> Result<Patient> {
        let mobile = self
            .mobile
            .map(|m| {
                E164::try_from(m.clone()).map_err(|_| StoreError::Corrupt {
                    what: "patients.mobile",
                    value: m,
                })
            })
            .transpose()?;
        let time_zone = self
            .time_zone
            .map(|z| {
                z.parse::<Tz>().map_err(|_| StoreError::Corrupt {
                    what: "patients.time_zone",
                    value: z,
                })
            })
            .transpose()?;
        let number_problem = match (self.problem_code, self.problem_at) {
            (Some(code), Some(at)) => Some(NumberProblem {
                code,
                at: from_ts(at)?,
            }),
            _ => None,
        };
        Ok(Patient {
            id: PatientId(self.id),
            external_id: self.external_id,
            first_name: self.first_name,
            last_name: self.last_name,
            birth_date: self.birth_date.as_deref().map(parse_date).transpose()?,
            mobile,
            time_zone,
            portal_active: self.portal_active,
            number_problem,
            created_at: from_ts(self.created_at)?,
        })
    }
}

pub fn get(conn: &impl Db, id: PatientId) -> Result<Patient> {
    let conn = super::sql(conn);
    let sql = format!("SELECT {COLUMNS} FROM patients WHERE id = ?1");
    found(
        conn.prepare_cached(&sql)?
            .query_row(params![id.0], from_row),
        "patient",
        id,
    )?
    .check()
}

/// Many patients by id in one statement (a day's ~1,400 at a clinic group): each found one,
/// or why its record cannot be read ([`StoreError::Corrupt`]); an id with no patient is left
/// out. Any other error is returned as the error.
pub fn get_many(conn: &impl Db, ids: &[PatientId]) -> Result<HashMap<PatientId, Result<Patient>>> {
    let conn = super::sql(conn);
    let sql =
        format!("SELECT {COLUMNS} FROM patients WHERE id IN (SELECT value FROM json_each(?1))");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![super::id_list(ids.iter().map(|p| p.0))], from_row)?;
    let mut out = HashMap::with_capacity(ids.len());
    for raw in rows {
        let raw = raw?;
        let id = PatientId(raw.id);
        match raw.check() {
            Err(e @ StoreError::Corrupt { .. }) => out.insert(id, Err(e)),
            Err(e) => return Err(e),
            Ok(p) => out.insert(id, Ok(p)),
        };
    }
    Ok(out)
}

/// Up to `most` patients' records with ids after `after`, each with their last consent word,
/// one at a time in id order (a clinic group's 100,000 are never held at once): for each, what
/// [`get_many`] and [`super::consent::last_words`] give for that patient, read in one range of
/// the table — for a reader that keeps every patient's record facts
/// (`workflow::day::Known`), a share at a time. Returns the id to go on after (`None`: no
/// patient left). Any error other than a record's own (`Corrupt`) is returned as the error.
pub fn each_with_consent(
    conn: &impl Db,
    after: PatientId,
    most: usize,
    mut each: impl FnMut(PatientId, Result<Patient>, Result<Option<ConsentState>>),
) -> Result<Option<PatientId>> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS}, consent_kind, consent_method, consent_evidence, consent_at
           FROM patients WHERE id > ?1 ORDER BY id LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![after.0, i64::try_from(most).unwrap_or(-1)])?;
    let (mut read, mut last) = (0, after);
    while let Some(r) = rows.next()? {
        let raw = from_row(r)?;
        let word = (r.get(11)?, r.get(12)?, r.get(13)?, r.get(14)?);
        let id = PatientId(raw.id);
        let patient = match raw.check() {
            Err(e @ StoreError::Corrupt { .. }) => Err(e),
            Err(e) => return Err(e),
            Ok(p) => Ok(p),
        };
        each(id, patient, super::consent::word(word));
        (read, last) = (read + 1, id);
    }
    Ok((read == most).then_some(last))
}

/// Patients by name fragment ("oka", "okafor, a", "ada oka") or by phone digits (4+ digits).
/// Case-insensitive; at most `limit` results, ordered by name.
pub fn search(conn: &impl Db, query: &str, limit: usize) -> Result<Vec<Patient>> {
    let conn = super::sql(conn);
    let q = query.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let looks_like_phone = digits.len() >= 4
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let rows: Vec<RawPatient> = if looks_like_phone {
        // Suffix or infix match on the stored E.164 digits.
        let sql = format!(
            "SELECT {COLUMNS} FROM patients WHERE mobile LIKE ?1 ESCAPE '\\'
             ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE LIMIT ?2"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(params![format!("%{digits}%"), limit as i64], from_row)?
            .collect::<rusqlite::Result<_>>()?
    } else {
        // Every word must match the start of the first or last name ("ada oka" finds Okafor, Ada).
        let words: Vec<String> = q
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .take(4)
            .map(|w| format!("{}%", like_escape(w)))
            .collect();
        let mut sql = format!("SELECT {COLUMNS} FROM patients WHERE 1 = 1");
        for i in 0..words.len() {
            sql.push_str(&format!(
                " AND (first_name LIKE ?{n} ESCAPE '\\' OR last_name LIKE ?{n} ESCAPE '\\')",
                n = i + 1
            ));
        }
        sql.push_str(&format!(
            " ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE LIMIT ?{}",
            words.len() + 1
        ));
        let mut stmt = conn.prepare(&sql)?;
        let mut bound: Vec<&dyn rusqlite::ToSql> =
            words.iter().map(|w| w as &dyn rusqlite::ToSql).collect();
        let lim = limit as i64;
        bound.push(&lim);
        stmt.query_map(bound.as_slice(), from_row)?
            .collect::<rusqlite::Result<_>>()?
    };
    rows.into_iter().map(RawPatient::check).collect()
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `NotFound` unless the patient exists. Reads no column that could fail to parse, so a
/// patient whose record is partly unreadable can still have consent recorded (a STOP is
/// applied whatever else is wrong with the record).
pub fn must_exist(conn: &impl Db, id: PatientId) -> Result<()> {
    let conn = super::sql(conn);
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM patients WHERE id = ?1",
        params![id.0],
        |r| r.get(0),
    )?;
    found_one(n as usize, "patient", id)
}

/// The stored mobile number (as text) and whether it is flagged, without parsing the rest of
/// the record.
pub fn number_state(conn: &impl Db, id: PatientId) -> Result<(Option<String>, bool)> {
    let conn = super::sql(conn);
    found(
        conn.query_row(
            "SELECT mobile, number_problem_code IS NOT NULL FROM patients WHERE id = ?1",
            params![id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ),
        "patient",
        id,
    )
}

/// The patient's own time zone as stored (`None`: the practice's), or `Corrupt`.
pub fn zone(conn: &impl Db, id: PatientId) -> Result<Option<Tz>> {
    let conn = super::sql(conn);
    let z: Option<String> = found(
        conn.query_row(
            "SELECT time_zone FROM patients WHERE id = ?1",
            params![id.0],
            |r| r.get(0),
        ),
        "patient",
        id,
    )?;
    z.map(|z| {
        z.parse::<Tz>().map_err(|_| StoreError::Corrupt {
            what: "patients.time_zone",
            value: z,
        })
    })
    .transpose()
}

/// Flag a number that failed at the provider; no texts until staff fix it.
pub fn flag_number(conn: &impl Write, id: PatientId, code: &str, now: DateTime<Utc>) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE patients SET number_problem_code = ?2, number_problem_at = ?3 WHERE id = ?1",
        params![id.0, code, ts(now)],
    )?;
    found_one(n, "patient", id)
}

/// Set (or clear) the mobile number; a new number clears the problem flag.
pub fn set_mobile(conn: &impl Write, id: PatientId, mobile: Option<&E164>) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE patients SET mobile = ?2, number_problem_code = NULL, number_problem_at = NULL WHERE id = ?1",
        params![id.0, mobile.map(E164::as_str)],
    )?;
    found_one(n, "patient", id)
}

/// Patients added at or after `since` (onboarding welcome candidates).
pub fn created_since(conn: &impl Db, since: DateTime<Utc>) -> Result<Vec<PatientId>> {
    let conn = super::sql(conn);
    let mut stmt =
        conn.prepare_cached("SELECT id FROM patients WHERE created_at >= ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![ts(since)], |r| r.get(0))?;
    Ok(rows
        .map(|r| r.map(PatientId))
        .collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))?)
}

fn found_one(changed: usize, what: &'static str, id: impl ToString) -> Result<()> {
    if changed == 0 {
        return Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
    }

    fn new(first: &str, last: &str, mobile: Option<&str>) -> NewPatient {
        NewPatient {
            external_id: None,
            first_name: first.into(),
            last_name: last.into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 17),
            mobile: mobile.map(|m| E164::parse(m, "US").unwrap()),
            time_zone: Some(chrono_tz::America::Chicago),
            portal_active: true,
        }
    }

    #[test]
    fn insert_then_get_round_trips_every_field() {
        let store = Store::open_in_memory().unwrap();
        let id = insert(
            store.test_conn(),
            &new("Ada", "Okafor", Some("2015550134")),
            now(),
        )
        .unwrap();
        let p = get(store.test_conn(), id).unwrap();
        assert_eq!(p.list_name(), "Okafor, Ada");
        assert_eq!(p.mobile.unwrap().as_str(), "+12015550134");
        assert_eq!(p.time_zone, Some(chrono_tz::America::Chicago));
        assert_eq!(p.birth_date, chrono::NaiveDate::from_ymd_opt(1980, 5, 17));
        assert!(p.portal_active && p.number_problem.is_none());
        assert_eq!(p.created_at, now());
    }

    #[test]
    fn missing_patient_is_not_found() {
        let store = Store::open_in_memory().unwrap();
        assert!(matches!(
            get(store.test_conn(), PatientId(9)),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn search_by_name_words_and_by_phone_digits() {
        let store = Store::open_in_memory().unwrap();
        let ada = insert(
            store.test_conn(),
            &new("Ada", "Okafor", Some("2015550134")),
            now(),
        )
        .unwrap();
        insert(store.test_conn(), &new("Bob", "Okada", None), now()).unwrap();
        insert(
            store.test_conn(),
            &new("Chloé", "Ng", Some("2015550199")),
            now(),
        )
        .unwrap();
        let names = |q: &str| {
            search(store.test_conn(), q, 10)
                .unwrap()
                .into_iter()
                .map(|p| p.list_name())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("oka"), vec!["Okada, Bob", "Okafor, Ada"]);
        assert_eq!(names("ada oka"), vec!["Okafor, Ada"]);
        assert_eq!(names("Okafor, A"), vec!["Okafor, Ada"]);
        assert_eq!(search(store.test_conn(), "0134", 10).unwrap()[0].id, ada);
        assert_eq!(names("(201) 555-01"), vec!["Ng, Chloé", "Okafor, Ada"]);
        assert!(names("%").is_empty());
        assert!(names("  ").is_empty());
    }

    #[test]
    fn flagging_and_fixing_a_number() {
        let store = Store::open_in_memory().unwrap();
        let id = insert(
            store.test_conn(),
            &new("Ada", "Okafor", Some("2015550134")),
            now(),
        )
        .unwrap();
        flag_number(store.test_conn(), id, "21614", now()).unwrap();
        assert_eq!(
            get(store.test_conn(), id)
                .unwrap()
                .number_problem
                .unwrap()
                .code,
            "21614"
        );
        let fixed = E164::parse("2015550135", "US").unwrap();
        set_mobile(store.test_conn(), id, Some(&fixed)).unwrap();
        let p = get(store.test_conn(), id).unwrap();
        assert!(p.number_problem.is_none());
        assert_eq!(p.mobile, Some(fixed));
    }
}

//! The desk's patient search (SPEC §3.2): by any part of a name, ignoring accents and case
//! (`domain::name_search`), or by digits anywhere in the mobile number. Names are folded in
//! Rust rather than SQL (SQLite's NOCASE knows ASCII only), reading id and names of every
//! patient: a few milliseconds for a practice, tens for a clinic group.

use rusqlite::{Connection, params};

use super::Result;
use crate::domain::ids::PatientId;
use crate::domain::name_search::{fold, phone_digits, query_words, rank};
use crate::domain::patient::Patient;

/// Up to `limit` patients matching `query`: best matches first (`name_search::rank`), then
/// by name (folded). Ask for one more than
/// you show to know whether there are more.
pub fn search(conn: &impl super::Db, query: &str, limit: usize) -> Result<Vec<Patient>> {
    let conn = super::sql(conn);
    let q = query.trim();
    if q.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let ids: Vec<PatientId> = match phone_digits(q) {
        Some(digits) => {
            let mut stmt = conn.prepare_cached(
                // NOT INDEXED: read the table in its own order and sort only the matches.
                // Stepping the name index instead (the plan SQLite picks to skip the sort)
                // looks every patient up by id, in name order: 0.46 s for a 100,000-patient
                // encrypted group (docs/BENCHMARKS.md, "Clinic group").
                "SELECT id FROM patients NOT INDEXED WHERE mobile LIKE ?1
                  ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?2",
            )?;
            stmt.query_map(params![format!("%{digits}%"), limit as i64], |r| {
                r.get(0).map(PatientId)
            })?
            .collect::<rusqlite::Result<_>>()?
        }
        None => by_name(conn, &query_words(q), limit)?,
    };
    ids.into_iter()
        .map(|id| super::patients::get(conn, id))
        .collect()
}

fn by_name(conn: &Connection, words: &[String], limit: usize) -> Result<Vec<PatientId>> {
    let mut stmt = conn.prepare_cached("SELECT id, first_name, last_name FROM patients")?;
    let mut found: Vec<(u8, String, String, i64)> = Vec::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, first, last) = row?;
        let (first, last) = (fold(&first), fold(&last));
        if let Some(r) = rank(words, &first, &last) {
            found.push((r, last, first, id));
        }
    }
    found.sort();
    Ok(found
        .into_iter()
        .take(limit)
        .map(|(_, _, _, id)| PatientId(id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::E164;
    use crate::store::Store;
    use crate::store::appointments::tests::t;
    use crate::store::patients::{NewPatient, insert};

    fn add(store: &Store, first: &str, last: &str, mobile: Option<&str>) -> PatientId {
        insert(
            &store.conn,
            &NewPatient {
                external_id: None,
                first_name: first.into(),
                last_name: last.into(),
                birth_date: None,
                mobile: mobile.map(|m| E164::try_from(m.to_string()).unwrap()),
                time_zone: None,
                portal_active: false,
            },
            t(8, 0),
        )
        .unwrap()
    }

    fn names(store: &Store, q: &str, limit: usize) -> Vec<String> {
        search(&store.conn, q, limit)
            .unwrap()
            .iter()
            .map(Patient::list_name)
            .collect()
    }

    #[test]
    fn accents_case_and_any_part_of_the_name() {
        let store = Store::open_in_memory().unwrap();
        add(&store, "María", "Hernández", Some("+14155550101"));
        add(&store, "Łukasz", "Dąbrowski", Some("+12015550102"));
        add(&store, "José", "Chávez", None);
        add(
            &store,
            "Alexandra",
            "Okonkwo-Whitfield",
            Some("+12015554150"),
        );
        assert_eq!(names(&store, "Hernandez", 50), ["Hernández, María"]);
        assert_eq!(names(&store, "dabrowski", 50), ["Dąbrowski, Łukasz"]);
        assert_eq!(names(&store, "Chavez", 50), ["Chávez, José"]);
        assert_eq!(
            names(&store, "whitfield alex", 50),
            ["Okonkwo-Whitfield, Alexandra"]
        );
        // Digits anywhere in the number: the area code, or a middle run.
        assert_eq!(
            names(&store, "415", 50),
            ["Hernández, María", "Okonkwo-Whitfield, Alexandra"]
        );
        assert_eq!(names(&store, "(201) 555-0102", 50), ["Dąbrowski, Łukasz"]);
        assert!(names(&store, "zz", 50).is_empty());
    }

    #[test]
    fn the_limit_holds_and_one_more_tells_there_are_more() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..60 {
            add(&store, &format!("Pat{i:02}"), "Smith", None);
        }
        let hits = names(&store, "smi", 51);
        assert_eq!(hits.len(), 51);
        assert_eq!(hits[0], "Smith, Pat00", "ordered by name");
    }
}

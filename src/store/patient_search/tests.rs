//! The search against a brute-force oracle (every name folded and ranked, as before migration
//! 11), and every path that writes a name or a number keeping the folded names and the
//! trigram index right.

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

/// The search as it was before migration 12: every patient read, folded and ranked; digits
/// by `LIKE` over the table. The indexed search must answer exactly this.
fn oracle(store: &Store, q: &str, limit: usize) -> Vec<PatientId> {
    let conn = &store.conn;
    if let Some(d) = phone_digits(q) {
        let mut stmt = conn
            .prepare(
                "SELECT id FROM patients NOT INDEXED WHERE mobile LIKE ?1
                  ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?2",
            )
            .unwrap();
        return stmt
            .query_map(params![format!("%{d}%"), limit as i64], |r| {
                r.get(0).map(PatientId)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
    }
    let words = query_words(q);
    let mut stmt = conn
        .prepare("SELECT id, first_name, last_name FROM patients")
        .unwrap();
    let mut found: Vec<Hit> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|(id, f, l)| {
            let (f, l) = (fold(&f), fold(&l));
            rank(&words, &f, &l).map(|r| (r, l, f, id))
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .take(limit)
        .map(|h| PatientId(h.3))
        .collect()
}

fn ids(store: &Store, q: &str, limit: usize) -> Vec<PatientId> {
    search(&store.conn, q, limit)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect()
}

/// Names from many cultures, as people write them.
const PEOPLE: [(&str, &str); 24] = [
    ("María", "Hernández"),
    ("José", "García López"),
    ("Thị Mai", "Nguyễn"),
    ("Văn Đức", "Trần"),
    ("Ayşe", "Yılmaz"),
    ("İbrahim", "Öztürk"),
    ("Anna", "Straße"),
    ("Søren", "Sørensen"),
    ("Åse", "Ødegård"),
    ("Íñigo", "Muñoz"),
    ("Siobhán", "O'Brien"),
    ("Seán", "Ó Súilleabháin"),
    ("Alexandra", "Okonkwo-Whitfield"),
    ("小明", "王"),
    ("さくら", "山田"),
    ("민준", "김"),
    ("Łukasz", "Dąbrowski"),
    ("Zoë", "Brontë"),
    ("Þóra", "Sigurðardóttir"),
    ("Ærø", "Bæk"),
    ("Jean-Luc", "d'Arnaud"),
    ("Mary", "Smith"),
    ("Ada", "Lovelace"),
    ("Chinonso", "Okafor"),
];

fn practice() -> Store {
    let store = Store::open_in_memory().unwrap();
    for (i, (first, last)) in PEOPLE.iter().enumerate() {
        let mobile = format!("+1201555{:04}", 100 + i);
        add(&store, first, last, Some(&mobile));
    }
    store
}

#[test]
fn names_from_many_cultures_are_found_as_the_oracle_finds_them() {
    let store = practice();
    assert_consistent(&store.conn);
    let found = |q: &str| names(&store, q, 50);
    assert_eq!(found("nguyen thi"), ["Nguyễn, Thị Mai"]);
    assert_eq!(found("yilmaz"), ["Yılmaz, Ayşe"]);
    assert_eq!(found("ibrahim"), ["Öztürk, İbrahim"]);
    assert_eq!(found("strasse"), ["Straße, Anna"]);
    assert_eq!(found("odegard"), ["Ødegård, Åse"]);
    assert_eq!(found("inigo munoz"), ["Muñoz, Íñigo"]);
    assert_eq!(found("brien"), ["O'Brien, Siobhán"]);
    assert_eq!(found("o'brien"), ["O'Brien, Siobhán"]);
    assert_eq!(found("suilleabhain"), ["Ó Súilleabháin, Seán"]);
    assert_eq!(found("whitfield"), ["Okonkwo-Whitfield, Alexandra"]);
    assert_eq!(found("小明"), ["王, 小明"]);
    assert_eq!(found("山田"), ["山田, さくら"]);
    assert_eq!(found("thora"), ["Sigurðardóttir, Þóra"]);
    assert_eq!(found("dottir"), ["Sigurðardóttir, Þóra"]);
    assert_eq!(found("baek aero"), ["Bæk, Ærø"]);
    assert_eq!(found("arnaud"), ["d'Arnaud, Jean-Luc"]);
    for q in [
        "a",
        "o",
        "ok",
        "oka",
        "okaf",
        "ez",
        "andez",
        "an",
        "lo",
        "lopez garcia",
        "mai",
        "son",
        "ø",
        "o'",
        "d'a",
        "jean-l",
        "luc",
        "王",
        "zz",
        "zzz",
        "é",
        "201",
        "5550",
        "555010",
        "(201) 555-0110",
        "+1 201",
        "2015550123",
    ] {
        for limit in [1, 2, 3, 51] {
            assert_eq!(
                ids(&store, q, limit),
                oracle(&store, q, limit),
                "{q:?} limit {limit}"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        ..crate::testing::proptest_config("tests/proptest-regressions/store/patient_search/tests.txt")
    })]
    /// Any query built from pieces of the practice's names (a start, an inside, two words,
    /// punctuation, case) finds exactly what folding and ranking every patient finds.
    #[test]
    fn any_query_finds_what_the_oracle_finds(
        picks in proptest::collection::vec((0usize..24, 0usize..2, 0usize..12, 1usize..8), 1..3),
        upper in proptest::bool::ANY,
        limit in 1usize..6,
    ) {
        let store = practice();
        // A renamed patient nobody re-folded is in the search too.
        store.conn.execute("UPDATE patients SET last_name = 'Hernandez-Ruiz' WHERE id = 2", []).unwrap();
        let words: Vec<String> = picks
            .iter()
            .map(|&(who, which, from, len)| {
                let (first, last) = PEOPLE[who];
                let name: Vec<char> = if which == 0 { last } else { first }.chars().collect();
                let from = from.min(name.len().saturating_sub(1));
                name[from..(from + len).min(name.len())].iter().collect()
            })
            .collect();
        let q = words.join(" ");
        let q = if upper { q.to_uppercase() } else { q };
        proptest::prop_assert_eq!(ids(&store, &q, limit), oracle(&store, &q, limit), "{:?}", q);
    }
}

#[test]
fn the_start_of_a_common_surname_and_common_digits_take_their_short_paths_and_agree() {
    let store = Store::open_in_memory().unwrap();
    // 260 García (a full page by surname and more numbers matching "555" than FEW_NUMBERS),
    // some with accents, some without, plus patients the shortcut must not pass over.
    for i in 0..260 {
        let last = if i % 2 == 0 { "García" } else { "Garcia" };
        add(
            &store,
            &format!("P{:03}", 259 - i),
            last,
            Some(&format!("+1201555{i:04}")),
        );
    }
    add(&store, "Garcia", "Abbott", Some("+19085550001"));
    add(&store, "Ana", "Garcés", None);
    assert_consistent(&store.conn);
    for q in [
        "garc",
        "GARCÍA",
        "g",
        "garcia p0",
        "555",
        "201555",
        "0001",
        "garces",
    ] {
        for limit in [1, 51, 300] {
            assert_eq!(
                ids(&store, q, limit),
                oracle(&store, q, limit),
                "{q:?} limit {limit}"
            );
        }
    }
    // A rename nobody re-folded turns the shortcut off: the renamed one still comes first.
    store
        .conn
        .execute(
            "UPDATE patients SET last_name = 'Garbo' WHERE last_name = 'Abbott'",
            [],
        )
        .unwrap();
    assert_eq!(names(&store, "gar", 1), ["Garbo, Garcia"]);
    assert_eq!(ids(&store, "gar", 51), oracle(&store, "gar", 51));
}

#[test]
fn a_rename_is_found_by_the_new_name_and_never_by_the_old_on_every_path() {
    let store = practice();
    let ada = ids(&store, "lovelace", 5)[0];
    // The importer's rename (writes the folded names again).
    crate::store::imports::rename_patient(&store.conn, ada, "Ada", "Byrón", None).unwrap();
    assert_eq!(names(&store, "byron", 5), ["Byrón, Ada"]);
    assert!(names(&store, "lovelace", 5).is_empty());
    assert!(
        names(&store, "velace", 5).is_empty(),
        "not inside the old name either"
    );
    // A write that forgets the folded names (a hand-written UPDATE): cleared by the trigger,
    // folded by the search.
    store
        .conn
        .execute(
            "UPDATE patients SET last_name = 'Kovačević' WHERE id = ?1",
            [ada.0],
        )
        .unwrap();
    let cleared: Option<String> = store
        .conn
        .query_row(
            "SELECT search_last FROM patients WHERE id = ?1",
            [ada.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cleared, None);
    assert_eq!(names(&store, "kovacevic", 5), ["Kovačević, Ada"]);
    assert_eq!(names(&store, "cevic", 5), ["Kovačević, Ada"]);
    assert!(names(&store, "byron", 5).is_empty());
    assert_consistent(&store.conn);
    // A renamed-back name is found again (the trigger fires on every change).
    crate::store::imports::rename_patient(&store.conn, ada, "Ada", "Lovelace", None).unwrap();
    assert_eq!(names(&store, "lovelace", 5), ["Lovelace, Ada"]);
    assert!(names(&store, "kovacevic", 5).is_empty());
    assert_consistent(&store.conn);
}

#[test]
fn a_fixed_mobile_is_found_by_its_new_digits_and_not_the_old() {
    let store = practice();
    let ada = ids(&store, "lovelace", 5)[0];
    let old = ids(&store, "5550122", 5);
    assert_eq!(old, [ada]);
    let new = E164::try_from("+14155559876".to_string()).unwrap();
    crate::store::patients::set_mobile(&store.conn, ada, Some(&new)).unwrap();
    assert_eq!(ids(&store, "5559876", 5), [ada]);
    assert!(ids(&store, "5550122", 5).is_empty());
    crate::store::patients::set_mobile(&store.conn, ada, None).unwrap();
    assert!(ids(&store, "5559876", 5).is_empty());
    assert_consistent(&store.conn);
}

#[test]
fn a_bulk_load_writes_folded_names_and_the_index() {
    use crate::store::bulk::{BulkPatient, LoadSettings, insert_patients};
    let mut store = Store::open_in_memory().unwrap();
    let row = |id: i64, first: &str, last: &str| BulkPatient {
        id: PatientId(id),
        external_id: None,
        first_name: first.into(),
        last_name: last.into(),
        birth_date: None,
        mobile: Some(format!("+1212555{id:04}")),
        time_zone: None,
        portal_active: false,
        created_at: t(8, 0),
    };
    store
        .load_new(
            LoadSettings {
                cache_mib: 8,
                live_indexes: &[],
                sort_runs_mib: 0,
                release_written: false,
            },
            |tx| {
                insert_patients(
                    tx,
                    &[row(1, "Thị Mai", "Nguyễn"), row(2, "Søren", "Ødegård")],
                )
            },
        )
        .unwrap();
    assert_consistent(&store.conn);
    assert_eq!(names(&store, "nguyen", 5), ["Nguyễn, Thị Mai"]);
    assert_eq!(names(&store, "odeg", 5), ["Ødegård, Søren"]);
    assert_eq!(names(&store, "5550002", 5), ["Ødegård, Søren"]);
}

#[test]
fn migration_11_folds_and_indexes_the_patients_already_there() {
    let mut conn = Connection::open_in_memory().unwrap();
    let migrations = crate::store::migrations::migrations();
    migrations.to_version(&mut conn, 10).unwrap();
    conn.execute_batch(
        "INSERT INTO patients (first_name, last_name, mobile, created_at)
         VALUES ('María', 'Hernández', '+14155550101', 0), ('Søren', 'Ødegård', NULL, 0),
                ('Ayşe', 'Yılmaz', '+12015550102', 0);",
    )
    .unwrap();
    migrations.to_latest(&mut conn).unwrap();
    assert_consistent(&conn);
    let found = |q: &str| -> Vec<String> {
        search(&conn, q, 5)
            .unwrap()
            .iter()
            .map(Patient::list_name)
            .collect()
    };
    assert_eq!(found("hernandez"), ["Hernández, María"]);
    assert_eq!(found("odegard"), ["Ødegård, Søren"]);
    assert_eq!(found("yilm"), ["Yılmaz, Ayşe"]);
    assert_eq!(found("5550102"), ["Yılmaz, Ayşe"]);
    // A patient added after the migration, by hand-written SQL without the folded names.
    conn.execute(
        "INSERT INTO patients (first_name, last_name, created_at) VALUES ('Zoë', 'Brontë', 0)",
        [],
    )
    .unwrap();
    assert_eq!(found("bronte"), ["Brontë, Zoë"]);
    assert_consistent(&conn);
}

#[test]
fn the_search_reads_only_through_its_indexes() {
    let store = practice();
    let plan = |sql: &str| -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let all: [&dyn rusqlite::ToSql; 3] = [&"x", &"y", &1];
        let args = &all[..stmt.parameter_count()];
        stmt.query_map(args, |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let by_surname = plan(
        "SELECT id FROM patients WHERE search_last >= ?1 AND search_last < ?2
          ORDER BY search_last, search_first, id LIMIT ?3",
    );
    assert!(
        by_surname.contains("COVERING INDEX patients_by_folded_name"),
        "{by_surname}"
    );
    assert!(!by_surname.contains("TEMP B-TREE"), "{by_surname}");
    let unfolded = plan("SELECT EXISTS (SELECT 1 FROM patients WHERE search_last IS NULL)");
    assert!(
        unfolded.contains("patients_by_folded_name (search_last=?)"),
        "{unfolded}"
    );
    let many_numbers = plan(
        "SELECT id FROM patients WHERE mobile LIKE ?1
          ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?2",
    );
    assert!(
        many_numbers.contains("COVERING INDEX patients_by_name"),
        "{many_numbers}"
    );
}

/// `sqlite_master` as it stands: names and the SQL that made them.
fn schema_of(conn: &Connection) -> Vec<(String, Option<String>)> {
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn new_patient(first: &str, last: &str, mobile: &str) -> NewPatient {
    NewPatient {
        external_id: None,
        first_name: first.into(),
        last_name: last.into(),
        birth_date: None,
        mobile: Some(E164::try_from(mobile.to_string()).unwrap()),
        time_zone: None,
        portal_active: false,
    }
}

#[test]
fn an_import_indexes_its_new_patients_at_the_end_and_leaves_the_schema_as_it_was() {
    let mut store = practice();
    let before = schema_of(&store.conn);
    store
        .write(|tx| {
            let deferred = defer_indexing(tx)?;
            for (i, (first, last)) in PEOPLE.iter().enumerate() {
                insert(
                    tx,
                    &new_patient(first, last, &format!("+1415555{:04}", 200 + i)),
                    t(8, 0),
                )?;
            }
            // A patient the same change adds and then renames is found by the last name only.
            let renamed = insert(tx, &new_patient("Ada", "Lovelace", "+14155550999"), t(8, 0))?;
            crate::store::imports::rename_patient(tx, renamed, "Ada", "Byrón", None)?;
            index_deferred(tx, deferred)
        })
        .unwrap();
    assert_eq!(
        schema_of(&store.conn),
        before,
        "the trigger is back as it was"
    );
    assert_consistent(&store.conn);
    for q in [
        "nguyen", "sor", "okafor", "byron", "lovelace", "5550999", "55502", "o'b", "王",
    ] {
        assert_eq!(ids(&store, q, 60), oracle(&store, q, 60), "query {q:?}");
    }
    assert_eq!(names(&store, "5550999", 5), ["Byrón, Ada"]);
    // The trigger works again: a patient added afterwards is found at once.
    add(&store, "Kwame", "Mensah-Quist", Some("+14155550777"));
    assert_eq!(names(&store, "quist", 5), ["Mensah-Quist, Kwame"]);
    assert_consistent(&store.conn);
}

#[test]
fn a_change_that_fails_after_setting_the_trigger_aside_puts_it_back() {
    let mut store = practice();
    let before = schema_of(&store.conn);
    let failed: Result<()> = store.write(|tx| {
        let _deferred = defer_indexing(tx)?;
        insert(tx, &new_patient("Ngozi", "Eze", "+14155550555"), t(8, 0))?;
        Err(crate::store::StoreError::Conflict(
            "the import was refused".into(),
        ))
    });
    assert!(failed.is_err());
    assert_eq!(schema_of(&store.conn), before);
    assert!(
        ids(&store, "eze", 5).is_empty(),
        "nothing of the change is left"
    );
    add(&store, "Ngozi", "Eze", Some("+14155550555"));
    assert_eq!(names(&store, "eze", 5), ["Eze, Ngozi"]);
    assert_consistent(&store.conn);
}

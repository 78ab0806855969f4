//! `frontdesk import fhir URL` against a small FHIR server on loopback: paging through
//! `Bundle.link` "next", the bearer token, a 401, a server too slow to answer, the page cap.
//! The server runs on the fakes' shared HTTP transport (`fake_twilio/transport.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)] // the shared transport serves the Twilio fake too
#[path = "fake_twilio/transport.rs"]
mod transport;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};
use tempfile::TempDir;

use frontdesk::provider::fhir::{FhirClient, FhirError, HttpFhir};
use frontdesk::store::Store;
use transport::{Action, Request, Response, Server};

/// Every database these tests make is encrypted with this key; the binary gets it in
/// `FRONTDESK_DB_KEY`.
pub const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

pub fn test_db_key() -> frontdesk::store::cipher::DbKey {
    frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap()
}

/// A raw connection to an encrypted test database, keyed, for SQL of the test's own.
pub fn keyed_sql(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        &frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY)
            .expect("a test key")
            .sqlcipher_statements(),
    )?;
    Ok(conn)
}

const TOKEN: &str = "test-fhir-token";

/// What the fake server does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Three pages, each with one appointment and its patient; needs the token.
    Pages,
    /// Every page links to another one, forever.
    Endless,
    /// Waits 3 s before answering.
    Slow,
}

/// Each request's path and query, and its Authorization header.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The FHIR server on the fakes' shared HTTP transport; dropping it stops it.
struct FakeFhir {
    base: String,
    requests: Log,
    _server: Server,
}

impl FakeFhir {
    fn start(mode: Mode) -> Self {
        let requests: Log = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        // The handler needs the base URL, known only once the server is bound.
        let base_cell: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let base_for = base_cell.clone();
        let server = Server::start(Arc::new(move |req: Request| {
            let base = base_for.get().cloned().unwrap_or_default();
            log.lock()
                .unwrap()
                .push((req.target.clone(), req.authorization.clone()));
            let (status, body) = answer(mode, &base, &req.target, req.authorization.as_deref());
            let response = Response {
                status,
                body: body.to_string(),
                headers: vec![("Content-Type".into(), "application/fhir+json".into())],
            };
            match mode {
                // A server too slow for the client's timeout (a fault, not a wait).
                Mode::Slow => Action::Delay(Duration::from_secs(3), response),
                _ => Action::Respond(response),
            }
        }));
        let base = format!("{}/fhir", server.base_url);
        base_cell.set(base.clone()).unwrap();
        Self {
            base,
            requests,
            _server: server,
        }
    }
}

fn answer(mode: Mode, base: &str, target: &str, auth: Option<&str>) -> (u16, Value) {
    if auth != Some(&format!("Bearer {TOKEN}")) {
        let outcome = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login", "diagnostics": "invalid token"}]});
        return (401, outcome);
    }
    let page: usize = target
        .split("page=")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let origin = base.trim_end_matches("/fhir");
    let next = match mode {
        Mode::Endless => Some(format!("{origin}/fhir/Appointment?page={}", page + 1)),
        _ if page < 3 => Some(format!("{origin}/fhir/Appointment?page={}", page + 1)),
        _ => None,
    };
    let link: Vec<Value> = next
        .into_iter()
        .map(|u| json!({"relation": "next", "url": u}))
        .collect();
    let patient = json!({
        "resourceType": "Patient", "id": format!("p{page}"),
        "identifier": [{"system": "urn:mrn", "value": format!("M{page}")}],
        "name": [{"family": "Okafor", "given": [format!("Ada{page}")]}],
        "telecom": [{"system": "phone", "use": "mobile", "value": format!("201-555-01{page:02}")}]
    });
    let appointment = json!({
        "resourceType": "Appointment", "id": format!("a{page}"), "status": "booked",
        "start": format!("2026-11-2{page}T09:00:00-05:00"), "end": format!("2026-11-2{page}T09:30:00-05:00"),
        "participant": [{"actor": {"reference": format!("Patient/p{page}")}},
                         {"actor": {"reference": "Practitioner/d1"}}]
    });
    let doctor = json!({"resourceType": "Practitioner", "id": "d1", "name": [{"prefix": ["Dr."], "family": "Ng", "given": ["Linh"]}]});
    let bundle = json!({
        "resourceType": "Bundle", "type": "searchset", "link": link,
        "entry": [
            {"fullUrl": format!("{base}/Appointment/a{page}"), "resource": appointment, "search": {"mode": "match"}},
            {"fullUrl": format!("{base}/Patient/p{page}"), "resource": patient, "search": {"mode": "include"}},
            {"fullUrl": format!("{base}/Practitioner/d1"), "resource": doctor, "search": {"mode": "include"}}
        ]
    });
    (200, bundle)
}

fn frontdesk(home: &TempDir, db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("frontdesk").unwrap();
    cmd.env_clear()
        .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("FRONTDESK_NOW", "2026-11-20T10:00:00-05:00")
        .args(["--db", db.to_str().unwrap()]);
    cmd
}

fn practice() -> (TempDir, std::path::PathBuf) {
    let home = TempDir::new().unwrap();
    let db = home.path().join("practice.db");
    drop(Store::open_keyed(&db, &test_db_key()).unwrap());
    (home, db)
}

#[test]
fn pages_are_followed_with_the_token_and_a_second_run_changes_nothing() {
    let server = FakeFhir::start(Mode::Pages);
    let (home, db) = practice();
    let out = frontdesk(&home, &db)
        .env("FRONTDESK_FHIR_TOKEN", TOKEN)
        .args([
            "import",
            "fhir",
            &server.base,
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["appointments"]["added"], 3, "{r:#}");
    assert_eq!(r["patients"]["added"], 3);
    let asked = server.requests.lock().unwrap().clone();
    assert_eq!(asked.len(), 3);
    assert!(asked[0].0.starts_with("/fhir/Appointment?date=ge2026-11-01&date=le2026-11-30&_include=Appointment:patient&_include=Appointment:actor"), "{asked:?}");
    assert!(
        asked
            .iter()
            .all(|(_, a)| a.as_deref() == Some("Bearer test-fhir-token"))
    );
    let clinicians: i64 = keyed_sql(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM clinicians", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        clinicians, 1,
        "the practitioner included on every page is one clinician"
    );

    frontdesk(&home, &db)
        .env("MY_TOKEN", TOKEN)
        .args([
            "import",
            "fhir",
            &server.base,
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--token-env",
            "MY_TOKEN",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing changed"));
}

#[test]
fn a_wrong_token_is_a_clear_error_and_nothing_is_written() {
    let server = FakeFhir::start(Mode::Pages);
    let (home, db) = practice();
    frontdesk(&home, &db)
        .env("FRONTDESK_FHIR_TOKEN", "wrong")
        .args(["import", "fhir", &server.base])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("refused the request (401)")
                .and(predicate::str::contains("FRONTDESK_FHIR_TOKEN")),
        )
        .stderr(predicate::str::contains("wrong").not());
    let n: i64 = keyed_sql(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_server_that_never_stops_paging_hits_the_cap_and_nothing_is_written() {
    let server = FakeFhir::start(Mode::Endless);
    let (home, db) = practice();
    frontdesk(&home, &db)
        .env("FRONTDESK_FHIR_TOKEN", TOKEN)
        .args(["import", "fhir", &server.base, "--max-pages", "4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("more than 4 pages"));
    assert_eq!(server.requests.lock().unwrap().len(), 4);
    let n: i64 = keyed_sql(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_slow_server_times_out() {
    let server = FakeFhir::start(Mode::Slow);
    let (home, db) = practice();
    frontdesk(&home, &db)
        .env("FRONTDESK_FHIR_TOKEN", TOKEN)
        .args(["import", "fhir", &server.base, "--timeout", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did not answer within 1 s"));
}

#[test]
fn the_client_itself_reports_401_and_timeouts() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = FakeFhir::start(Mode::Pages);
    let url = format!("{}/Appointment?page=1", server.base);
    let anonymous = HttpFhir::new(None, Duration::from_secs(5)).unwrap();
    assert_eq!(
        rt.block_on(anonymous.get(&url)),
        Err(FhirError::Unauthorized { status: 401 })
    );
    let ok = HttpFhir::new(Some(TOKEN.into()), Duration::from_secs(5)).unwrap();
    let body = rt.block_on(ok.get(&url)).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["resourceType"],
        "Bundle"
    );
    let slow = FakeFhir::start(Mode::Slow);
    let impatient = HttpFhir::new(Some(TOKEN.into()), Duration::from_millis(300)).unwrap();
    let err = rt
        .block_on(impatient.get(&format!("{}/Appointment", slow.base)))
        .unwrap_err();
    assert!(matches!(err, FhirError::Timeout { .. }), "{err:?}");
    assert!(
        !format!("{impatient:?}").contains(TOKEN),
        "the token never shows in debug output"
    );
}

#[test]
fn plain_http_to_another_host_with_a_token_is_refused() {
    let (home, db) = practice();
    frontdesk(&home, &db)
        .env("FRONTDESK_FHIR_TOKEN", TOKEN)
        .args(["import", "fhir", "http://ehr.example.org/fhir"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("plain http"));
}

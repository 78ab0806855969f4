//! Paging through a FHIR server's search: follow `Bundle.link` "next" until there is none,
//! never past a page cap, never to another server (the token goes with every request).
//! All pages are read before anything is planned: an import is all or nothing.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::import::{Parsed, ReadContext, fhir};
use crate::provider::fhir::{FhirClient, FhirError};

/// How far to go.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    pub max_pages: usize,
}

/// Why the pages could not all be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Fhir(#[from] FhirError),
    #[error(
        "the server has more than {max} pages for these dates; nothing was imported — import fewer days at a time or raise --max-pages"
    )]
    TooManyPages { max: usize },
    #[error(
        "the server's next page is on another server ({origin}); refusing to send the token there"
    )]
    ForeignNext { origin: String },
    #[error("{0:?} is not an http(s) address")]
    NotHttp(String),
    #[error("refusing to send the token over plain http to {0}; use https")]
    TokenOverHttp(String),
}

/// Every page, read.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub parsed: Parsed,
    /// SHA-256 over all pages, in order.
    pub sha256: String,
    pub pages: usize,
}

/// The search the issue asks for: a date window with the patients and actors included.
/// An address that already names `Appointment?…` is used as it is.
pub fn search_url(base: &str, from: NaiveDate, to: NaiveDate) -> String {
    if base.contains("Appointment?") {
        return base.to_string();
    }
    let base = base.trim_end_matches('/').trim_end_matches("/Appointment");
    format!(
        "{base}/Appointment?date=ge{from}&date=le{to}&_include=Appointment:patient&_include=Appointment:actor&_count=200"
    )
}

/// `scheme://host[:port]` of an absolute address.
pub fn origin(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let scheme = &url[..rest_at - 3];
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = url[rest_at..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest_at + i);
    Some(&url[..end])
}

/// A FHIR server to read from: the search's first page, the bearer token if any, how long
/// one page may take and how many pages at most.
#[derive(Clone, Debug)]
pub struct Server<'a> {
    pub first: &'a str,
    pub token: Option<String>,
    pub timeout: std::time::Duration,
    pub limits: FetchLimits,
}

/// Read every page from a server: the token goes only over https (or to this machine), and
/// the HTTP client is built here, never by the command.
pub async fn fetch_from_server(
    server: Server<'_>,
    ctx: ReadContext<'_>,
) -> Result<Fetched, FetchError> {
    let home = origin(server.first).unwrap_or_default();
    if server.token.is_some() && !server.first.starts_with("https://") && !is_loopback(home) {
        return Err(FetchError::TokenOverHttp(home.to_string()));
    }
    let client = crate::provider::fhir::HttpFhir::new(server.token, server.timeout)?;
    fetch_all(&client, server.first, server.limits, ctx).await
}

fn is_loopback(origin: &str) -> bool {
    let host = origin.split("://").nth(1).unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Read the first page and every next one.
pub async fn fetch_all(
    client: &dyn FhirClient,
    first: &str,
    limits: FetchLimits,
    ctx: ReadContext<'_>,
) -> Result<Fetched, FetchError> {
    let home = origin(first)
        .ok_or_else(|| FetchError::NotHttp(first.to_string()))?
        .to_string();
    let mut hash = Sha256::new();
    let mut parsed = Parsed::default();
    let mut url = first.to_string();
    let mut entries = 0;
    for page in 1..=limits.max_pages {
        let body = client.get(&url).await?;
        hash.update(&body);
        let (next, count) = fhir::page_info(&body);
        parsed.extend(fhir::read(&body, ctx, entries));
        entries += count;
        let Some(next) = next else {
            return Ok(Fetched {
                parsed,
                sha256: hex(hash),
                pages: page,
            });
        };
        url = if next.starts_with('/') {
            format!("{home}{next}")
        } else {
            next
        };
        match origin(&url) {
            Some(o) if o.eq_ignore_ascii_case(&home) => {}
            other => {
                return Err(FetchError::ForeignNext {
                    origin: other.unwrap_or(&url).to_string(),
                });
            }
        }
    }
    Err(FetchError::TooManyPages {
        max: limits.max_pages,
    })
}

fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::csv::tests::ctx;
    use crate::provider::fhir::FhirFuture;
    use serde_json::json;
    use std::sync::Mutex;

    /// Answers each URL from a script and remembers what was asked.
    struct Scripted {
        pages: Vec<(String, Result<Vec<u8>, FhirError>)>,
        asked: Mutex<Vec<String>>,
    }

    impl FhirClient for Scripted {
        fn get<'a>(&'a self, url: &'a str) -> FhirFuture<'a> {
            self.asked.lock().unwrap().push(url.to_string());
            let answer = self
                .pages
                .iter()
                .find(|(u, _)| u == url)
                .map(|(_, a)| a.clone())
                .unwrap_or(Err(FhirError::Status {
                    status: 404,
                    detail: url.into(),
                }));
            Box::pin(async move { answer })
        }
    }

    fn page(n: usize, next: Option<&str>) -> Vec<u8> {
        let link: Vec<_> = next
            .iter()
            .map(|u| json!({"relation": "next", "url": u}))
            .collect();
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "searchset", "link": link,
            "entry": [{"resource": {"resourceType": "Patient", "id": format!("p{n}"),
                        "name": [{"family": "Okafor", "given": ["Ada"]}]}},
                      {"resource": {"resourceType": "Observation"}}]
        }))
        .unwrap()
    }

    fn run(s: &Scripted, max_pages: usize) -> Result<Fetched, FetchError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(fetch_all(
            s,
            "https://ehr.example/fhir/Appointment?x=1",
            FetchLimits { max_pages },
            ctx(),
        ))
    }

    #[test]
    fn pages_are_followed_and_entries_numbered_across_them() {
        let s = Scripted {
            pages: vec![
                (
                    "https://ehr.example/fhir/Appointment?x=1".into(),
                    Ok(page(1, Some("https://ehr.example/fhir?page=2"))),
                ),
                (
                    "https://ehr.example/fhir?page=2".into(),
                    Ok(page(2, Some("/fhir?page=3"))),
                ),
                ("https://ehr.example/fhir?page=3".into(), Ok(page(3, None))),
            ],
            asked: Mutex::new(Vec::new()),
        };
        let f = run(&s, 10).unwrap();
        assert_eq!(f.pages, 3);
        assert_eq!(f.parsed.patients.len(), 3);
        assert_eq!(
            f.parsed.patients[2].origin,
            crate::domain::import::Origin::Entry(4)
        );
        assert_eq!(f.sha256.len(), 64);
    }

    #[test]
    fn the_page_cap_stops_and_says_so() {
        let s = Scripted {
            pages: vec![(
                "https://ehr.example/fhir/Appointment?x=1".into(),
                Ok(page(1, Some("https://ehr.example/fhir/Appointment?x=1"))),
            )],
            asked: Mutex::new(Vec::new()),
        };
        assert_eq!(run(&s, 3).unwrap_err(), FetchError::TooManyPages { max: 3 });
        assert_eq!(s.asked.lock().unwrap().len(), 3);
    }

    #[test]
    fn a_next_link_to_another_server_is_refused() {
        let s = Scripted {
            pages: vec![(
                "https://ehr.example/fhir/Appointment?x=1".into(),
                Ok(page(1, Some("https://evil.example/p2"))),
            )],
            asked: Mutex::new(Vec::new()),
        };
        assert!(matches!(run(&s, 5), Err(FetchError::ForeignNext { .. })));
        assert_eq!(s.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn an_error_page_stops_everything() {
        let s = Scripted {
            pages: vec![(
                "https://ehr.example/fhir/Appointment?x=1".into(),
                Err(FhirError::Unauthorized { status: 401 }),
            )],
            asked: Mutex::new(Vec::new()),
        };
        assert!(
            run(&s, 5)
                .unwrap_err()
                .to_string()
                .contains("FRONTDESK_FHIR_TOKEN")
        );
    }

    #[test]
    fn search_urls_and_origins() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(
            search_url("https://ehr.example/fhir/", d(10, 25), d(12, 25)),
            "https://ehr.example/fhir/Appointment?date=ge2026-10-25&date=le2026-12-25&_include=Appointment:patient&_include=Appointment:actor&_count=200"
        );
        assert_eq!(
            search_url("https://x/Appointment?date=ge2026-01-01", d(1, 1), d(1, 2)),
            "https://x/Appointment?date=ge2026-01-01"
        );
        assert_eq!(
            origin("https://ehr.example:8443/fhir?x"),
            Some("https://ehr.example:8443")
        );
        assert_eq!(origin("ftp://x/y"), None);
    }
}

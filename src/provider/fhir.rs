//! Reading a FHIR server over HTTP: one GET per search page, a bearer token, timeouts and a
//! size limit. It lives here because reqwest lives only under `provider/` (it is a
//! provider of schedule data, as Twilio is of texts); the paging loop and everything it
//! decides are in `workflow::import::fetch`, behind [`FhirClient`], so they are tested
//! with a scripted client.
//!
//! Never logs the token or a response body (it holds names and numbers).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What one GET returned, or why not.
pub type FhirFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, FhirError>> + Send + 'a>>;

/// Something that answers FHIR search URLs with JSON bytes.
pub trait FhirClient: Send + Sync {
    fn get<'a>(&'a self, url: &'a str) -> FhirFuture<'a>;
}

/// Why a page could not be read; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    #[error(
        "the FHIR server refused the request ({status}): check the token in FRONTDESK_FHIR_TOKEN (or --token-env) and its scopes"
    )]
    Unauthorized { status: u16 },
    #[error("the FHIR server answered {status}: {detail}")]
    Status { status: u16, detail: String },
    #[error("the FHIR server did not answer within {seconds} s; try again, or raise --timeout")]
    Timeout { seconds: u64 },
    #[error("cannot reach the FHIR server: {0}")]
    Network(String),
    #[error("a page is larger than {limit_mb} MB; ask for fewer days at a time")]
    TooLarge { limit_mb: usize },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// The HTTP client for a FHIR server.
pub struct HttpFhir {
    client: reqwest::Client,
    token: Option<String>,
    timeout: Duration,
    max_bytes: usize,
}

impl std::fmt::Debug for HttpFhir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFhir")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Largest page accepted (a searchset page of a few hundred appointments is well under 5 MB).
pub const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;

impl HttpFhir {
    pub fn new(token: Option<String>, timeout: Duration) -> Result<Self, FhirError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect could carry the token to another host; the paging loop follows
            // `next` links itself, after checking them.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("frontdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FhirError::Setup(e.to_string()))?;
        Ok(Self {
            client,
            token,
            timeout,
            max_bytes: MAX_PAGE_BYTES,
        })
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FhirError> {
        let mut req = self
            .client
            .get(url)
            .header("Accept", "application/fhir+json, application/json");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let mut resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(FhirError::Unauthorized {
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FhirError::TooLarge {
                    limit_mb: self.max_bytes / (1024 * 1024),
                });
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(FhirError::Status {
                status: status.as_u16(),
                detail: outcome_detail(&body),
            });
        }
        Ok(body)
    }

    fn transport(&self, e: &reqwest::Error) -> FhirError {
        if e.is_timeout() {
            FhirError::Timeout {
                seconds: self.timeout.as_secs(),
            }
        } else {
            // Without the URL: it may carry dates a practice considers private.
            FhirError::Network(e.without_url_string())
        }
    }
}

trait WithoutUrl {
    fn without_url_string(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_string(&self) -> String {
        let mut s = self.to_string();
        if let Some(u) = self.url() {
            s = s.replace(u.as_str(), "the server");
        }
        s
    }
}

/// The diagnostics of an OperationOutcome body, or a short note.
fn outcome_detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text: Vec<&str> = v
        .get("issue")
        .and_then(|i| i.as_array())
        .map(|issues| {
            issues
                .iter()
                .filter_map(|i| i.get("diagnostics")?.as_str())
                .collect()
        })
        .unwrap_or_default();
    if text.is_empty() {
        "no details".into()
    } else {
        text.join("; ").chars().take(300).collect()
    }
}

impl FhirClient for HttpFhir {
    fn get<'a>(&'a self, url: &'a str) -> FhirFuture<'a> {
        Box::pin(self.fetch(url))
    }
}

//! The Twilio client's requests checked against Twilio's own OpenAPI description, served by
//! the Prism mock in `../shared/contracts` (see its README).
//!
//! Runs whenever `../shared/contracts` exists next to the crate and says so plainly on stderr
//! when it is skipped; with `CI` set (as `.ci/run` does) a skip fails instead. Prism validates every request against the spec; its
//! log is read after each group of calls and any request-validation complaint fails the test
//! (the errors variant answers invalid requests with a plausible Twilio error, so the log is
//! the only place a contract bug shows). Response-side `format: "uri"` complaints about
//! Twilio's own relative `*_page_uri` examples are expected and ignored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/skip.rs"]
mod skip;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use frontdesk::domain::message::MessageStatus;
use frontdesk::domain::phone::E164;
use frontdesk::provider::twilio::{Sender, Twilio, TwilioSettings, client_builder};
use frontdesk::provider::{
    Disposition, OutboundSms, PollCursor, ProviderError, SentQuery, SmsProvider,
};
use reqwest::header::{HeaderMap, HeaderValue};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const MG: &str = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SM: &str = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Say something on the real stderr, past the test harness's capture.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The contracts folder, or `None` (skipped with a message; a failure in CI) when it or node
/// is missing: the Twilio contract was then NOT checked.
fn contracts() -> Option<PathBuf> {
    let dir = crate_root().join("../shared/contracts");
    let missing = if !dir.join("twilio-mock").is_file() {
        Some(format!("{} not found", dir.display()))
    } else if !skip::runs("node", &["--version"]) || !skip::runs("npm", &["--version"]) {
        Some("node and npm are needed to run the Prism mock".to_string())
    } else {
        None
    };
    (!skip::skipped("twilio_contract", missing)).then_some(dir)
}

/// A running Prism mock (stopped by the script's watchdog once this process exits).
struct Mock {
    base: String,
    log: PathBuf,
}

impl Mock {
    fn start(contracts: &Path, args: &[&str]) -> Self {
        let out = std::process::Command::new(contracts.join("twilio-mock"))
            .args(args)
            .arg("auto")
            .current_dir(crate_root())
            .env("TWILIO_MOCK_OWNER_PID", std::process::id().to_string())
            .output()
            .expect("run twilio-mock (needs bash, node >= 18 and npm)");
        assert!(
            out.status.success(),
            "twilio-mock {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let base = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let port = base.rsplit(':').next().unwrap().to_string();
        let home = match (
            std::env::var_os("PRISM_HOME"),
            std::env::var_os("CARGO_TARGET_DIR"),
        ) {
            (Some(h), _) => PathBuf::from(h),
            (None, Some(t)) => PathBuf::from(t).join("prism"),
            (None, None) => PathBuf::from("target/prism"),
        };
        let home = if home.is_absolute() {
            home
        } else {
            crate_root().join(home)
        };
        let log = home.join(format!("run/twilio-mock-{port}.log"));
        assert!(log.is_file(), "no Prism log at {}", log.display());
        say(&format!("twilio_contract: Prism {args:?} at {base}"));
        Self { base, log }
    }

    /// Request-validation complaints in Prism's log so far.
    fn violations(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap();
        text.lines()
            .filter(|l| {
                (l.contains('✖') || l.contains("did not pass the validation"))
                    && !l.contains("Violation: response.")
                    // the script's readiness probe
                    && !l.contains("[HTTP SERVER] get / ")
            })
            .map(str::to_string)
            .collect()
    }

    fn assert_clean(&self, step: &str) {
        let v = self.violations();
        assert!(
            v.is_empty(),
            "{step}: Prism found contract violations:\n{}",
            v.join("\n")
        );
    }
}

fn settings(base: &str, sender: Sender) -> TwilioSettings {
    TwilioSettings {
        account_sid: AC.into(),
        auth_token: "contract-test-token".into(),
        sender,
        base_url: base.into(),
        timeout: Duration::from_secs(10),
        max_pages: 3,
        page_size: 50,
    }
}

fn from_number() -> Sender {
    Sender::From(E164::try_from("+15555550123".to_string()).unwrap())
}

fn sms() -> OutboundSms {
    OutboundSms {
        to: E164::try_from("+15558675310".to_string()).unwrap(),
        body: "Riverside Family Practice: see you Fri 10:00. Reply STOP to opt out.".into(),
        idempotency_key: "contract".into(),
    }
}

/// A client whose every request asks Prism for one example (`Prefer`).
fn preferring(base: &str, sender: Sender, prefer: &str) -> Twilio {
    let mut headers = HeaderMap::new();
    headers.insert("Prefer", HeaderValue::from_str(prefer).unwrap());
    let client = client_builder(Duration::from_secs(10))
        .default_headers(headers)
        .build()
        .unwrap();
    Twilio::with_client(settings(base, sender), client).unwrap()
}

#[tokio::test]
async fn requests_match_twilios_openapi_description() {
    let Some(dir) = contracts() else { return };
    let mock = Mock::start(&dir, &[]);
    let twilio = Twilio::new(settings(&mock.base, from_number())).unwrap();

    // Create with From, and with a Messaging Service.
    let r = twilio.send(&sms()).await.unwrap();
    assert_eq!(r.provider_id, SM);
    assert_eq!(r.status, MessageStatus::Queued);
    assert_eq!(r.segments, Some(1));
    let service = Twilio::new(settings(&mock.base, Sender::Service(MG.into()))).unwrap();
    service.send(&sms()).await.unwrap();
    mock.assert_clean("create");

    // Fetch: the example is `sent` with error 30007.
    let s = twilio.fetch_status(SM).await.unwrap();
    assert_eq!(s.status, MessageStatus::Sent);
    assert_eq!(s.error_code, Some(30007));
    assert_eq!(s.disposition(), None);
    mock.assert_clean("fetch");

    // Poll: the list example never ends (its next page is itself), so the page cap must stop
    // it, and the repeated page must not repeat what was reported. Through the service both
    // example messages are ours: one inbound, one outbound.
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
    let page = service.poll(&PollCursor::starting_at(start)).await.unwrap();
    assert!(
        !page.complete,
        "the page cap stopped a never-ending listing"
    );
    assert!(page.cursor.is_resuming());
    assert_eq!(page.inbound.len(), 1);
    assert_eq!(page.inbound[0].body, "look mom I have media!");
    assert_eq!(page.statuses.len(), 1);
    assert_eq!(page.statuses[0].status, MessageStatus::Sent);
    let more = service.poll(&page.cursor).await.unwrap();
    assert!(more.inbound.is_empty() && more.statuses.is_empty());
    mock.assert_clean("poll (first pages and the next_page_uri continuation)");

    // An empty list ends the listing.
    let empty = preferring(&mock.base, from_number(), "example=readEmptySentdateEquals");
    let done = empty.poll(&PollCursor::starting_at(start)).await.unwrap();
    assert!(done.complete && done.inbound.is_empty());

    // Reconciliation lists by To (+ From); the example messages are from 2019, outside the
    // window, so nothing matches and one page is enough.
    let q = SentQuery {
        to: sms().to,
        body: sms().body,
        since: start,
    };
    assert!(twilio.find_sent(&q).await.unwrap().is_empty());
    mock.assert_clean("find_sent");

    // The log check itself works: a date-only DateSent is a contract violation.
    let bad = reqwest::Client::new()
        .get(format!(
            "{}/2010-04-01/Accounts/{AC}/Messages.json",
            mock.base
        ))
        .basic_auth(AC, Some("x"))
        .query(&[("DateSent", "2024-05-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    assert!(
        !mock.violations().is_empty(),
        "the Prism log check would not have caught a contract bug"
    );
}

#[tokio::test]
async fn twilio_error_answers_map_to_what_the_workflow_must_do() {
    let Some(dir) = contracts() else { return };
    let mock = Mock::start(&dir, &["--spec", "errors"]);
    let send = |prefer: &'static str| {
        let twilio = preferring(&mock.base, from_number(), prefer);
        async move { twilio.send(&sms()).await.unwrap_err() }
    };

    assert_eq!(
        send("code=400, example=unsubscribedRecipient").await,
        ProviderError::Unsubscribed
    );
    let invalid = send("code=400, example=invalidToNumber").await;
    assert_eq!(invalid, ProviderError::InvalidNumber { code: 21211 });
    assert_eq!(invalid.disposition(), Disposition::FlagNumber);
    assert_eq!(
        send("code=400, example=notMobileNumber").await,
        ProviderError::InvalidNumber { code: 21614 }
    );
    let body = send("code=400, example=bodyRequired").await;
    assert!(
        matches!(
            body,
            ProviderError::Rejected {
                status: 400,
                code: Some(21602),
                ..
            }
        ),
        "{body:?}"
    );
    assert_eq!(body.disposition(), Disposition::Fail);
    let auth = send("code=401, example=authenticate").await;
    assert_eq!(auth, ProviderError::Unauthorized { code: Some(20003) });
    assert_eq!(auth.disposition(), Disposition::StopRun);
    let limited = send("code=429, example=tooManyRequests").await;
    assert!(
        matches!(
            limited,
            ProviderError::RateLimited {
                code: Some(20429),
                ..
            }
        ),
        "{limited:?}"
    );
    assert!(limited.retryable());
    assert_eq!(
        send("code=500, example=internalError").await,
        ProviderError::Server {
            status: 500,
            code: Some(20500)
        }
    );
    let unavailable = send("code=503, example=serviceUnavailable").await;
    assert_eq!(unavailable.disposition(), Disposition::Retry);
    mock.assert_clean("create errors");

    // Reads: unknown message, auth failure on the list, rate limit on fetch.
    let missing = preferring(&mock.base, from_number(), "code=404, example=notFound")
        .fetch_status(SM)
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing,
            ProviderError::Rejected {
                status: 404,
                code: Some(20404),
                ..
            }
        ),
        "{missing:?}"
    );
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
    let poll = preferring(&mock.base, from_number(), "code=401, example=authenticate")
        .poll(&PollCursor::starting_at(start))
        .await
        .unwrap_err();
    assert_eq!(poll.disposition(), Disposition::StopRun);
    let fetch = preferring(
        &mock.base,
        from_number(),
        "code=429, example=tooManyRequests",
    )
    .fetch_status(SM)
    .await
    .unwrap_err();
    assert!(fetch.retryable());
    mock.assert_clean("read errors");
}

#[tokio::test]
async fn random_schema_shaped_answers_are_read_without_failing() {
    let Some(dir) = contracts() else { return };
    let mock = Mock::start(&dir, &["--dynamic"]);
    // One page per poll: a random `next_page_uri` is not a path on the base URL, which the
    // client refuses to follow (credentials never leave the configured host).
    let twilio = Twilio::new(TwilioSettings {
        max_pages: 1,
        ..settings(&mock.base, from_number())
    })
    .unwrap();
    for _ in 0..5 {
        match twilio.send(&sms()).await {
            Ok(r) => assert!(!r.provider_id.is_empty()),
            // Only a missing/odd sid may fail a create, and then as an unreadable answer.
            Err(e) => assert!(matches!(e, ProviderError::BadResponse(_)), "{e:?}"),
        }
        twilio.fetch_status(SM).await.unwrap();
    }
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
    twilio.poll(&PollCursor::starting_at(start)).await.unwrap();
    mock.assert_clean("dynamic answers");
}

/// The real binary, end to end against Twilio's own contract: `remind` sends the due reminders
/// of the demo practice (every request valid; Prism answers every create with one sid, which
/// must not stop the run), a second `remind` sends nothing, and `sync` reads the list.
#[test]
fn the_binary_reminds_and_syncs_against_the_contract_mock() {
    let Some(contracts) = contracts() else { return };
    let mock = Mock::start(&contracts, &[]);
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("demo.db");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[sms]\nprovider = \"twilio\"\nrate_per_second = 100\n\n[sms.twilio]\naccount_sid = \"{AC}\"\n\
             from = \"+15555550123\"\nauth_token_env = \"FRONTDESK_CONTRACT_TOKEN\"\nbase_url = \"{}\"\n",
            mock.base
        ),
    )
    .unwrap();
    // Config files are refused unless only their owner can read them (as `init` writes them).
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
            ])
            .args(args)
            .env("FRONTDESK_NOW", "2026-11-25T10:00:00-05:00")
            .env("FRONTDESK_CONTRACT_TOKEN", "contract-test-token")
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "frontdesk {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or(serde_json::Value::Null)
    };
    run(&["demo", "--seed-only"]);
    let first = run(&["remind", "--json"]);
    let sent = first["sent"].as_u64().unwrap();
    assert!(sent > 0, "{first}");
    assert_eq!(first["failed"].as_u64(), Some(0), "{first}");
    mock.assert_clean("remind");
    let second = run(&["remind", "--json"]);
    assert_eq!(second["sent"].as_u64(), Some(0), "{second}");
    assert_eq!(second["recorded"].as_u64(), Some(0), "{second}");
    let synced = run(&["sync", "--json"]);
    assert!(synced["stopped"].is_null(), "{synced}");
    mock.assert_clean("sync");
}

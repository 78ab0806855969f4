//! A stateful fake of Twilio's Messages API (2010-04-01) on loopback, for integration tests.
//!
//! Include it with `mod fake_twilio;` from any file in `tests/`. It runs on its own thread
//! with its own tokio runtime, so it keeps answering while the test blocks (waiting for a
//! child `frontdesk` process, say) and works from sync and async tests alike. Dropping the
//! [`FakeTwilio`] stops it.
//!
//! What it does, like Twilio:
//! * checks HTTP basic auth (`ACCOUNT_SID` / `AUTH_TOKEN`) and the account in the path;
//! * create (`POST …/Messages.json`, form-encoded): needs `To`, `Body` and `From` or
//!   `MessagingServiceSid`; assigns `SM…` sids; status `queued` (`accepted` via a service);
//! * fetch (`GET …/Messages/{Sid}.json`) and list (`GET …/Messages.json`) with `To`, `From`,
//!   `DateSent`, `DateSent>`, `DateSent<` (by day; messages without `date_sent` never match a
//!   date filter), `PageSize` (1..=1000), newest first, `next_page_uri` a relative path with a
//!   `PageToken`;
//! * status progression queued → sent → delivered, on demand ([`FakeTwilio::advance_all`],
//!   [`FakeTwilio::deliver_all`]) or one step per fetch ([`Progression::OnFetch`]); a number
//!   marked [`FakeTwilio::undeliverable`] ends `undelivered` with its code (30003…), as Twilio
//!   reports those codes only asynchronously;
//! * default opt-out handling: after an inbound STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
//!   OPTOUT, REVOKE) every create to that number answers 400/21610 until START, UNSTOP or YES
//!   ([`FakeTwilio::set_opt_out_handling`] turns this off);
//! * scripted faults ([`FakeTwilio::fail`]): 401/20003, 429 with `Retry-After`, 5xx, any
//!   Twilio error code, a dropped connection before or after the message is created, a delay.
//!
//! The fake has its own clock (fixed, moved by the test) — nothing reads the wall clock.
//! Counters: [`FakeTwilio::created`] lists every message created, [`FakeTwilio::create_count`]
//! counts per (To, Body) for exactly-once assertions, [`FakeTwilio::requests`] logs every
//! request (method, path, query).

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use frontdesk::domain::phone::E164;
use frontdesk::provider::twilio::{Sender, Twilio, TwilioSettings};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "fake-twilio-auth-token";
/// The practice's Twilio number; also a member of [`SERVICE_SID`].
pub const FROM: &str = "+15555550123";
pub const SERVICE_SID: &str = "MG0123456789abcdef0123456789abcdef";

/// Which requests a fault applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// Every create.
    Create,
    /// Creates to this number.
    CreateTo(String),
    /// List requests.
    List,
    /// Fetches of one message.
    Fetch,
}

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 401 with Twilio code 20003.
    Unauthorized,
    /// 429 with code 20429 and `Retry-After: secs`.
    RateLimited { retry_after_secs: u64 },
    /// This 5xx status with code 20500/20503.
    Server(u16),
    /// Any Twilio error: status, code, message.
    Twilio {
        status: u16,
        code: u32,
        message: String,
    },
    /// Read the request, then close the connection without answering (nothing created).
    DropConnection,
    /// Create the message, then close the connection without answering.
    DropAfterCreate,
    /// Answer normally after this long (for client timeouts).
    Delay(Duration),
}

/// How outbound messages move on by themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progression {
    /// Only when the test calls [`FakeTwilio::advance_all`] / [`FakeTwilio::deliver_all`].
    Manual,
    /// One step each time the message is fetched.
    OnFetch,
    /// Created already `sent`.
    SentOnCreate,
}

/// One message in the fake's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeMessage {
    pub sid: String,
    pub inbound: bool,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: String,
    pub error_code: Option<u32>,
    pub messaging_service_sid: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_sent: Option<DateTime<Utc>>,
    pub date_updated: DateTime<Utc>,
    /// Insertion order, breaks ties between equal timestamps.
    seq: u64,
}

impl FakeMessage {
    fn sort_key(&self) -> (i64, u64) {
        (
            self.date_sent
                .unwrap_or(self.date_created)
                .timestamp_millis(),
            self.seq,
        )
    }

    fn to_json(&self) -> Value {
        let date = |t: DateTime<Utc>| t.to_rfc2822();
        let uri = format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{}.json",
            self.sid
        );
        json!({
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": date(self.date_created),
            "date_sent": self.date_sent.map(date),
            "date_updated": date(self.date_updated),
            "direction": if self.inbound { "inbound" } else { "outbound-api" },
            "error_code": self.error_code,
            "error_message": self.error_code.map(|c| format!("error {c}")),
            "from": self.from,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": null,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        })
    }
}

/// A create the fake accepted (a message now exists at "Twilio").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub sid: String,
    pub to: String,
    pub body: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
}

/// One request as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl RequestRecord {
    pub fn is_list(&self) -> bool {
        self.method == "GET" && self.path.ends_with("/Messages.json")
    }
    pub fn is_create(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/Messages.json")
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Rule {
    target: Target,
    fault: Fault,
    remaining: Option<u32>,
}

struct State {
    now: DateTime<Utc>,
    seq: u64,
    messages: Vec<FakeMessage>,
    created: Vec<Created>,
    create_attempts: usize,
    requests: Vec<RequestRecord>,
    rules: Vec<Rule>,
    progression: Progression,
    undeliverable: Vec<(String, u32)>,
    opt_out_handling: bool,
    opted_out: HashSet<String>,
}

/// The running fake. Drop it to stop the server.
pub struct FakeTwilio {
    base_url: String,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The fake's clock starts here unless told otherwise: Wed 25 Nov 2026, 09:00 in New York.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
}

impl FakeTwilio {
    /// Start on a free loopback port with the clock at [`default_now`].
    pub fn start() -> Self {
        Self::start_at(default_now())
    }

    /// Start with the fake's clock at `now`.
    pub fn start_at(now: DateTime<Utc>) -> Self {
        let state = Arc::new(Mutex::new(State {
            now,
            seq: 0,
            messages: Vec::new(),
            created: Vec::new(),
            create_attempts: 0,
            requests: Vec::new(),
            rules: Vec::new(),
            progression: Progression::Manual,
            undeliverable: Vec::new(),
            opt_out_handling: true,
            opted_out: HashSet::new(),
        }));
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = std_listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("fake-twilio".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake twilio runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    let mut rx = rx;
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    let _ = stream.set_nodelay(true);
                                    tokio::spawn(serve(stream, Arc::clone(&shared)));
                                }
                            }
                        }
                    }
                });
            })
            .expect("spawn fake twilio thread");
        Self {
            base_url: format!("http://{addr}"),
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` — the `base_url` to configure.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Client settings that send `From` [`FROM`] to this fake.
    pub fn settings(&self) -> TwilioSettings {
        TwilioSettings {
            account_sid: ACCOUNT_SID.into(),
            auth_token: AUTH_TOKEN.into(),
            sender: Sender::From(E164::try_from(FROM.to_string()).unwrap()),
            base_url: self.base_url.clone(),
            timeout: Duration::from_secs(5),
            max_pages: 20,
            page_size: 50,
        }
    }

    /// Client settings that send through the Messaging Service [`SERVICE_SID`].
    pub fn service_settings(&self) -> TwilioSettings {
        TwilioSettings {
            sender: Sender::Service(SERVICE_SID.into()),
            ..self.settings()
        }
    }

    /// A Twilio provider pointed at this fake (`From` sender).
    pub fn provider(&self) -> Twilio {
        Twilio::new(self.settings()).unwrap()
    }

    /// A `[sms.twilio]` TOML section for this fake; the token is read from the environment
    /// variable named `token_env` (set it to [`AUTH_TOKEN`] in the child's environment).
    pub fn config_toml(&self, token_env: &str) -> String {
        format!(
            "[sms.twilio]\naccount_sid = \"{ACCOUNT_SID}\"\nfrom = \"{FROM}\"\n\
             auth_token_env = \"{token_env}\"\nbase_url = \"{}\"\n",
            self.base_url
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // --- clock -----------------------------------------------------------------------

    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        self.lock().now = now;
    }

    pub fn advance_clock(&self, by: chrono::TimeDelta) {
        let mut s = self.lock();
        s.now += by;
    }

    // --- scripting ---------------------------------------------------------------------

    /// Apply `fault` to requests matching `target`, `times` times (None: until cleared).
    pub fn fail(&self, target: Target, fault: Fault, times: Option<u32>) {
        self.lock().rules.push(Rule {
            target,
            fault,
            remaining: times,
        });
    }

    /// The brief's name for [`Self::fail`] with no limit.
    pub fn set_failure(&self, target: Target, fault: Fault) {
        self.fail(target, fault, None);
    }

    pub fn clear_failures(&self) {
        self.lock().rules.clear();
    }

    /// Creates to `to` fail with a Twilio code: 21610 (unsubscribed), 21211 (invalid number),
    /// 21614 (not mobile) — whatever Twilio answers synchronously, always with HTTP 400.
    pub fn fail_number(&self, to: &str, code: u32) {
        let message = match code {
            21610 => "Attempt to send to unsubscribed recipient".to_string(),
            21211 => format!("The 'To' number {to} is not a valid phone number."),
            21614 => format!("'To' number {to} is not a valid mobile number"),
            _ => format!("Error {code}"),
        };
        self.fail(
            Target::CreateTo(to.to_string()),
            Fault::Twilio {
                status: 400,
                code,
                message,
            },
            None,
        );
    }

    /// Messages to `to` are accepted but end `undelivered` with `code` (30003, 30005, 30006).
    pub fn undeliverable(&self, to: &str, code: u32) {
        self.lock().undeliverable.push((to.to_string(), code));
    }

    pub fn set_progression(&self, p: Progression) {
        self.lock().progression = p;
    }

    /// Twilio's default STOP/START handling (on unless turned off).
    pub fn set_opt_out_handling(&self, on: bool) {
        self.lock().opt_out_handling = on;
    }

    /// A patient texts the practice number. Returns the new message's sid.
    pub fn inject_inbound(&self, from: &str, body: &str) -> String {
        self.inject_inbound_to(from, FROM, body)
    }

    /// A text to another number on the same account (not ours: polls must ignore it).
    pub fn inject_inbound_to(&self, from: &str, to: &str, body: &str) -> String {
        let mut s = self.lock();
        let now = s.now;
        let service = (to == FROM).then(|| SERVICE_SID.to_string());
        if s.opt_out_handling && to == FROM {
            let word = body.trim().to_ascii_uppercase();
            if OPT_OUT_WORDS.contains(&word.as_str()) {
                s.opted_out.insert(from.to_string());
            } else if OPT_IN_WORDS.contains(&word.as_str()) {
                s.opted_out.remove(from);
            }
        }
        let sid = s.next_sid("SM");
        let seq = s.seq;
        s.messages.push(FakeMessage {
            sid: sid.clone(),
            inbound: true,
            from: from.to_string(),
            to: to.to_string(),
            body: body.to_string(),
            status: "received".into(),
            error_code: None,
            messaging_service_sid: service,
            date_created: now,
            date_sent: Some(now),
            date_updated: now,
            seq,
        });
        sid
    }

    /// Move every outbound message that is not final one step on. Returns how many moved.
    pub fn advance_all(&self) -> usize {
        let mut s = self.lock();
        let now = s.now;
        let undeliverable = s.undeliverable.clone();
        s.messages
            .iter_mut()
            .filter(|m| !m.inbound)
            .map(|m| step(m, now, &undeliverable))
            .filter(|moved| *moved)
            .count()
    }

    /// Move every outbound message to its final status. Returns how many moved.
    pub fn deliver_all(&self) -> usize {
        let mut s = self.lock();
        let now = s.now;
        let undeliverable = s.undeliverable.clone();
        let mut moved = 0;
        for m in s.messages.iter_mut().filter(|m| !m.inbound) {
            let mut any = false;
            while step(m, now, &undeliverable) {
                any = true;
            }
            moved += usize::from(any);
        }
        moved
    }

    /// Set one message's status (and error code) directly.
    pub fn set_status(&self, sid: &str, status: &str, error_code: Option<u32>) {
        let mut s = self.lock();
        let now = s.now;
        if let Some(m) = s.messages.iter_mut().find(|m| m.sid == sid) {
            m.status = status.to_string();
            m.error_code = error_code;
            m.date_updated = now;
            if m.date_sent.is_none() && status != "queued" && status != "accepted" {
                m.date_sent = Some(now);
            }
        }
    }

    // --- observing -----------------------------------------------------------------------

    /// Every message created, in order.
    pub fn created(&self) -> Vec<Created> {
        self.lock().created.clone()
    }

    /// How many messages were created to `to` with exactly this body.
    pub fn create_count(&self, to: &str, body: &str) -> usize {
        self.lock()
            .created
            .iter()
            .filter(|c| c.to == to && c.body == body)
            .count()
    }

    /// (To, Body, count) for every pair created more than once — empty when exactly-once held.
    pub fn duplicates(&self) -> Vec<(String, String, usize)> {
        let s = self.lock();
        let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for c in &s.created {
            *counts.entry((c.to.clone(), c.body.clone())).or_default() += 1;
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|((to, body), n)| (to, body, n))
            .collect()
    }

    /// Create requests received, failed ones included.
    pub fn create_attempts(&self) -> usize {
        self.lock().create_attempts
    }

    pub fn messages(&self) -> Vec<FakeMessage> {
        self.lock().messages.clone()
    }

    pub fn message(&self, sid: &str) -> Option<FakeMessage> {
        self.lock().messages.iter().find(|m| m.sid == sid).cloned()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const OPT_OUT_WORDS: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
];
const OPT_IN_WORDS: [&str; 3] = ["START", "UNSTOP", "YES"];

impl State {
    fn next_sid(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}{:032x}", self.seq)
    }

    /// The first fault whose target matches, consuming one of its uses.
    fn fault_for(&mut self, kind: RouteKind, to: Option<&str>) -> Option<Fault> {
        let rule = self.rules.iter_mut().find(|r| {
            r.remaining != Some(0)
                && match &r.target {
                    Target::Any => true,
                    Target::Create => kind == RouteKind::Create,
                    Target::CreateTo(n) => kind == RouteKind::Create && to == Some(n.as_str()),
                    Target::List => kind == RouteKind::List,
                    Target::Fetch => kind == RouteKind::Fetch,
                }
        })?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.fault.clone())
    }
}

/// One step of the lifecycle. Returns whether the message moved.
fn step(m: &mut FakeMessage, now: DateTime<Utc>, undeliverable: &[(String, u32)]) -> bool {
    let next = match m.status.as_str() {
        "accepted" => "queued",
        "queued" | "sending" => "sent",
        "sent" => {
            if let Some((_, code)) = undeliverable.iter().find(|(n, _)| *n == m.to) {
                m.error_code = Some(*code);
                "undelivered"
            } else {
                "delivered"
            }
        }
        _ => return false,
    };
    m.status = next.to_string();
    m.date_updated = now;
    if next == "sent" {
        m.date_sent = Some(now);
    }
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RouteKind {
    Create,
    List,
    Fetch,
    Other,
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    authorization: Option<String>,
    form: Vec<(String, String)>,
    close: bool,
}

struct Response {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
}

enum Action {
    Respond(Response),
    Drop,
    Delay(Duration, Response),
}

fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    Response {
        status,
        body: json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        })
        .to_string(),
        headers: Vec::new(),
    }
}

fn ok(status: u16, body: Value) -> Response {
    Response {
        status,
        body: body.to_string(),
        headers: Vec::new(),
    }
}

/// Serve one connection: HTTP/1.1 with keep-alive and `Content-Length` bodies.
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let req = match read_request(&mut reader).await {
            Some(Ok(req)) => req,
            Some(Err(response)) => {
                let _ = write_response(&mut write, &response).await;
                return;
            }
            None => return,
        };
        let close = req.close;
        let action = handle(&state, req);
        let response = match action {
            Action::Drop => return,
            Action::Delay(d, r) => {
                tokio::time::sleep(d).await;
                r
            }
            Action::Respond(r) => r,
        };
        if write_response(&mut write, &response).await.is_err() || close {
            return;
        }
    }
}

async fn read_request(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Option<Result<Request, Response>> {
    let mut line = String::new();
    match reader.read_line(&mut line).await {
        Ok(0) | Err(_) => return None,
        Ok(_) => {}
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Some(Err(twilio_error(400, 20001, "bad request line")));
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut content_length = 0usize;
    let mut authorization = None;
    let mut close = false;
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((name, value)) = h.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.parse().unwrap_or(0),
            "authorization" => authorization = Some(value.to_string()),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            "transfer-encoding" => {
                return Some(Err(twilio_error(501, 20001, "chunked bodies unsupported")));
            }
            _ => {}
        }
    }
    let mut body = vec![0u8; content_length];
    if reader.read_exact(&mut body).await.is_err() {
        return None;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), decode(q.as_bytes())),
        None => (target.clone(), Vec::new()),
    };
    Some(Ok(Request {
        method,
        path,
        query,
        authorization,
        form: decode(&body),
        close,
    }))
}

fn decode(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

async fn write_response(
    w: &mut tokio::net::tcp::OwnedWriteHalf,
    r: &Response,
) -> std::io::Result<()> {
    let reason = match r.status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes()).await?;
    w.write_all(r.body.as_bytes()).await?;
    w.flush().await
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Action {
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    s.requests.push(RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
    });
    let prefix = "/2010-04-01/Accounts/";
    let rest = req.path.strip_prefix(prefix).unwrap_or("");
    let (account, resource) = rest.split_once('/').unwrap_or((rest, ""));
    let fetch_sid = resource
        .strip_prefix("Messages/")
        .and_then(|r| r.strip_suffix(".json"))
        .filter(|sid| !sid.contains('/'));
    let kind = match (req.method.as_str(), resource) {
        ("POST", "Messages.json") => RouteKind::Create,
        ("GET", "Messages.json") => RouteKind::List,
        ("GET", _) if fetch_sid.is_some() => RouteKind::Fetch,
        _ => RouteKind::Other,
    };
    if kind == RouteKind::Create {
        s.create_attempts += 1;
    }
    let to = param(&req.form, "To");
    if let Some(fault) = s.fault_for(kind, to) {
        match fault {
            Fault::Unauthorized => {
                return Action::Respond(twilio_error(401, 20003, "Authenticate"));
            }
            Fault::RateLimited { retry_after_secs } => {
                let mut r = twilio_error(429, 20429, "Too Many Requests");
                r.headers
                    .push(("Retry-After".into(), retry_after_secs.to_string()));
                return Action::Respond(r);
            }
            Fault::Server(status) => {
                let code = if status == 503 { 20503 } else { 20500 };
                return Action::Respond(twilio_error(status, code, "Service error"));
            }
            Fault::Twilio {
                status,
                code,
                message,
            } => return Action::Respond(twilio_error(status, code, &message)),
            Fault::DropConnection => return Action::Drop,
            Fault::DropAfterCreate => {
                if kind == RouteKind::Create && authorised(&req) {
                    let _ = create(&mut s, &req.form);
                }
                return Action::Drop;
            }
            Fault::Delay(d) => {
                let response = route(&mut s, kind, &req, account, fetch_sid);
                return Action::Delay(d, response);
            }
        }
    }
    Action::Respond(route(&mut s, kind, &req, account, fetch_sid))
}

fn authorised(req: &Request) -> bool {
    let expected = format!("Basic {}", base64(&format!("{ACCOUNT_SID}:{AUTH_TOKEN}")));
    req.authorization.as_deref() == Some(expected.as_str())
}

fn route(
    s: &mut State,
    kind: RouteKind,
    req: &Request,
    account: &str,
    fetch_sid: Option<&str>,
) -> Response {
    if !authorised(req) {
        return twilio_error(401, 20003, "Authenticate");
    }
    if account != ACCOUNT_SID {
        return twilio_error(404, 20404, "The requested resource was not found");
    }
    match kind {
        RouteKind::Create => match create(s, &req.form) {
            Ok(m) => ok(201, m.to_json()),
            Err(r) => r,
        },
        RouteKind::List => list(s, req),
        RouteKind::Fetch => {
            let sid = fetch_sid.unwrap_or("");
            let now = s.now;
            let progression = s.progression;
            let undeliverable = s.undeliverable.clone();
            match s.messages.iter_mut().find(|m| m.sid == sid) {
                Some(m) => {
                    if progression == Progression::OnFetch && !m.inbound {
                        step(m, now, &undeliverable);
                    }
                    ok(200, m.to_json())
                }
                None => twilio_error(404, 20404, "The requested resource was not found"),
            }
        }
        RouteKind::Other => twilio_error(404, 20404, "The requested resource was not found"),
    }
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn create(s: &mut State, form: &[(String, String)]) -> Result<FakeMessage, Response> {
    let Some(to) = param(form, "To") else {
        return Err(twilio_error(400, 21604, "A 'To' phone number is required."));
    };
    let from = param(form, "From");
    let service = param(form, "MessagingServiceSid");
    if from.is_none() && service.is_none() {
        return Err(twilio_error(
            400,
            21603,
            "A 'From' phone number or a MessagingServiceSid is required.",
        ));
    }
    if service.is_some_and(|mg| mg != SERVICE_SID) {
        return Err(twilio_error(
            400,
            21701,
            "The Messaging Service does not exist",
        ));
    }
    if from.is_some_and(|f| f != FROM) {
        return Err(twilio_error(
            400,
            21606,
            "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account",
        ));
    }
    let Some(body) = param(form, "Body").filter(|b| !b.is_empty()) else {
        return Err(twilio_error(400, 21602, "Message body is required."));
    };
    let valid_to =
        to.len() >= 8 && to.starts_with('+') && to[1..].bytes().all(|b| b.is_ascii_digit());
    if !valid_to {
        return Err(twilio_error(
            400,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        ));
    }
    if s.opt_out_handling && s.opted_out.contains(to) {
        return Err(twilio_error(
            400,
            21610,
            "Attempt to send to unsubscribed recipient",
        ));
    }
    let now = s.now;
    let sid = s.next_sid("SM");
    let status = match (s.progression, service.is_some()) {
        (Progression::SentOnCreate, _) => "sent",
        (_, true) => "accepted",
        (_, false) => "queued",
    };
    let m = FakeMessage {
        sid: sid.clone(),
        inbound: false,
        from: FROM.to_string(),
        to: to.to_string(),
        body: body.to_string(),
        status: status.to_string(),
        error_code: None,
        messaging_service_sid: service.map(str::to_string),
        date_created: now,
        date_sent: (status == "sent").then_some(now),
        date_updated: now,
        seq: s.seq,
    };
    s.messages.push(m.clone());
    s.created.push(Created {
        sid,
        to: to.to_string(),
        body: body.to_string(),
        from: from.map(str::to_string),
        messaging_service_sid: service.map(str::to_string),
    });
    Ok(m)
}

/// A `DateSent` filter value: `YYYY-MM-DD` or an RFC 3339 time (its day counts).
fn filter_day(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.get(..10)?, "%Y-%m-%d").ok()
}

fn list(s: &State, req: &Request) -> Response {
    let q = &req.query;
    let size = match param(q, "PageSize").map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        _ => return twilio_error(400, 20001, "PageSize must be between 1 and 1000"),
    };
    let mut days = Vec::new();
    for name in ["DateSent", "DateSent>", "DateSent<"] {
        if let Some(v) = param(q, name) {
            let Some(day) = filter_day(v) else {
                return twilio_error(400, 20001, &format!("Invalid {name}"));
            };
            days.push((name, day));
        }
    }
    let to = param(q, "To");
    let from = param(q, "From");
    let after: Option<(i64, u64)> = match param(q, "PageToken") {
        None => None,
        Some(token) => match parse_token(token) {
            Some(k) => Some(k),
            None => return twilio_error(400, 20001, "Invalid PageToken"),
        },
    };
    let mut matching: Vec<&FakeMessage> = s
        .messages
        .iter()
        .filter(|m| to.is_none_or(|t| m.to == t))
        .filter(|m| from.is_none_or(|f| m.from == f))
        .filter(|m| {
            days.iter().all(|(name, day)| {
                let Some(sent) = m.date_sent.map(|t| t.date_naive()) else {
                    return false;
                };
                match *name {
                    "DateSent" => sent == *day,
                    "DateSent>" => sent >= *day,
                    _ => sent <= *day,
                }
            })
        })
        .collect();
    matching.sort_by_key(|m| std::cmp::Reverse(m.sort_key()));
    let rest: Vec<&FakeMessage> = matching
        .into_iter()
        .filter(|m| after.is_none_or(|k| m.sort_key() < k))
        .collect();
    let page: Vec<&FakeMessage> = rest.iter().take(size).copied().collect();
    let page_no: usize = param(q, "Page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let base_query: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k != "Page" && k != "PageToken")
        .cloned()
        .collect();
    let uri_with = |extra: &[(&str, String)]| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &base_query {
            ser.append_pair(k, v);
        }
        for (k, v) in extra {
            ser.append_pair(k, v);
        }
        format!("{}?{}", req.path, ser.finish())
    };
    let next = (rest.len() > size).then(|| {
        let last = page.last().map(|m| m.sort_key()).unwrap_or((0, 0));
        uri_with(&[
            ("Page", (page_no + 1).to_string()),
            ("PageToken", format!("PA{}x{}", last.0, last.1)),
        ])
    });
    ok(
        200,
        json!({
            "messages": page.iter().map(|m| m.to_json()).collect::<Vec<_>>(),
            "end": page_no * size + page.len().saturating_sub(1),
            "first_page_uri": uri_with(&[("Page", "0".to_string())]),
            "next_page_uri": next,
            "page": page_no,
            "page_size": size,
            "previous_page_uri": null,
            "start": page_no * size,
            "uri": uri_with(&[("Page", page_no.to_string())]),
        }),
    )
}

fn parse_token(token: &str) -> Option<(i64, u64)> {
    let (ts, seq) = token.strip_prefix("PA")?.split_once('x')?;
    Some((ts.parse().ok()?, seq.parse().ok()?))
}

fn base64(input: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_known_values() {
    assert_eq!(
        base64("Aladdin:open sesame"),
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(base64("ab"), "YWI=");
    assert_eq!(base64("abc"), "YWJj");
}

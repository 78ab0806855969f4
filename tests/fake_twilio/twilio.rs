//! What the fake does like Twilio's Messages API (2010-04-01): basic auth and the account in
//! the path; create, fetch and list (filters, paging, newest first); the status lifecycle;
//! default STOP/START handling; Twilio-shaped errors. The HTTP is `transport.rs`'s, the
//! scripted faults are `faults.rs`'s.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::faults::{self, Rule};
use super::transport::{Action, Request, Response};
use super::{ACCOUNT_SID, AUTH_TOKEN, FROM, SERVICE_SID};

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

/// Everything the fake Twilio knows; behind one mutex shared by the API and the server.
pub struct State {
    pub now: DateTime<Utc>,
    pub seq: u64,
    pub messages: Vec<FakeMessage>,
    pub created: Vec<Created>,
    pub create_attempts: usize,
    pub requests: Vec<RequestRecord>,
    pub rules: Vec<Rule>,
    pub progression: Progression,
    pub undeliverable: Vec<(String, u32)>,
    pub opt_out_handling: bool,
    pub opted_out: HashSet<String>,
}

impl State {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
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
        }
    }

    pub fn next_sid(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}{:032x}", self.seq)
    }

    /// A text to another number on the same account (not ours: polls must ignore it).
    pub fn inject_inbound(&mut self, from: &str, to: &str, body: &str) -> String {
        let s = self;
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
    pub fn advance_all(&mut self) -> usize {
        let s = self;
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
    pub fn deliver_all(&mut self) -> usize {
        let s = self;
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
    pub fn set_status(&mut self, sid: &str, status: &str, error_code: Option<u32>) {
        let s = self;
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
pub enum RouteKind {
    Create,
    List,
    Fetch,
    Other,
}

pub fn twilio_error(status: u16, code: u32, message: &str) -> Response {
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

/// The fake's answer to one request: recorded, then a scripted fault if one applies
/// (`faults.rs`), else what Twilio would answer.
pub fn handle(state: &Mutex<State>, req: Request) -> Action {
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
    match faults::take(&mut s.rules, kind, to) {
        Some(fault) => faults::act(fault, || route(&mut s, kind, &req, account, fetch_sid)),
        None => Action::Respond(route(&mut s, kind, &req, account, fetch_sid)),
    }
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

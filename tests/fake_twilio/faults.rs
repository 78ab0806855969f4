//! Fault injection: which requests go wrong ([`Target`]), how ([`Fault`]), how many times
//! ([`Rule`]), and what the transport is told to do instead of the normal answer (an
//! [`Action`]). The Twilio behaviour (`twilio.rs`) asks here before it answers.

use std::time::Duration;

use super::transport::{Action, Response};
use super::twilio::{RouteKind, twilio_error};

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

/// A scripted fault and how many more requests it applies to (None: until cleared).
pub struct Rule {
    pub target: Target,
    pub fault: Fault,
    pub remaining: Option<u32>,
}

/// The first fault whose target matches, consuming one of its uses.
pub fn take(rules: &mut [Rule], kind: RouteKind, to: Option<&str>) -> Option<Fault> {
    let rule = rules.iter_mut().find(|r| {
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

/// What the transport does for a request a fault applies to. `answer` runs the normal
/// behaviour (it creates the message, for a create) when the fault needs it: after a create
/// whose answer is lost, or for a late answer.
pub fn act(fault: Fault, answer: impl FnOnce() -> Response) -> Action {
    match fault {
        Fault::Unauthorized => Action::Respond(twilio_error(401, 20003, "Authenticate")),
        Fault::RateLimited { retry_after_secs } => {
            let mut r = twilio_error(429, 20429, "Too Many Requests");
            r.headers
                .push(("Retry-After".into(), retry_after_secs.to_string()));
            Action::Respond(r)
        }
        Fault::Server(status) => {
            let code = if status == 503 { 20503 } else { 20500 };
            Action::Respond(twilio_error(status, code, "Service error"))
        }
        Fault::Twilio {
            status,
            code,
            message,
        } => Action::Respond(twilio_error(status, code, &message)),
        Fault::DropConnection => Action::Drop,
        Fault::DropAfterCreate => {
            let _ = answer();
            Action::Drop
        }
        Fault::Delay(d) => Action::Delay(d, answer()),
    }
}

//! What the Twilio provider writes to the log: ids and codes, never a phone number, a message
//! body or the token. Alone in its own test binary: `tracing` caches per call site whether
//! anyone listens, so a test thread without a subscriber that reached a call site first would
//! hide it from this test's capture.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use fake_twilio::FakeTwilio;
use frontdesk::provider::{PollCursor, SentQuery, SmsProvider};
use support::provider::*;

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_ids_and_codes_never_numbers_bodies_or_the_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("frontdesk=trace,info")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let body = "Riverside: see you Friday at ten";
    let r = twilio.send(&sms(ANA, body)).await.unwrap();
    fake.fail_number(BEN, 21211);
    let _ = twilio.send(&sms(BEN, body)).await;
    fake.inject_inbound(CARL, "STOP please");
    fake.advance_all();
    let _ = twilio
        .poll(&PollCursor::starting_at(fake.now()))
        .await
        .unwrap();
    let q = SentQuery {
        to: sms(ANA, "").to,
        body: body.into(),
        since: fake.now(),
    };
    let _ = twilio.find_sent(&q).await.unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains(&r.provider_id), "ids are logged: {log}");
    assert!(log.contains("21211"), "codes are logged");
    for secret in [
        "5550134",
        "5550177",
        "5550188",
        "see you Friday",
        "STOP please",
        fake_twilio::AUTH_TOKEN,
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
}

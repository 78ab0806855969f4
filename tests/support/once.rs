//! The exactly-once assertion every flow test makes after a run, a fault, a kill or a
//! restart: each text that should have gone reached Twilio once, nothing else did, and every
//! row holds its own text's Twilio id.

use std::collections::HashMap;

use frontdesk::domain::message::{Message, MessageStatus};

use crate::fake_twilio::FakeTwilio;

/// A text as Twilio received it: (To, Body).
pub type Sent = (String, String);

/// Each `expected` text was created at the fake exactly once, and nothing else was.
pub fn assert_exactly_once(fake: &FakeTwilio, expected: &[Sent]) {
    assert!(
        fake.duplicates().is_empty(),
        "sent twice: {:?}",
        fake.duplicates()
    );
    for (to, body) in expected {
        assert_eq!(fake.create_count(to, body), 1, "{to}: {body}");
    }
    let created: Vec<Sent> = fake.created().into_iter().map(|c| (c.to, c.body)).collect();
    let unexpected: Vec<&Sent> = created.iter().filter(|c| !expected.contains(c)).collect();
    assert!(
        unexpected.is_empty(),
        "sent but not expected: {unexpected:?}"
    );
}

/// [`assert_exactly_once`], and `rows` are exactly those texts: each one final or with
/// Twilio (queued, sent, delivered) and carrying the sid of its own text.
pub fn assert_exactly_once_with_rows(fake: &FakeTwilio, rows: &[Message], expected: &[Sent]) {
    assert_exactly_once(fake, expected);
    assert_eq!(rows.len(), expected.len(), "one row per text");
    let created: HashMap<String, String> = fake
        .created()
        .into_iter()
        .map(|c| (c.sid, c.body))
        .collect();
    for m in rows {
        assert!(
            matches!(
                m.status,
                MessageStatus::Queued | MessageStatus::Sent | MessageStatus::Delivered
            ),
            "row {} is {}",
            m.id,
            m.status
        );
        let sid = m
            .provider_id
            .as_deref()
            .unwrap_or_else(|| panic!("row {} has no Twilio id", m.id));
        assert_eq!(
            created.get(sid),
            Some(&m.body),
            "row {} carries its own text's sid",
            m.id
        );
    }
}

/// `(to, body)` pairs from string slices.
pub fn texts(pairs: &[(&str, &str)]) -> Vec<Sent> {
    pairs
        .iter()
        .map(|(t, b)| (t.to_string(), b.to_string()))
        .collect()
}

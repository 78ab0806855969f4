use super::*;
use crate::domain::message::MessageKind;
use crate::provider::offline::Outbox;
use crate::store::appointments::tests::{fixture, t};
use crate::store::messages::NewOutbound;

fn pending(store: &Store, p: PatientId, key: &str, kind: MessageKind) -> MessageId {
    store::messages::insert_outbound(
        store.test_conn(),
        &NewOutbound {
            kind,
            patient_id: Some(p),
            appointment_id: None,
            idempotency_key: key,
            to: "+12015550134",
            body: "Riverside Family Practice: see you soon. Reply STOP to opt out.",
            encoding: "gsm7",
            segments: 1,
            status: MessageStatus::Pending,
            provider: "outbox",
            findings: None,
            created_by: "system",
            now: t(0, 0),
            not_before: None,
            send_by: None,
        },
    )
    .unwrap()
    .unwrap()
}

fn run(store: &mut Store, ids: &[MessageId], now: DateTime<Utc>) -> DispatchReport {
    let d = Dispatcher::from_config(&Config::default(), Arc::new(Outbox::new()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(dispatch(
        &d,
        store,
        ids,
        "system",
        &Clock::Fixed(now),
        &mut |_| {},
    ))
    .unwrap()
}

#[test]
fn a_batch_does_not_send_automated_texts_after_the_window_closes() {
    let (mut store, p, _, _) = fixture();
    let reminder = pending(&store, p, "r", MessageKind::Reminder24h);
    let help = pending(&store, p, "h", MessageKind::HelpReply);
    // 20:01 in New York: the window closed a minute ago.
    let r = run(
        &mut store,
        &[reminder, help],
        t(1, 1) + chrono::Duration::days(1),
    );
    assert_eq!((r.sent, r.deferred), (1, 1), "{r:?}");
    let held = store::messages::get(store.test_conn(), reminder).unwrap();
    assert_eq!(held.status, MessageStatus::Queued);
    assert!(held.provider_id.is_none(), "not handed to the provider");
    assert_eq!(
        held.not_before,
        Some(t(13, 0) + chrono::Duration::days(1)),
        "08:00 the next morning"
    );
    // The answer to the patient's own HELP is not held.
    assert!(
        store::messages::get(store.test_conn(), help)
            .unwrap()
            .provider_id
            .is_some()
    );
}

#[test]
fn inside_the_window_the_batch_sends() {
    let (mut store, p, _, _) = fixture();
    let reminder = pending(&store, p, "r", MessageKind::Reminder24h);
    let r = run(&mut store, &[reminder], t(15, 0));
    assert_eq!((r.sent, r.deferred), (1, 0));
}

/// A provider that refuses every text as sent to an unsubscribed number (Twilio 21610).
struct Unsubscribed;

impl SmsProvider for Unsubscribed {
    fn name(&self) -> &'static str {
        "twilio"
    }
    fn send<'a>(&'a self, _: &'a OutboundSms) -> crate::provider::ProviderFuture<'a, SendReceipt> {
        Box::pin(async { Err(ProviderError::Unsubscribed) })
    }
    fn fetch_status<'a>(
        &'a self,
        _: &'a str,
    ) -> crate::provider::ProviderFuture<'a, crate::provider::StatusUpdate> {
        Box::pin(async { Err(ProviderError::Unreachable("not used".into())) })
    }
    fn poll<'a>(
        &'a self,
        _: &'a crate::provider::PollCursor,
    ) -> crate::provider::ProviderFuture<'a, crate::provider::PollPage> {
        Box::pin(async { Err(ProviderError::Unreachable("not used".into())) })
    }
    fn find_sent<'a>(
        &'a self,
        _: &'a SentQuery,
    ) -> crate::provider::ProviderFuture<'a, Vec<crate::provider::SentMessage>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

#[test]
fn an_unsubscribed_number_opts_out_everyone_who_shares_it() {
    let (mut store, p, _, _) = fixture();
    let phone = E164::parse("2015550134", "US").unwrap();
    store::patients::set_mobile(store.test_conn(), p, Some(&phone)).unwrap();
    let sibling = store::patients::insert(
        store.test_conn(),
        &store::patients::NewPatient {
            external_id: None,
            first_name: "Byron".into(),
            last_name: "Lovelace".into(),
            birth_date: None,
            mobile: Some(phone),
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    let id = pending(&store, p, "r", MessageKind::Reminder24h);
    let d = Dispatcher {
        provider: Arc::new(Unsubscribed),
        ..Dispatcher::from_config(&Config::default(), Arc::new(Outbox::new()))
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt
        .block_on(dispatch(
            &d,
            &mut store,
            &[id],
            "system",
            &Clock::Fixed(t(15, 0)),
            &mut |_| {},
        ))
        .unwrap();
    assert_eq!(r.failed, 1);
    for who in [p, sibling] {
        let state = crate::domain::consent::ConsentState::from_events(
            &store::consent::events(store.test_conn(), who).unwrap(),
        );
        assert!(
            matches!(state, crate::domain::consent::ConsentState::OptedOut { .. }),
            "{who}: {state:?}"
        );
    }
}

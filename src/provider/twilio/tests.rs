use super::*;

#[test]
fn statuses_map_onto_the_message_lifecycle() {
    assert_eq!(map_status("accepted"), MessageStatus::Queued);
    assert_eq!(map_status("scheduled"), MessageStatus::Queued);
    assert_eq!(map_status("queued"), MessageStatus::Queued);
    assert_eq!(map_status("sending"), MessageStatus::Sent);
    assert_eq!(map_status("sent"), MessageStatus::Sent);
    assert_eq!(map_status("delivered"), MessageStatus::Delivered);
    assert_eq!(map_status("read"), MessageStatus::Delivered);
    assert_eq!(map_status("undelivered"), MessageStatus::Undelivered);
    assert_eq!(map_status("failed"), MessageStatus::Failed);
    assert_eq!(map_status("canceled"), MessageStatus::Failed);
    assert_eq!(map_status("received"), MessageStatus::Received);
    assert_eq!(map_status("something-new"), MessageStatus::Queued);
}

#[test]
fn messages_are_read_tolerantly() {
    let m: ApiMessage = serde_json::from_str(
        r#"{"sid":"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"sent","error_code":null,
            "num_segments":"2","date_sent":"Thu, 24 Aug 2023 05:01:45 +0000","to":null,
            "price":"-0.0075","brand_new_field":{"x":1},"body":7}"#,
    )
    .unwrap();
    assert_eq!(m.num_segments, Some(2));
    assert_eq!(m.error_code, None);
    assert_eq!(m.body, None);
    assert_eq!(
        parse_date(m.date_sent.as_deref().unwrap())
            .unwrap()
            .to_rfc3339(),
        "2023-08-24T05:01:45+00:00"
    );
    let e: ApiError = serde_json::from_str(r#"{"code":"21610","message":"x"}"#).unwrap();
    assert_eq!(e.code, Some(21610));
    let p: ApiPage = serde_json::from_str(
        r#"{"messages":[{"sid":"SM1"},"junk",{"sid":5}],"next_page_uri":null}"#,
    )
    .unwrap();
    assert_eq!(p.messages.len(), 2);
    assert!(p.next_page_uri.is_none());
}

#[test]
fn retry_after_as_seconds_or_date() {
    let mut h = HeaderMap::new();
    h.insert(RETRY_AFTER, "7".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
    h.insert(
        RETRY_AFTER,
        "Wed, 25 Nov 2026 14:00:30 GMT".parse().unwrap(),
    );
    h.insert(DATE, "Wed, 25 Nov 2026 14:00:00 GMT".parse().unwrap());
    assert_eq!(retry_after(&h), Some(Duration::from_secs(30)));
    h.insert(RETRY_AFTER, "soon".parse().unwrap());
    assert_eq!(retry_after(&h), None);
}

#[test]
fn sids_cannot_change_the_path() {
    assert!(is_sid("SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert!(!is_sid("SM1/../Calls"));
    assert!(!is_sid("SM1?x=1"));
    assert!(!is_sid(""));
}

#[test]
fn settings_debug_hides_the_token() {
    let s = TwilioSettings {
        account_sid: "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        auth_token: "super-secret-token".into(),
        sender: Sender::Service("MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into()),
        base_url: "https://api.twilio.com".into(),
        timeout: Duration::from_secs(5),
        max_pages: 3,
        page_size: 50,
    };
    assert!(!format!("{s:?}").contains("super-secret"));
    let t = Twilio::new(s).unwrap();
    assert!(!format!("{t:?}").contains("super-secret"));
}

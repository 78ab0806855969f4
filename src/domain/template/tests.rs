use super::*;
use crate::domain::consent::ConsentMethod;
use crate::domain::segments::Encoding;
use chrono::TimeZone;
use rstest::rstest;

fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn ctx<'a>(starts: &'a [DateTime<Utc>]) -> RenderContext<'a> {
    RenderContext {
        first_name: "Ana",
        practice_name: "Riverside Family Practice",
        practice_phone: "555-555-0100",
        portal_url: "https://portal.example.org",
        location: "12 Main St",
        tz: chrono_tz::America::New_York,
        starts,
        clinician: Some("Dr. Okafor"),
        survey_url: None,
        opt_out_notice: true,
    }
}

fn render(body: &str, c: &RenderContext<'_>) -> Result<String, TemplateError> {
    Template::parse(body)?.render(c)
}

// --- parsing ---------------------------------------------------------------------------

#[test]
fn unknown_placeholder_is_an_error_naming_it() {
    let err = Template::parse("Hi {first_name}, your {diagnosis} is ready").unwrap_err();
    assert_eq!(
        err,
        TemplateError::UnknownPlaceholder {
            name: "diagnosis".into(),
            at: 22
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("{diagnosis}"), "{msg}");
    assert!(
        msg.contains("{first_name}") && msg.contains("{opt_out}"),
        "{msg}"
    );
}

#[rstest]
#[case::unclosed("Hi {first_name", "never closed", 4)]
#[case::unclosed_at_end("Hi {", "never closed", 4)]
#[case::nested("Hi {first_{name}}", "never closed", 4)]
#[case::across_lines("Hi {first_name\n}", "never closed", 4)]
#[case::stray_close("Hi first_name}", "no opening", 14)]
#[case::counts_characters_not_bytes("¿Sí? {first_name", "never closed", 6)]
fn unbalanced_braces_are_errors_that_say_where(
    #[case] body: &str,
    #[case] words: &str,
    #[case] position: usize,
) {
    let msg = Template::parse(body).unwrap_err().to_string();
    assert!(msg.contains(words), "{msg}");
    assert!(
        msg.contains(&format!("character {position}")),
        "{msg} should name character {position}"
    );
}

#[test]
fn placeholder_names_are_exact() {
    for body in ["{First_Name}", "{ first_name }", "{}", "{first name}"] {
        assert!(
            matches!(
                Template::parse(body),
                Err(TemplateError::UnknownPlaceholder { .. })
            ),
            "{body}"
        );
    }
}

#[test]
fn doubled_braces_are_literal() {
    let out = render("{{ {first_name} }}", &ctx(&[])).unwrap();
    assert_eq!(out, "{ Ana }");
}

#[test]
fn empty_template_is_refused() {
    assert_eq!(Template::parse("  \n "), Err(TemplateError::Empty));
    assert_eq!(Template::parse(""), Err(TemplateError::Empty));
}

#[test]
fn every_placeholder_parses_and_is_listed() {
    for p in Placeholder::ALL {
        let t = Template::parse(&format!("x {{{}}} y", p.name())).unwrap();
        assert!(t.uses(p));
        assert_eq!(Placeholder::parse(p.name()), Some(p));
        assert!(Placeholder::list().contains(&format!("{{{}}}", p.name())));
    }
}

// --- rendering -------------------------------------------------------------------------

#[test]
fn times_render_in_the_patients_zone() {
    let start = [ny(2026, 11, 25, 10, 30)];
    let body = "{date} {time}";
    assert_eq!(render(body, &ctx(&start)).unwrap(), "Wed Nov 25 10:30 AM");
    let west = RenderContext {
        tz: chrono_tz::America::Los_Angeles,
        ..ctx(&start)
    };
    assert_eq!(render(body, &west).unwrap(), "Wed Nov 25 7:30 AM");
    // Crossing midnight changes the date too.
    let late = [ny(2026, 11, 26, 1, 15)];
    let west = RenderContext {
        tz: chrono_tz::America::Los_Angeles,
        ..ctx(&late)
    };
    assert_eq!(render(body, &west).unwrap(), "Wed Nov 25 10:15 PM");
}

#[test]
fn times_follow_daylight_saving_on_both_sides_of_the_change() {
    // 14:00 UTC is 10:00 EDT on Saturday 2026-10-31 and 9:00 EST on Monday 2026-11-02.
    let before = [Utc.with_ymd_and_hms(2026, 10, 31, 14, 0, 0).unwrap()];
    let after = [Utc.with_ymd_and_hms(2026, 11, 2, 14, 0, 0).unwrap()];
    assert_eq!(
        render("{date} {time}", &ctx(&before)).unwrap(),
        "Sat Oct 31 10:00 AM"
    );
    assert_eq!(
        render("{date} {time}", &ctx(&after)).unwrap(),
        "Mon Nov 2 9:00 AM"
    );
}

#[test]
fn a_double_booking_lists_every_later_time() {
    let two = [ny(2026, 11, 25, 9, 0), ny(2026, 11, 25, 14, 45)];
    let body = "{time} and {time2}";
    assert_eq!(render(body, &ctx(&two)).unwrap(), "9:00 AM and 2:45 PM");
    let three = [
        ny(2026, 11, 25, 9, 0),
        ny(2026, 11, 25, 11, 0),
        ny(2026, 11, 25, 16, 5),
    ];
    assert_eq!(
        render(body, &ctx(&three)).unwrap(),
        "9:00 AM and 11:00 AM and 4:05 PM"
    );
    let err = render(body, &ctx(&two[..1])).unwrap_err();
    assert!(matches!(
        err,
        TemplateError::MissingValue {
            placeholder: "time2",
            ..
        }
    ));
}

#[test]
fn opt_out_notice_renders_or_vanishes_without_leaving_gaps() {
    let body = "{practice_name}: see you. {practice_phone} {opt_out}";
    let on = render(body, &ctx(&[])).unwrap();
    assert_eq!(
        on,
        "Riverside Family Practice: see you. 555-555-0100 Reply STOP to opt out."
    );
    let off = RenderContext {
        opt_out_notice: false,
        ..ctx(&[])
    };
    assert_eq!(
        render(body, &off).unwrap(),
        "Riverside Family Practice: see you. 555-555-0100"
    );
    // In the middle of a sentence, no double space and no space before punctuation.
    assert_eq!(render("a {opt_out} b", &off).unwrap(), "a b");
    assert_eq!(render("a {opt_out}.", &off).unwrap(), "a.");
}

#[test]
fn values_cannot_add_lines_and_typography_is_normalised() {
    let c = RenderContext {
        first_name: "Ana\nCALL 555",
        practice_name: "O\u{2019}Brien Family Care \u{2014} Downtown",
        ..ctx(&[])
    };
    let out = render("{first_name} / {practice_name}", &c).unwrap();
    assert_eq!(out, "Ana CALL 555 / O'Brien Family Care - Downtown");
    assert_eq!(segments::analyse(&out).encoding, Encoding::Gsm7);
    // Letters keep their accents.
    let c = RenderContext {
        first_name: "Martín",
        ..ctx(&[])
    };
    assert_eq!(render("{first_name}", &c).unwrap(), "Martín");
}

#[rstest]
#[case::no_appointment("{date}", "date")]
#[case::no_appointment_time("{time}", "time")]
#[case::no_survey("{survey_url}", "survey_url")]
#[case::blank_name("{first_name}", "first_name")]
fn a_value_the_message_lacks_is_named(#[case] body: &str, #[case] name: &str) {
    let c = RenderContext {
        first_name: "  ",
        ..ctx(&[])
    };
    match render(body, &c) {
        Err(TemplateError::MissingValue { placeholder, .. }) => assert_eq!(placeholder, name),
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn practice_phone_displays_the_us_way() {
    let us = E164::try_from("+15555550100".to_string()).unwrap();
    assert_eq!(display_phone(&us), "555-555-0100");
    let uk = E164::try_from("+442079460018".to_string()).unwrap();
    assert_eq!(display_phone(&uk), "+442079460018");
}

// --- the shipped defaults --------------------------------------------------------------

#[test]
fn every_templated_kind_has_one_default_in_a_file_named_after_it() {
    for kind in MessageKind::ALL {
        let n = DEFAULT_TEMPLATES.iter().filter(|(k, _)| k == kind).count();
        assert_eq!(n, usize::from(is_templated(*kind)), "{kind}");
    }
    for (kind, file) in DEFAULT_FILES {
        assert_eq!(kind.as_str(), *file);
    }
    for (kind, body) in DEFAULT_TEMPLATES {
        assert_eq!(body.trim(), *body, "{kind} is stored trimmed");
        assert_eq!(default_template(*kind), Some(*body));
    }
    assert_eq!(default_template(MessageKind::Custom), None);
}

#[test]
fn every_default_passes_the_save_rules() {
    for (kind, body) in DEFAULT_TEMPLATES {
        assert_eq!(validate_for_save(*kind, body), Ok(()), "{kind}: {body}");
    }
}

#[test]
fn defaults_fit_one_gsm7_segment_with_typical_values_and_three_with_long_ones() {
    for (kind, body) in DEFAULT_TEMPLATES {
        let t = Template::parse(body).unwrap();
        let typical = t
            .render(&sample_context(*kind, SampleSize::Typical))
            .unwrap();
        let i = segments::analyse(&typical);
        assert_eq!(i.encoding, Encoding::Gsm7, "{kind}: {typical}");
        assert_eq!(i.segments, 1, "{kind} ({} septets): {typical}", i.units);
        let long = t.render(&sample_context(*kind, SampleSize::Long)).unwrap();
        let i = segments::analyse(&long);
        assert!(i.segments <= 2, "{kind} ({} septets): {long}", i.units);
        // A name that forces UCS-2 still stays within the hard limit.
        let ucs2 = RenderContext {
            first_name: "María-José Fernández",
            ..sample_context(*kind, SampleSize::Long)
        };
        let i = segments::analyse(&t.render(&ucs2).unwrap());
        if t.uses(Placeholder::FirstName) {
            assert_eq!(i.encoding, Encoding::Ucs2, "{kind}");
        }
        assert!(i.within_limit(), "{kind}: {i:?}");
    }
}

#[test]
fn reminders_name_the_practice_and_phone_and_carry_stop_but_never_cancel() {
    for kind in [
        MessageKind::Reminder48h,
        MessageKind::Reminder24h,
        MessageKind::SameDayDouble,
    ] {
        let body = default_template(kind).unwrap();
        let out = Template::parse(body)
            .unwrap()
            .render(&sample_context(kind, SampleSize::Typical))
            .unwrap();
        assert!(out.contains("Riverside Family Practice"), "{out}");
        assert!(out.contains("555-555-0100"), "{out}");
        assert!(out.contains("Reply STOP to opt out"), "{out}");
        assert!(out.contains("Reply C to confirm"), "{out}");
    }
    for (kind, body) in DEFAULT_TEMPLATES {
        assert!(!body.to_lowercase().contains("cancel"), "{kind}");
    }
    assert!(!REPLY_OPTIONS.to_lowercase().contains("cancel"));
}

#[test]
fn the_double_booking_default_lists_both_times() {
    let out = Template::parse(default_template(MessageKind::SameDayDouble).unwrap())
        .unwrap()
        .render(&sample_context(
            MessageKind::SameDayDouble,
            SampleSize::Typical,
        ))
        .unwrap();
    assert!(out.contains("10:30 AM and 2:45 PM"), "{out}");
}

#[test]
fn visits_on_two_days_in_one_text_each_name_their_day() {
    let thu = Utc.with_ymd_and_hms(2026, 11, 26, 15, 30, 0).unwrap();
    let fri = Utc.with_ymd_and_hms(2026, 11, 27, 14, 0, 0).unwrap();
    let starts = [thu, fri];
    let out = Template::parse(default_template(MessageKind::SameDayDouble).unwrap())
        .unwrap()
        .render(&RenderContext {
            starts: &starts,
            ..sample_context(MessageKind::SameDayDouble, SampleSize::Typical)
        })
        .unwrap();
    assert!(
        out.contains("Thu Nov 26: 10:30 AM and Fri Nov 27 9:00 AM"),
        "{out}"
    );
}

#[test]
fn help_reply_has_the_ctia_content() {
    let out = Template::parse(default_template(MessageKind::HelpReply).unwrap())
        .unwrap()
        .render(&RenderContext {
            opt_out_notice: wants_opt_out_notice(
                MessageKind::HelpReply,
                OptOutNotice::First,
                false,
            ),
            ..sample_context(MessageKind::HelpReply, SampleSize::Typical)
        })
        .unwrap();
    for words in [
        "Riverside Family Practice",
        "555-555-0100",
        "Msg frequency varies",
        "Msg & data rates may apply",
        "Reply STOP to opt out",
    ] {
        assert!(out.contains(words), "{words}: {out}");
    }
}

// --- save rules ------------------------------------------------------------------------

#[rstest]
#[case::no_practice(
    "Hi {first_name}. {practice_phone} {opt_out}",
    TemplateError::MissingPracticeName
)]
#[case::no_phone(
    "{practice_name}: hi {first_name}. {opt_out}",
    TemplateError::MissingPracticePhone
)]
#[case::no_opt_out(
    "{practice_name}: {date} {time}. {practice_phone}",
    TemplateError::MissingOptOut
)]
#[case::no_time(
    "{practice_name}: see you {date}. {practice_phone} {opt_out}",
    TemplateError::MissingPlaceholder { kind: MessageKind::Reminder24h, placeholder: "time" }
)]
#[case::reply_cancel(
    "{practice_name}: {date} {time}. Reply CANCEL to cancel. {practice_phone} {opt_out}",
    TemplateError::AsksForCancel
)]
#[case::text_cancel_lower(
    "{practice_name}: {date} {time}. Text cancel if you can't come. {practice_phone} {opt_out}",
    TemplateError::AsksForCancel
)]
#[case::shouted_cancel(
    "{practice_name}: {date} {time}. C=confirm CANCEL=cancel {practice_phone} {opt_out}",
    TemplateError::AsksForCancel
)]
#[case::spanish(
    "{practice_name}: {date} {time}. Responda CANCELAR. {practice_phone} {opt_out}",
    TemplateError::AsksForCancel
)]
#[case::too_long(
    &format!("{{practice_name}} {{date}} {{time}} {{practice_phone}} {{opt_out}} {}", "word ".repeat(100)),
    TemplateError::TooLong { segments: 4 }
)]
#[case::time2_outside_double(
    "{practice_name}: {date} {time} and {time2}. {practice_phone} {opt_out}",
    TemplateError::MissingValue { placeholder: "time2", why: "only same-day double bookings have a second time" }
)]
fn reminder_templates_that_break_a_rule_are_refused(
    #[case] body: &str,
    #[case] expected: TemplateError,
) {
    assert_eq!(
        validate_for_save(MessageKind::Reminder24h, body),
        Err(expected)
    );
}

#[test]
fn cancel_may_be_mentioned_when_nobody_is_asked_to_reply_it() {
    let body =
        "{practice_name}: {date} at {time}. To cancel or move it, call {practice_phone}. {opt_out}";
    assert_eq!(validate_for_save(MessageKind::Reminder24h, body), Ok(()));
}

#[test]
fn literal_stop_wording_satisfies_the_opt_out_rule() {
    let body = "{practice_name}: {date} {time}. {practice_phone} Reply STOP to opt out.";
    assert_eq!(validate_for_save(MessageKind::Reminder48h, body), Ok(()));
}

#[test]
fn kind_specific_rules() {
    // The opt-out confirmation needs no STOP wording.
    assert_eq!(
        validate_for_save(
            MessageKind::OptOutConfirmation,
            "{practice_name}: unsubscribed. {practice_phone}"
        ),
        Ok(())
    );
    // A portal prompt needs it, and cannot offer C/R replies.
    assert_eq!(
        validate_for_save(
            MessageKind::PortalNewMessage,
            "{practice_name}: new message at {portal_url} {practice_phone}"
        ),
        Err(TemplateError::MissingOptOut)
    );
    assert_eq!(
        validate_for_save(
            MessageKind::PortalNewMessage,
            "{practice_name}: log in {portal_url}. {reply_options} {practice_phone} {opt_out}"
        ),
        Err(TemplateError::ReplyOptionsOutsideReminder(
            MessageKind::PortalNewMessage
        ))
    );
    // A portal prompt has no appointment to name.
    assert!(matches!(
        validate_for_save(
            MessageKind::PortalResultsReady,
            "{practice_name}: see you {date}. {portal_url} {practice_phone} {opt_out}"
        ),
        Err(TemplateError::MissingValue {
            placeholder: "date",
            ..
        })
    ));
    // A double booking lists both times; a prompt links the portal; a survey its link.
    assert_eq!(
        validate_for_save(
            MessageKind::SameDayDouble,
            "{practice_name}: visits {date} at {time}. {practice_phone} {opt_out}"
        ),
        Err(TemplateError::MissingPlaceholder {
            kind: MessageKind::SameDayDouble,
            placeholder: "time2"
        })
    );
    assert_eq!(
        validate_for_save(
            MessageKind::PortalIntakeForms,
            "{practice_name}: please fill in your forms. {practice_phone} {opt_out}"
        ),
        Err(TemplateError::MissingPlaceholder {
            kind: MessageKind::PortalIntakeForms,
            placeholder: "portal_url"
        })
    );
    assert!(
        validate_for_save(
            MessageKind::Survey,
            "{practice_name}: how did we do? {practice_phone} {opt_out}"
        )
        .unwrap_err()
        .to_string()
        .contains("{survey_url}")
    );
    // HELP must state frequency and rates.
    assert_eq!(
        validate_for_save(
            MessageKind::HelpReply,
            "{practice_name} {practice_phone} {opt_out}"
        ),
        Err(TemplateError::MissingHelpWording)
    );
    // Desk-written kinds have no template.
    assert_eq!(
        validate_for_save(MessageKind::Custom, "{practice_name}"),
        Err(TemplateError::NotATemplate(MessageKind::Custom))
    );
    // Parse errors come through unchanged.
    assert!(matches!(
        validate_for_save(MessageKind::Survey, "{practice_name} {dx}"),
        Err(TemplateError::UnknownPlaceholder { .. })
    ));
}

// --- the opt-out notice ----------------------------------------------------------------

#[rstest]
#[case(MessageKind::Reminder24h, OptOutNotice::Every, false, true)]
#[case(MessageKind::Reminder24h, OptOutNotice::First, false, false)]
#[case(MessageKind::Reminder24h, OptOutNotice::First, true, true)]
#[case(MessageKind::PortalResultsReady, OptOutNotice::Every, false, true)]
#[case(MessageKind::Welcome, OptOutNotice::First, true, true)]
#[case(MessageKind::HelpReply, OptOutNotice::First, false, true)]
#[case(MessageKind::OptInConfirmation, OptOutNotice::First, false, true)]
#[case(MessageKind::OptOutConfirmation, OptOutNotice::Every, true, false)]
fn opt_out_notice_rule(
    #[case] kind: MessageKind,
    #[case] notice: OptOutNotice,
    #[case] first: bool,
    #[case] expected: bool,
) {
    assert_eq!(wants_opt_out_notice(kind, notice, first), expected);
}

#[test]
fn first_since_opt_in_compares_with_the_latest_opt_in() {
    let since = ny(2026, 11, 1, 9, 0);
    let consent = ConsentState::OptedIn {
        since,
        method: ConsentMethod::WrittenForm,
        evidence: "FORM-1".into(),
    };
    assert!(first_since_opt_in(&consent, None));
    assert!(first_since_opt_in(
        &consent,
        Some(since - chrono::Duration::days(30))
    ));
    assert!(!first_since_opt_in(
        &consent,
        Some(since + chrono::Duration::minutes(1))
    ));
    assert!(first_since_opt_in(&ConsentState::None, Some(since)));
}

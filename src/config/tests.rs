use super::*;

fn hm(h: u32, m: u32) -> chrono::NaiveTime {
    chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("config.toml"))
}

#[test]
fn empty_file_gives_defaults_but_no_practice_identity() {
    let c = parse("").unwrap();
    assert_eq!(c, Config::unconfigured());
    assert_eq!(c.practice.name, "");
    assert_eq!(c.practice.phone, "");
    assert_eq!(c.practice.portal_url, "");
    assert_eq!(c.sender_identity(), Err(IdentityMissing::Name));
    assert_eq!(c.practice.time_zone, chrono_tz::America::New_York);
    assert_eq!(c.reminders.offsets_hours, vec![48, 24]);
    assert_eq!(c.sms.provider, ProviderKind::Outbox);
}

#[test]
fn spec_example_parses() {
    let text = r#"
[practice]
name = "Riverside Family Practice"
phone = "+15555550100"
time_zone = "America/New_York"
portal_url = "https://portal.example.org"

[reminders]
offsets_hours = [48, 24]
quiet_hours = { start = "08:00", end = "20:00" }
max_per_day = 1
max_per_week = 3
min_lead_minutes = 120
opt_out_notice = "every"

[security]
idle_lock_minutes = 5

[sms]
provider = "outbox"
rate_per_second = 10

[sms.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
from = "+15555550123"
auth_token_env = "TWILIO_AUTH_TOKEN"
base_url = "https://api.twilio.com"
"#;
    let c = parse(text).unwrap();
    assert_eq!(c.sms.rate_per_second, 10.0);
    assert_eq!(c.sms.twilio.unwrap().from.as_deref(), Some("+15555550123"));
}

#[test]
fn example_file_documents_every_default() {
    let text = include_str!("../../assets/config.example.toml");
    assert_eq!(parse(text).unwrap(), Config::default());
    // With the Twilio block uncommented (one sender only), it still parses.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            // Only commented-out settings: `key = value` or a `[table]` header.
            Some(rest)
                if (rest.starts_with('[')
                    || (rest.starts_with(|c: char| c.is_ascii_lowercase())
                        && rest.contains(" = ")))
                    && !rest.starts_with("messaging_service_sid")
                    && !rest.starts_with("auth_token_file") =>
            {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = parse(&uncommented).unwrap();
    let t = c.sms.twilio.unwrap();
    assert_eq!(t.from.as_deref(), Some("+15555550123"));
    assert_eq!((t.timeout_seconds, t.max_pages), (15, 20));
}

#[test]
fn unknown_key_names_key_and_line() {
    let err = parse("[practice]\nname = \"X\"\ncolour = \"red\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains(":3:"), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn bad_time_zone_names_key_and_line() {
    let err = parse("[practice]\n\ntime_zone = \"Mars/Olympus\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains(":3:"), "{err}");
    assert!(err.contains("practice.time_zone"), "{err}");
    assert!(err.contains("Mars/Olympus"), "{err}");
}

#[test]
fn bad_value_type_names_key_and_line() {
    let err = parse("[reminders]\nmax_per_day = \"one\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(":2:") && err.contains("reminders.max_per_day"),
        "{err}"
    );
}

#[test]
fn quiet_hours_may_only_narrow() {
    let err = parse("[reminders]\nquiet_hours = { start = \"07:00\", end = \"20:00\" }\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("reminders.quiet_hours") && err.contains(":2:"),
        "{err}"
    );
    let ok = parse("[reminders]\nquiet_hours = { start = \"09:00\", end = \"18:30\" }\n").unwrap();
    assert_eq!(ok.reminders.quiet_hours.start, hm(9, 0));
}

#[test]
fn cross_key_rule_names_key_and_line() {
    let err = parse("[sms]\nprovider = \"twilio\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("sms.provider") && err.contains(":2:"), "{err}");
    let err = parse("[practice]\nname = \"A\"\nphone = \"12\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("practice.phone") && err.contains(":3:"),
        "{err}"
    );
}

#[test]
fn twilio_needs_exactly_one_sender() {
    let base = "[sms.twilio]\naccount_sid = \"AC0123456789abcdef0123456789abcdef\"\n";
    assert!(parse(base).unwrap_err().to_string().contains("exactly one"));
    assert!(parse(&format!("{base}messaging_service_sid = \"MG1\"\n")).is_ok());
}

#[test]
fn missing_file_is_defaults_unless_explicit() {
    let missing = Path::new("/nonexistent/frontdesk/config.toml");
    assert_eq!(
        Config::load(missing, false).unwrap(),
        Config::unconfigured()
    );
    assert!(matches!(
        Config::load(missing, true),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn auth_token_file_must_be_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "secret\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cfg = TwilioConfig {
        account_sid: "AC0123456789abcdef0123456789abcdef".into(),
        from: Some("+15555550123".into()),
        messaging_service_sid: None,
        auth_token_env: None,
        auth_token_file: Some(path.clone()),
        base_url: default_twilio_base(),
        timeout_seconds: 15,
        max_pages: 20,
    };
    assert!(matches!(cfg.auth_token(), Err(SecretError::TooOpen(_))));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(cfg.auth_token().unwrap(), "secret");
}

#[test]
fn a_practice_section_without_name_or_phone_never_borrows_the_demo_practice() {
    let c = parse("[practice]\ntime_zone = \"America/Chicago\"\n").unwrap();
    assert_eq!(c.practice.name, "");
    assert_eq!(c.sender_identity(), Err(IdentityMissing::Name));
    let c = parse("[practice]\nname = \"Lakeside Clinic\"\n").unwrap();
    assert_eq!(c.sender_identity(), Err(IdentityMissing::Phone));
    let c = parse("[practice]\nname = \"Lakeside Clinic\"\nphone = \"(201) 555-0134\"\n").unwrap();
    assert_eq!(c.sender_identity(), Ok(()));
    assert_eq!(Config::demo().sender_identity(), Ok(()));
    assert_eq!(Config::demo().practice.name, "Riverside Family Practice");
}

#[test]
fn a_partial_practice_phone_is_refused_with_key_and_line() {
    let err = parse("[practice]\nname = \"Lakeside Clinic\"\nphone = \"555-0100\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("config.toml:3:"), "{err}");
    assert!(err.contains("practice.phone"), "{err}");
    assert!(err.contains("555-0100"), "{err}");
}

#[test]
fn a_config_file_others_can_read_is_refused_with_the_chmod_that_fixes_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[practice]\nname = \"Lakeside Clinic\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Config::load(&path, true).unwrap_err().to_string();
    assert!(
        err.contains(&format!("run: chmod 600 {}", path.display())),
        "{err}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        Config::load(&path, true).unwrap().practice.name,
        "Lakeside Clinic"
    );
}

#[test]
fn a_rule_that_spans_keys_names_the_line_of_the_key_in_any_table_form() {
    // The key inside a dotted table header, an inline table, and a dotted key.
    for (text, line) in [
        ("# note\n\n[reminders]\noffsets_hours = []\n", 4),
        ("reminders = { max_per_day = 2, max_per_week = 1 }\n", 1),
        (
            "[security]\nidle_lock_minutes = 5\n\n[reminders]\n\nmax_per_day = 0\n",
            4,
        ),
        (
            "[sms]\nrate_per_second = 5.0\n\n# why\nconcurrency = 0\n",
            5,
        ),
        ("sms.concurrency = 0\n", 1),
    ] {
        let err = parse(text).unwrap_err().to_string();
        assert!(
            err.contains(&format!("config.toml:{line}:")),
            "{text:?}: {err}"
        );
    }
}

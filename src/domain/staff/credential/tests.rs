use rstest::rstest;

use super::*;

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

#[rstest]
#[case("alice", "alice")]
#[case("  Maria.Lopez ", "maria.lopez")]
#[case("o_connor-2", "o_connor-2")]
#[case("nguyen", "nguyen")]
#[case("jo", "jo")]
fn usernames_people_use_are_accepted_in_lower_case(#[case] typed: &str, #[case] stored: &str) {
    assert_eq!(user(typed).as_str(), stored);
}

#[rstest]
#[case("a", CredentialError::UsernameLength)]
#[case("abcdefghijklmnopqrstuvwxyzabcdefg", CredentialError::UsernameLength)]
#[case("2fast", CredentialError::UsernameStart)]
#[case(".hidden", CredentialError::UsernameStart)]
#[case("mary ann", CredentialError::UsernameCharacter(' '))]
#[case("zoë", CredentialError::UsernameCharacter('ë'))]
#[case("o'brien", CredentialError::UsernameCharacter('\''))]
#[case("System", CredentialError::UsernameReserved("system".into()))]
#[case("patient", CredentialError::UsernameReserved("patient".into()))]
#[case("desk", CredentialError::UsernameReserved("desk".into()))]
fn bad_usernames_say_what_is_wrong(#[case] typed: &str, #[case] why: CredentialError) {
    assert_eq!(Username::parse(typed), Err(why));
}

#[rstest]
#[case("482915", Role::Reception, SecretKind::Pin)]
#[case("48291573", Role::Manager, SecretKind::Pin)]
#[case("correct horse battery", Role::Admin, SecretKind::Password)]
#[case("Tr0ub4dor&3xyz", Role::Reception, SecretKind::Password)]
#[case("contraseña segura", Role::Admin, SecretKind::Password)]
#[case("739104826153", Role::Admin, SecretKind::Password)]
fn good_secrets_are_accepted(#[case] typed: &str, #[case] role: Role, #[case] kind: SecretKind) {
    assert_eq!(
        check_new_secret(&Secret::new(typed), &user("alice"), role),
        Ok(kind)
    );
}

#[rstest]
#[case("48291", Role::Reception, CredentialError::TooShort)]
#[case("hunter2", Role::Reception, CredentialError::TooShort)]
#[case("482915", Role::Admin, CredentialError::AdminNeedsPassword)]
#[case("12345", Role::Admin, CredentialError::AdminNeedsPassword)]
#[case("000000", Role::Reception, CredentialError::GuessablePin)]
#[case("123456", Role::Reception, CredentialError::GuessablePin)]
#[case("987654", Role::Manager, CredentialError::GuessablePin)]
#[case("7890123", Role::Reception, CredentialError::GuessablePin)]
#[case("121212", Role::Reception, CredentialError::GuessablePin)]
#[case("123123", Role::Reception, CredentialError::GuessablePin)]
#[case("aaaaaaaaaaaa", Role::Admin, CredentialError::GuessablePassword)]
#[case("Password1234", Role::Admin, CredentialError::GuessablePassword)]
#[case("123456789012", Role::Admin, CredentialError::GuessablePassword)]
#[case("alice-the-great", Role::Admin, CredentialError::ContainsUsername)]
#[case("tab\tinside password", Role::Admin, CredentialError::ControlCharacter)]
fn weak_secrets_are_refused_with_the_reason(
    #[case] typed: &str,
    #[case] role: Role,
    #[case] why: CredentialError,
) {
    assert_eq!(
        check_new_secret(&Secret::new(typed), &user("alice"), role),
        Err(why)
    );
}

#[test]
fn a_secret_longer_than_128_characters_is_refused() {
    let long = "x".repeat(100) + &"y".repeat(29);
    assert_eq!(
        check_new_secret(&Secret::new(long), &user("alice"), Role::Admin),
        Err(CredentialError::TooLong)
    );
}

#[test]
fn a_trailing_line_break_is_not_part_of_the_secret() {
    assert_eq!(Secret::new("482915\n").expose(), "482915");
    assert_eq!(Secret::new("482915\r\n").expose(), "482915");
    assert_eq!(Secret::new(" 482915 ").expose(), " 482915 ", "spaces count");
}

#[test]
fn secrets_and_hashes_never_show_in_debug_output() {
    let secret = Secret::new("correct horse battery");
    let hash = hash_secret(&secret, &[7; SALT_LEN]).unwrap();
    let shown = format!("{secret:?} {hash:?}");
    assert!(!shown.contains("horse"), "{shown}");
    assert!(!shown.contains("argon2"), "{shown}");
}

#[test]
fn a_hash_is_argon2id_with_the_owasp_parameters_and_verifies() {
    let secret = Secret::new("482915");
    let hash = hash_secret(&secret, &[1; SALT_LEN]).unwrap();
    assert!(
        hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hash.as_phc()
    );
    assert_eq!(
        verify_secret(&secret, &hash),
        Ok(Verification::Match { rehash: false })
    );
    assert_eq!(
        verify_secret(&Secret::new("482916"), &hash),
        Ok(Verification::Mismatch)
    );
}

#[test]
fn the_salt_makes_equal_secrets_hash_differently() {
    let secret = Secret::new("482915");
    let a = hash_secret(&secret, &[1; SALT_LEN]).unwrap();
    let b = hash_secret(&secret, &[2; SALT_LEN]).unwrap();
    assert_ne!(a, b);
    assert_eq!(a, hash_secret(&secret, &[1; SALT_LEN]).unwrap(), "pure");
}

#[test]
fn a_hash_with_older_parameters_still_verifies_and_asks_for_a_rehash() {
    // Made with m=8 MiB, t=1: what an earlier release might have stored.
    let old = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(8192, 1, 1, None).unwrap(),
    );
    let salt = SaltString::encode_b64(&[3; SALT_LEN]).unwrap();
    let phc = old.hash_password(b"482915", &salt).unwrap().to_string();
    let stored = PasswordHash::from_stored(phc);
    assert_eq!(
        verify_secret(&Secret::new("482915"), &stored),
        Ok(Verification::Match { rehash: true })
    );
}

#[test]
fn a_damaged_hash_is_an_error_not_a_match() {
    let stored = PasswordHash::from_stored("not a phc string".into());
    assert_eq!(
        verify_secret(&Secret::new("482915"), &stored),
        Err(CredentialError::UnreadableHash)
    );
}

#[test]
fn the_decoy_hash_is_readable_has_the_parameters_in_force_and_matches_no_plausible_secret() {
    let decoy = PasswordHash::from_stored(DECOY_HASH.into());
    // Its parameters are those in force, so checking against it costs what a real check does.
    assert_eq!(
        verify_secret(&Secret::new("frontdesk decoy: no one's secret"), &decoy),
        Ok(Verification::Match { rehash: false })
    );
    assert_eq!(
        verify_secret(&Secret::new("482915"), &decoy),
        Ok(Verification::Mismatch)
    );
}

//! The answers `frontdesk init` asks for, checked one by one as they are typed: the
//! practice's name, phone region, phone, time zone and portal address.
//!
//! Pure. Each check returns the value to store, or a message that says what to type instead.
//! Must not import store, provider, workflow, tui or cli.

use chrono_tz::Tz;

use crate::domain::phone::{E164, PhoneError};

/// Longest practice name: it goes into every text, whose budget is one 160-character segment.
pub const NAME_MAX_CHARS: usize = 60;

/// Why an answer was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("the practice name is needed: every text names it")]
    NameEmpty,
    #[error(
        "at most {NAME_MAX_CHARS} characters (every text carries the name); use the short name patients know"
    )]
    NameTooLong,
    #[error("the name has a control character; type it on one line")]
    NameControl,
    #[error("{0:?} is not a two-letter country code such as US, CA or GB")]
    Region(String),
    #[error("{0}")]
    Phone(#[from] PhoneError),
    #[error(
        "{0:?} is not an IANA time zone; type one such as America/New_York, America/Chicago, America/Denver, America/Los_Angeles"
    )]
    TimeZone(String),
    #[error("the portal address must start with https:// (patients log in there)")]
    PortalScheme,
    #[error("{0:?} is not a web address like https://portal.example.org")]
    PortalShape(String),
}

/// The name patients know the practice by.
pub fn practice_name(typed: &str) -> Result<String, SetupError> {
    let name = typed.trim();
    if name.is_empty() {
        return Err(SetupError::NameEmpty);
    }
    if name.chars().any(char::is_control) {
        return Err(SetupError::NameControl);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(SetupError::NameTooLong);
    }
    Ok(name.to_string())
}

/// The default country for numbers typed without a country code, upper case.
pub fn region(typed: &str) -> Result<String, SetupError> {
    let code = typed.trim().to_ascii_uppercase();
    let known = code.len() == 2 && code.parse::<phonenumber::country::Id>().is_ok();
    if !known {
        return Err(SetupError::Region(typed.trim().to_string()));
    }
    Ok(code)
}

/// The practice's phone: a whole, valid number in `region` (see [`E164::parse_own`]).
pub fn practice_phone(typed: &str, region: &str) -> Result<E164, SetupError> {
    Ok(E164::parse_own(typed, region)?)
}

/// An IANA zone, in any letter case ("america/chicago" is America/Chicago).
pub fn time_zone(typed: &str) -> Result<Tz, SetupError> {
    let name = typed.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| SetupError::TimeZone(name.to_string()))
}

/// The portal's address; empty means "not yet" (portal prompts then say to set it).
pub fn portal_url(typed: &str) -> Result<Option<String>, SetupError> {
    let url = typed.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(SetupError::PortalScheme);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
    if !host_ok || url.chars().any(char::is_whitespace) {
        return Err(SetupError::PortalShape(url.to_string()));
    }
    Ok(Some(url.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("  Lakeside Family Medicine ", "Lakeside Family Medicine")]
    #[case("Clínica Familiar Nuestra Señora", "Clínica Familiar Nuestra Señora")]
    #[case("O'Neill & Nguyễn Pediatrics", "O'Neill & Nguyễn Pediatrics")]
    fn practice_names_people_use(#[case] typed: &str, #[case] stored: &str) {
        assert_eq!(practice_name(typed).unwrap(), stored);
    }

    #[test]
    fn empty_long_or_multi_line_names_are_refused() {
        assert_eq!(practice_name("   "), Err(SetupError::NameEmpty));
        assert_eq!(practice_name(&"x".repeat(61)), Err(SetupError::NameTooLong));
        assert_eq!(practice_name("A\tB"), Err(SetupError::NameControl));
    }

    #[test]
    fn regions_are_two_letter_codes_phonenumber_knows() {
        assert_eq!(region(" us ").unwrap(), "US");
        assert_eq!(region("gb").unwrap(), "GB");
        for bad in ["USA", "XX", "", "1"] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_practice_phone_must_be_whole() {
        assert_eq!(
            practice_phone("(201) 555-0134", "US").unwrap().as_str(),
            "+12015550134"
        );
        let err = practice_phone("555-0100", "US").unwrap_err();
        assert!(err.to_string().contains("555-0100"), "{err}");
    }

    #[test]
    fn time_zones_in_any_case_but_not_abbreviations() {
        assert_eq!(
            time_zone("America/Chicago").unwrap(),
            chrono_tz::America::Chicago
        );
        assert_eq!(
            time_zone(" america/new_york ").unwrap(),
            chrono_tz::America::New_York
        );
        for bad in ["Mars/Olympus", "", "Eastern Standard"] {
            assert!(time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn portal_addresses_are_https_with_a_host() {
        assert_eq!(portal_url("").unwrap(), None);
        assert_eq!(
            portal_url(" https://portal.lakeside.example/login ")
                .unwrap()
                .as_deref(),
            Some("https://portal.lakeside.example/login")
        );
        assert_eq!(
            portal_url("http://portal.example.org"),
            Err(SetupError::PortalScheme)
        );
        assert_eq!(
            portal_url("portal.example.org"),
            Err(SetupError::PortalScheme)
        );
        for bad in [
            "https://",
            "https://portal",
            "https://por tal.org",
            "https://.org",
        ] {
            assert!(
                matches!(portal_url(bad), Err(SetupError::PortalShape(_))),
                "{bad}"
            );
        }
    }
}

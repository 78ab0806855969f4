//! Phone numbers: parsed and normalised to E.164 with the `phonenumber` crate.
//!
//! Pure: no IO. A number the desk types ("(555) 201-0134", "555.201.0134", "+1 555 201 0134")
//! is read in the practice's default region and stored as E.164 ("+15552010134").

use std::fmt;

use serde::{Deserialize, Serialize};

/// A valid phone number in E.164 form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{input:?} is not a phone number: {reason}")]
    Unparseable { input: String, reason: String },
    #[error("{input:?} is not a valid number for its country; check the digits")]
    Invalid { input: String },
    #[error("{region:?} is not a two-letter country code such as US or CA")]
    UnknownRegion { region: String },
}

impl E164 {
    /// Parse what someone typed, reading national numbers in `default_region` (ISO 3166 alpha-2).
    pub fn parse(input: &str, default_region: &str) -> Result<Self, PhoneError> {
        let number = read(input, default_region)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid {
                input: input.trim().to_string(),
            });
        }
        Ok(Self(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// Parse the practice's own numbers (its phone, its sending number): only the shape is
    /// checked, because fictional and reserved ranges (+1 555 555 01xx) are legitimate there
    /// in tests and demos, while a patient's number must be a real, valid one.
    pub fn parse_lenient(input: &str, default_region: &str) -> Result<Self, PhoneError> {
        let number = read(input, default_region)?;
        Self::try_from(number.format().mode(phonenumber::Mode::E164).to_string())
    }

    /// Parse one of the practice's own numbers: its phone (named in every text, the number
    /// patients call back) or the number it texts *from* (Twilio's `from`). Validated like a
    /// patient's number — a real, valid number for its country, read in `default_region` —
    /// except that the North American numbers reserved for fiction (NXX-555-0100 to -0199),
    /// which demos and tests use, are accepted too, so a demo can name a practice no one can
    /// reach by mistake. A short or partial number ("555-0100", "5550123") is refused.
    pub fn parse_own(input: &str, default_region: &str) -> Result<Self, PhoneError> {
        match Self::parse(input, default_region) {
            Ok(n) => Ok(n),
            Err(e) => match Self::parse_lenient(input, default_region) {
                Ok(n) if is_fictional_nanp(n.as_str()) => Ok(n),
                _ => Err(e),
            },
        }
    }

    /// The E.164 string ("+15552010134").
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, for screens that must not show the whole number.
    pub fn last4(&self) -> &str {
        let n = self.0.len();
        &self.0[n.saturating_sub(4)..]
    }
}

/// +1 NPA 555 01XX: the North American numbers reserved for fictional use.
fn is_fictional_nanp(e164: &str) -> bool {
    e164.len() == 12 && e164.starts_with("+1") && e164.get(5..10) == Some("55501")
}

/// The number as `phonenumber` reads it, national numbers in `default_region`.
fn read(input: &str, default_region: &str) -> Result<phonenumber::PhoneNumber, PhoneError> {
    let region: phonenumber::country::Id = default_region
        .trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| PhoneError::UnknownRegion {
            region: default_region.to_string(),
        })?;
    let trimmed = input.trim();
    phonenumber::parse(Some(region), trimmed).map_err(|e| PhoneError::Unparseable {
        input: trimmed.to_string(),
        reason: e.to_string(),
    })
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    /// Accepts only an already-normalised E.164 string (as stored in the database).
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let ok = value.len() >= 8
            && value.len() <= 16
            && value.starts_with('+')
            && value[1..].bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(value))
        } else {
            Err(PhoneError::Unparseable {
                input: value,
                reason: "not in E.164 form (+ and 7 to 15 digits)".into(),
            })
        }
    }
}

impl From<E164> for String {
    fn from(value: E164) -> Self {
        value.0
    }
}

/// Replace every run of 6 or more digits (with an optional leading `+`, and the spaces,
/// dashes, dots and parentheses people write inside numbers) by `[number]`: Twilio's error
/// texts quote the `To` number, a damaged record's value may be one, and such texts end up on
/// screen, in rows, in logs and in the audit.
pub fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        let starts_number =
            chars[i].is_ascii_digit() || (matches!(chars[i], '+' | '(') && next_is_digit);
        if starts_number {
            // Extend over digits and separators, counting digits.
            let mut j = i;
            let mut digits = 0;
            let mut last_digit_end = i;
            while j < chars.len() {
                let c = chars[j];
                let opener = j == i && matches!(c, '+' | '(');
                let separator = matches!(c, ' ' | '-' | '.' | '(' | ')');
                if c.is_ascii_digit() {
                    digits += 1;
                    last_digit_end = j + 1;
                } else if !(opener || separator) {
                    break;
                }
                j += 1;
            }
            if digits >= 6 {
                out.push_str("[number]");
                i = last_digit_end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_formats_normalise_to_e164() {
        for input in [
            "(201) 555-0134",
            "201.555.0134",
            "+1 201 555 0134",
            " 2015550134 ",
        ] {
            assert_eq!(
                E164::parse(input, "US").unwrap().as_str(),
                "+12015550134",
                "{input}"
            );
        }
    }

    #[test]
    fn other_regions_use_their_own_rules() {
        assert_eq!(
            E164::parse("020 7946 0018", "GB").unwrap().as_str(),
            "+442079460018"
        );
    }

    #[test]
    fn garbage_and_short_numbers_are_refused_with_the_input_named() {
        let err = E164::parse("call me", "US").unwrap_err();
        assert!(err.to_string().contains("call me"), "{err}");
        assert!(matches!(
            E164::parse("123", "US"),
            Err(PhoneError::Invalid { .. }) | Err(PhoneError::Unparseable { .. })
        ));
    }

    #[test]
    fn lenient_parse_accepts_reserved_ranges_but_not_garbage() {
        assert!(E164::parse("+15555550100", "US").is_err());
        assert_eq!(
            E164::parse_lenient("+1 555 555 0100", "US")
                .unwrap()
                .as_str(),
            "+15555550100"
        );
        assert!(E164::parse_lenient("hello", "US").is_err());
    }

    #[test]
    fn the_practice_phone_must_be_a_whole_valid_number() {
        for (typed, stored) in [
            ("(201) 555-0134", "+12015550134"),
            ("+1 555 555 0100", "+15555550100"),
            ("020 7946 0018", "+442079460018"),
        ] {
            let region = if typed.starts_with("020") { "GB" } else { "US" };
            assert_eq!(E164::parse_own(typed, region).unwrap().as_str(), stored);
        }
        for typed in ["555-0100", "5550100", "+1 555 0100", "(201) 555-01", "0100"] {
            assert!(E164::parse_own(typed, "US").is_err(), "{typed}");
        }
        // Valid elsewhere is valid: a number with its country code is read as such.
        assert!(E164::parse_own("+44 20 7946 0018", "US").is_ok());
    }

    #[test]
    fn a_sending_number_is_validated_like_a_patients_but_fiction_is_allowed() {
        for (input, expected) in [
            ("+1 201 555 0134", Some("+12015550134")),
            ("(201) 555-0134", Some("+12015550134")),
            ("+15555550123", Some("+15555550123")),
            ("+1 212 555 0199", Some("+12125550199")),
            ("+44 7911 123456", Some("+447911123456")),
            ("5550123", None),
            ("+15550123", None),
            ("555-0123", None),
            ("+15555550200", None),
            ("+1 555 123 4567", None),
            ("hello", None),
            ("", None),
        ] {
            assert_eq!(
                E164::parse_own(input, "US").ok().as_ref().map(E164::as_str),
                expected,
                "{input:?}"
            );
        }
        assert!(
            E164::parse_lenient("5550123", "US").is_ok(),
            "the old rule let it through"
        );
    }

    #[test]
    fn unknown_region_is_an_error() {
        assert!(matches!(
            E164::parse("2015550134", "XX"),
            Err(PhoneError::UnknownRegion { .. })
        ));
    }

    #[test]
    fn stored_form_round_trips_and_rejects_non_e164() {
        assert!(E164::try_from("+12015550134".to_string()).is_ok());
        assert!(E164::try_from("2015550134".to_string()).is_err());
        assert_eq!(
            E164::try_from("+12015550134".to_string()).unwrap().last4(),
            "0134"
        );
    }
}

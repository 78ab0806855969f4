//! Usernames, PINs and passwords: the rules for choosing them, and Argon2id to store them.
//!
//! Pure: the shell hands in the salt (16 bytes from the OS random generator); hashing is
//! computation. A secret is held in [`Secret`], whose `Debug` hides it and which has no
//! `Display`, so it cannot reach a log line, a screen or the audit trail by accident; the
//! stored form is a PHC string ([`PasswordHash`]) that is hidden the same way.
//!
//! The rules (SPEC §3.1, §3.9), and why:
//! - **A PIN is 6 or more digits** (not one digit repeated, not a straight run such as
//!   123456 or 987654, not a short pattern repeated such as 121212). NIST SP 800-63B accepts
//!   6-digit activation secrets where guessing is rate-limited; here 5 wrong tries lock the
//!   account for 5 minutes (at most 1,440 guesses a day, each in the audit trail), the hash
//!   lives only in an owner-only database, and a front desk that signs in dozens of times a
//!   day behind an idle lock writes long passwords on sticky notes.
//! - **A password is 12 or more characters** (at most 128), not one character repeated, not
//!   the username, not one of the commonest passwords; no composition rules (NIST advises
//!   against them). Spaces count.
//! - **Admins use a password**, never a short PIN: an admin adds accounts and restores
//!   databases, so their secret must hold up on its own.
//! - **Usernames** are 2–32 of `a-z 0-9 . _ -`, start with a letter, are compared in lower
//!   case, never change (audit records name them) and may not be the names the system acts
//!   under (`system`, `patient`, `desk`, `demo-desk`).

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::Role;

/// Argon2id memory cost in KiB: 19 MiB (OWASP Password Storage Cheat Sheet).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2id passes (OWASP: t=2 with 19 MiB).
pub const ARGON2_PASSES: u32 = 2;
/// Argon2id lanes (OWASP: p=1).
pub const ARGON2_LANES: u32 = 1;
/// Salt length in bytes (the PHC recommendation, 128 bits).
pub const SALT_LEN: usize = 16;

/// Shortest PIN.
pub const PIN_MIN_DIGITS: usize = 6;
/// Shortest password.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest secret accepted (Argon2 takes any length; this keeps typos of a pasted file out).
pub const SECRET_MAX_CHARS: usize = 128;

/// Names the system acts under; no member may take them.
const RESERVED: [&str; 4] = ["system", "patient", "desk", "demo-desk"];

/// The commonest passwords of 12 or more characters (from public breach-frequency lists):
/// long enough to pass the length rule, guessed first by anyone.
const COMMON: [&str; 14] = [
    "123456789012",
    "1234567890123",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiop12",
    "qwertyuiopasdf",
    "iloveyou1234",
    "administrator",
    "letmein12345",
    "welcome12345",
    "changeme1234",
    "abcdefghijkl",
    "abc123abc123",
];

/// Why a username or secret was refused, in words for the person choosing it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("a username is 2 to 32 characters")]
    UsernameLength,
    #[error("a username starts with a letter (a-z)")]
    UsernameStart,
    #[error("a username has only letters a-z, digits and . _ - (no spaces); {0:?} is not allowed")]
    UsernameCharacter(char),
    #[error("{0:?} is a name frontdesk itself acts under; choose another username")]
    UsernameReserved(String),
    #[error(
        "a PIN is at least {PIN_MIN_DIGITS} digits; a password is at least {PASSWORD_MIN_CHARS} characters"
    )]
    TooShort,
    #[error("an admin needs a password of at least {PASSWORD_MIN_CHARS} characters, not a PIN")]
    AdminNeedsPassword,
    #[error("at most {SECRET_MAX_CHARS} characters")]
    TooLong,
    #[error(
        "that PIN is too easy to guess (a repeated digit, a straight run or a repeated pattern)"
    )]
    GuessablePin,
    #[error(
        "that password is too easy to guess (one character repeated, or a very common password)"
    )]
    GuessablePassword,
    #[error("the secret must not contain the username")]
    ContainsUsername,
    #[error("the secret has a control character (a tab or a stray newline?)")]
    ControlCharacter,
    #[error("the stored secret cannot be read; an admin must reset it")]
    UnreadableHash,
    #[error("cannot hash the secret: {0}")]
    Hashing(String),
}

/// A validated, lower-case username.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Check a typed username; upper case is read as lower case.
    pub fn parse(input: &str) -> Result<Self, CredentialError> {
        let name = input.trim().to_lowercase();
        let len = name.chars().count();
        if !(2..=32).contains(&len) {
            return Err(CredentialError::UsernameLength);
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(CredentialError::UsernameStart);
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(*c)))
        {
            return Err(CredentialError::UsernameCharacter(bad));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(CredentialError::UsernameReserved(name));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A PIN or password as typed. `Debug` hides it; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap what was typed or read from the environment; one trailing line break (from a
    /// file or `echo`) is not part of it.
    pub fn new(typed: impl Into<String>) -> Self {
        let mut s: String = typed.into();
        if s.ends_with('\n') {
            s.pop();
            if s.ends_with('\r') {
                s.pop();
            }
        }
        Self(s)
    }

    /// The secret itself, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// Which kind of secret was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    Pin,
    Password,
}

/// Check a new secret for `username` with `role` against the rules in the module doc.
pub fn check_new_secret(
    secret: &Secret,
    username: &Username,
    role: Role,
) -> Result<SecretKind, CredentialError> {
    let s = secret.expose();
    let chars: Vec<char> = s.chars().collect();
    if chars.iter().any(|c| c.is_control()) {
        return Err(CredentialError::ControlCharacter);
    }
    if chars.len() > SECRET_MAX_CHARS {
        return Err(CredentialError::TooLong);
    }
    let all_digits = !chars.is_empty() && chars.iter().all(char::is_ascii_digit);
    if all_digits && chars.len() >= PIN_MIN_DIGITS && chars.len() < PASSWORD_MIN_CHARS {
        if role == Role::Admin {
            return Err(CredentialError::AdminNeedsPassword);
        }
        if guessable_pin(&chars) {
            return Err(CredentialError::GuessablePin);
        }
        return Ok(SecretKind::Pin);
    }
    if chars.len() < PASSWORD_MIN_CHARS {
        return Err(if role == Role::Admin && all_digits {
            CredentialError::AdminNeedsPassword
        } else {
            CredentialError::TooShort
        });
    }
    let lower = s.to_lowercase();
    if chars.iter().all(|c| *c == chars[0])
        || COMMON.contains(&lower.as_str())
        || (all_digits && guessable_pin(&chars))
    {
        return Err(CredentialError::GuessablePassword);
    }
    if lower.contains(username.as_str()) {
        return Err(CredentialError::ContainsUsername);
    }
    Ok(SecretKind::Password)
}

/// One digit repeated, a straight run up or down, or a pattern of 1–3 digits repeated.
fn guessable_pin(digits: &[char]) -> bool {
    let d: Vec<i32> = digits
        .iter()
        .map(|c| c.to_digit(10).map_or(0, |v| v as i32))
        .collect();
    let steps: Vec<i32> = d.windows(2).map(|w| (w[1] - w[0] + 10) % 10).collect();
    let straight = steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == 9);
    let repeated =
        (1..=3).any(|p| d.len() > p && d.iter().enumerate().all(|(i, x)| *x == d[i % p]));
    straight || repeated
}

/// A stored PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wrap a stored PHC string.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for the store only.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<hidden>)")
    }
}

/// The hasher with the parameters in force.
fn argon2() -> Result<Argon2<'static>, CredentialError> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| CredentialError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash `secret` with Argon2id and the given salt (from the OS random generator).
pub fn hash_secret(
    secret: &Secret,
    salt: &[u8; SALT_LEN],
) -> Result<PasswordHash, CredentialError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| CredentialError::Hashing(e.to_string()))?;
    let phc = argon2()?
        .hash_password(secret.expose().as_bytes(), &salt)
        .map_err(|e| CredentialError::Hashing(e.to_string()))?;
    Ok(PasswordHash(phc.to_string()))
}

/// What checking a secret against a stored hash found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// It matches; `rehash` when the stored parameters are older than the ones in force.
    Match {
        rehash: bool,
    },
    Mismatch,
}

/// Check `secret` against `stored`, with the parameters the stored hash names.
pub fn verify_secret(
    secret: &Secret,
    stored: &PasswordHash,
) -> Result<Verification, CredentialError> {
    let parsed = argon2::password_hash::PasswordHash::new(&stored.0)
        .map_err(|_| CredentialError::UnreadableHash)?;
    let hasher = argon2()?;
    match hasher.verify_password(secret.expose().as_bytes(), &parsed) {
        Ok(()) => {
            let current = Params::try_from(&parsed).ok();
            let rehash = parsed.algorithm.as_str() != "argon2id"
                || current.is_none_or(|p| {
                    (p.m_cost(), p.t_cost(), p.p_cost())
                        != (ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES)
                });
            Ok(Verification::Match { rehash })
        }
        Err(argon2::password_hash::Error::Password) => Ok(Verification::Mismatch),
        Err(_) => Err(CredentialError::UnreadableHash),
    }
}

/// A hash of no one's secret, with the parameters in force: checking a secret for an unknown
/// username against it takes as long as for a real one, so timing does not tell which
/// usernames exist.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZnJvbnRkZXNrLWRlY295IQ$oTgSEvZt3mWF6EY+NBSeIJYBZKud3dUYKOGY7p+/8jQ";

#[cfg(test)]
mod tests;

//! The practice's configuration: the TOML contract of SPEC §8.
//!
//! Every key is optional; defaults suit a US practice. Unknown keys and bad values are errors
//! that name the key and the line. Values are checked while they are read (custom
//! `Deserialize` for time zones, times of day and phone numbers), so the error carries the
//! position; rules that span keys are checked afterwards and still name key and line.
//! Secrets are never stored here: the Twilio auth token comes from the environment or from a
//! file only its owner can read (see [`TwilioConfig::auth_token`]).

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, de};

pub use crate::domain::message::ProviderKind;
use crate::domain::phone::E164;
pub use crate::domain::reminder::rules::{OptOutNotice, QuietHours, ReminderRules};

pub mod first_run;
mod practice;

pub use practice::{IdentityMissing, PracticeConfig};

/// The whole configuration.
///
/// `Config::default()` is the demo practice (Riverside Family Practice, a fictional number):
/// what `demo` and the tests use. A real practice's file starts from
/// [`Config::unconfigured`]: no name, phone, portal or location until the file (written by
/// `init`) says them, and commands that send refuse to run until it does.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(default = "PracticeConfig::unset")]
    pub practice: PracticeConfig,
    pub reminders: ReminderRules,
    pub security: SecurityConfig,
    pub sms: SmsConfig,
    pub phi: PhiConfig,
    pub survey: SurveyConfig,
}

/// `[security]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    pub idle_lock_minutes: u32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            idle_lock_minutes: 5,
        }
    }
}

/// `[sms]`: which provider sends, and how fast.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    pub provider: ProviderKind,
    pub rate_per_second: f64,
    /// Sends in flight at once within a batch.
    pub concurrency: u32,
    pub twilio: Option<TwilioConfig>,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Outbox,
            rate_per_second: 10.0,
            concurrency: 4,
            twilio: None,
        }
    }
}

/// `[sms.twilio]`. The auth token itself is never in this file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    pub account_sid: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    #[serde(default)]
    pub auth_token_env: Option<String>,
    #[serde(default)]
    pub auth_token_file: Option<PathBuf>,
    #[serde(default = "default_twilio_base")]
    pub base_url: String,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// How many pages of the Messages list one sync reads at most.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
}

fn default_twilio_base() -> String {
    "https://api.twilio.com".into()
}
fn default_timeout() -> u64 {
    15
}
fn default_max_pages() -> u32 {
    20
}

/// Why the Twilio auth token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the Twilio auth token is not set: export {0} or set sms.twilio.auth_token_file")]
    MissingEnv(String),
    #[error("cannot read the Twilio auth token file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Twilio auth token file {0} can be read by other users; run: chmod 600 {0}")]
    TooOpen(PathBuf),
    #[error("the Twilio auth token file {0} is empty")]
    Empty(PathBuf),
}

impl TwilioConfig {
    /// The auth token, from the named environment variable or the owner-only file.
    pub fn auth_token(&self) -> Result<String, SecretError> {
        if let Some(path) = &self.auth_token_file {
            return read_secret_file(path);
        }
        let var = self
            .auth_token_env
            .clone()
            .unwrap_or_else(|| "TWILIO_AUTH_TOKEN".into());
        match std::env::var(&var) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(SecretError::MissingEnv(var)),
        }
    }
}

impl TwilioConfig {
    /// The Twilio section's own rules; `region` reads a `from` number like a patient's.
    fn check(&self, region: &str) -> Result<(), Invalid> {
        if !(self.account_sid.starts_with("AC") && self.account_sid.len() == 34) {
            return invalid_key(
                "sms.twilio.account_sid",
                "must be the 34-character SID starting with AC",
            );
        }
        match (&self.from, &self.messaging_service_sid) {
            (Some(_), Some(_)) | (None, None) => {
                return invalid_key(
                    "sms.twilio.from",
                    "set exactly one of `from` and `messaging_service_sid`",
                );
            }
            (Some(from), None) => {
                // Validated like a patient's number (a real, textable number).
                if let Err(e) = E164::parse_own(from, region) {
                    return invalid_key("sms.twilio.from", &e.to_string());
                }
            }
            (None, Some(mg)) if !mg.starts_with("MG") => {
                return invalid_key("sms.twilio.messaging_service_sid", "must start with MG");
            }
            _ => {}
        }
        if self.auth_token_env.is_some() && self.auth_token_file.is_some() {
            return invalid_key(
                "sms.twilio.auth_token_file",
                "set `auth_token_env` or `auth_token_file`, not both",
            );
        }
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return invalid_key("sms.twilio.base_url", "must be an http(s) URL");
        }
        if self.timeout_seconds == 0 || self.max_pages == 0 {
            return invalid_key(
                "sms.twilio.timeout_seconds",
                "timeout_seconds and max_pages must be at least 1",
            );
        }
        Ok(())
    }
}

/// A rule the config breaks: (dotted key, message), placed on its line by `Config::parse`.
type Invalid = (String, String);

fn invalid_key(key: &str, message: &str) -> Result<(), Invalid> {
    Err((key.to_string(), message.to_string()))
}

fn read_secret_file(path: &Path) -> Result<String, SecretError> {
    let unreadable = |source| SecretError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    match crate::files::check_owner_only(path, "the Twilio auth token file") {
        Ok(()) => {}
        Err(crate::files::FileModeError::TooOpen { .. }) => {
            return Err(SecretError::TooOpen(path.to_path_buf()));
        }
        Err(crate::files::FileModeError::Unreadable { source, .. }) => {
            return Err(unreadable(source));
        }
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let token = text.trim();
    if token.is_empty() {
        return Err(SecretError::Empty(path.to_path_buf()));
    }
    Ok(token.to_string())
}

/// `[phi]`: the practice's own words that the gate may let through after review.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PhiConfig {
    /// Phrases (the practice's name, its address) reviewed as deliberate; the gate still
    /// reports a revealing word inside them so the template screen can show it.
    pub allow: Vec<String>,
}

/// `[survey]`: the post-visit survey link.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SurveyConfig {
    pub enabled: bool,
    pub url: String,
    /// Hours after a completed visit before the survey link goes out.
    pub delay_hours: u32,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: String::new(),
            delay_hours: 2,
        }
    }
}

fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.parse::<Tz>().map_err(|_| {
        de::Error::custom(format!(
            "{s:?} is not an IANA time zone such as \"America/New_York\""
        ))
    })
}

/// A config file that could not be used. The message names the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Mode(#[from] crate::files::FileModeError),
    #[error("{path}:{line}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

impl Config {
    /// The demo practice's configuration (the same as `Config::default()`).
    pub fn demo() -> Self {
        Self::default()
    }

    /// A practice with no config file yet: every default, but no name, phone, portal or
    /// location.
    pub fn unconfigured() -> Self {
        Self {
            practice: PracticeConfig::unset(),
            ..Self::default()
        }
    }

    /// Whether texts may go out in the practice's name: its name and phone are set.
    pub fn sender_identity(&self) -> Result<(), IdentityMissing> {
        if self.practice.name.trim().is_empty() {
            return Err(IdentityMissing::Name);
        }
        if self.practice.phone.trim().is_empty() {
            return Err(IdentityMissing::Phone);
        }
        Ok(())
    }

    /// Read the config file; a missing file means an unconfigured practice unless it was
    /// named explicitly. A file other users may read or change is refused (it says where the
    /// practice's secrets are and who texts are from).
    pub fn load(path: &Path, must_exist: bool) -> Result<Self, ConfigError> {
        if path.exists() {
            crate::files::check_owner_only(path, "the config file")?;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Self::unconfigured())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parse and validate TOML text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |line: usize, key: String, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key,
            message,
        };
        let doc = toml::de::DeTable::parse(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start)).unwrap_or(1);
            invalid(line, "(syntax)".into(), e.message().to_string())
        })?;
        let keys = doc.get_ref().clone();
        let de = toml::de::Deserializer::from(doc);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let line = inner
                .span()
                .map(|s| line_of_offset(text, s.start))
                .or_else(|| line_of_key(text, &keys, &key))
                .unwrap_or(1);
            invalid(line, key, inner.message().to_string())
        })?;
        config.validate().map_err(|(key, message)| {
            let line = line_of_key(text, &keys, &key).unwrap_or(1);
            invalid(line, key, message)
        })?;
        Ok(config)
    }

    /// Rules that span keys or need the domain (phone numbers). Returns (key, message).
    fn validate(&self) -> Result<(), Invalid> {
        self.check_practice()?;
        self.reminders
            .check()
            .map_err(|(key, message)| (key.to_string(), message.to_string()))?;
        if self.security.idle_lock_minutes == 0 {
            return invalid_key("security.idle_lock_minutes", "must be at least 1 minute");
        }
        self.check_sms()?;
        if let Some(t) = &self.sms.twilio {
            t.check(&self.practice.region)?;
        }
        if self.survey.enabled && !self.survey.url.starts_with("https://") {
            return invalid_key(
                "survey.url",
                "must be an https:// link when the survey is enabled",
            );
        }
        Ok(())
    }

    fn check_practice(&self) -> Result<(), Invalid> {
        let p = &self.practice;
        // An empty name or phone is "not set": loading works, sending refuses (see
        // `sender_identity`) with the fix.
        if !p.phone.trim().is_empty()
            && let Err(e) = E164::parse_own(&p.phone, &p.region)
        {
            return invalid_key("practice.phone", &e.to_string());
        }
        let portal_ok = p.portal_url.is_empty()
            || p.portal_url.starts_with("https://")
            || p.portal_url.starts_with("http://");
        if !portal_ok {
            let message = format!("{:?} must start with https://", p.portal_url);
            return invalid_key("practice.portal_url", &message);
        }
        Ok(())
    }

    fn check_sms(&self) -> Result<(), Invalid> {
        let s = &self.sms;
        if !(s.rate_per_second > 0.0 && s.rate_per_second <= 1000.0) {
            return invalid_key("sms.rate_per_second", "must be above 0 and at most 1000");
        }
        if s.concurrency == 0 || s.concurrency > 64 {
            return invalid_key("sms.concurrency", "must be between 1 and 64");
        }
        if s.provider == ProviderKind::Twilio && s.twilio.is_none() {
            return invalid_key(
                "sms.provider",
                "is \"twilio\" but there is no [sms.twilio] section",
            );
        }
        Ok(())
    }

    /// The practice phone in E.164 (checked by `validate`, so only a hand-built config fails).
    pub fn practice_phone(&self) -> Result<E164, crate::domain::phone::PhoneError> {
        E164::parse_lenient(&self.practice.phone, &self.practice.region)
    }
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Line of `a.b.key` in the file, from the parser's own spans: the key itself, or the
/// nearest table on its path that the file does have (a missing key is reported where its
/// table is).
fn line_of_key(text: &str, doc: &toml::de::DeTable<'_>, dotted: &str) -> Option<usize> {
    let mut table = doc;
    let mut found = None;
    for part in dotted.split('.') {
        // `offsets_hours[2]` names an element; its key is the line to show.
        let name = part.split('[').next().unwrap_or(part);
        let Some((key, value)) = table.iter().find(|(k, _)| k.get_ref() == name) else {
            break;
        };
        found = Some(key.span().start);
        match value.get_ref() {
            toml::de::DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    found.map(|offset| line_of_offset(text, offset))
}

#[cfg(test)]
mod tests;

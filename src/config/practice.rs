//! `[practice]`: who the messages come from — and the difference between the demo practice
//! (`Default`) and a real practice whose file has not yet said who it is (`unset`).

use chrono_tz::Tz;
use serde::Deserialize;

use super::de_tz;

/// `[practice]`: who the messages come from.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default = "PracticeConfig::unset")]
pub struct PracticeConfig {
    pub name: String,
    /// The practice's phone number, named in every automated message.
    pub phone: String,
    #[serde(deserialize_with = "de_tz")]
    pub time_zone: Tz,
    pub portal_url: String,
    /// Default region (ISO 3166 alpha-2) for phone numbers typed without a country code.
    pub region: String,
    /// Neutral location shown in reminders (`{location}`): an address, never a department.
    pub location: String,
}

impl PracticeConfig {
    /// A practice whose file has not said who it is: no invented name, number, portal or
    /// address ever goes into a real practice's texts.
    pub fn unset() -> Self {
        Self {
            name: String::new(),
            phone: String::new(),
            portal_url: String::new(),
            location: String::new(),
            ..Self::default()
        }
    }
}

/// What a practice must say before anything is sent in its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityMissing {
    #[error("the practice's name is not set (every text names it)")]
    Name,
    #[error("the practice's phone number is not set (every text names it)")]
    Phone,
}

impl IdentityMissing {
    /// The `[practice]` key to set.
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Phone => "phone",
        }
    }
}

/// The demo practice: what `Config::default()` and `frontdesk demo` use.
impl Default for PracticeConfig {
    fn default() -> Self {
        Self {
            name: "Riverside Family Practice".into(),
            phone: "+15555550100".into(),
            time_zone: chrono_tz::America::New_York,
            portal_url: "https://portal.example.org".into(),
            region: "US".into(),
            location: "12 Main St, Suite 200".into(),
        }
    }
}

//! Twilio's JSON, read tolerantly: every field may be null, missing or of an odd type, and
//! unknown fields are ignored (Twilio adds fields; a mock may send odd values).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One message as Twilio describes it; every field optional and read leniently.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApiMessage {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) sid: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) status: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) direction: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) from: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) to: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) body: Option<String>,
    #[serde(deserialize_with = "lenient_u32")]
    pub(super) error_code: Option<u32>,
    #[serde(deserialize_with = "lenient_u32")]
    pub(super) num_segments: Option<u32>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) date_created: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) date_sent: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) messaging_service_sid: Option<String>,
}

/// One page of the Messages list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApiPage {
    #[serde(deserialize_with = "lenient_messages")]
    pub(super) messages: Vec<ApiMessage>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) next_page_uri: Option<String>,
}

/// Twilio's error body: `{code, message, more_info, status}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApiError {
    #[serde(deserialize_with = "lenient_u32")]
    pub(super) code: Option<u32>,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) message: Option<String>,
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_messages<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ApiMessage>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

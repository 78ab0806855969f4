//! Which provider: the one the practice configured ([`ProviderKind`]) and the one a stored
//! text went through ([`MessageProvider`], the `messages.provider` column).
//!
//! Pure. The stored names are stable strings: rows written by any version read back, and a
//! name this version does not know is kept as it was, never refused.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The SMS provider the practice sends through (`[sms] provider` in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Offline: messages wait in the local outbox.
    #[default]
    Outbox,
    Twilio,
}

impl ProviderKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outbox => MessageProvider::OUTBOX,
            Self::Twilio => MessageProvider::TWILIO,
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            MessageProvider::OUTBOX => Some(Self::Outbox),
            MessageProvider::TWILIO => Some(Self::Twilio),
            _ => None,
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What took a stored text, as its row says: a real provider, the offline outbox, or the demo
/// practice's invented history. Reading a row never fails on this column: a name this version
/// does not know (a provider added later, a test double) is kept in [`Self::Other`] and
/// written back exactly as it was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MessageProvider {
    /// The offline outbox: the text waits on this machine for a real provider.
    Outbox,
    Twilio,
    /// Seeded by the demo practice as past traffic; never sent anywhere.
    DemoHistory,
    /// A stored name this version does not know.
    Other(String),
}

impl MessageProvider {
    pub const OUTBOX: &'static str = "outbox";
    pub const TWILIO: &'static str = "twilio";
    pub const DEMO_HISTORY: &'static str = "demo-history";

    /// Read a stored name; never fails (see [`Self::Other`]).
    pub fn parse(s: &str) -> Self {
        match s {
            Self::OUTBOX => Self::Outbox,
            Self::TWILIO => Self::Twilio,
            Self::DEMO_HISTORY => Self::DemoHistory,
            other => Self::Other(other.to_string()),
        }
    }

    /// The stored name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Outbox => Self::OUTBOX,
            Self::Twilio => Self::TWILIO,
            Self::DemoHistory => Self::DEMO_HISTORY,
            Self::Other(name) => name,
        }
    }

    /// The configurable provider this is, if it is one.
    pub fn kind(&self) -> Option<ProviderKind> {
        match self {
            Self::Outbox => Some(ProviderKind::Outbox),
            Self::Twilio => Some(ProviderKind::Twilio),
            Self::DemoHistory | Self::Other(_) => None,
        }
    }
}

impl From<ProviderKind> for MessageProvider {
    fn from(kind: ProviderKind) -> Self {
        match kind {
            ProviderKind::Outbox => Self::Outbox,
            ProviderKind::Twilio => Self::Twilio,
        }
    }
}

impl From<&str> for MessageProvider {
    fn from(s: &str) -> Self {
        Self::parse(s)
    }
}

impl From<String> for MessageProvider {
    fn from(s: String) -> Self {
        match Self::parse(&s) {
            Self::Other(_) => Self::Other(s),
            known => known,
        }
    }
}

impl std::fmt::Display for MessageProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its stored name, like the column.
impl Serialize for MessageProvider {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageProvider {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("outbox", MessageProvider::Outbox, Some(ProviderKind::Outbox))]
    #[case("twilio", MessageProvider::Twilio, Some(ProviderKind::Twilio))]
    #[case("demo-history", MessageProvider::DemoHistory, None)]
    #[case("vonage", MessageProvider::Other("vonage".into()), None)]
    #[case("", MessageProvider::Other(String::new()), None)]
    // Names are stored lower-case; another spelling is not silently taken for a known one.
    #[case("Twilio", MessageProvider::Other("Twilio".into()), None)]
    fn a_stored_name_reads_back_and_is_written_unchanged(
        #[case] stored: &str,
        #[case] read: MessageProvider,
        #[case] kind: Option<ProviderKind>,
    ) {
        let p = MessageProvider::parse(stored);
        assert_eq!(p, read);
        assert_eq!(p.as_str(), stored);
        assert_eq!(MessageProvider::from(stored.to_string()), read);
        assert_eq!(p.kind(), kind);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, serde_json::to_string(stored).unwrap());
        assert_eq!(
            serde_json::from_str::<MessageProvider>(&json).unwrap(),
            read
        );
    }

    #[test]
    fn a_configured_provider_is_stored_under_its_own_name() {
        for kind in [ProviderKind::Outbox, ProviderKind::Twilio] {
            let p = MessageProvider::from(kind);
            assert_eq!(p.as_str(), kind.as_str());
            assert_eq!(p.kind(), Some(kind));
            assert_eq!(ProviderKind::parse(p.as_str()), Some(kind));
        }
    }
}

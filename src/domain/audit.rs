//! Audit records and the hash chain that makes the log tamper-evident.
//!
//! Pure. Each record's hash covers its fields and the previous record's hash, so changing or
//! removing any earlier record breaks every later link. Details carry ids and codes, never
//! message bodies or names (SPEC §8).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it when no person did.
pub const SYSTEM: &str = "system";

/// An audit record about to be appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Staff username or `system`.
    pub actor: String,
    /// What happened, e.g. `appointment.status`, `message.sent`, `consent.opt_out`.
    pub action: String,
    /// What it happened to, e.g. `appointment:42`, `patient:7`.
    pub subject: String,
    /// JSON with ids and codes; never PHI or message bodies.
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            subject: subject.into(),
            detail: detail.to_string(),
        }
    }

    /// The chained hash of this entry after `prev` (hex SHA-256).
    pub fn chain_hash(&self, prev: &str) -> String {
        let mut h = Sha256::new();
        // Length-prefix every field so no two different records serialise alike.
        for field in [
            prev,
            &self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A stored record: the entry plus its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error(
        "audit record {id} does not follow the record before it (a record was removed or reordered)"
    )]
    BrokenLink { id: i64 },
    #[error("audit record {id} was changed after it was written")]
    Altered { id: i64 },
}

/// Verify records in id order, starting from `prev` (GENESIS for the whole log).
pub fn verify_chain<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    mut prev: String,
) -> Result<usize, ChainError> {
    let mut n = 0;
    for r in records {
        if r.prev_hash != prev {
            return Err(ChainError::BrokenLink { id: r.id });
        }
        if r.entry.chain_hash(&prev) != r.hash {
            return Err(ChainError::Altered { id: r.id });
        }
        prev = r.hash.clone();
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: usize) -> Vec<AuditRecord> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let entry = AuditEntry::new(
                    Utc.with_ymd_and_hms(2026, 11, 25, 9, i as u32, 0).unwrap(),
                    "desk",
                    "appointment.status",
                    format!("appointment:{i}"),
                    serde_json::json!({"to": "arrived"}),
                );
                let hash = entry.chain_hash(&prev);
                let r = AuditRecord {
                    id: i as i64 + 1,
                    entry,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                r
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5), GENESIS.into()), Ok(5));
    }

    #[test]
    fn altered_record_is_found() {
        let mut c = chain(5);
        c[2].entry.actor = "mallory".into();
        assert_eq!(
            verify_chain(&c, GENESIS.into()),
            Err(ChainError::Altered { id: 3 })
        );
    }

    #[test]
    fn removed_record_is_found() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify_chain(&c, GENESIS.into()),
            Err(ChainError::BrokenLink { id: 3 })
        );
    }

    #[test]
    fn field_boundaries_matter() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let a = AuditEntry {
            at: t,
            actor: "ab".into(),
            action: "c".into(),
            subject: String::new(),
            detail: String::new(),
        };
        let b = AuditEntry {
            at: t,
            actor: "a".into(),
            action: "bc".into(),
            subject: String::new(),
            detail: String::new(),
        };
        assert_ne!(a.chain_hash(GENESIS), b.chain_hash(GENESIS));
    }
}

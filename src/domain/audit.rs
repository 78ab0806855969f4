//! Audit records and the hash chain that makes the log tamper-evident.
//!
//! Pure. Each record's hash covers its fields and the previous record's hash, so changing or
//! removing any earlier record breaks every later link. Details carry ids and codes, never
//! message bodies or names (SPEC §8).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod appointment;
pub mod demo;
pub mod desk;
pub mod event;
pub mod export;
pub mod import;
pub mod not_sent;
pub mod practice;
pub mod remind;
pub mod reply;

pub use appointment::AppointmentEvent;
pub use demo::{DemoScale, DemoSeeded};
pub use desk::DeskEvent;
pub use event::Event;
pub use export::{ExportEvent, ExportKind, ReviewEvent};
pub use import::ImportEvent;
pub use not_sent::NotSentEvent;
pub use practice::PracticeEvent;
pub use remind::{RemindEvent, RunLine, RunSummary};
pub use reply::ReplyEvent;

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
    /// The staff member's id when a member acted (`None` for `system`, the patient, and
    /// records written before audit records carried ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<i64>,
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
            actor_id: None,
            action: action.to_string(),
            subject: subject.into(),
            detail: detail.to_string(),
        }
    }

    /// The same entry, naming the member who acted by id as well as by username.
    pub fn by_member(mut self, id: i64) -> Self {
        self.actor_id = Some(id);
        self
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
        // The member's id joined the record later: hashed only when present, so every record
        // written before it keeps its hash and the whole chain still verifies.
        if let Some(id) = self.actor_id {
            let id = format!("actor_id:{id}");
            h.update((id.len() as u64).to_le_bytes());
            h.update(id.as_bytes());
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
    fn records_without_an_id_hash_as_before_and_an_id_is_covered() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let e = AuditEntry::new(t, "alice", "staff.add", "staff:2", serde_json::json!({}));
        // The hash a record written before ids existed carries (computed by the old code).
        let mut h = Sha256::new();
        for f in [
            GENESIS,
            "2026-01-01T00:00:00Z",
            "alice",
            "staff.add",
            "staff:2",
            "{}",
        ] {
            h.update((f.len() as u64).to_le_bytes());
            h.update(f.as_bytes());
        }
        let old: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(e.chain_hash(GENESIS), old);
        let with_id = e.clone().by_member(1);
        assert_ne!(with_id.chain_hash(GENESIS), old);
        assert_ne!(
            with_id.chain_hash(GENESIS),
            e.by_member(2).chain_hash(GENESIS)
        );
    }

    #[test]
    fn a_changed_member_id_breaks_the_chain() {
        let mut c = chain(3);
        c[1].entry.actor_id = Some(9);
        assert_eq!(
            verify_chain(&c, GENESIS.into()),
            Err(ChainError::Altered { id: 2 })
        );
    }

    #[test]
    fn field_boundaries_matter() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let a = AuditEntry {
            at: t,
            actor: "ab".into(),
            actor_id: None,
            action: "c".into(),
            subject: String::new(),
            detail: String::new(),
        };
        let b = AuditEntry {
            at: t,
            actor: "a".into(),
            actor_id: None,
            action: "bc".into(),
            subject: String::new(),
            detail: String::new(),
        };
        assert_ne!(a.chain_hash(GENESIS), b.chain_hash(GENESIS));
    }
}

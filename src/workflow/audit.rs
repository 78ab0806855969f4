//! Checking the audit trail: walk the hash chain from the first record to the last.

use serde::Serialize;

use crate::domain::audit::{ChainError, GENESIS, verify_chain};
use crate::store::{self, Store, StoreError};

/// Records read per page (the walk holds one page at a time).
const PAGE: usize = 5_000;

/// What the walk found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// Records checked.
    pub records: usize,
    /// The first break, in words, or `None` when the chain is intact.
    pub broken: Option<String>,
}

/// Verify the whole chain, page by page.
pub fn verify(store: &Store) -> Result<ChainReport, StoreError> {
    let mut prev = GENESIS.to_string();
    let mut after = 0;
    let mut records = 0;
    loop {
        let page = store::audit::page(&store, after, PAGE)?;
        let Some(last) = page.last() else { break };
        let (last_id, last_hash) = (last.id, last.hash.clone());
        match verify_chain(&page, prev) {
            Ok(n) => records += n,
            Err(e) => {
                let at = match &e {
                    ChainError::BrokenLink { id } | ChainError::Altered { id } => *id,
                };
                records += page.iter().take_while(|r| r.id < at).count();
                return Ok(ChainReport {
                    records,
                    broken: Some(e.to_string()),
                });
            }
        }
        prev = last_hash;
        after = last_id;
    }
    Ok(ChainReport {
        records,
        broken: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEntry;
    use crate::store::appointments::tests::t;

    fn with_records(n: u32) -> Store {
        let store = Store::open_in_memory().unwrap();
        for i in 0..n {
            let e = AuditEntry::new(
                t(9, i),
                "desk",
                "appointment.status",
                format!("appointment:{i}"),
                serde_json::json!({"to": "arrived"}),
            );
            store::audit::append(store.test_conn(), &e).unwrap();
        }
        store
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(
            verify(&with_records(5)).unwrap(),
            ChainReport {
                records: 5,
                broken: None
            }
        );
        assert_eq!(verify(&with_records(0)).unwrap().records, 0);
    }

    #[test]
    fn an_edit_behind_the_triggers_back_is_found() {
        let store = with_records(5);
        // Someone with the database file removes the guard and edits a record.
        store
            .test_conn()
            .execute_batch(
                "DROP TRIGGER audit_append_only_update;
             UPDATE audit SET actor = 'mallory' WHERE id = 3;",
            )
            .unwrap();
        let r = verify(&store).unwrap();
        assert_eq!(r.records, 2);
        assert_eq!(
            r.broken.as_deref(),
            Some("audit record 3 was changed after it was written")
        );
    }

    #[test]
    fn a_removed_record_is_found() {
        let store = with_records(5);
        store
            .test_conn()
            .execute_batch("DROP TRIGGER audit_append_only_delete; DELETE FROM audit WHERE id = 2;")
            .unwrap();
        let r = verify(&store).unwrap();
        assert!(
            r.broken.unwrap().contains("record 3 does not follow"),
            "record after the gap is named"
        );
    }
}

//! Migration 18 (issue 14): `messages_by_patient` (migration 2: patient, `created_at`) dropped.
//! Owns only its SQL; imports nothing.
//!
//! Since migrations 11 and 16 a patient's texts are in two partial indexes by direction —
//! `messages_out_by_patient` and `messages_in_by_patient` — and every reader of a patient's
//! texts but one already went through those. The last one, the patient's whole thread
//! (`messages::for_patient`), now reads the two and merges them (a sort of that patient's
//! few dozen rows, which the old index gave in order). The index cost a clinic-group load its
//! most expensive sorted build (7.5–14 s of a minute's budget) and 85 MB of file, and every
//! text written at the desk one more index entry (docs/BENCHMARKS.md, "Fifth session").

pub const SQL: &str = r#"
DROP INDEX messages_by_patient;
"#;

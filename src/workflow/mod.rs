//! Use cases shared by the console and the headless commands.
//!
//! Each follows load → decide (domain) → act (store/provider) → audit, with the change and
//! its audit record in one transaction. May import domain, phi, store, provider and clock;
//! never `tui` or `cli`. Functions take `now` and the config explicitly.

pub mod audit;
pub mod audit_log;
pub mod backup;
pub mod batch_desk;
pub mod callbacks;
pub mod closure_desk;
pub mod compliance;
pub mod consent;
pub mod consent_review;
pub mod custom_text;
pub mod database;
pub mod day;
pub mod demo;
pub mod desk;
pub mod desk_patient;
pub mod desk_undo;
pub mod dispatch;
pub mod export;
pub mod facts;
pub mod import;
pub mod inbox;
pub mod inbox_reply;
pub mod lock;
pub mod manager_views;
pub mod manual;
pub mod outcome;
pub mod practice;
pub mod rebook;
pub mod record_text;
pub mod remind;
pub mod render;
pub mod send;
pub mod sender;
pub mod staff;
pub mod stats;
pub mod sync;
pub mod template_editor;
pub mod templates;
pub mod typed;
pub mod waiting;

/// Why a use case failed; the text is shown to staff or printed by a command.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Template(#[from] templates::TemplateFlowError),
    #[error("{0}")]
    Lock(String),
    /// The request itself is wrong (a bad window, a kind that is not a prompt).
    #[error("{0}")]
    Invalid(String),
}

//! The pure core: the practice's rules as data and functions.
//!
//! No IO, no clock, no database, no terminal: `now` is always passed in. May import std,
//! chrono(-tz), serde, thiserror, regex, sha2 and argon2 (hashing is computation) — never
//! `config`, `store`, `provider`, `workflow`, `tui` or `cli`. The practice's rules are values
//! defined here (`reminder::rules`); `config` fills them from the file. Most of the tests live
//! here.

pub mod appointment;
pub mod audit;
pub mod batch;
pub mod consent;
pub mod consent_history;
pub mod csv;
pub mod day;
pub mod deadline;
pub mod export;
pub mod ids;
pub mod import;
pub mod inbox;
pub mod message;
pub mod name_search;
pub mod patient;
pub mod patient_file;
pub mod phone;
pub mod provider_outcome;
pub mod reminder;
pub mod reply;
pub mod report;
pub mod segments;
pub mod setup;
pub mod staff;
pub mod stats;
pub mod template;

//! Use cases shared by the console and the headless commands.
//!
//! Each follows load → decide (domain) → act (store/provider) → audit, with the change and
//! its audit record in one transaction. May import domain, phi, store, provider and clock;
//! never `tui` or `cli`. Functions take `now` and the config explicitly.

pub mod consent;
pub mod day;
pub mod demo;
pub mod desk;
pub mod dispatch;
pub mod facts;
pub mod outbound;
pub mod outbox;
pub mod render;
pub mod sync;
pub mod templates;

//! What the flow tests share (remind, sync, provider, crash, operational, reports…): one
//! scenario builder ([`scenario`]), one exactly-once assertion ([`once`]), polling with a
//! deadline instead of sleeping, and the rule for tests that need a missing tool ([`skip`]).
//!
//! Include with `mod fake_twilio; mod support;` (it uses `crate::fake_twilio`).

#![allow(
    dead_code,
    unused_imports,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

pub mod once;
pub mod provider;
pub mod remind;
pub mod scenario;
pub mod skip;

pub use once::*;
pub use scenario::*;

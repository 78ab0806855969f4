//! frontdesk — the front desk of a small medical practice, in a terminal.
//!
//! Functional core, imperative shell (see `docs/ARCHITECTURE.md`):
//!
//! | layer      | modules                         | may import                               |
//! |------------|---------------------------------|------------------------------------------|
//! | core, pure | [`domain`], [`phi`]             | std, chrono, serde, thiserror, sha2, regex |
//! | shell      | [`store`] (rusqlite only here)  | domain                                   |
//! |            | [`provider`] (reqwest only here)| domain                                   |
//! |            | [`workflow`] (use cases)        | domain, phi, store, provider, clock      |
//! |            | [`tui`] (ratatui only here)     | domain, workflow (via its worker), config |
//! |            | [`cli`] (clap commands)         | workflow, store, config, paths           |
//!
//! Time comes only from [`clock::Clock`]; `FRONTDESK_NOW` fixes it.
//! `testing` (tests only) is support any layer's tests may use.

pub mod app_context;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod files;
pub mod logging;
pub mod paths;
pub mod phi;
pub mod provider;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;
pub mod tui;
pub mod workflow;

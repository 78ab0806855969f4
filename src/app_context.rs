//! What every entry point of one run shares: where things are ([`Paths`]), the practice's
//! [`Config`], the one [`Clock`], and who `--as` names. It sits below both `cli` and `tui`, so
//! the commands and the console share it without importing each other. Imports `config`,
//! `paths` and `clock` only; never `cli`, `tui`, `workflow`, `store` or `provider`.

use crate::clock::Clock;
use crate::config::Config;
use crate::paths::Paths;

/// The run's context, built once by `main` and handed down by reference.
#[derive(Clone, Debug)]
pub struct AppContext {
    pub paths: Paths,
    pub config: Config,
    pub clock: Clock,
    /// The member of staff a person runs the command as; `None` acts as `system`.
    pub acting_as: Option<String>,
}

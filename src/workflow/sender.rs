//! The one place the shell's sending parts are assembled from the config: the provider the
//! config names (with its pacing, as a [`Dispatcher`]) and the PHI gate with the practice's
//! reviewed allow-list. Commands and the console ask for a [`Sender`]; they never build a
//! provider or a gate themselves.
//!
//! May import config, phi, provider; never `cli` or `tui`.

use std::sync::Arc;

use crate::config::Config;
use crate::phi::Gate;
use crate::provider::{self, ProviderError};
use crate::workflow::dispatch::Dispatcher;

/// What sends texts for the practice.
pub struct Sender {
    pub dispatcher: Dispatcher,
    pub gate: Gate,
}

impl Sender {
    /// The provider and gate the config describes. Reads the Twilio auth token once, here.
    pub fn from_config(config: &Config) -> Result<Self, ProviderError> {
        let provider = provider::from_config(config)?;
        Ok(Self {
            dispatcher: Dispatcher::from_config(config, Arc::from(provider)),
            gate: gate(config),
        })
    }
}

/// The PHI gate with the practice's reviewed allow-list (also for previews that send nothing).
pub fn gate(config: &Config) -> Gate {
    Gate::with_allow_list(&config.phi.allow)
}

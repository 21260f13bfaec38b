//! `aud planning ...`: plans, tasks and their verification.

use crate::exit::Outcome;
use crate::root::Context;

/// The `aud planning` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a plan; prints its id.
    Init {
        /// The plan's name.
        #[arg(long)]
        name: String,
    },
}

/// Runs an `aud planning` subcommand.
pub fn run(_ctx: &Context, _command: Command) -> anyhow::Result<Outcome> {
    anyhow::bail!("aud planning is being built (issue 4)")
}

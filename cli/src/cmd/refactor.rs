//! `aud refactor --file SPEC`: evaluate a spec against the refreshed index.

use crate::exit::Outcome;
use crate::root::Context;

/// Arguments of `aud refactor`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `aud refactor`.
pub fn run(_ctx: &Context, _args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("aud refactor is being built")
}

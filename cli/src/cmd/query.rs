//! `aud query`: navigate the index.

use crate::exit::Outcome;
use crate::root::Context;

/// Arguments of `aud query`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `aud query`.
pub fn run(_ctx: &Context, _args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("aud query is being built (issue 4)")
}

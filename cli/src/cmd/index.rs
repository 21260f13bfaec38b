//! `aud index`: build or refresh `.pf/repo_index.db`.

use crate::exit::Outcome;
use crate::output::Format;
use crate::root::Context;

/// Arguments of `aud index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rebuild from scratch instead of refreshing changed files.
    #[arg(long)]
    pub full: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `aud index`.
pub fn run(_ctx: &Context, _args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("aud index is being built (issue 3)")
}

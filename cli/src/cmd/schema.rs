//! `aud schema`: print the JSON Schema of the spec format, for editors and validators.

use crate::exit::Outcome;

/// Arguments of `aud schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the JSON Schema of the spec format.
pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    crate::output::print_json(&aud_core::spec::shape::json_schema())?;
    Ok(Outcome::Success)
}

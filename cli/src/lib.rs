//! The `aud` command-line tool as a library, so tests can drive it in-process.
//!
//! `main.rs` only calls [`run`]. Each subcommand lives in its own module under [`cmd`] with an
//! `Args` type (clap) and a `run` function. Errors are `anyhow` with context; [`run`] maps them to
//! the documented exit codes (see [`exit`]).

pub mod cmd;
pub mod exit;
/// The indexer lives in its own crate; re-exported so commands keep one path to it.
pub use aud_index as index;
pub mod output;
pub mod planning;
pub mod root;
#[cfg(all(feature = "serve", not(target_os = "wasi")))]
pub mod serve;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Plan multi-step refactorings whose every task is proven done by the code itself.
#[derive(Debug, Parser)]
#[command(name = "aud", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 success or pass, 1 violations or a regression found, 2 bad input or error."
)]
pub struct Cli {
    /// Repository root (default: the nearest ancestor holding .pf/, else the git top level,
    /// else the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<std::path::PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build or refresh the code index (.pf/repo_index.db).
    Index(cmd::index::Args),
    /// Evaluate a spec file against the (refreshed) index.
    Refactor(cmd::refactor::Args),
    /// Navigate the index: symbols, routes, components, callers, callees, files.
    Query(cmd::query::Args),
    /// Plans, tasks and their verification.
    #[command(subcommand)]
    Planning(cmd::planning::Command),
    /// Print the JSON Schema of the spec format.
    Schema(cmd::schema::Args),
    /// Serve the web UI and a read-only JSON API of the plans and the index on localhost.
    #[cfg(all(feature = "serve", not(target_os = "wasi")))]
    #[command(
        after_help = "The server only reads: plans, runs and checkpoints come from .pf/planning.db as the CLI writes them.\n\nExamples:\n  aud serve\n  aud serve --open\n  aud serve --port 0            # any free port; the address is printed\n  aud serve --host 0.0.0.0      # every interface (a warning says what that exposes)"
    )]
    Serve(cmd::serve::Args),
}

/// Parses `args` and runs the command, returning the process exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
            // Printing help or a usage error can only fail on a closed pipe; nothing to add.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    exit::report(dispatch(cli))
}

fn dispatch(cli: Cli) -> anyhow::Result<exit::Outcome> {
    let ctx = root::Context::new(cli.root.as_deref())?;
    match cli.command {
        Command::Index(args) => cmd::index::run(&ctx, args),
        Command::Refactor(args) => cmd::refactor::run(&ctx, args),
        Command::Query(args) => cmd::query::run(&ctx, args),
        Command::Planning(command) => cmd::planning::run(&ctx, command),
        Command::Schema(args) => cmd::schema::run(args),
        #[cfg(all(feature = "serve", not(target_os = "wasi")))]
        Command::Serve(args) => cmd::serve::run(&ctx, args),
    }
}

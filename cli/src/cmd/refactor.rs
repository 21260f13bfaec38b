//! `aud refactor --file SPEC`: evaluate a spec against the refreshed index.
//!
//! The index is refreshed incrementally first (unless `--no-refresh`), so a verdict is never
//! computed from stale rows.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use aud_core::engine::{self, Evaluation};
use aud_core::report::text::{self, TextOptions};
use aud_core::report::{Subject, junit, sarif};
use aud_core::spec::Spec;

use crate::exit::Outcome;
use crate::index::{self as indexer, IndexOptions, SqliteIndex};
use crate::output::{self, ReportFormat};
use crate::root::Context;

/// Arguments of `aud refactor`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  aud refactor --file specs/auth0.yaml
  aud refactor --file specs/auth0.yaml --format json --output report.json
  aud refactor --file specs/auth0.yaml --format sarif --output aud.sarif
  aud refactor --file specs/auth0.yaml --validate-only

Exit codes: 0 clean, 1 violations, 2 bad spec or error.")]
pub struct Args {
    /// The spec (refactor profile) to evaluate.
    #[arg(long, short = 'f', value_name = "SPEC")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// List every finding, expected references and guidance.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Only check the spec; do not evaluate it.
    #[arg(long)]
    pub validate_only: bool,
    /// Evaluate against the index as it is, without refreshing it first.
    #[arg(long)]
    pub no_refresh: bool,
}

/// Runs `aud refactor`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<Outcome> {
    let spec = load_spec(&args.file)?;
    if args.validate_only {
        output::print_text(&format!(
            "{}: valid ({} rule{}, {} term{})\n",
            args.file.display(),
            spec.rules.len(),
            if spec.rules.len() == 1 { "" } else { "s" },
            spec.term_count(),
            if spec.term_count() == 1 { "" } else { "s" },
        ))?;
        return Ok(Outcome::Success);
    }
    let eval = evaluate_fresh(ctx, &spec, !args.no_refresh)?;
    let rendered = match args.format {
        ReportFormat::Text => text::render(
            &eval,
            TextOptions {
                verbose: args.verbose,
                ..TextOptions::default()
            },
        ),
        ReportFormat::Json => serde_json::to_string_pretty(&eval)? + "\n",
        ReportFormat::Sarif => sarif::render(&eval, &subject()),
        ReportFormat::Junit => junit::render(&eval, &subject()),
    };
    match &args.output {
        Some(path) => output::write_atomic(path, rendered.as_bytes())?,
        None => output::print_text(&rendered)?,
    }
    Ok(if eval.passed() {
        Outcome::Success
    } else {
        Outcome::Violations
    })
}

fn subject() -> Subject {
    Subject {
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        ..Subject::default()
    }
}

/// Reads and validates a spec file; every problem is reported with its line.
pub fn load_spec(path: &Path) -> anyhow::Result<Spec> {
    let yaml = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read spec {}", path.display()))?;
    Spec::parse(&path.display().to_string(), &yaml).map_err(anyhow::Error::new)
}

/// Refreshes the index (when asked) and evaluates `spec` against it, with index coverage.
pub fn evaluate_fresh(ctx: &Context, spec: &Spec, refresh: bool) -> anyhow::Result<Evaluation> {
    let db = ctx.index_db();
    if refresh {
        ctx.ensure_pf_dir()?;
        indexer::refresh(&ctx.root, &db, &IndexOptions::default())
            .context("cannot refresh the index")?;
    } else if !db.exists() {
        anyhow::bail!(
            "{} does not exist: run `aud index` first (or drop --no-refresh)",
            db.display()
        );
    }
    let store = SqliteIndex::open(&db)?;
    let mut eval =
        engine::evaluate(spec, &store).with_context(|| format!("cannot read {}", db.display()))?;
    eval.index = Some(store.coverage()?);
    Ok(eval)
}

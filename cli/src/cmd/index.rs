//! `aud index`: build or refresh `.pf/repo_index.db`.

use std::fmt::Write as _;

use crate::exit::Outcome;
use crate::index::{IndexOptions, IndexReport, refresh};
use crate::output::{Format, print_json, print_text};
use crate::root::Context;

/// Arguments of `aud index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rebuild from scratch instead of refreshing changed files.
    #[arg(long)]
    pub full: bool,
    /// Skip source files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = IndexOptions::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Skip source files whose syntax tree and rows would take more memory than this many
    /// bytes (reason `over_budget`); each extraction thread may use this much.
    #[arg(long, value_name = "BYTES", default_value_t = IndexOptions::default().max_file_memory)]
    pub max_file_memory: u64,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `aud index`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<Outcome> {
    ctx.ensure_pf_dir()?;
    let opts = IndexOptions {
        full: args.full,
        max_file_bytes: args.max_file_bytes,
        max_file_memory: args.max_file_memory,
        progress: args.format == Format::Text,
    };
    let report = refresh(&ctx.root, &ctx.index_db(), &opts)?;
    match args.format {
        Format::Json => print_json(&report)?,
        Format::Text => print_text(&summary(&report))?,
    }
    Ok(Outcome::Success)
}

/// The text summary of a run.
pub fn summary(report: &IndexReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Indexed {} files in {} ms ({}: {} new, {} changed, {} unchanged, {} removed)",
        report.files_indexed,
        report.elapsed_ms,
        if report.full {
            "full rebuild"
        } else {
            "incremental"
        },
        report.files_new,
        report.files_reindexed,
        report.files_unchanged,
        report.files_removed,
    );
    if !report.skipped.is_empty() {
        let _ = writeln!(out, "Skipped {} files:", report.skipped.len());
        for skip in &report.skipped {
            let _ = writeln!(out, "  {} ({})", skip.path, skip.reason.as_str());
        }
    }
    if !report.parse_errors.is_empty() {
        let _ = writeln!(
            out,
            "Syntax errors in {} files (indexed as far as the parser recovered):",
            report.parse_errors.len()
        );
        for path in &report.parse_errors {
            let _ = writeln!(out, "  {path}");
        }
    }
    if !report.partial.is_empty() {
        let _ = writeln!(
            out,
            "Partially indexed {} files (nested deeper than extraction descends; the deeper parts are not indexed):",
            report.partial.len()
        );
        for path in &report.partial {
            let _ = writeln!(out, "  {path}");
        }
    }
    let _ = writeln!(out, "Rows:");
    for (table, count) in &report.rows {
        let _ = writeln!(out, "  {table:<20} {count}");
    }
    out
}

//! `verify-task` and `verify`: prove tasks done against the code, and record the runs.
//!
//! The index is refreshed incrementally first (unless `--no-refresh`), so a fix is seen without
//! a manual re-index. What a verification is (evaluate, fingerprint, diff, conclude, record) is
//! core's recipe, [`aud_core::plan::verify`]; this command parses the flags, supplies the time
//! and the commit, prints the reports and takes a checkpoint of a failure.

use std::fmt::Write as _;

use anyhow::Context as _;
use aud_core::engine::Evaluation;
use aud_core::plan::{AuditStatus, Facts, FileReads, TaskReport, VerifyError, verify};
use aud_core::report::{Subject, junit, sarif};
use serde::Serialize;

use super::open_store;
use crate::exit::Outcome;
use crate::index::{IndexOptions, SqliteIndex, refresh};
use crate::output::{ReportFormat, print_json, print_text};
use crate::planning::git;
use crate::planning::time::now_rfc3339;
use crate::root::Context;

/// Flags shared by `verify-task` and `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyOptions {
    /// List every violation (default: the first few per rule).
    #[arg(long, short)]
    pub verbose: bool,
    /// Update the task status: completed when clean, failed on a regression, else in_progress.
    #[arg(long)]
    pub auto_update: bool,
    /// Print the line ranges to read (violation +/- 5 lines, merged) as JSON, for an agent.
    #[arg(long)]
    pub emit_reads: bool,
    /// Use the index as it is, without refreshing it first.
    #[arg(long)]
    pub no_refresh: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
}

/// Arguments of `aud planning verify-task`.
#[derive(Debug, clap::Args)]
pub struct VerifyTaskArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    #[command(flatten)]
    pub options: VerifyOptions,
}

/// Arguments of `aud planning verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The plan id.
    pub plan: i64,
    #[command(flatten)]
    pub options: VerifyOptions,
}

/// Refreshes the index (unless `no_refresh`) and opens it.
fn open_index(ctx: &Context, no_refresh: bool) -> anyhow::Result<SqliteIndex> {
    let db = ctx.index_db();
    if !no_refresh {
        ctx.ensure_pf_dir()?;
        refresh(&ctx.root, &db, &IndexOptions::default()).context("cannot refresh the index")?;
    } else if !db.exists() {
        anyhow::bail!(".pf/repo_index.db does not exist: run `aud index`, or drop --no-refresh");
    }
    SqliteIndex::open(&db)
}

/// What only this process knows about a verification: the time, the commit, the flags.
fn facts(ctx: &Context, options: &VerifyOptions) -> Facts {
    Facts {
        created_at: now_rfc3339(),
        git_commit: git::head_commit(&ctx.root),
        auto_update: options.auto_update,
        emit_reads: options.emit_reads,
    }
}

/// A failed verification as the command reports it: the store's own error as it is (so exit
/// codes and messages stay the store's), anything else with its context.
fn failure(e: VerifyError<anyhow::Error, rusqlite::Error>) -> anyhow::Error {
    match e {
        VerifyError::Plan(e) => e,
        VerifyError::Index(e) => anyhow::Error::new(e).context("cannot read .pf/repo_index.db"),
        spec @ VerifyError::Spec { .. } => anyhow::anyhow!("{spec}"),
    }
}

/// `aud planning verify-task`.
pub fn verify_task(ctx: &Context, args: VerifyTaskArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let index = open_index(ctx, args.options.no_refresh)?;
    let report = verify::verify_task(
        &mut store,
        &index,
        args.plan,
        args.task,
        &facts(ctx, &args.options),
    )
    .map_err(failure)?;
    // As the original: a failed verification keeps the code it failed on, unless the task's
    // last checkpoint already holds it. A checkpoint that cannot be taken (an unusual
    // repository) must not hide the verdict.
    #[cfg(not(target_os = "wasi"))]
    if report.failed() {
        let name = format!("verify-task-{}-failed", args.task);
        if let Err(e) =
            super::checkpoint::take_unless_unchanged(ctx, &mut store, args.plan, args.task, &name)
        {
            eprintln!("warning: {e:#}");
        }
    }
    print_reports(&[report], &args.options, None)
}

/// `aud planning verify`.
pub fn verify_plan(ctx: &Context, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let index = open_index(ctx, args.options.no_refresh)?;
    let reports = verify::verify_plan(&mut store, &index, args.plan, &facts(ctx, &args.options))
        .map_err(failure)?;
    if reports.is_empty() {
        anyhow::bail!("plan {} has no task with a spec", args.plan);
    }
    print_reports(&reports, &args.options, Some(args.plan))
}

/// `verify --format json`.
#[derive(Debug, Serialize)]
struct PlanReport<'a> {
    plan_id: i64,
    passed: bool,
    regression: bool,
    total_violations: usize,
    tasks: &'a [TaskReport],
}

/// `--emit-reads` output for one task.
#[derive(Debug, Serialize)]
struct ReadsView<'a> {
    plan_id: i64,
    task_number: u32,
    audit_status: AuditStatus,
    total_violations: usize,
    reads: &'a [FileReads],
    guidance: Vec<GuidanceView<'a>>,
    next_command: String,
}

#[derive(Debug, Serialize)]
struct GuidanceView<'a> {
    rule_id: &'a str,
    guidance: &'a str,
}

/// Prints one report (`plan` is `None`) or a plan's reports, and maps them to an outcome.
fn print_reports(
    reports: &[TaskReport],
    options: &VerifyOptions,
    plan: Option<i64>,
) -> anyhow::Result<Outcome> {
    let failed = reports.iter().any(TaskReport::failed);
    let subjects: Vec<Subject> = reports
        .iter()
        .map(|r| r.subject(env!("CARGO_PKG_VERSION")))
        .collect();
    let pairs: Vec<(&Evaluation, &Subject)> = reports
        .iter()
        .zip(&subjects)
        .map(|(r, s)| (&r.evaluation, s))
        .collect();
    match options.format {
        ReportFormat::Json => match (plan, reports) {
            (None, [report]) => print_json(report)?,
            _ => print_json(&PlanReport {
                plan_id: plan
                    .or_else(|| reports.first().map(|r| r.plan_id))
                    .unwrap_or(0),
                passed: !failed,
                regression: reports.iter().any(|r| r.regression),
                total_violations: reports
                    .iter()
                    .map(|r| r.evaluation.total_violations())
                    .sum(),
                tasks: reports,
            })?,
        },
        ReportFormat::Sarif => print_text(&sarif::render_many(&pairs))?,
        ReportFormat::Junit => print_text(&junit::render_many(&pairs))?,
        ReportFormat::Text if options.emit_reads => {
            let views: Vec<ReadsView<'_>> = reports.iter().map(reads_view).collect();
            match views.as_slice() {
                [one] if plan.is_none() => print_json(one)?,
                _ => print_json(&views)?,
            }
        }
        ReportFormat::Text => {
            let mut out = String::new();
            for (i, report) in reports.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(&report.render_text(options.verbose));
            }
            if let Some(plan_id) = plan {
                let passing = reports.iter().filter(|r| !r.failed()).count();
                let _ = writeln!(
                    out,
                    "\nPlan {plan_id}: {passing} of {} verified task{} pass",
                    reports.len(),
                    if reports.len() == 1 { "" } else { "s" }
                );
            }
            print_text(&out)?;
        }
    }
    Ok(if failed {
        Outcome::Violations
    } else {
        Outcome::Success
    })
}

fn reads_view(report: &TaskReport) -> ReadsView<'_> {
    ReadsView {
        plan_id: report.plan_id,
        task_number: report.task_number,
        audit_status: report.audit_status,
        total_violations: report.evaluation.total_violations(),
        reads: report.reads.as_deref().unwrap_or_default(),
        guidance: report
            .evaluation
            .rules
            .iter()
            .filter(|r| r.total_violations() > 0)
            .filter_map(|r| {
                r.guidance.as_deref().map(|g| GuidanceView {
                    rule_id: &r.rule_id,
                    guidance: g,
                })
            })
            .collect(),
        next_command: format!(
            "aud planning verify-task {} {} --auto-update",
            report.plan_id, report.task_number
        ),
    }
}

//! `verify-task` and `verify`: prove tasks done against the code, and record the runs.
//!
//! The index is refreshed incrementally first (unless `--no-refresh`), so a fix is seen without
//! a manual re-index. Each run is stored with its findings' fingerprints and chained to the
//! plan's previous run; the report says what is new and what was fixed since the task's last run.

use std::fmt::Write as _;

use anyhow::Context as _;
use aud_core::engine::{Evaluation, evaluate};
use aud_core::plan::{
    AuditStatus, FileReads, NewRun, PlanError, PlanStatus, PlanStore, RuleTotal, RunFinding, Task,
    TaskStatus, conclude, diff_findings, fingerprint_evaluation, read_ranges,
};
use aud_core::report::text::{self, TextOptions};
use aud_core::report::{Subject, junit, sarif};
use aud_core::spec::Spec;
use rusqlite::OptionalExtension as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::open_store;
use crate::exit::Outcome;
use crate::index::{IndexOptions, SqliteIndex, refresh};
use crate::output::{ReportFormat, print_json, print_text};
use crate::planning::SqlitePlanStore;
use crate::planning::git;
use crate::planning::time::now_rfc3339;
use crate::root::Context;

/// Lines of context around each violation in `--emit-reads`.
const READ_RADIUS: u32 = 5;

/// Violations listed per rule without `--verbose`.
const FIRST_FEW: usize = 5;

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

/// The outcome of verifying one task: the JSON of `verify-task --format json`.
#[derive(Debug, Serialize)]
pub struct TaskReport {
    /// The rule engine's result.
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// The plan.
    pub plan_id: i64,
    /// The task.
    pub task_number: u32,
    /// The task's title.
    pub title: String,
    /// pass or fail.
    pub audit_status: AuditStatus,
    /// The task's status after the run.
    pub status: TaskStatus,
    /// The task's status before the run.
    pub previous_status: TaskStatus,
    /// The task was completed and now fails.
    pub regression: bool,
    /// This run's number within the task.
    pub run: u32,
    /// The run's hash in the plan's chain; kept in CI logs, it anchors the trail outside the
    /// database.
    pub run_hash: String,
    /// The number of the run compared with, if any.
    pub previous_run: Option<u32>,
    /// Findings not in the previous run.
    pub new: Vec<RunFinding>,
    /// Findings of the previous run that are gone.
    pub fixed: Vec<RunFinding>,
    /// With `--emit-reads`: what to read to fix the violations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<Vec<FileReads>>,
}

impl TaskReport {
    fn failed(&self) -> bool {
        !self.evaluation.passed() || self.regression
    }

    fn subject(&self) -> Subject {
        Subject {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            plan_id: Some(self.plan_id),
            task_number: Some(self.task_number),
            title: Some(self.title.clone()),
        }
    }
}

/// The index, refreshed, with what a run records about it.
struct IndexState {
    index: SqliteIndex,
    coverage: aud_core::engine::IndexCoverage,
    fingerprint: String,
}

fn prepare_index(ctx: &Context, no_refresh: bool) -> anyhow::Result<IndexState> {
    let db = ctx.index_db();
    if !no_refresh {
        ctx.ensure_pf_dir()?;
        refresh(&ctx.root, &db, &IndexOptions::default()).context("cannot refresh the index")?;
    } else if !db.exists() {
        anyhow::bail!(".pf/repo_index.db does not exist: run `aud index`, or drop --no-refresh");
    }
    let index = SqliteIndex::open(&db)?;
    let coverage = index.coverage()?;
    let fingerprint = index_fingerprint(&index).context("cannot read .pf/repo_index.db")?;
    Ok(IndexState {
        index,
        coverage,
        fingerprint,
    })
}

/// sha256 over every indexed file's path and content hash: which code the verdict is about.
fn index_fingerprint(index: &SqliteIndex) -> rusqlite::Result<String> {
    let mut stmt = index
        .connection()
        .prepare("SELECT path, sha256 FROM files ORDER BY path")?;
    let mut rows = stmt.query([])?;
    let mut hasher = Sha256::new();
    while let Some(row) = rows.next()? {
        let path: String = row.get(0)?;
        let sha: String = row.get(1)?;
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(sha.as_bytes());
        hasher.update([b'\n']);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Ends ranges at the last line of their file, as the index knows it.
fn clamp_to_file_ends(index: &SqliteIndex, reads: &mut [FileReads]) -> rusqlite::Result<()> {
    let mut stmt = index
        .connection()
        .prepare("SELECT loc FROM files WHERE path = ?1")?;
    for file in reads {
        let loc: Option<i64> = stmt.query_row([&file.file], |r| r.get(0)).optional()?;
        let Some(last) = loc.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0) else {
            continue;
        };
        for range in &mut file.ranges {
            range.end = range.end.min(last).max(range.start);
        }
    }
    Ok(())
}

/// Verifies one task and records the run.
fn verify_one(
    ctx: &Context,
    store: &mut SqlitePlanStore,
    state: &IndexState,
    plan_id: i64,
    task: &Task,
    options: &VerifyOptions,
) -> anyhow::Result<TaskReport> {
    let yaml = store.task_spec(plan_id, task.task_number)?;
    let spec = Spec::parse(
        &format!("spec of task {} of plan {plan_id}", task.task_number),
        &yaml,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut evaluation = evaluate(&spec, &state.index).context("cannot read .pf/repo_index.db")?;
    evaluation.index = Some(state.coverage.clone());

    let findings = fingerprint_evaluation(&evaluation);
    let previous = store.last_run(plan_id, task.task_number)?;
    let diff = diff_findings(previous.as_ref().map(|r| r.findings.as_slice()), &findings);
    let transition = conclude(
        task.status,
        evaluation.total_violations(),
        options.auto_update,
    );
    let run = store.record_run(
        plan_id,
        task.task_number,
        &NewRun {
            created_at: now_rfc3339(),
            git_commit: git::head_commit(&ctx.root),
            index_fingerprint: Some(state.fingerprint.clone()),
            total_violations: evaluation.total_violations(),
            audit_status: transition.audit_status,
            rules: evaluation
                .rules
                .iter()
                .map(|r| RuleTotal {
                    rule_id: r.rule_id.clone(),
                    violations: r.total_violations(),
                })
                .collect(),
            findings,
            task_status: options.auto_update.then_some(transition.status),
        },
    )?;
    let reads = if options.emit_reads {
        let mut reads = read_ranges(
            evaluation.rules.iter().flat_map(|r| r.violations.iter()),
            READ_RADIUS,
        );
        clamp_to_file_ends(&state.index, &mut reads).context("cannot read .pf/repo_index.db")?;
        Some(reads)
    } else {
        None
    };
    Ok(TaskReport {
        evaluation,
        plan_id,
        task_number: task.task_number,
        title: task.title.clone(),
        audit_status: transition.audit_status,
        status: transition.status,
        previous_status: task.status,
        regression: transition.regression,
        run: run.sequence,
        run_hash: run.hash,
        previous_run: previous.map(|r| r.sequence),
        new: diff.new,
        fixed: diff.fixed,
        reads,
    })
}

/// Refuses to verify (and so record runs in) an archived plan.
fn open_plan(store: &SqlitePlanStore, plan_id: i64) -> anyhow::Result<()> {
    if store.plan(plan_id)?.status == PlanStatus::Archived {
        return Err(PlanError::Archived(plan_id).into());
    }
    Ok(())
}

/// `aud planning verify-task`.
pub fn verify_task(ctx: &Context, args: VerifyTaskArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    open_plan(&store, args.plan)?;
    let task = store.task(args.plan, args.task)?;
    // Fail on a missing spec before spending time on the index.
    store.task_spec(args.plan, args.task)?;
    let state = prepare_index(ctx, args.options.no_refresh)?;
    let report = verify_one(ctx, &mut store, &state, args.plan, &task, &args.options)?;
    // As the original: a failed verification keeps the code it failed on. A checkpoint that
    // cannot be taken (an unusual repository) must not hide the verdict.
    #[cfg(not(target_os = "wasi"))]
    if report.failed() {
        let name = format!("verify-task-{}-failed", args.task);
        if let Err(e) = super::checkpoint::take(ctx, &mut store, args.plan, Some(args.task), &name)
        {
            eprintln!("warning: {e:#}");
        }
    }
    print_reports(&[report], &args.options, None)
}

/// `aud planning verify`.
pub fn verify_plan(ctx: &Context, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    open_plan(&store, args.plan)?;
    let tasks: Vec<Task> = store
        .tasks(args.plan)?
        .into_iter()
        .filter(|t| t.has_spec)
        .collect();
    if tasks.is_empty() {
        anyhow::bail!("plan {} has no task with a spec", args.plan);
    }
    let state = prepare_index(ctx, args.options.no_refresh)?;
    let reports = tasks
        .iter()
        .map(|task| verify_one(ctx, &mut store, &state, args.plan, task, &args.options))
        .collect::<anyhow::Result<Vec<_>>>()?;
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
    let subjects: Vec<Subject> = reports.iter().map(TaskReport::subject).collect();
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
                render_text(&mut out, report, options.verbose);
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

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn render_text(out: &mut String, report: &TaskReport, verbose: bool) {
    let _ = writeln!(
        out,
        "Plan {}, task {}: {}",
        report.plan_id, report.task_number, report.title
    );
    // The evaluation reads exactly as `aud refactor` prints it.
    out.push_str(&text::render(
        &report.evaluation,
        TextOptions {
            max_findings: FIRST_FEW,
            verbose,
        },
    ));
    out.push('\n');
    match report.previous_run {
        None => {
            let _ = writeln!(
                out,
                "First run of this task: {} recorded as the baseline",
                plural(report.new.len(), "finding")
            );
        }
        Some(prev) => {
            let _ = writeln!(
                out,
                "Since run {prev}: {} new, {} fixed",
                report.new.len(),
                report.fixed.len()
            );
            let shown = if verbose { usize::MAX } else { FIRST_FEW };
            for (label, list) in [("new  ", &report.new), ("fixed", &report.fixed)] {
                for f in list.iter().take(shown) {
                    let _ = writeln!(out, "  {label} {} [{}]", place(f), f.rule_id);
                }
                if list.len() > shown {
                    let _ = writeln!(out, "  {label} ... and {} more", list.len() - shown);
                }
            }
        }
    }
    let _ = write!(
        out,
        "Audit status: {}; task status: {}",
        report.audit_status, report.status
    );
    if report.status != report.previous_status {
        let _ = write!(out, " (was {})", report.previous_status);
    }
    let _ = writeln!(out, "; run {}", report.run);
    if report.regression {
        let _ = writeln!(
            out,
            "REGRESSION: task {} of plan {} was completed and fails verification again",
            report.task_number, report.plan_id
        );
    }
}

fn place(f: &RunFinding) -> String {
    if f.file.is_empty() {
        format!("missing `{}`", f.matched)
    } else {
        format!("{}:{}: {}", f.file, f.line, f.matched)
    }
}

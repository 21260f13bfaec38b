//! `aud planning ...`: plans, tasks and their verification, over `.pf/planning.db`.
//!
//! One module per group of subcommands: `manage` creates and edits plans, `show` prints
//! them, `verify` proves tasks done against the index, `trail` archives plans and audits
//! their hash chain. The logic lives in `aud_core::plan`; these modules do the IO.
//!
//! JSON printed with `--format json` (the contract for scripts and the web UI):
//! - `init`: the plan (`id, name, description, status, created_at, git_commit, archived_at,
//!   archive_notes`); in text, only its id.
//! - `list`: an array of plans, each with `tasks_total, tasks_completed, tasks_failed,
//!   progress_percent`.
//! - `show`: `{plan, phases, tasks: [{task_number, title, description, status, audit_status,
//!   assigned_to, phase, has_spec, completed_at, jobs, last_run, runs (with --verbose)}]}`.
//! - `verify-task`: the rule engine's evaluation plus `plan_id, task_number, title,
//!   audit_status, status, previous_status, regression, run, run_hash, previous_run, new[],
//!   fixed[]`
//!   (findings with their `fingerprint`) and, with `--emit-reads`, `reads[]`.
//! - `verify`: `{plan_id, passed, regression, total_violations, tasks: [verify-task JSON]}`.
//! - `verify-task --emit-reads` in text mode: `{plan_id, task_number, audit_status,
//!   total_violations, reads: [{file, ranges: [{start, end}], lines}], guidance, next_command}`.
//! - `audit`: `{status: intact, runs, head}`, `{status: broken, run_id, task_number,
//!   sequence, reason: content_altered|link_broken}` or `{status: truncated, recorded_runs,
//!   found_runs}`.

#[cfg(not(target_os = "wasi"))]
mod checkpoint;
mod manage;
mod show;
mod trail;
mod verify;

use aud_core::plan::{PlanStatus, TaskStatus};

use crate::exit::Outcome;
use crate::planning::SqlitePlanStore;
use crate::root::Context;

#[cfg(not(target_os = "wasi"))]
pub use checkpoint::{CheckpointArgs, PruneArgs, RewindArgs, ShowDiffArgs};
pub use manage::{
    AddJobArgs, AddPhaseArgs, AddTaskArgs, CompleteJobArgs, InitArgs, UpdateTaskArgs,
};
pub use show::{ListArgs, ShowArgs};
pub use trail::{ArchiveArgs, AuditArgs};
pub use verify::{VerifyArgs, VerifyTaskArgs};

/// The `aud planning` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a plan; prints its id.
    #[command(
        after_help = "Examples:\n  aud planning init --name \"Auth0 to Cognito\"\n  PLAN=$(aud planning init --name \"Drop jQuery\" --description \"Use fetch\")"
    )]
    Init(InitArgs),
    /// List plans with their progress.
    #[command(
        after_help = "Examples:\n  aud planning list\n  aud planning list --status active --format json"
    )]
    List(ListArgs),
    /// Show a plan: phases, tasks, jobs and the last verification of each task.
    #[command(
        after_help = "Examples:\n  aud planning show 1\n  aud planning show 1 --format phases --verbose\n  aud planning show 1 --no-tasks --format json"
    )]
    Show(ShowArgs),
    /// Add a phase (a group of tasks with a success criterion).
    #[command(
        after_help = "Examples:\n  aud planning add-phase 1 --phase-number 1 --title Backend --success-criteria \"No auth0 import left\""
    )]
    AddPhase(AddPhaseArgs),
    /// Add a task, optionally with the spec that proves it done; prints its number.
    #[command(
        after_help = "Examples:\n  aud planning add-task 1 --title \"Replace the client\" --spec specs/auth.yaml\n  aud planning add-task 1 --title \"Update docs\" --phase 2 --assigned-to alice"
    )]
    AddTask(AddTaskArgs),
    /// Add a job (a checkbox item) to a task; prints its number.
    #[command(
        after_help = "Examples:\n  aud planning add-job 1 2 --description \"Remove the auth0 import\"\n  aud planning add-job 1 2 --description \"Run verify-task\" --is-audit"
    )]
    AddJob(AddJobArgs),
    /// Tick a job.
    #[command(after_help = "Examples:\n  aud planning complete-job 1 2 1")]
    CompleteJob(CompleteJobArgs),
    /// Change a task's status, assignee or spec.
    #[command(
        after_help = "Examples:\n  aud planning update-task 1 2 --status in_progress --assigned-to bob\n  aud planning update-task 1 3 --status blocked\n  aud planning update-task 1 2 --spec specs/auth-v2.yaml"
    )]
    UpdateTask(UpdateTaskArgs),
    /// Verify a task against the code: refresh the index, evaluate its spec, record the run.
    #[command(
        after_help = "Exit codes: 0 no violations, 1 violations or a regression, 2 error.\n\nExamples:\n  aud planning verify-task 1 2\n  aud planning verify-task 1 2 --auto-update --verbose\n  aud planning verify-task 1 2 --emit-reads\n  aud planning verify-task 1 2 --format sarif > aud.sarif"
    )]
    VerifyTask(VerifyTaskArgs),
    /// Verify every task of a plan that has a spec.
    #[command(
        after_help = "Exit codes: 0 every task passes, 1 violations or a regression, 2 error.\n\nExamples:\n  aud planning verify 1\n  aud planning verify 1 --auto-update --format junit > aud-junit.xml"
    )]
    Verify(VerifyArgs),
    /// Archive a plan: from then on the database refuses any change to it.
    #[command(
        after_help = "Examples:\n  aud planning archive 1 --notes \"Shipped in 2.3\"\n  aud planning archive 1 --yes   # even with open tasks, without asking"
    )]
    Archive(ArchiveArgs),
    /// Recompute a plan's hash chain of verification runs: intact, or the first broken run.
    #[command(
        after_help = "Exit codes: 0 intact, 1 broken (tampered), 2 error.\n\nExamples:\n  aud planning audit 1\n  aud planning audit 1 --format json"
    )]
    Audit(AuditArgs),
    /// Record the files a task changed so far (vs the plan's base) in `.pf/snapshots.git`.
    #[cfg(not(target_os = "wasi"))]
    #[command(
        after_help = "Your git repository, index, branches and stash are never touched.\n\nExamples:\n  aud planning checkpoint 1 2\n  aud planning checkpoint 1 2 --name before-rename"
    )]
    Checkpoint(CheckpointArgs),
    /// List a task's checkpoints, or show the diff of one (or from the base with --cumulative).
    #[cfg(not(target_os = "wasi"))]
    #[command(
        after_help = "Examples:\n  aud planning show-diff 1 2\n  aud planning show-diff 1 2 --sequence 2\n  aud planning show-diff 1 2 --sequence 3 --cumulative --file src/auth.ts\n  aud planning show-diff 1 2 --sequence 1 --format json"
    )]
    ShowDiff(ShowDiffArgs),
    /// Print the commands restoring a checkpoint; --apply restores it (after a safety checkpoint).
    #[cfg(not(target_os = "wasi"))]
    #[command(
        after_help = "Examples:\n  aud planning rewind 1 2 --to 1\n  aud planning rewind 1 2 --checkpoint before-rename --apply\n  aud planning rewind 1 --checkpoint archive"
    )]
    Rewind(RewindArgs),
    /// Delete checkpoints older than --days (default 30) of plans that are not archived.
    #[cfg(not(target_os = "wasi"))]
    #[command(after_help = "Examples:\n  aud planning prune\n  aud planning prune --days 7")]
    Prune(PruneArgs),
}

/// Runs an `aud planning` subcommand.
pub fn run(ctx: &Context, command: Command) -> anyhow::Result<Outcome> {
    dispatch(ctx, command).map_err(name_the_database)
}

/// A bare SQLite error can only come from `.pf/planning.db` (the index's errors carry their own
/// context): say so, and say what to do when the file is damaged.
pub(crate) fn name_the_database(e: anyhow::Error) -> anyhow::Error {
    let Some(sqlite) = e.downcast_ref::<rusqlite::Error>() else {
        return e;
    };
    if e.chain().count() > 2 {
        return e;
    }
    let damaged = matches!(
        sqlite.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    );
    if damaged {
        e.context(
            ".pf/planning.db is damaged; move it aside to start afresh (plans in it are lost)",
        )
    } else {
        e.context("cannot use .pf/planning.db")
    }
}

fn dispatch(ctx: &Context, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Init(args) => manage::init(ctx, args),
        Command::List(args) => show::list(ctx, args),
        Command::Show(args) => show::show(ctx, args),
        Command::AddPhase(args) => manage::add_phase(ctx, args),
        Command::AddTask(args) => manage::add_task(ctx, args),
        Command::AddJob(args) => manage::add_job(ctx, args),
        Command::CompleteJob(args) => manage::complete_job(ctx, args),
        Command::UpdateTask(args) => manage::update_task(ctx, args),
        Command::VerifyTask(args) => verify::verify_task(ctx, args),
        Command::Verify(args) => verify::verify_plan(ctx, args),
        Command::Archive(args) => trail::archive(ctx, args),
        Command::Audit(args) => trail::audit(ctx, args),
        #[cfg(not(target_os = "wasi"))]
        Command::Checkpoint(args) => checkpoint::checkpoint(ctx, args),
        #[cfg(not(target_os = "wasi"))]
        Command::ShowDiff(args) => checkpoint::show_diff(ctx, args),
        #[cfg(not(target_os = "wasi"))]
        Command::Rewind(args) => checkpoint::rewind(ctx, args),
        #[cfg(not(target_os = "wasi"))]
        Command::Prune(args) => checkpoint::prune(ctx, args),
    }
}

/// Opens `.pf/planning.db`, creating `.pf/` and the database if needed.
fn open_store(ctx: &Context) -> anyhow::Result<SqlitePlanStore> {
    ctx.ensure_pf_dir()?;
    SqlitePlanStore::open(&ctx.planning_db(), ".pf/planning.db")
}

/// clap value parser for task statuses.
fn task_status(s: &str) -> Result<TaskStatus, String> {
    s.parse()
        .map_err(|e: aud_core::plan::model::UnknownStatus| e.to_string())
}

/// clap value parser for plan statuses.
fn plan_status(s: &str) -> Result<PlanStatus, String> {
    s.parse()
        .map_err(|e: aud_core::plan::model::UnknownStatus| e.to_string())
}

/// The first `n` characters of a commit hash.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

//! Creating and editing plans: `init`, `add-phase`, `add-task`, `add-job`, `complete-job`,
//! `update-task`.

use std::path::PathBuf;

use anyhow::Context as _;
use aud_core::plan::{NewPhase, NewTask, PlanStore, TaskStatus, TaskUpdate};
use aud_core::spec::Spec;

use super::{open_store, task_status};
use crate::exit::Outcome;
use crate::output::{Format, print_json, print_text};
use crate::planning::git;
use crate::root::Context;

/// Arguments of `aud planning init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The plan's name.
    #[arg(long)]
    pub name: String,
    /// What the plan is for.
    #[arg(long)]
    pub description: Option<String>,
    /// `json` prints the whole plan instead of its id.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `aud planning add-phase`.
#[derive(Debug, clap::Args)]
pub struct AddPhaseArgs {
    /// The plan id.
    pub plan: i64,
    /// The phase number, unique within the plan.
    #[arg(long)]
    pub phase_number: u32,
    /// The phase's title.
    #[arg(long)]
    pub title: String,
    /// What the phase is about.
    #[arg(long)]
    pub description: Option<String>,
    /// What must be true for the phase to be done.
    #[arg(long)]
    pub success_criteria: Option<String>,
}

/// Arguments of `aud planning add-task`.
#[derive(Debug, clap::Args)]
pub struct AddTaskArgs {
    /// The plan id.
    pub plan: i64,
    /// The task's title.
    #[arg(long)]
    pub title: String,
    /// What the task is about.
    #[arg(long)]
    pub description: Option<String>,
    /// The spec (YAML) that proves the task done; validated before anything is stored.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Who works on it.
    #[arg(long)]
    pub assigned_to: Option<String>,
    /// The phase number it belongs to (see add-phase).
    #[arg(long, value_name = "N")]
    pub phase: Option<u32>,
}

/// Arguments of `aud planning add-job`.
#[derive(Debug, clap::Args)]
pub struct AddJobArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    /// What to do.
    #[arg(long)]
    pub description: String,
    /// A job that checks the work rather than doing it.
    #[arg(long)]
    pub is_audit: bool,
}

/// Arguments of `aud planning complete-job`.
#[derive(Debug, clap::Args)]
pub struct CompleteJobArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    /// The job number.
    pub job: u32,
}

/// Arguments of `aud planning update-task`.
#[derive(Debug, clap::Args)]
pub struct UpdateTaskArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    /// The new status: pending, in_progress, completed, failed or blocked.
    #[arg(long, value_parser = task_status, value_name = "STATUS")]
    pub status: Option<TaskStatus>,
    /// The new assignee.
    #[arg(long)]
    pub assigned_to: Option<String>,
    /// A new spec (YAML) for the task, validated first; earlier runs keep their results.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

/// Reads and validates a spec file; the error lists every problem with its line.
fn read_spec(path: &std::path::Path) -> anyhow::Result<String> {
    let shown = path.display().to_string();
    let yaml =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the spec {shown}"))?;
    Spec::parse(&shown, &yaml)
        .map_err(|errors| anyhow::anyhow!("{errors}\nnothing was changed"))?;
    Ok(yaml)
}

/// `aud planning init`.
pub fn init(ctx: &Context, args: InitArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let commit = git::head_commit(&ctx.root);
    let plan = store.create_plan(&args.name, args.description.as_deref(), commit.as_deref())?;
    match args.format {
        Format::Json => print_json(&plan)?,
        Format::Text => print_text(&format!("{}\n", plan.id))?,
    }
    Ok(Outcome::Success)
}

/// `aud planning add-phase`.
pub fn add_phase(ctx: &Context, args: AddPhaseArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let phase = store.add_phase(
        args.plan,
        &NewPhase {
            phase_number: args.phase_number,
            title: args.title,
            description: args.description,
            success_criteria: args.success_criteria,
        },
    )?;
    print_text(&format!(
        "added phase {} to plan {}: {}\n",
        phase.phase_number, args.plan, phase.title
    ))?;
    Ok(Outcome::Success)
}

/// `aud planning add-task`: the spec is read and validated before the database is touched.
pub fn add_task(ctx: &Context, args: AddTaskArgs) -> anyhow::Result<Outcome> {
    let spec_yaml = args.spec.as_deref().map(read_spec).transpose()?;
    let mut store = open_store(ctx)?;
    let task = store.add_task(
        args.plan,
        &NewTask {
            title: args.title,
            description: args.description,
            spec_yaml,
            assigned_to: args.assigned_to,
            phase: args.phase,
        },
    )?;
    print_text(&format!("{}\n", task.task_number))?;
    Ok(Outcome::Success)
}

/// `aud planning add-job`.
pub fn add_job(ctx: &Context, args: AddJobArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let job = store.add_job(args.plan, args.task, &args.description, args.is_audit)?;
    print_text(&format!("{}\n", job.job_number))?;
    Ok(Outcome::Success)
}

/// `aud planning complete-job`.
pub fn complete_job(ctx: &Context, args: CompleteJobArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let job = store.complete_job(args.plan, args.task, args.job)?;
    print_text(&format!(
        "job {} of task {} of plan {} done: {}\n",
        job.job_number, args.task, args.plan, job.description
    ))?;
    Ok(Outcome::Success)
}

/// `aud planning update-task`.
pub fn update_task(ctx: &Context, args: UpdateTaskArgs) -> anyhow::Result<Outcome> {
    if args.status.is_none() && args.assigned_to.is_none() && args.spec.is_none() {
        anyhow::bail!("nothing to update: give --status, --assigned-to or --spec");
    }
    let spec_yaml = args.spec.as_deref().map(read_spec).transpose()?;
    let mut store = open_store(ctx)?;
    let task = store.update_task(
        args.plan,
        args.task,
        &TaskUpdate {
            status: args.status,
            assigned_to: args.assigned_to,
            spec_yaml,
        },
    )?;
    print_text(&format!(
        "task {} of plan {}: {}{}\n",
        task.task_number,
        args.plan,
        task.status,
        task.assigned_to
            .as_deref()
            .map(|a| format!(", assigned to {a}"))
            .unwrap_or_default()
    ))?;
    Ok(Outcome::Success)
}

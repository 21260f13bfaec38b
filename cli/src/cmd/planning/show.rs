//! Printing plans: `list` and `show`.

use std::fmt::Write as _;

use aud_core::plan::{Job, Phase, Plan, PlanStatus, PlanStore, PlanSummary, Run, Task};
use serde::Serialize;

use super::{open_store, plan_status, short};
use crate::exit::Outcome;
use crate::output::{Format, print_json, print_text};
use crate::planning::SqlitePlanStore;
use crate::root::Context;

/// Arguments of `aud planning list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only plans with this status: active, completed or archived.
    #[arg(long, value_parser = plan_status, value_name = "STATUS")]
    pub status: Option<PlanStatus>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `--format` of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ShowFormat {
    /// Tasks in order, each with its phase.
    #[default]
    Text,
    /// `{plan, phases, tasks}`.
    Json,
    /// Tasks grouped under their phases.
    Phases,
}

/// Arguments of `aud planning show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The plan id.
    pub plan: i64,
    /// Show tasks (the default).
    #[arg(long, overrides_with = "no_tasks")]
    pub tasks: bool,
    /// Show the plan and its phases only.
    #[arg(long)]
    pub no_tasks: bool,
    /// Descriptions, success criteria, jobs' dates and run history too.
    #[arg(long, short)]
    pub verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ShowFormat,
}

/// `aud planning list`.
pub fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<Outcome> {
    let store = open_store(ctx)?;
    let plans = store.list_plans(args.status)?;
    match args.format {
        Format::Json => print_json(&plans)?,
        Format::Text => print_text(&render_list(&plans))?,
    }
    Ok(Outcome::Success)
}

fn render_list(plans: &[PlanSummary]) -> String {
    if plans.is_empty() {
        return "no plans (create one with `aud planning init --name NAME`)\n".to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<9}  {:>8}  {:>5}  name",
        "id", "status", "progress", "tasks"
    );
    for s in plans {
        let _ = writeln!(
            out,
            "{:>4}  {:<9}  {:>7}%  {:>5}  {}",
            s.plan.id,
            s.plan.status,
            s.progress_percent,
            format!("{}/{}", s.tasks_completed, s.tasks_total),
            s.plan.name
        );
    }
    out
}

/// A task as `show --format json` prints it.
#[derive(Debug, Serialize)]
struct TaskView {
    task_number: u32,
    title: String,
    description: Option<String>,
    status: aud_core::plan::TaskStatus,
    audit_status: Option<aud_core::plan::AuditStatus>,
    assigned_to: Option<String>,
    phase: Option<u32>,
    has_spec: bool,
    completed_at: Option<String>,
    jobs: Vec<Job>,
    last_run: Option<RunView>,
    /// With `--verbose`: every run, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<Vec<RunView>>,
}

/// A run, without its findings.
#[derive(Debug, Clone, Serialize)]
struct RunView {
    sequence: u32,
    created_at: String,
    git_commit: Option<String>,
    total_violations: usize,
    audit_status: aud_core::plan::AuditStatus,
}

impl From<&Run> for RunView {
    fn from(run: &Run) -> RunView {
        RunView {
            sequence: run.sequence,
            created_at: run.created_at.clone(),
            git_commit: run.git_commit.clone(),
            total_violations: run.total_violations,
            audit_status: run.audit_status,
        }
    }
}

/// `show --format json`.
#[derive(Debug, Serialize)]
struct PlanView {
    plan: PlanSummary,
    phases: Vec<Phase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tasks: Option<Vec<TaskView>>,
}

fn task_view(
    store: &SqlitePlanStore,
    plan_id: i64,
    task: Task,
    verbose: bool,
) -> anyhow::Result<TaskView> {
    let jobs = store.jobs(plan_id, task.task_number)?;
    let (last_run, runs) = if verbose {
        let runs: Vec<RunView> = store
            .run_history(plan_id, task.task_number)?
            .iter()
            .map(RunView::from)
            .collect();
        (runs.last().cloned(), Some(runs))
    } else {
        let last = store.last_run_summary(plan_id, task.task_number)?;
        (last.as_ref().map(RunView::from), None)
    };
    Ok(TaskView {
        task_number: task.task_number,
        title: task.title,
        description: task.description,
        status: task.status,
        audit_status: task.audit_status,
        assigned_to: task.assigned_to,
        phase: task.phase,
        has_spec: task.has_spec,
        completed_at: task.completed_at,
        jobs,
        last_run,
        runs,
    })
}

/// `aud planning show`.
pub fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<Outcome> {
    let store = open_store(ctx)?;
    let plan = store.plan(args.plan)?;
    let phases = store.phases(args.plan)?;
    let task_rows = store.tasks(args.plan)?;
    let summary = PlanSummary::new(plan, task_rows.iter().map(|t| t.status));
    let tasks = if args.no_tasks {
        None
    } else {
        Some(
            task_rows
                .into_iter()
                .map(|t| task_view(&store, args.plan, t, args.verbose))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
    };
    let view = PlanView {
        plan: summary,
        phases,
        tasks,
    };
    match args.format {
        ShowFormat::Json => print_json(&view)?,
        ShowFormat::Text => print_text(&render_plan(&view, args.verbose, false))?,
        ShowFormat::Phases => print_text(&render_plan(&view, args.verbose, true))?,
    }
    Ok(Outcome::Success)
}

fn render_header(out: &mut String, plan: &Plan, summary: &PlanSummary) {
    let _ = writeln!(out, "Plan {}: {} [{}]", plan.id, plan.name, plan.status);
    if let Some(d) = &plan.description {
        let _ = writeln!(out, "  {d}");
    }
    let _ = write!(out, "  created {}", plan.created_at);
    if let Some(c) = &plan.git_commit {
        let _ = write!(out, " at commit {}", short(c));
    }
    let _ = writeln!(out);
    if let Some(at) = &plan.archived_at {
        let _ = write!(out, "  archived {at}");
        if let Some(n) = &plan.archive_notes {
            let _ = write!(out, ": {n}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "  progress: {} of {} tasks completed ({}%){}",
        summary.tasks_completed,
        summary.tasks_total,
        summary.progress_percent,
        if summary.tasks_failed > 0 {
            format!(", {} failed", summary.tasks_failed)
        } else {
            String::new()
        }
    );
}

fn render_phase(out: &mut String, phase: &Phase, verbose: bool) {
    let _ = writeln!(out, "Phase {}: {}", phase.phase_number, phase.title);
    if verbose {
        if let Some(d) = &phase.description {
            let _ = writeln!(out, "  {d}");
        }
        if let Some(c) = &phase.success_criteria {
            let _ = writeln!(out, "  success criteria: {c}");
        }
    }
}

fn render_task(out: &mut String, task: &TaskView, verbose: bool, indent: &str, with_phase: bool) {
    let audit = task
        .audit_status
        .map(|a| format!(", audit {a}"))
        .unwrap_or_default();
    let _ = write!(
        out,
        "{indent}Task {}: {} [{}{audit}]",
        task.task_number, task.title, task.status
    );
    if let Some(p) = task.phase.filter(|_| with_phase) {
        let _ = write!(out, " (phase {p})");
    }
    if let Some(a) = &task.assigned_to {
        let _ = write!(out, " @{a}");
    }
    let _ = writeln!(out);
    if verbose {
        if let Some(d) = &task.description {
            let _ = writeln!(out, "{indent}  {d}");
        }
        if !task.has_spec {
            let _ = writeln!(out, "{indent}  no spec");
        }
    }
    if let Some(run) = &task.last_run {
        let _ = writeln!(
            out,
            "{indent}  last verified {} (run {}): {} violation{}",
            run.created_at,
            run.sequence,
            run.total_violations,
            if run.total_violations == 1 { "" } else { "s" }
        );
    }
    if let Some(runs) = task.runs.as_ref().filter(|r| r.len() > 1) {
        let trend: Vec<String> = runs
            .iter()
            .map(|r| r.total_violations.to_string())
            .collect();
        let _ = writeln!(out, "{indent}  violations per run: {}", trend.join(" -> "));
    }
    for job in &task.jobs {
        let _ = writeln!(
            out,
            "{indent}  [{}] {}. {}{}",
            if job.completed { "x" } else { " " },
            job.job_number,
            job.description,
            if job.is_audit_job { " (audit)" } else { "" }
        );
    }
}

fn render_plan(view: &PlanView, verbose: bool, by_phase: bool) -> String {
    let mut out = String::new();
    render_header(&mut out, &view.plan.plan, &view.plan);
    let tasks = view.tasks.as_deref().unwrap_or_default();
    if by_phase {
        for phase in &view.phases {
            let _ = writeln!(out);
            render_phase(&mut out, phase, verbose);
            for task in tasks.iter().filter(|t| t.phase == Some(phase.phase_number)) {
                render_task(&mut out, task, verbose, "  ", false);
            }
        }
        let loose: Vec<&TaskView> = tasks.iter().filter(|t| t.phase.is_none()).collect();
        if !loose.is_empty() {
            let _ = writeln!(out, "\nNo phase");
            for task in loose {
                render_task(&mut out, task, verbose, "  ", false);
            }
        }
    } else {
        if !view.phases.is_empty() {
            let _ = writeln!(out);
            for phase in &view.phases {
                render_phase(&mut out, phase, verbose);
            }
        }
        if !tasks.is_empty() {
            let _ = writeln!(out);
        }
        for task in tasks {
            render_task(&mut out, task, verbose, "", true);
        }
    }
    if view.tasks.as_ref().is_some_and(Vec::is_empty) {
        let _ = writeln!(
            out,
            "\nno tasks yet (add one with `aud planning add-task {} --title T --spec FILE`)",
            view.plan.plan.id
        );
    }
    out
}

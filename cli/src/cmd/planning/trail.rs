//! The trail: `archive` freezes a plan, `audit` recomputes its hash chain of runs.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use aud_core::plan::chain::{BreakReason, ChainStatus};
use aud_core::plan::{PlanError, PlanStatus, PlanStore, verify_plan_chain};

use super::{open_store, short};
use crate::exit::Outcome;
use crate::output::{Format, print_json, print_text};
use crate::planning::git;
use crate::root::Context;

/// Arguments of `aud planning archive`.
#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The plan id.
    pub plan: i64,
    /// Why, or what was shipped.
    #[arg(long)]
    pub notes: Option<String>,
    /// Archive even if tasks are open, without asking.
    #[arg(long, short)]
    pub yes: bool,
}

/// Arguments of `aud planning audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The plan id.
    pub plan: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `aud planning archive`.
pub fn archive(ctx: &Context, args: ArchiveArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let plan = store.plan(args.plan)?;
    if plan.status == PlanStatus::Archived {
        return Err(PlanError::Archived(args.plan).into());
    }
    let open: Vec<String> = store
        .tasks(args.plan)?
        .iter()
        .filter(|t| t.status.is_open())
        .map(|t| format!("{} ({})", t.task_number, t.status))
        .collect();
    if !open.is_empty() && !args.yes {
        let what = format!(
            "plan {} has {} open task{}: {}",
            args.plan,
            open.len(),
            if open.len() == 1 { "" } else { "s" },
            open.join(", ")
        );
        if !std::io::stdin().is_terminal() {
            anyhow::bail!("{what}; pass --yes to archive it anyway");
        }
        let mut err = std::io::stderr().lock();
        write!(err, "{what}. Archive it anyway? [y/N] ")?;
        err.flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            anyhow::bail!("plan {} not archived", args.plan);
        }
    }
    // The final checkpoint goes first: once archived, the database refuses new rows. Without
    // it (an unusual repository) the archive still records the commit.
    #[cfg(not(target_os = "wasi"))]
    if let Err(e) = super::checkpoint::take(ctx, &mut store, args.plan, None, "archive") {
        eprintln!("warning: {e:#}");
    }
    let commit = git::head_commit(&ctx.root);
    let plan = store.archive_plan(args.plan, args.notes.as_deref(), commit.as_deref())?;
    print_text(&format!(
        "archived plan {}: {}{}\n",
        plan.id,
        plan.name,
        commit
            .as_deref()
            .map(|c| format!(" at commit {}", short(c)))
            .unwrap_or_default()
    ))?;
    Ok(Outcome::Success)
}

/// `aud planning audit`.
pub fn audit(ctx: &Context, args: AuditArgs) -> anyhow::Result<Outcome> {
    let store = open_store(ctx)?;
    let plan = store.plan(args.plan)?;
    let runs = store.runs(args.plan, None)?;
    let status = verify_plan_chain(&runs, plan.chain_head.as_deref(), plan.chain_runs);
    match args.format {
        Format::Json => print_json(&status)?,
        Format::Text => print_text(&match &status {
            ChainStatus::Intact { runs, head } => format!(
                "plan {}: hash chain intact ({} run{}{})\n",
                args.plan,
                runs,
                if *runs == 1 { "" } else { "s" },
                head.as_deref()
                    .map(|h| format!(", head {}", short(h)))
                    .unwrap_or_default()
            ),
            ChainStatus::Truncated {
                recorded_runs,
                found_runs,
            } => format!(
                "plan {}: hash chain BROKEN at its end: the plan records {recorded_runs} run{} and its last hash, but {found_runs} run{} end elsewhere (runs were removed)\n",
                args.plan,
                if *recorded_runs == 1 { "" } else { "s" },
                if *found_runs == 1 { "" } else { "s" },
            ),
            ChainStatus::Broken {
                run_id,
                task_number,
                sequence,
                reason,
            } => format!(
                "plan {}: hash chain BROKEN at run {sequence} of task {task_number} (record {run_id}): {}\n",
                args.plan,
                match reason {
                    BreakReason::ContentAltered =>
                        "its content no longer matches its hash (the record was altered)",
                    BreakReason::LinkBroken =>
                        "it does not follow the run before it (a run was removed, inserted or altered)",
                }
            ),
        })?,
    }
    Ok(match status {
        ChainStatus::Intact { .. } => Outcome::Success,
        ChainStatus::Broken { .. } | ChainStatus::Truncated { .. } => Outcome::Violations,
    })
}

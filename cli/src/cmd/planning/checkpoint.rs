//! Checkpoints: `checkpoint` records the files a task changed, `show-diff` shows them,
//! `rewind` restores one (printing the commands, or applying them after a safety checkpoint),
//! `prune` forgets old ones. The storage is `crate::planning::checkpoint`; the user's git
//! repository is only ever read.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use aud_core::plan::{PlanError, PlanStatus, PlanStore};

use super::open_store;
use crate::exit::Outcome;
use crate::output::{Format, print_json, print_text};
use crate::planning::SqlitePlanStore;
use crate::planning::checkpoint::{
    self, Changes, Checkpoint, FileContent, FileDiff, SHADOW_DIR, Shadow, Workspace,
};
use crate::planning::time::format_unix_millis;
use crate::root::Context;

/// Arguments of `aud planning checkpoint`.
#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    /// The checkpoint's name (default `edit_N`).
    #[arg(long)]
    pub name: Option<String>,
}

/// Arguments of `aud planning show-diff`.
#[derive(Debug, clap::Args)]
pub struct ShowDiffArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number.
    pub task: u32,
    /// The checkpoint whose diff to show; without it, the list of checkpoints.
    #[arg(long)]
    pub sequence: Option<u32>,
    /// From the plan's base to the checkpoint, instead of from the previous checkpoint.
    #[arg(long, requires = "sequence")]
    pub cumulative: bool,
    /// Only this file (a path relative to the root).
    #[arg(long)]
    pub file: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `aud planning rewind`.
#[derive(Debug, clap::Args)]
pub struct RewindArgs {
    /// The plan id.
    pub plan: i64,
    /// The task number (without it, the plan's checkpoints).
    pub task: Option<u32>,
    /// The checkpoint's sequence number within the task.
    #[arg(long, conflicts_with = "checkpoint", requires = "task")]
    pub to: Option<u32>,
    /// The checkpoint's name (the latest of that name).
    #[arg(long)]
    pub checkpoint: Option<String>,
    /// Restore the files for real, after a safety checkpoint of the current state.
    #[arg(long)]
    pub apply: bool,
}

/// Arguments of `aud planning prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Delete checkpoints older than this many days.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
}

/// Opens the store and checks the plan exists; returns it with the plan's base commit.
fn open_plan(ctx: &Context, plan_id: i64) -> anyhow::Result<(SqlitePlanStore, Option<String>)> {
    let store = open_store(ctx)?;
    let plan = store.plan(plan_id)?;
    Ok((store, plan.git_commit))
}

/// Takes a checkpoint for a command that is not `checkpoint` itself (verify-task, archive,
/// rewind): the plan must still be open.
pub fn take(
    ctx: &Context,
    store: &mut SqlitePlanStore,
    plan_id: i64,
    task: Option<u32>,
    name: &str,
) -> anyhow::Result<Checkpoint> {
    let plan = store.plan(plan_id)?;
    if plan.status == PlanStatus::Archived {
        return Err(PlanError::Archived(plan_id).into());
    }
    checkpoint::take(
        store.connection_mut(),
        &ctx.root,
        plan_id,
        plan.git_commit.as_deref(),
        task,
        Some(name),
    )
    .with_context(|| format!("cannot take checkpoint {name} of plan {plan_id}"))
}

/// The automatic checkpoint of a failed verification of `task`: as [`take`], but nothing is
/// taken (`None`) when the task's last checkpoint holds the same files.
pub fn take_unless_unchanged(
    ctx: &Context,
    store: &mut SqlitePlanStore,
    plan_id: i64,
    task: u32,
    name: &str,
) -> anyhow::Result<Option<Checkpoint>> {
    let plan = store.plan(plan_id)?;
    if plan.status == PlanStatus::Archived {
        return Err(PlanError::Archived(plan_id).into());
    }
    checkpoint::take_if_changed(
        store.connection_mut(),
        &ctx.root,
        plan_id,
        plan.git_commit.as_deref(),
        Some(task),
        Some(name),
    )
    .with_context(|| format!("cannot take checkpoint {name} of plan {plan_id}"))
}

/// `aud planning checkpoint`.
pub fn checkpoint(ctx: &Context, args: CheckpointArgs) -> anyhow::Result<Outcome> {
    let (mut store, commit) = open_plan(ctx, args.plan)?;
    if store.plan(args.plan)?.status == PlanStatus::Archived {
        return Err(PlanError::Archived(args.plan).into());
    }
    store.task(args.plan, args.task)?;
    let taken = checkpoint::take(
        store.connection_mut(),
        &ctx.root,
        args.plan,
        commit.as_deref(),
        Some(args.task),
        args.name.as_deref(),
    )?;
    print_text(&format!(
        "checkpoint {} ({}) of task {} of plan {}: {} file{} differ from the base, +{} -{} since the previous checkpoint\n",
        taken.sequence,
        taken.name,
        args.task,
        args.plan,
        taken.files.len(),
        if taken.files.len() == 1 { "" } else { "s" },
        taken.added_lines,
        taken.removed_lines
    ))?;
    Ok(Outcome::Success)
}

/// The checkpoint `sequence` of the task.
fn find(checkpoints: &[Checkpoint], sequence: u32, what: &str) -> anyhow::Result<Checkpoint> {
    checkpoints
        .iter()
        .find(|c| c.sequence == sequence)
        .cloned()
        .with_context(|| {
            format!(
                "{what} has no checkpoint {sequence} (it has {})",
                checkpoints.len()
            )
        })
}

/// `aud planning show-diff`.
pub fn show_diff(ctx: &Context, args: ShowDiffArgs) -> anyhow::Result<Outcome> {
    let (store, commit) = open_plan(ctx, args.plan)?;
    store.task(args.plan, args.task)?;
    let conn = store.connection();
    let checkpoints = checkpoint::list(conn, args.plan, Some(Some(args.task)))?;
    let what = format!("task {} of plan {}", args.task, args.plan);
    let Some(sequence) = args.sequence else {
        return list_checkpoints(&checkpoints, &what, args.format);
    };
    let chosen = find(&checkpoints, sequence, &what)?;
    let mut diffs = if args.cumulative {
        let workspace = Workspace::open(&ctx.root, commit.as_deref())?;
        let shadow = Shadow::open(&ctx.root)?;
        let base =
            checkpoint::base_state(conn, &shadow, &workspace, args.plan)?.unwrap_or_default();
        checkpoint::diff_states(&workspace, &base, &chosen.changes(&shadow)?)?
    } else {
        checkpoint::stored_diffs(conn, chosen.id)?
    };
    if let Some(file) = &args.file {
        let file = file.trim_start_matches("./");
        diffs.retain(|d| d.path == file);
    }
    match args.format {
        Format::Json => print_json(&serde_json::json!({
            "plan_id": args.plan,
            "task_number": args.task,
            "sequence": chosen.sequence,
            "name": chosen.name,
            "cumulative": args.cumulative,
            "files": diffs,
        }))?,
        Format::Text => print_text(&render_diffs(&diffs, use_colour()))?,
    }
    Ok(Outcome::Success)
}

fn list_checkpoints(
    checkpoints: &[Checkpoint],
    what: &str,
    format: Format,
) -> anyhow::Result<Outcome> {
    match format {
        Format::Json => print_json(&checkpoints)?,
        Format::Text => {
            let mut out = String::new();
            if checkpoints.is_empty() {
                writeln!(out, "{what} has no checkpoint yet")?;
            }
            for c in checkpoints {
                writeln!(
                    out,
                    "{:>3}  {:<24} {}  {} file{}  +{} -{}",
                    c.sequence,
                    c.name,
                    c.timestamp,
                    c.files.len(),
                    if c.files.len() == 1 { "" } else { "s" },
                    c.added_lines,
                    c.removed_lines
                )?;
            }
            print_text(&out)?;
        }
    }
    Ok(Outcome::Success)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn render_diffs(diffs: &[FileDiff], colour: bool) -> String {
    let mut out = String::new();
    if diffs.is_empty() {
        out.push_str("no difference\n");
    }
    for diff in diffs {
        for line in diff.diff.lines() {
            let code = if !colour {
                None
            } else if line.starts_with("+++") || line.starts_with("---") {
                Some("1")
            } else if line.starts_with('+') {
                Some("32")
            } else if line.starts_with('-') {
                Some("31")
            } else if line.starts_with("@@") {
                Some("36")
            } else {
                None
            };
            match code {
                Some(code) => out.push_str(&format!("\x1b[{code}m{line}\x1b[0m\n")),
                None => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// Quotes `s` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What to do to one file.
struct Step {
    path: String,
    /// `None`: remove it.
    want: Option<FileContent>,
    /// Where the content comes from: the shadow commit or the base commit.
    from: Option<(bool, String)>,
}

/// `aud planning rewind`.
pub fn rewind(ctx: &Context, args: RewindArgs) -> anyhow::Result<Outcome> {
    let (mut store, commit) = open_plan(ctx, args.plan)?;
    if let Some(task) = args.task {
        store.task(args.plan, task)?;
    }
    let what = match args.task {
        Some(t) => format!("task {t} of plan {}", args.plan),
        None => format!("plan {}", args.plan),
    };
    let checkpoints = checkpoint::list(store.connection(), args.plan, args.task.map(Some))?;
    let target = match (&args.to, &args.checkpoint) {
        (Some(n), _) => find(&checkpoints, *n, &what)?,
        (None, Some(name)) => checkpoints
            .iter()
            .rev()
            .find(|c| &c.name == name)
            .cloned()
            .with_context(|| format!("{what} has no checkpoint named {name}"))?,
        (None, None) => checkpoints
            .last()
            .cloned()
            .with_context(|| format!("{what} has no checkpoint to rewind to"))?,
    };
    let Some(sha) = target.shadow_sha.clone() else {
        bail!(
            "checkpoint {} ({}) holds no files (it was recorded before checkpoints stored them)",
            target.sequence,
            target.name
        );
    };
    let workspace = Workspace::open(&ctx.root, commit.as_deref())?;
    let shadow = Shadow::open(&ctx.root)?;
    let wanted = target.changes(&shadow)?;
    let current = workspace.changes()?;
    let steps = plan_steps(&workspace, &wanted, &current, &sha)?;
    let label = format!("checkpoint {} ({}) of {what}", target.sequence, target.name);
    if steps.is_empty() {
        print_text(&format!("the files already match {label}\n"))?;
        return Ok(Outcome::Success);
    }
    if !args.apply {
        let mut out = format!(
            "# Restores {label}: {} file{}. Nothing was changed; run these commands, or the same\n\
             # aud command with --apply (which first takes a checkpoint of the current state).\n",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" }
        );
        writeln!(out, "cd {}", quote(&ctx.root.to_string_lossy()))?;
        for step in &steps {
            out.push_str(&command(step));
        }
        print_text(&out)?;
        return Ok(Outcome::Success);
    }
    let safety = take(
        ctx,
        &mut store,
        args.plan,
        args.task,
        &format!("before-rewind-to-{}", target.name),
    )?;
    for step in &steps {
        checkpoint::restore_file(&ctx.root.join(&step.path), step.want.as_ref())?;
    }
    let back = match args.task {
        Some(t) => format!(
            "aud planning rewind {} {t} --to {} --apply",
            args.plan, safety.sequence
        ),
        None => format!(
            "aud planning rewind {} --checkpoint {} --apply",
            args.plan,
            quote(&safety.name)
        ),
    };
    print_text(&format!(
        "restored {label}: {} file{}\nthe previous state is checkpoint {} ({}); to come back: {back}\n",
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        safety.sequence,
        safety.name,
    ))?;
    Ok(Outcome::Success)
}

/// The files whose current content differs from the wanted state.
fn plan_steps(
    workspace: &Workspace,
    wanted: &Changes,
    current: &Changes,
    sha: &str,
) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let paths: std::collections::BTreeSet<&String> = wanted.keys().chain(current.keys()).collect();
    for path in paths {
        let (want, from) = match wanted.get(path) {
            Some(Some(content)) => (Some(content.clone()), Some((true, sha.to_owned()))),
            Some(None) => (None, None),
            None => match workspace.base_file(path)? {
                Some(content) => (Some(content), workspace.base_commit().map(|c| (false, c))),
                None => (None, None),
            },
        };
        let have = match current.get(path) {
            Some(content) => content.clone(),
            None => workspace.base_file(path)?,
        };
        if want != have {
            steps.push(Step {
                path: path.clone(),
                want,
                from,
            });
        }
    }
    Ok(steps)
}

/// The shell command restoring one file, reading the shadow repository or the user's (never
/// writing either's index).
fn command(step: &Step) -> String {
    let path = quote(&step.path);
    let (Some(want), Some((shadow, commit))) = (&step.want, &step.from) else {
        return format!("rm -f -- {path}\n");
    };
    let git = if *shadow {
        format!("git --git-dir={SHADOW_DIR}")
    } else {
        "git".to_owned()
    };
    let mut out = String::new();
    if let Some((dir, _)) = step.path.rsplit_once('/') {
        out.push_str(&format!("mkdir -p -- {}\n", quote(dir)));
    }
    if want.mode == 0o120_000 {
        out.push_str(&format!(
            "rm -f -- {path} && ln -s -- {} {path}\n",
            quote(&String::from_utf8_lossy(&want.bytes))
        ));
        return out;
    }
    out.push_str(&format!(
        "{git} cat-file blob {} > {path}\n",
        quote(&format!("{commit}:{}", step.path))
    ));
    out.push_str(&format!(
        "chmod {} -- {path}\n",
        if want.mode == 0o100_755 { "+x" } else { "-x" }
    ));
    out
}

/// `aud planning prune`.
pub fn prune(ctx: &Context, args: PruneArgs) -> anyhow::Result<Outcome> {
    let mut store = open_store(ctx)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let now = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    let cutoff = format_unix_millis(now - i64::from(args.days) * 86_400_000);
    let pruned = checkpoint::prune(store.connection_mut(), &ctx.root, &cutoff)?;
    print_text(&format!(
        "pruned {pruned} checkpoint{} older than {} day{} (archived plans keep theirs)\n",
        if pruned == 1 { "" } else { "s" },
        args.days,
        if args.days == 1 { "" } else { "s" }
    ))?;
    Ok(Outcome::Success)
}

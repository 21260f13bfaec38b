//! The read-only JSON API (the bodies are `aud_core::api`'s types).
//!
//! Every request opens `.pf/planning.db` and `.pf/repo_index.db` read-only, reads and closes
//! them, so a page shows what the CLI wrote last, even while the server runs. Nothing here
//! creates, migrates or writes a database; a repository without `.pf/planning.db` has no plans.

use std::collections::HashMap;

use anyhow::Context as _;
use aud_core::api::{
    BurnPoint, CONTEXT_LINES, CheckpointDiff, CheckpointFile, CheckpointInfo, Count, FileDiff,
    FindingView, IndexSummary, PlanDetail, PlanList, PlanListItem, RuleCoverage, RunDetail,
    RunSummary, TaskDetail, TaskItem, burndown, context_lines,
};
use aud_core::engine::evaluate;
use aud_core::plan::{
    FindingDiff, PlanError, PlanStore, PlanSummary, Run, RunFinding, diff_findings,
    verify_plan_chain,
};
use aud_core::spec::Spec;
use axum::http::StatusCode;

use super::files::read_in_root;
use crate::cmd::planning::name_the_database;
use crate::index::SqliteIndex;
use crate::planning::SqlitePlanStore;
use crate::planning::checkpoint::{self, Checkpoint};
use crate::planning::time::format_unix_millis;
use crate::root::Context;

/// An error response: its status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 400, 404 or 500.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
}

impl Failure {
    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    /// A plan or task that does not exist is 404; anything else (a corrupt or newer database,
    /// an unreadable file) is 500 with the whole error chain.
    fn from(e: anyhow::Error) -> Failure {
        let missing = e.chain().any(|c| {
            matches!(
                c.downcast_ref::<PlanError>(),
                Some(PlanError::PlanNotFound(_) | PlanError::TaskNotFound { .. })
            )
        });
        if missing {
            return Failure::not_found(e.to_string());
        }
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("{:#}", name_the_database(e)),
        }
    }
}

/// What a request may fail with.
pub type Result<T> = std::result::Result<T, Failure>;

/// A plan id from the URL: a positive decimal number.
pub fn parse_plan_id(text: &str) -> Result<i64> {
    parse_number(text)
        .and_then(|n| i64::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::bad_request(format!("{text:?} is not a plan id")))
}

/// A task number from the URL.
pub fn parse_task_number(text: &str) -> Result<u32> {
    parse_number(text)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::bad_request(format!("{text:?} is not a task number")))
}

/// A checkpoint id from the URL.
pub fn parse_checkpoint_id(text: &str) -> Result<i64> {
    parse_number(text)
        .and_then(|n| i64::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::bad_request(format!("{text:?} is not a checkpoint id")))
}

/// Digits only (no sign, no spaces), at most 18 of them.
fn parse_number(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// Opens `.pf/planning.db` read-only; `None` when the repository has none.
fn open_plans(ctx: &Context) -> anyhow::Result<Option<SqlitePlanStore>> {
    let path = ctx.planning_db();
    if !path.exists() {
        return Ok(None);
    }
    SqlitePlanStore::open_read_only(&path, ".pf/planning.db").map(Some)
}

/// Opens `.pf/planning.db` read-only for a request about plan `plan_id`, which must exist.
fn open_plans_for(ctx: &Context, plan_id: i64) -> anyhow::Result<SqlitePlanStore> {
    open_plans(ctx)?.ok_or_else(|| PlanError::PlanNotFound(plan_id).into())
}

/// `GET /api/plans`.
pub fn plan_list(ctx: &Context) -> Result<PlanList> {
    let root = ctx.root.display().to_string();
    let Some(store) = open_plans(ctx)? else {
        return Ok(PlanList {
            root,
            plans: Vec::new(),
        });
    };
    let mut plans = Vec::new();
    // Newest first.
    for summary in store.list_plans(None)?.into_iter().rev() {
        let mut total_violations = 0;
        let mut last: Option<Run> = None;
        for task in store.tasks(summary.plan.id)? {
            let Some(run) = store.last_run_summary(summary.plan.id, task.task_number)? else {
                continue;
            };
            total_violations += run.total_violations;
            if last.as_ref().is_none_or(|l| run.id > l.id) {
                last = Some(run);
            }
        }
        plans.push(PlanListItem {
            summary,
            total_violations,
            last_run_at: last.map(|r| r.created_at),
        });
    }
    Ok(PlanList { root, plans })
}

/// `GET /api/plans/{id}`.
pub fn plan_detail(ctx: &Context, plan_id: i64) -> Result<PlanDetail> {
    let store = open_plans_for(ctx, plan_id)?;
    let plan = store.plan(plan_id)?;
    let phases = store.phases(plan_id)?;
    let tasks = store.tasks(plan_id)?;
    let runs = store.runs(plan_id, None)?;
    let chain = verify_plan_chain(&runs, plan.chain_head.as_deref(), plan.chain_runs);
    let burndown: Vec<BurnPoint> = burndown(&runs);
    let summary = PlanSummary::new(plan, tasks.iter().map(|t| t.status));
    let mut items = Vec::with_capacity(tasks.len());
    for task in tasks {
        let jobs = store.jobs(plan_id, task.task_number)?;
        let own: Vec<&Run> = runs
            .iter()
            .filter(|r| r.task_number == task.task_number)
            .collect();
        items.push(TaskItem {
            violations: own.last().map(|r| r.total_violations),
            runs: own.len(),
            task,
            jobs,
        });
    }
    Ok(PlanDetail {
        summary,
        total_violations: items.iter().filter_map(|t| t.violations).sum(),
        phases,
        tasks: items,
        burndown,
        chain,
    })
}

/// `GET /api/plans/{id}/tasks/{n}`.
pub fn task_detail(ctx: &Context, plan_id: i64, task_number: u32) -> Result<TaskDetail> {
    let store = open_plans_for(ctx, plan_id)?;
    let plan = store.plan(plan_id)?;
    let task = store.task(plan_id, task_number)?;
    let jobs = store.jobs(plan_id, task_number)?;
    let spec_yaml = if task.has_spec {
        Some(store.task_spec(plan_id, task_number)?)
    } else {
        None
    };
    let runs = store.runs(plan_id, Some(task_number))?;
    let diff = match runs.as_slice() {
        [] => FindingDiff::default(),
        [.., previous, last] => diff_findings(Some(previous.findings.as_slice()), &last.findings),
        [only] => diff_findings(None, &only.findings),
    };
    let last_run = runs.last().map(|run| RunDetail {
        summary: RunSummary::from(run),
        findings: with_context(ctx, &run.findings),
    });
    let coverage = match &spec_yaml {
        Some(yaml) => coverage_now(ctx, yaml)?,
        None => None,
    };
    let checkpoints = checkpoint::list(store.connection(), plan_id, Some(Some(task_number)))?
        .iter()
        .map(checkpoint_info)
        .collect();
    Ok(TaskDetail {
        plan,
        task,
        jobs,
        spec_yaml,
        last_run,
        diff,
        history: runs.iter().map(RunSummary::from).collect(),
        coverage,
        checkpoints,
    })
}

/// The findings with the lines around each, read from the files as they are now (each file
/// once).
fn with_context(ctx: &Context, findings: &[RunFinding]) -> Vec<FindingView> {
    let mut files: HashMap<&str, Option<String>> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let context = if finding.file.is_empty() || finding.line == 0 {
                Vec::new()
            } else {
                files
                    .entry(finding.file.as_str())
                    .or_insert_with(|| read_in_root(&ctx.root, &finding.file))
                    .as_deref()
                    .map(|text| context_lines(text, finding.line, CONTEXT_LINES))
                    .unwrap_or_default()
            };
            FindingView {
                finding: finding.clone(),
                context,
            }
        })
        .collect()
}

/// Coverage per rule of the spec, evaluated now against the index (`None` without an index).
/// Rules with both `match` and `expect` terms report the engine's coverage; the others count
/// their expected references as migrated and their violations as remaining.
fn coverage_now(ctx: &Context, yaml: &str) -> Result<Option<Vec<RuleCoverage>>> {
    let db = ctx.index_db();
    if !db.exists() {
        return Ok(None);
    }
    let spec = Spec::parse("the task's spec", yaml)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the task's stored spec no longer validates")?;
    let index = SqliteIndex::open(&db)?;
    let evaluation = evaluate(&spec, &index)
        .context("cannot evaluate the task's spec against .pf/repo_index.db")?;
    Ok(Some(RuleCoverage::of(&evaluation)))
}

fn checkpoint_info(checkpoint: &Checkpoint) -> CheckpointInfo {
    CheckpointInfo {
        id: checkpoint.id,
        task_number: checkpoint.task_number,
        sequence: checkpoint.sequence,
        name: checkpoint.name.clone(),
        timestamp: checkpoint.timestamp.clone(),
        git_ref: checkpoint.git_ref.clone(),
        files: checkpoint
            .files
            .iter()
            .map(|f| CheckpointFile {
                path: f.path.clone(),
                status: f.status.clone(),
            })
            .collect(),
        added_lines: checkpoint.added_lines,
        removed_lines: checkpoint.removed_lines,
    }
}

/// `GET /api/plans/{id}/checkpoints/{cid}`: the diff stored when the checkpoint was taken.
pub fn checkpoint_diff(ctx: &Context, plan_id: i64, checkpoint_id: i64) -> Result<CheckpointDiff> {
    let store = open_plans_for(ctx, plan_id)?;
    store.plan(plan_id)?;
    let conn = store.connection();
    let checkpoint = checkpoint::list(conn, plan_id, None)?
        .into_iter()
        .find(|c| c.id == checkpoint_id)
        .ok_or_else(|| {
            Failure::not_found(format!("plan {plan_id} has no checkpoint {checkpoint_id}"))
        })?;
    let files = checkpoint::stored_diffs(conn, checkpoint_id)?
        .into_iter()
        .map(|d| FileDiff {
            path: d.path,
            diff: d.diff,
            added_lines: d.added_lines,
            removed_lines: d.removed_lines,
        })
        .collect();
    Ok(CheckpointDiff {
        checkpoint: checkpoint_info(&checkpoint),
        files,
    })
}

/// `GET /api/index`.
pub fn index_summary(ctx: &Context) -> Result<IndexSummary> {
    let db = ctx.index_db();
    if !db.exists() {
        return Ok(IndexSummary {
            exists: false,
            files: 0,
            languages: Vec::new(),
            tables: Vec::new(),
            indexed_at: None,
        });
    }
    let index = SqliteIndex::open(&db)?;
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let rows = index.row_counts()?;
    let languages = {
        let read = || -> rusqlite::Result<Vec<Count>> {
            let mut stmt = index.connection().prepare(
                "SELECT language, count(*) FROM files GROUP BY language ORDER BY language",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Count {
                    name: r.get(0)?,
                    count: usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                })
            })?;
            rows.collect()
        };
        read().context("reading .pf/repo_index.db")?
    };
    // The indexer writes the file in place (or renames a new one over it): its modification
    // time is when the index was last written.
    let indexed_at = std::fs::metadata(&db)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .map(format_unix_millis);
    Ok(IndexSummary {
        exists: true,
        files: rows.get("files").copied().map_or(0, count),
        languages,
        tables: rows
            .into_iter()
            .map(|(name, n)| Count {
                name,
                count: count(n),
            })
            .collect(),
        indexed_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_positive_numbers() {
        assert_eq!(parse_plan_id("12").unwrap(), 12);
        assert_eq!(parse_task_number("3").unwrap(), 3);
        assert_eq!(parse_checkpoint_id("7").unwrap(), 7);
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "x",
            "..",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_plan_id(bad).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad:?}"
            );
        }
        assert!(parse_task_number("4294967296").is_err());
    }

    #[test]
    fn missing_plans_are_404_and_other_errors_500() {
        let missing: Failure = anyhow::Error::from(PlanError::PlanNotFound(3)).into();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let other: Failure = anyhow::anyhow!("disk on fire").into();
        assert_eq!(other.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(other.message.contains("disk on fire"));
    }

    #[test]
    fn a_repository_without_a_planning_db_has_no_plans_and_gets_none() {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = Context::new(Some(tmp.path())).unwrap();
        assert!(plan_list(&ctx).unwrap().plans.is_empty());
        assert_eq!(
            plan_detail(&ctx, 1).unwrap_err().status,
            StatusCode::NOT_FOUND
        );
        assert!(!index_summary(&ctx).unwrap().exists);
        assert!(!tmp.path().join(".pf").exists());
    }
}

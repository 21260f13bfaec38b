//! The JSON contract between `aud serve` and the web UI: every response body of the read-only
//! API, and the pure computations behind the pages (burn-down series, finding context).
//!
//! The server (in `cli`) fills these from its SQLite stores; the front end (`web`, compiled to
//! wasm) deserialises the very same types, so a field renamed here is renamed on both sides.
//!
//! | Endpoint                                  | Body                       |
//! |-------------------------------------------|----------------------------|
//! | `GET /api/plans`                          | [`PlanList`]               |
//! | `GET /api/plans/{id}`                     | [`PlanDetail`]             |
//! | `GET /api/plans/{id}/tasks/{n}`           | [`TaskDetail`]             |
//! | `GET /api/plans/{id}/checkpoints/{cid}`   | [`CheckpointDiff`]         |
//! | `GET /api/index`                          | [`IndexSummary`]           |
//! | any error                                 | [`ApiError`] (4xx/5xx)     |

use serde::{Deserialize, Serialize};

use crate::plan::{
    ChainStatus, FindingDiff, Job, Phase, Plan, PlanSummary, RuleTotal, Run, RunFinding, Task,
};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong, for a person.
    pub error: String,
}

/// `GET /api/plans`: every plan, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanList {
    /// Where the data comes from (the repository root, as the server sees it).
    pub root: String,
    /// The plans.
    pub plans: Vec<PlanListItem>,
}

/// One row of the plan list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanListItem {
    /// The plan and its task counts.
    #[serde(flatten)]
    pub summary: PlanSummary,
    /// Violations left: the sum over tasks of their last run's total.
    pub total_violations: usize,
    /// When the plan's last verification ran.
    pub last_run_at: Option<String>,
}

/// `GET /api/plans/{id}`: a plan with its phases, tasks, burn-down and chain verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDetail {
    /// The plan and its task counts.
    pub summary: PlanSummary,
    /// Violations left: the sum over tasks of their last run's total.
    pub total_violations: usize,
    /// The phases, by number.
    pub phases: Vec<Phase>,
    /// The tasks, by number.
    pub tasks: Vec<TaskItem>,
    /// One point per verification run of the plan, in recording order.
    pub burndown: Vec<BurnPoint>,
    /// The verdict on the run hash chain (shown prominently for archived plans).
    pub chain: ChainStatus,
}

/// A task in a plan page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskItem {
    /// The task.
    pub task: Task,
    /// Its jobs, by number.
    pub jobs: Vec<Job>,
    /// Its last run's total, if it ran.
    pub violations: Option<usize>,
    /// How many times it was verified.
    pub runs: usize,
}

/// One verification run as a point of the burn-down chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnPoint {
    /// The run's row id (its order in the plan).
    pub run_id: i64,
    /// The task verified.
    pub task_number: u32,
    /// The run's sequence within the task.
    pub sequence: u32,
    /// When it ran.
    pub created_at: String,
    /// The task's violations in this run.
    pub task_violations: usize,
    /// The plan's violations after this run: the sum over the tasks verified so far of each
    /// one's latest total.
    pub plan_violations: usize,
}

/// The burn-down series of a plan from its runs in recording order.
pub fn burndown(runs: &[Run]) -> Vec<BurnPoint> {
    let mut latest: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
    runs.iter()
        .map(|run| {
            latest.insert(run.task_number, run.total_violations);
            BurnPoint {
                run_id: run.id,
                task_number: run.task_number,
                sequence: run.sequence,
                created_at: run.created_at.clone(),
                task_violations: run.total_violations,
                plan_violations: latest.values().sum(),
            }
        })
        .collect()
}

/// `GET /api/plans/{id}/tasks/{n}`: everything the task page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDetail {
    /// The plan the task belongs to.
    pub plan: Plan,
    /// The task.
    pub task: Task,
    /// Its jobs.
    pub jobs: Vec<Job>,
    /// The spec YAML as stored, if the task has one.
    pub spec_yaml: Option<String>,
    /// The last run, with its findings and the code around each.
    pub last_run: Option<RunDetail>,
    /// Findings new and fixed in the last run against the run before it.
    pub diff: FindingDiff,
    /// Every run of the task, oldest first, without findings.
    pub history: Vec<RunSummary>,
    /// Coverage per rule, evaluated now against the current index (`None` without a spec or
    /// without an index).
    pub coverage: Option<Vec<RuleCoverage>>,
    /// Checkpoints of the task, oldest first.
    pub checkpoints: Vec<CheckpointInfo>,
}

/// A run with its findings, each with context lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// The run, findings excluded.
    pub summary: RunSummary,
    /// Every finding of the run, in rule order then file and line order.
    pub findings: Vec<FindingView>,
}

/// A run without its findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Row id.
    pub id: i64,
    /// 1 for the task's first run, then 2, ...
    pub sequence: u32,
    /// When it ran.
    pub created_at: String,
    /// The git commit checked out, if any.
    pub git_commit: Option<String>,
    /// Violations plus missing expectations.
    pub total_violations: usize,
    /// `pass` or `fail`.
    pub audit_status: crate::plan::AuditStatus,
    /// Totals per rule.
    pub rules: Vec<RuleTotal>,
    /// The run's chain hash.
    pub hash: String,
}

impl From<&Run> for RunSummary {
    fn from(run: &Run) -> RunSummary {
        RunSummary {
            id: run.id,
            sequence: run.sequence,
            created_at: run.created_at.clone(),
            git_commit: run.git_commit.clone(),
            total_violations: run.total_violations,
            audit_status: run.audit_status,
            rules: run.rules.clone(),
            hash: run.hash.clone(),
        }
    }
}

/// A finding with the code around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    /// The finding as recorded.
    #[serde(flatten)]
    pub finding: RunFinding,
    /// Up to [`CONTEXT_LINES`] lines either side of the finding's line, from the file as it is
    /// now; empty for a missing expectation or a file that is gone.
    pub context: Vec<CodeLine>,
}

/// Lines of context shown either side of a finding.
pub const CONTEXT_LINES: u32 = 2;

/// One line of code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeLine {
    /// 1-based line number.
    pub number: u32,
    /// The line, without its line ending.
    pub text: String,
}

/// The lines of `text` within `radius` of 1-based `line` (none when `line` is 0 or past the
/// end).
pub fn context_lines(text: &str, line: u32, radius: u32) -> Vec<CodeLine> {
    if line == 0 {
        return Vec::new();
    }
    let first = line.saturating_sub(radius).max(1);
    let last = line.saturating_add(radius);
    text.lines()
        .zip(1u32..)
        .skip_while(|(_, n)| *n < first)
        .take_while(|(_, n)| *n <= last)
        .map(|(t, n)| CodeLine {
            number: n,
            text: t.to_owned(),
        })
        .collect()
}

/// A rule's coverage: how far the migration it describes has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCoverage {
    /// The rule's id.
    pub rule_id: String,
    /// Places where an `expect` term is found.
    pub migrated: usize,
    /// Places where a `match` term is still found.
    pub remaining: usize,
    /// `migrated` as a share of both, 0 to 100.
    pub percent: f64,
}

impl RuleCoverage {
    /// The coverage of every rule of `evaluation`, in spec order. Rules with both `match` and
    /// `expect` terms report the engine's coverage; the others count their expected references
    /// as migrated and their violations as remaining. Both count sites.
    pub fn of(evaluation: &crate::engine::Evaluation) -> Vec<RuleCoverage> {
        evaluation
            .rules
            .iter()
            .map(|rule| {
                let coverage = rule.coverage.unwrap_or(crate::engine::Coverage {
                    migrated: rule.expected_references.len(),
                    remaining: rule.violations.len(),
                });
                RuleCoverage {
                    rule_id: rule.rule_id.clone(),
                    migrated: coverage.migrated,
                    remaining: coverage.remaining,
                    percent: coverage.percent(),
                }
            })
            .collect()
    }
}

/// A checkpoint of a task, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Its row id (the `{cid}` of the diff endpoint).
    pub id: i64,
    /// The task, `None` for a plan-wide checkpoint.
    pub task_number: Option<u32>,
    /// 1, 2, 3... per task.
    pub sequence: u32,
    /// Its name.
    pub name: String,
    /// When it was taken.
    pub timestamp: String,
    /// The user's commit then.
    pub git_ref: Option<String>,
    /// Files that differed from the base: `(path, added|modified|deleted)`.
    pub files: Vec<CheckpointFile>,
    /// Lines added since the previous checkpoint of the task.
    pub added_lines: i64,
    /// Lines removed since the previous checkpoint of the task.
    pub removed_lines: i64,
}

/// A file in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// Path relative to the root.
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub status: String,
}

/// `GET /api/plans/{id}/checkpoints/{cid}`: what a checkpoint changed since the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointDiff {
    /// The checkpoint.
    pub checkpoint: CheckpointInfo,
    /// Per file, a unified diff against the previous checkpoint of the task (or the base).
    pub files: Vec<FileDiff>,
}

/// One file's unified diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    /// The path.
    pub path: String,
    /// A unified diff, or a line saying binary files differ.
    pub diff: String,
    /// Lines added.
    pub added_lines: i64,
    /// Lines removed.
    pub removed_lines: i64,
}

/// `GET /api/index`: what `.pf/repo_index.db` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSummary {
    /// Whether an index exists at all.
    pub exists: bool,
    /// Files indexed.
    pub files: usize,
    /// Files per language, by name.
    pub languages: Vec<Count>,
    /// Rows per table, by table name.
    pub tables: Vec<Count>,
    /// When the index was last written, if known.
    pub indexed_at: Option<String>,
}

/// A named count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The name.
    pub name: String,
    /// How many.
    pub count: usize,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;
    use crate::plan::AuditStatus;

    fn run(id: i64, task_number: u32, total: usize) -> Run {
        Run {
            id,
            plan_id: 1,
            task_number,
            sequence: 1,
            created_at: format!("t{id}"),
            git_commit: None,
            index_fingerprint: None,
            total_violations: total,
            audit_status: if total == 0 {
                AuditStatus::Pass
            } else {
                AuditStatus::Fail
            },
            rules: Vec::new(),
            findings: Vec::new(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn burndown_sums_each_tasks_latest_total() {
        let runs = [run(1, 1, 10), run(2, 2, 5), run(3, 1, 4), run(4, 2, 0)];
        let plan: Vec<usize> = burndown(&runs).iter().map(|p| p.plan_violations).collect();
        assert_eq!(plan, [10, 15, 9, 4]);
        let task: Vec<usize> = burndown(&runs).iter().map(|p| p.task_violations).collect();
        assert_eq!(task, [10, 5, 4, 0]);
        assert!(burndown(&[]).is_empty());
    }

    #[test]
    fn context_lines_clip_at_both_ends() {
        let text = "a\nb\nc\nd\ne";
        let numbers = |line, radius| -> Vec<u32> {
            context_lines(text, line, radius)
                .iter()
                .map(|l| l.number)
                .collect()
        };
        assert_eq!(numbers(1, 2), [1, 2, 3]);
        assert_eq!(numbers(3, 1), [2, 3, 4]);
        assert_eq!(numbers(5, 2), [3, 4, 5]);
        assert!(numbers(0, 2).is_empty());
        assert!(numbers(9, 2).is_empty());
        assert_eq!(context_lines(text, 2, 0)[0].text, "b");
    }

    #[test]
    fn a_finding_view_flattens_the_finding() {
        let view = FindingView {
            finding: RunFinding {
                fingerprint: "f".into(),
                rule_id: "r".into(),
                file: "a.js".into(),
                line: 3,
                source: "symbols".into(),
                matched: "auth0".into(),
                term: "auth0".into(),
                column: 7,
                end_column: 12,
                sources: vec!["symbols".into(), "names".into()],
                terms: vec!["auth0".into()],
            },
            context: Vec::new(),
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["match"], "auth0");
        assert_eq!(json["line"], 3);
        assert_eq!(json["column"], 7);
        assert_eq!(json["sources"][1], "names");
        let back: FindingView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
    }
}

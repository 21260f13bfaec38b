//! What one verification of a task is: the recipe every front end follows.
//!
//! Verifying a task reads the task and its spec once, evaluates the spec against the index,
//! fingerprints the findings, diffs them against the task's previous run, concludes what the
//! verdict does to the task, records the run (chained to the plan's last run) and, when asked,
//! computes the line ranges to read. Everything goes through the [`PlanStore`] and
//! [`IndexStore`] traits; what only the outside world knows (the time, the commit checked out,
//! the flags) comes in as [`Facts`]. The CLI refreshes the index, calls [`verify_task`] or
//! [`verify_plan`], prints the [`TaskReport`] and takes a checkpoint of a failure; tests run the
//! same recipe on [`super::MemoryPlanStore`] and [`crate::index::MemoryIndex`].

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::fingerprint::{RunFinding, diff_findings, fingerprint_evaluation};
use super::model::{AuditStatus, NewRun, PlanError, PlanStatus, RuleTotal, Task, TaskStatus};
use super::reads::{FileReads, read_ranges};
use super::store::PlanStore;
use super::transition::conclude;
use crate::engine::{Evaluation, IndexCoverage, evaluate};
use crate::index::IndexStore;
use crate::report::Subject;
use crate::report::text::{self, TextOptions};
use crate::spec::{Spec, SpecErrors};

/// Lines of context around each violation in the read ranges.
pub const READ_RADIUS: u32 = 5;

/// Violations listed per rule, and new or fixed findings, in the text report without `verbose`.
pub const FIRST_FEW: usize = 5;

/// What only the caller knows about a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// When it runs (RFC 3339, UTC); part of the run's hashed content.
    pub created_at: String,
    /// The commit checked out, if any.
    pub git_commit: Option<String>,
    /// Update the task's status from the verdict (completed when clean, failed on a
    /// regression, else in progress).
    pub auto_update: bool,
    /// Compute the line ranges to read ([`TaskReport::reads`]).
    pub emit_reads: bool,
}

/// Why a verification could not run. Nothing is recorded when it fails.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError<P, I> {
    /// The plan store refused: no such plan or task, the plan is archived, the task has no
    /// spec, or the store failed.
    #[error("{0}")]
    Plan(P),
    /// The task's stored spec no longer validates.
    #[error("the spec of task {task_number} of plan {plan_id} does not validate: {errors}")]
    Spec {
        /// The plan.
        plan_id: i64,
        /// The task.
        task_number: u32,
        /// Every problem in the spec.
        errors: SpecErrors,
    },
    /// The index could not be read.
    #[error("cannot read the index")]
    Index(#[source] I),
}

/// The outcome of verifying one task: the JSON of `verify-task --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// With [`Facts::emit_reads`]: what to read to fix the violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<Vec<FileReads>>,
}

impl TaskReport {
    /// Whether the task fails: violations remain, or it regressed.
    pub fn failed(&self) -> bool {
        !self.evaluation.passed() || self.regression
    }

    /// What the report is about, for SARIF and JUnit.
    pub fn subject(&self, tool_version: &str) -> Subject {
        Subject {
            tool_version: tool_version.to_owned(),
            plan_id: Some(self.plan_id),
            task_number: Some(self.task_number),
            title: Some(self.title.clone()),
        }
    }

    /// The report for people: the evaluation as `aud refactor` prints it, what changed since
    /// the previous run, and the verdict. Ends with a newline.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Plan {}, task {}: {}",
            self.plan_id, self.task_number, self.title
        );
        out.push_str(&text::render(
            &self.evaluation,
            TextOptions {
                max_findings: FIRST_FEW,
                verbose,
            },
        ));
        out.push('\n');
        match self.previous_run {
            None => {
                let _ = writeln!(
                    out,
                    "First run of this task: {} recorded as the baseline",
                    plural(self.new.len(), "finding")
                );
            }
            Some(prev) => {
                let _ = writeln!(
                    out,
                    "Since run {prev}: {} new, {} fixed",
                    self.new.len(),
                    self.fixed.len()
                );
                let shown = if verbose { usize::MAX } else { FIRST_FEW };
                for (label, list) in [("new  ", &self.new), ("fixed", &self.fixed)] {
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
            self.audit_status, self.status
        );
        if self.status != self.previous_status {
            let _ = write!(out, " (was {})", self.previous_status);
        }
        let _ = writeln!(out, "; run {}", self.run);
        if self.regression {
            let _ = writeln!(
                out,
                "REGRESSION: task {} of plan {} was completed and fails verification again",
                self.task_number, self.plan_id
            );
        }
        out
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `file:line:column: match` of a recorded finding, or `missing `term``.
fn place(f: &RunFinding) -> String {
    if f.file.is_empty() {
        format!("missing `{}`", f.matched)
    } else if f.column == 0 {
        format!("{}:{}: {}", f.file, f.line, f.matched)
    } else {
        format!("{}:{}:{}: {}", f.file, f.line, f.column, f.matched)
    }
}

/// The result type of the recipe for stores `P` and `I`.
pub type VerifyResult<T, P, I> =
    Result<T, VerifyError<<P as PlanStore>::Error, <I as IndexStore>::Error>>;

/// Verifies task `task_number` of plan `plan_id` and records the run.
pub fn verify_task<P, I>(
    plans: &mut P,
    index: &I,
    plan_id: i64,
    task_number: u32,
    facts: &Facts,
) -> VerifyResult<TaskReport, P, I>
where
    P: PlanStore + ?Sized,
    I: IndexStore + ?Sized,
{
    ensure_open(plans, plan_id)?;
    let task = plans
        .task(plan_id, task_number)
        .map_err(VerifyError::Plan)?;
    let about = IndexFacts::read(index)?;
    verify_one(plans, index, &about, plan_id, &task, facts)
}

/// Verifies every task of plan `plan_id` that has a spec, in task order, and records a run for
/// each. An empty list means the plan has no task with a spec.
pub fn verify_plan<P, I>(
    plans: &mut P,
    index: &I,
    plan_id: i64,
    facts: &Facts,
) -> VerifyResult<Vec<TaskReport>, P, I>
where
    P: PlanStore + ?Sized,
    I: IndexStore + ?Sized,
{
    ensure_open(plans, plan_id)?;
    let tasks: Vec<Task> = plans
        .tasks(plan_id)
        .map_err(VerifyError::Plan)?
        .into_iter()
        .filter(|t| t.has_spec)
        .collect();
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let about = IndexFacts::read(index)?;
    tasks
        .iter()
        .map(|task| verify_one(plans, index, &about, plan_id, task, facts))
        .collect()
}

/// Refuses to record runs in an archived plan (the store would refuse too, after the work).
fn ensure_open<P, E>(plans: &P, plan_id: i64) -> Result<(), VerifyError<P::Error, E>>
where
    P: PlanStore + ?Sized,
{
    let plan = plans.plan(plan_id).map_err(VerifyError::Plan)?;
    if plan.status == PlanStatus::Archived {
        return Err(VerifyError::Plan(PlanError::Archived(plan_id).into()));
    }
    Ok(())
}

/// What a run records about the index, read once per verification.
struct IndexFacts {
    coverage: Option<IndexCoverage>,
    fingerprint: Option<String>,
}

impl IndexFacts {
    fn read<I: IndexStore + ?Sized, P>(index: &I) -> Result<IndexFacts, VerifyError<P, I::Error>> {
        Ok(IndexFacts {
            coverage: index.coverage().map_err(VerifyError::Index)?,
            fingerprint: index.fingerprint().map_err(VerifyError::Index)?,
        })
    }
}

fn verify_one<P, I>(
    plans: &mut P,
    index: &I,
    about: &IndexFacts,
    plan_id: i64,
    task: &Task,
    facts: &Facts,
) -> VerifyResult<TaskReport, P, I>
where
    P: PlanStore + ?Sized,
    I: IndexStore + ?Sized,
{
    let task_number = task.task_number;
    let yaml = plans
        .task_spec(plan_id, task_number)
        .map_err(VerifyError::Plan)?;
    let spec = Spec::parse(
        &format!("spec of task {task_number} of plan {plan_id}"),
        &yaml,
    )
    .map_err(|errors| VerifyError::Spec {
        plan_id,
        task_number,
        errors,
    })?;
    let mut evaluation = evaluate(&spec, index).map_err(VerifyError::Index)?;
    evaluation.index.clone_from(&about.coverage);

    let findings = fingerprint_evaluation(&evaluation);
    let previous = plans
        .last_run(plan_id, task_number)
        .map_err(VerifyError::Plan)?;
    let diff = diff_findings(previous.as_ref().map(|r| r.findings.as_slice()), &findings);
    let transition = conclude(
        task.status,
        evaluation.total_violations(),
        facts.auto_update,
    );
    let run = plans
        .record_run(
            plan_id,
            task_number,
            &NewRun {
                created_at: facts.created_at.clone(),
                git_commit: facts.git_commit.clone(),
                index_fingerprint: about.fingerprint.clone(),
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
                task_status: facts.auto_update.then_some(transition.status),
            },
        )
        .map_err(VerifyError::Plan)?;
    let reads = if facts.emit_reads {
        let mut reads = read_ranges(
            evaluation.rules.iter().flat_map(|r| r.violations.iter()),
            READ_RADIUS,
        );
        for file in &mut reads {
            let Some(last) = index
                .last_line(&file.file)
                .map_err(VerifyError::Index)?
                .filter(|n| *n > 0)
            else {
                continue;
            };
            for range in &mut file.ranges {
                range.end = range.end.min(last).max(range.start);
            }
        }
        Some(reads)
    } else {
        None
    };
    Ok(TaskReport {
        evaluation,
        plan_id,
        task_number,
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

#[cfg(test)]
mod tests;

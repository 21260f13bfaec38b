//! The plan model: plans, phases, tasks, jobs and verification runs, as stored and as printed.
//!
//! These types are the JSON contract of `aud planning show --format json` and of the web UI.
//! Identifiers users type are numbers local to their parent: a plan id, a task number within
//! its plan, a job number within its task, a phase number within its plan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::fingerprint::RunFinding;

/// A status name that is not one of the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} status `{value}` (expected one of: {expected})")]
pub struct UnknownStatus {
    /// Which kind of status (`plan`, `task`, `audit`).
    pub kind: &'static str,
    /// The value given.
    pub value: String,
    /// The allowed values, comma-separated.
    pub expected: String,
}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and printed name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;

            fn from_str(s: &str) -> Result<Self, UnknownStatus> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownStatus {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

status_enum!(
    /// Where a plan is in its life.
    PlanStatus, "plan", {
        /// Being worked on.
        Active => "active",
        /// Every task done.
        Completed => "completed",
        /// Frozen: the database refuses any change to it.
        Archived => "archived",
    }
);

status_enum!(
    /// Where a task is in its life.
    TaskStatus, "task", {
        /// Not started.
        Pending => "pending",
        /// Started, or verified with violations left.
        InProgress => "in_progress",
        /// Verified clean (or marked done by hand).
        Completed => "completed",
        /// Was completed, then verification found violations again (a regression).
        Failed => "failed",
        /// Waiting on something else.
        Blocked => "blocked",
    }
);

status_enum!(
    /// The verdict of the last verification of a task.
    AuditStatus, "audit", {
        /// No violations.
        Pass => "pass",
        /// Violations or missing expectations.
        Fail => "fail",
    }
);

impl TaskStatus {
    /// Whether work remains on a task with this status (anything but completed).
    pub fn is_open(self) -> bool {
        self != TaskStatus::Completed
    }
}

/// A plan: a named, multi-step refactoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The plan id users type.
    pub id: i64,
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// active, completed or archived.
    pub status: PlanStatus,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// The git commit the plan started from, if the root is a git repository.
    pub git_commit: Option<String>,
    /// When it was archived.
    pub archived_at: Option<String>,
    /// Notes given to `archive --notes`.
    pub archive_notes: Option<String>,
    /// The hash of the plan's last verification run: the anchor that makes a removed last run
    /// evident. Publish it (CI logs) to anchor the trail outside the database too.
    #[serde(default)]
    pub chain_head: Option<String>,
    /// How many runs the plan has recorded.
    #[serde(default)]
    pub chain_runs: u32,
}

/// A plan with its progress, as listed by `aud planning list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// The plan.
    #[serde(flatten)]
    pub plan: Plan,
    /// Tasks in the plan.
    pub tasks_total: usize,
    /// Tasks completed.
    pub tasks_completed: usize,
    /// Tasks failed (regressions).
    pub tasks_failed: usize,
    /// Completed share of the tasks, 0 to 100 (100 for a plan without tasks is misleading, so 0).
    pub progress_percent: u32,
}

impl PlanSummary {
    /// Builds the summary of `plan` from its tasks' statuses.
    pub fn new(plan: Plan, statuses: impl IntoIterator<Item = TaskStatus>) -> PlanSummary {
        let (mut total, mut completed, mut failed) = (0usize, 0usize, 0usize);
        for status in statuses {
            total += 1;
            match status {
                TaskStatus::Completed => completed += 1,
                TaskStatus::Failed => failed += 1,
                _ => {}
            }
        }
        let progress_percent = (completed * 100)
            .checked_div(total)
            .map_or(0, |p| u32::try_from(p).unwrap_or(100));
        PlanSummary {
            plan,
            tasks_total: total,
            tasks_completed: completed,
            tasks_failed: failed,
            progress_percent,
        }
    }
}

/// A phase: a group of tasks with a success criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// The phase number users type, unique within the plan.
    pub phase_number: u32,
    /// Title.
    pub title: String,
    /// Free text.
    pub description: Option<String>,
    /// What must be true for the phase to be done.
    pub success_criteria: Option<String>,
    /// Free text status, `pending` at creation (as in the original).
    pub status: String,
    /// When it was created.
    pub created_at: String,
}

/// What `add-phase` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPhase {
    /// The phase number, unique within the plan.
    pub phase_number: u32,
    /// Title.
    pub title: String,
    /// Free text.
    pub description: Option<String>,
    /// What must be true for the phase to be done.
    pub success_criteria: Option<String>,
}

/// A task: one step of a plan, optionally proven by a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// The task number users type, unique within the plan (1, 2, ...).
    pub task_number: u32,
    /// Title.
    pub title: String,
    /// Free text.
    pub description: Option<String>,
    /// Where the task is in its life.
    pub status: TaskStatus,
    /// The verdict of the last verification, if any.
    pub audit_status: Option<AuditStatus>,
    /// Who works on it.
    pub assigned_to: Option<String>,
    /// The phase number it belongs to, if any.
    pub phase: Option<u32>,
    /// Whether it has a spec to verify against.
    pub has_spec: bool,
    /// When it was created.
    pub created_at: String,
    /// When it was last completed.
    pub completed_at: Option<String>,
}

/// What `add-task` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTask {
    /// Title.
    pub title: String,
    /// Free text.
    pub description: Option<String>,
    /// The spec YAML, already validated by the caller.
    pub spec_yaml: Option<String>,
    /// Who works on it.
    pub assigned_to: Option<String>,
    /// The phase number it belongs to; the phase must exist.
    pub phase: Option<u32>,
}

/// What `update-task` changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskUpdate {
    /// The new status.
    pub status: Option<TaskStatus>,
    /// The new assignee.
    pub assigned_to: Option<String>,
    /// A new spec YAML, already validated by the caller; earlier runs keep their results.
    pub spec_yaml: Option<String>,
}

/// A job: a checkbox item of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The job number users type, unique within the task (1, 2, ...).
    pub job_number: u32,
    /// What to do.
    pub description: String,
    /// Ticked.
    pub completed: bool,
    /// A job that checks work rather than doing it.
    pub is_audit_job: bool,
    /// When it was created.
    pub created_at: String,
}

/// Violations of one rule in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTotal {
    /// The rule's id.
    pub rule_id: String,
    /// Violations plus missing expectations.
    pub violations: usize,
}

/// A verification run to record; the store adds the sequence number and the chain hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRun {
    /// When it ran (RFC 3339, UTC).
    pub created_at: String,
    /// The git commit checked out, if any.
    pub git_commit: Option<String>,
    /// A digest of the index it read (which files at which content).
    pub index_fingerprint: Option<String>,
    /// Violations plus missing expectations over all rules.
    pub total_violations: usize,
    /// pass or fail.
    pub audit_status: AuditStatus,
    /// Totals per rule, in spec order.
    pub rules: Vec<RuleTotal>,
    /// Every finding, with its fingerprint.
    pub findings: Vec<RunFinding>,
    /// The task's status after the run, when it changes (`--auto-update`).
    pub task_status: Option<TaskStatus>,
}

/// A recorded verification run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Row id; runs of a plan are chained in this order.
    pub id: i64,
    /// The plan.
    pub plan_id: i64,
    /// The task verified.
    pub task_number: u32,
    /// 1 for the task's first run, then 2, ...
    pub sequence: u32,
    /// When it ran (RFC 3339, UTC).
    pub created_at: String,
    /// The git commit checked out, if any.
    pub git_commit: Option<String>,
    /// A digest of the index it read.
    pub index_fingerprint: Option<String>,
    /// Violations plus missing expectations over all rules.
    pub total_violations: usize,
    /// pass or fail.
    pub audit_status: AuditStatus,
    /// Totals per rule, in spec order.
    pub rules: Vec<RuleTotal>,
    /// Every finding, with its fingerprint.
    pub findings: Vec<RunFinding>,
    /// The hash of the plan's previous run ([`super::GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// sha256 over `prev_hash` and this run's content.
    pub hash: String,
}

/// Why a plan operation cannot be done: the messages name the object, for the person typing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No such plan.
    #[error("plan {0} does not exist")]
    PlanNotFound(i64),
    /// No such task.
    #[error("task {task_number} of plan {plan_id} does not exist")]
    TaskNotFound {
        /// The plan.
        plan_id: i64,
        /// The task number asked for.
        task_number: u32,
    },
    /// No such phase.
    #[error(
        "phase {phase_number} of plan {plan_id} does not exist (add it with `aud planning add-phase`)"
    )]
    PhaseNotFound {
        /// The plan.
        plan_id: i64,
        /// The phase number asked for.
        phase_number: u32,
    },
    /// The phase number is taken.
    #[error("phase {phase_number} of plan {plan_id} already exists")]
    DuplicatePhase {
        /// The plan.
        plan_id: i64,
        /// The phase number given.
        phase_number: u32,
    },
    /// No such job.
    #[error("job {job_number} of task {task_number} of plan {plan_id} does not exist")]
    JobNotFound {
        /// The plan.
        plan_id: i64,
        /// The task.
        task_number: u32,
        /// The job number asked for.
        job_number: u32,
    },
    /// The plan is archived, hence immutable.
    #[error("plan {0} is archived and cannot be changed")]
    Archived(i64),
    /// The task has nothing to verify.
    #[error(
        "task {task_number} of plan {plan_id} has no spec (add one with `aud planning add-task --spec FILE`)"
    )]
    NoSpec {
        /// The plan.
        plan_id: i64,
        /// The task.
        task_number: u32,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in TaskStatus::ALL {
            assert_eq!(s.as_str().parse::<TaskStatus>(), Ok(*s));
        }
        for s in PlanStatus::ALL {
            assert_eq!(s.as_str().parse::<PlanStatus>(), Ok(*s));
        }
        for s in AuditStatus::ALL {
            assert_eq!(s.as_str().parse::<AuditStatus>(), Ok(*s));
        }
        let err = "done".parse::<TaskStatus>().unwrap_err();
        assert!(
            err.to_string().contains("unknown task status `done`"),
            "{err}"
        );
        assert!(err.to_string().contains("in_progress"), "{err}");
    }

    #[test]
    fn progress_counts_completed_tasks() {
        let plan = Plan {
            id: 1,
            name: "p".into(),
            description: None,
            status: PlanStatus::Active,
            created_at: String::new(),
            git_commit: None,
            archived_at: None,
            archive_notes: None,
            chain_head: None,
            chain_runs: 0,
        };
        let cases: &[(&[TaskStatus], (usize, usize, usize, u32))] = &[
            (&[], (0, 0, 0, 0)),
            (&[TaskStatus::Completed], (1, 1, 0, 100)),
            (
                &[
                    TaskStatus::Completed,
                    TaskStatus::Pending,
                    TaskStatus::Failed,
                ],
                (3, 1, 1, 33),
            ),
        ];
        for (statuses, expected) in cases {
            let s = PlanSummary::new(plan.clone(), statuses.iter().copied());
            assert_eq!(
                (
                    s.tasks_total,
                    s.tasks_completed,
                    s.tasks_failed,
                    s.progress_percent
                ),
                *expected,
                "{statuses:?}"
            );
        }
    }
}

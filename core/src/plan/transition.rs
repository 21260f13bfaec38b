//! What a verification outcome does to a task.
//!
//! The audit status always follows the outcome: `pass` with no violations, `fail` otherwise.
//! The task status changes only with `--auto-update`, as in the original tool:
//!
//! | before | violations | after |
//! |---|---|---|
//! | any | 0 | `completed` |
//! | `completed` | > 0 | `failed` (a regression) |
//! | `failed` | > 0 | `failed` (the regression stands) |
//! | anything else | > 0 | `in_progress` |
//!
//! The original turned a failed task that still fails into `in_progress`, hiding the regression;
//! here it stays `failed` until it passes. A regression (a completed or failed task with
//! violations) is reported with or without `--auto-update`, and makes the command exit 1 like
//! any violation.

use serde::{Deserialize, Serialize};

use super::model::{AuditStatus, PlanStatus, TaskStatus};

/// The consequences of one verification of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// pass or fail.
    pub audit_status: AuditStatus,
    /// The task's status after the run (unchanged without `--auto-update`).
    pub status: TaskStatus,
    /// Whether `status` differs from the status before.
    pub changed: bool,
    /// The task was completed (or had already regressed) and has violations.
    pub regression: bool,
}

/// Decides the audit status and the task's next status after a verification that found
/// `violations` (violations plus missing expectations).
pub fn conclude(before: TaskStatus, violations: usize, auto_update: bool) -> Transition {
    let audit_status = if violations == 0 {
        AuditStatus::Pass
    } else {
        AuditStatus::Fail
    };
    let regression = matches!(before, TaskStatus::Completed | TaskStatus::Failed) && violations > 0;
    let status = match (auto_update, audit_status) {
        (false, _) => before,
        (true, AuditStatus::Pass) => TaskStatus::Completed,
        (true, AuditStatus::Fail) if regression => TaskStatus::Failed,
        (true, AuditStatus::Fail) => TaskStatus::InProgress,
    };
    Transition {
        audit_status,
        status,
        changed: status != before,
        regression,
    }
}

/// A plan's status given its tasks': `completed` when it has tasks and all are completed,
/// `active` otherwise; an archived plan stays archived.
pub fn plan_status(current: PlanStatus, tasks: impl IntoIterator<Item = TaskStatus>) -> PlanStatus {
    if current == PlanStatus::Archived {
        return current;
    }
    let mut any = false;
    for status in tasks {
        if status != TaskStatus::Completed {
            return PlanStatus::Active;
        }
        any = true;
    }
    if any {
        PlanStatus::Completed
    } else {
        PlanStatus::Active
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;
    use AuditStatus::{Fail, Pass};
    use TaskStatus::{Blocked, Completed, Failed, InProgress, Pending};

    /// `(before, violations, auto_update) -> (audit, after, regression)`.
    fn check(
        before: TaskStatus,
        violations: usize,
        auto: bool,
        expected: (AuditStatus, TaskStatus, bool),
    ) {
        let t = conclude(before, violations, auto);
        assert_eq!(
            (t.audit_status, t.status, t.regression),
            expected,
            "before={before} violations={violations} auto_update={auto}"
        );
        assert_eq!(t.changed, t.status != before);
    }

    #[test]
    fn auto_update_transitions() {
        check(Pending, 0, true, (Pass, Completed, false));
        check(Pending, 3, true, (Fail, InProgress, false));
        check(InProgress, 1, true, (Fail, InProgress, false));
        check(InProgress, 0, true, (Pass, Completed, false));
        check(Completed, 0, true, (Pass, Completed, false));
        check(Completed, 2, true, (Fail, Failed, true));
        check(Failed, 2, true, (Fail, Failed, true));
        check(Failed, 0, true, (Pass, Completed, false));
        check(Blocked, 1, true, (Fail, InProgress, false));
        check(Blocked, 0, true, (Pass, Completed, false));
    }

    #[test]
    fn a_plan_is_completed_when_all_its_tasks_are() {
        use PlanStatus::{Active, Archived};
        let cases: &[(PlanStatus, &[TaskStatus], PlanStatus)] = &[
            (Active, &[], Active),
            (Active, &[Completed], PlanStatus::Completed),
            (Active, &[Completed, Pending], Active),
            (PlanStatus::Completed, &[Completed, Failed], Active),
            (PlanStatus::Completed, &[], Active),
            (Archived, &[Pending], Archived),
            (Archived, &[Completed], Archived),
        ];
        for (current, tasks, expected) in cases {
            assert_eq!(
                plan_status(*current, tasks.iter().copied()),
                *expected,
                "{current} {tasks:?}"
            );
        }
    }

    #[test]
    fn without_auto_update_only_the_audit_status_changes() {
        for &before in TaskStatus::ALL {
            check(before, 0, false, (Pass, before, false));
            let regressed = matches!(before, Completed | Failed);
            check(before, 5, false, (Fail, before, regressed));
        }
    }
}

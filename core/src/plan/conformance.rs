//! The contract every [`PlanStore`] must meet, as one executable check shared by the
//! in-memory store (core's tests) and the SQLite store (the CLI's tests).
//!
//! Compiled for tests and with the `testing` feature only. It panics on the first breach, as
//! a test does.

// A failed step of the check should fail loudly, like a test.
#![allow(clippy::unwrap_used)]

use std::fmt::{Debug, Display};

use super::chain::{ChainStatus, verify_chain};
use super::fingerprint::RunFinding;
use super::model::{
    AuditStatus, NewPhase, NewRun, NewTask, PlanStatus, RuleTotal, TaskStatus, TaskUpdate,
};
use super::store::PlanStore;

/// Asserts that `result` failed with a message containing `needle`.
#[track_caller]
fn fails<T: Debug, E: Display>(result: Result<T, E>, needle: &str) {
    match result {
        Ok(v) => panic!("expected an error containing {needle:?}, got {v:?}"),
        Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle:?}"),
    }
}

fn run(violations: usize, status: Option<TaskStatus>) -> NewRun {
    NewRun {
        created_at: "2026-01-01T00:00:00.000Z".to_owned(),
        git_commit: Some("a".repeat(40)),
        index_fingerprint: Some("f".repeat(64)),
        total_violations: violations,
        audit_status: if violations == 0 {
            AuditStatus::Pass
        } else {
            AuditStatus::Fail
        },
        rules: vec![RuleTotal {
            rule_id: "r".to_owned(),
            violations,
        }],
        findings: (0..violations)
            .map(|i| RunFinding {
                fingerprint: format!("fp{i}"),
                rule_id: "r".to_owned(),
                file: "a.js".to_owned(),
                line: 10 + i as u32,
                source: "symbols".to_owned(),
                matched: "auth0".to_owned(),
                term: "auth0".to_owned(),
                column: 5,
                end_column: 10,
                sources: vec!["symbols".to_owned(), "names".to_owned()],
                terms: vec!["auth0".to_owned(), "/auth/".to_owned()],
            })
            .collect(),
        task_status: status,
    }
}

/// Runs the whole contract against fresh stores made by `make`.
pub fn check<S, F>(make: F)
where
    S: PlanStore,
    S::Error: Debug + Display,
    F: Fn() -> S,
{
    let mut s = make();
    let spec = Some("refactor_name: x\nrules: []\n".to_owned());

    // Plans are numbered from 1 and listed with their progress.
    let p1 = s.create_plan("one", Some("first"), Some("abc")).unwrap();
    let p2 = s.create_plan("two", None, None).unwrap();
    assert_eq!((p1.id, p2.id), (1, 2));
    assert_eq!(p1.status, PlanStatus::Active);
    assert_eq!(p1.git_commit.as_deref(), Some("abc"));
    assert_eq!(s.list_plans(None).unwrap().len(), 2);
    assert!(s.list_plans(Some(PlanStatus::Archived)).unwrap().is_empty());
    fails(s.plan(9), "plan 9 does not exist");

    // Phases are unique per plan; tasks may only join an existing phase.
    let phase = NewPhase {
        phase_number: 1,
        title: "Backend".to_owned(),
        ..NewPhase::default()
    };
    s.add_phase(1, &phase).unwrap();
    s.add_phase(2, &phase).unwrap();
    fails(s.add_phase(1, &phase), "phase 1 of plan 1 already exists");
    fails(
        s.add_task(
            1,
            &NewTask {
                title: "t".to_owned(),
                phase: Some(2),
                ..NewTask::default()
            },
        ),
        "phase 2 of plan 1 does not exist",
    );

    // Tasks are numbered per plan.
    let t1 = s
        .add_task(
            1,
            &NewTask {
                title: "with spec".to_owned(),
                spec_yaml: spec.clone(),
                phase: Some(1),
                ..NewTask::default()
            },
        )
        .unwrap();
    let t2 = s
        .add_task(
            1,
            &NewTask {
                title: "without".to_owned(),
                assigned_to: Some("alice".to_owned()),
                ..NewTask::default()
            },
        )
        .unwrap();
    let other = s
        .add_task(
            2,
            &NewTask {
                title: "other plan".to_owned(),
                ..NewTask::default()
            },
        )
        .unwrap();
    assert_eq!(
        (t1.task_number, t2.task_number, other.task_number),
        (1, 2, 1)
    );
    assert!(t1.has_spec && !t2.has_spec);
    assert_eq!(t1.phase, Some(1));
    assert_eq!(t1.status, TaskStatus::Pending);
    assert_eq!(s.task_spec(1, 1).unwrap(), spec.clone().unwrap_or_default());
    fails(s.task_spec(1, 2), "task 2 of plan 1 has no spec");
    // A task can get a (new) spec later.
    let t2_spec = s
        .update_task(
            1,
            2,
            &TaskUpdate {
                spec_yaml: Some("refactor_name: y\n".to_owned()),
                ..TaskUpdate::default()
            },
        )
        .unwrap();
    assert!(t2_spec.has_spec);
    assert_eq!(s.task_spec(1, 2).unwrap(), "refactor_name: y\n");
    fails(s.task(1, 3), "task 3 of plan 1 does not exist");
    fails(s.task(5, 1), "plan 5 does not exist");
    assert_eq!(s.tasks(1).unwrap().len(), 2);

    // Jobs are numbered per task and ticked one by one.
    assert_eq!(s.add_job(1, 1, "a", false).unwrap().job_number, 1);
    assert_eq!(s.add_job(1, 1, "b", true).unwrap().job_number, 2);
    assert_eq!(s.add_job(1, 2, "c", false).unwrap().job_number, 1);
    assert!(s.complete_job(1, 1, 2).unwrap().completed);
    fails(
        s.complete_job(1, 1, 7),
        "job 7 of task 1 of plan 1 does not exist",
    );
    let jobs = s.jobs(1, 1).unwrap();
    assert_eq!(
        jobs.iter()
            .map(|j| (j.completed, j.is_audit_job))
            .collect::<Vec<_>>(),
        vec![(false, false), (true, true)]
    );

    // Updates.
    let t2 = s
        .update_task(
            1,
            2,
            &TaskUpdate {
                status: Some(TaskStatus::Completed),
                assigned_to: Some("bob".to_owned()),
                spec_yaml: None,
            },
        )
        .unwrap();
    assert_eq!(t2.status, TaskStatus::Completed);
    assert!(t2.completed_at.is_some());
    assert_eq!(t2.assigned_to.as_deref(), Some("bob"));
    let summary = &s.list_plans(None).unwrap()[0];
    assert_eq!((summary.tasks_total, summary.tasks_completed), (2, 1));

    // Runs: numbered per task, chained per plan, applied to the task.
    assert!(s.last_run(1, 1).unwrap().is_none());
    let r1 = s.record_run(1, 1, &run(3, None)).unwrap();
    let r2 = s.record_run(1, 2, &run(0, None)).unwrap();
    let r3 = s
        .record_run(1, 1, &run(0, Some(TaskStatus::Completed)))
        .unwrap();
    s.record_run(2, 1, &run(1, Some(TaskStatus::InProgress)))
        .unwrap();
    assert_eq!((r1.sequence, r2.sequence, r3.sequence), (1, 1, 2));
    assert_eq!(r2.prev_hash, r1.hash);
    assert_eq!(r3.prev_hash, r2.hash);
    let task = s.task(1, 1).unwrap();
    assert_eq!(task.status, TaskStatus::Completed);
    // Both tasks are completed, so the plan is.
    assert_eq!(s.plan(1).unwrap().status, PlanStatus::Completed);
    assert_eq!(s.list_plans(Some(PlanStatus::Completed)).unwrap().len(), 1);
    s.add_task(
        1,
        &NewTask {
            title: "late".to_owned(),
            ..NewTask::default()
        },
    )
    .unwrap();
    assert_eq!(s.plan(1).unwrap().status, PlanStatus::Active);
    s.update_task(
        1,
        3,
        &TaskUpdate {
            status: Some(TaskStatus::Completed),
            assigned_to: None,
            spec_yaml: None,
        },
    )
    .unwrap();
    assert_eq!(s.plan(1).unwrap().status, PlanStatus::Completed);
    assert_eq!(task.audit_status, Some(AuditStatus::Pass));
    assert_eq!(
        task.completed_at.as_deref(),
        Some("2026-01-01T00:00:00.000Z")
    );
    assert_eq!(s.task(1, 2).unwrap().status, TaskStatus::Completed);
    let last = s.last_run(1, 1).unwrap().unwrap();
    assert_eq!(last.sequence, 2);
    let first = &s.runs(1, Some(1)).unwrap()[0];
    assert_eq!(first.findings.len(), 3);
    assert_eq!(first.rules[0].violations, 3);
    let runs = s.runs(1, None).unwrap();
    assert_eq!(runs.len(), 3);
    let plan = s.plan(1).unwrap();
    assert_eq!(plan.chain_runs, 3);
    assert_eq!(plan.chain_head.as_deref(), Some(r3.hash.as_str()));
    assert!(matches!(
        verify_chain(&runs),
        ChainStatus::Intact { runs: 3, .. }
    ));
    let runs2 = s.runs(2, None).unwrap();
    assert!(matches!(
        verify_chain(&runs2),
        ChainStatus::Intact { runs: 1, .. }
    ));

    // Archived: readable, never writable.
    let archived = s.archive_plan(1, Some("shipped"), Some("def")).unwrap();
    assert_eq!(archived.status, PlanStatus::Archived);
    assert_eq!(archived.archive_notes.as_deref(), Some("shipped"));
    assert!(archived.archived_at.is_some());
    let msg = "plan 1 is archived and cannot be changed";
    fails(
        s.add_phase(
            1,
            &NewPhase {
                phase_number: 5,
                ..phase.clone()
            },
        ),
        msg,
    );
    fails(s.add_task(1, &NewTask::default()), msg);
    fails(s.update_task(1, 1, &TaskUpdate::default()), msg);
    fails(s.add_job(1, 1, "x", false), msg);
    fails(s.complete_job(1, 1, 1), msg);
    fails(s.record_run(1, 1, &run(0, None)), msg);
    fails(s.archive_plan(1, None, None), msg);
    assert_eq!(s.tasks(1).unwrap().len(), 3);
    assert_eq!(s.runs(1, None).unwrap().len(), 3);
    assert_eq!(s.list_plans(Some(PlanStatus::Archived)).unwrap().len(), 1);
    // The other plan is untouched.
    s.add_job(2, 1, "still open", false).unwrap();
}

//! The verification recipe on the in-memory stores.

use super::*;
use crate::index::{MemoryIndex, Source};
use crate::plan::{MemoryPlanStore, NewTask, chain::verify_plan_chain};

const SPEC: &str = "\
refactor_name: auth
rules:
  - id: no-auth0
    description: remove auth0
    match:
      expressions: [auth0]
    expect:
      expressions: [cognito]
";

/// A plan with task 1 (the spec above) and task 2 (no spec).
fn plans() -> MemoryPlanStore {
    let mut plans = MemoryPlanStore::new();
    let plan = plans
        .create_plan("p", None, None)
        .unwrap_or_else(|e| panic!("{e}"));
    for (title, spec) in [("with spec", Some(SPEC)), ("without", None)] {
        plans
            .add_task(
                plan.id,
                &NewTask {
                    title: title.to_owned(),
                    description: None,
                    spec_yaml: spec.map(str::to_owned),
                    assigned_to: None,
                    phase: None,
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    plans
}

/// An index of `a.js` (40 lines) holding `values` as call arguments at `(line, value)`.
fn index(values: &[(u32, &str)]) -> MemoryIndex {
    let mut index = MemoryIndex::new();
    index.add_file("a.js", "sha-a", 40);
    for (line, value) in values {
        index.push(Source::CallArgument, "a.js", *line, value, "call f arg 0");
    }
    index
}

fn facts(at: &str) -> Facts {
    Facts {
        created_at: at.to_owned(),
        git_commit: Some("abc".to_owned()),
        auto_update: true,
        emit_reads: false,
    }
}

type Error = VerifyError<PlanError, std::convert::Infallible>;

fn verify(plans: &mut MemoryPlanStore, index: &MemoryIndex, at: &str) -> Result<TaskReport, Error> {
    verify_task(plans, index, 1, 1, &facts(at))
}

#[test]
fn a_first_run_is_the_baseline_and_is_recorded() {
    let mut plans = plans();
    let index = index(&[(3, "auth0"), (9, "auth0.domain")]);
    let report = verify(&mut plans, &index, "2026-01-01T00:00:00Z").unwrap();
    assert_eq!(report.run, 1);
    assert_eq!(report.previous_run, None);
    assert_eq!(
        report.evaluation.total_violations(),
        3,
        "two sites, one missing expectation"
    );
    assert_eq!(report.new.len(), 3);
    assert!(report.fixed.is_empty());
    assert_eq!(report.audit_status, AuditStatus::Fail);
    assert_eq!(report.status, TaskStatus::InProgress);
    assert!(report.failed());
    // The index facts travel with the verdict and into the run.
    assert_eq!(
        report.evaluation.index.as_ref().map(|c| c.files_indexed),
        Some(1)
    );
    let run = plans.last_run(1, 1).unwrap().unwrap();
    assert_eq!(run.hash, report.run_hash);
    assert_eq!(run.git_commit.as_deref(), Some("abc"));
    assert_eq!(run.index_fingerprint, index.fingerprint().unwrap());
    assert_eq!(run.findings.len(), 3);
    assert_eq!(run.findings[0].column, 1);
    assert_eq!(report.reads, None);
}

#[test]
fn a_second_run_reports_new_and_fixed_and_completes_the_task() {
    let mut plans = plans();
    verify(&mut plans, &index(&[(3, "auth0"), (9, "auth0")]), "t1").unwrap();
    let report = verify(
        &mut plans,
        &index(&[(9, "auth0"), (12, "cognito"), (20, "f(auth0)")]),
        "t2",
    )
    .unwrap();
    assert_eq!(report.previous_run, Some(1));
    // Occurrences count per (file, text): the first `auth0` stays, the second is the new one
    // in `f(auth0)`; the missing expectation is fixed.
    let places = |v: &[RunFinding]| {
        v.iter()
            .map(|f| format!("{}:{}:{}", f.file, f.line, f.matched))
            .collect::<Vec<_>>()
    };
    assert_eq!(places(&report.new), Vec::<String>::new());
    assert_eq!(places(&report.fixed), [":0:cognito"]);
    let clean = verify(&mut plans, &index(&[(12, "cognito")]), "t3").unwrap();
    assert_eq!(clean.fixed.len(), 2);
    assert_eq!(clean.status, TaskStatus::Completed);
    assert_eq!(clean.audit_status, AuditStatus::Pass);
    assert!(!clean.failed());
    // A completed task that fails again is a regression.
    let again = verify(&mut plans, &index(&[(12, "cognito"), (1, "auth0")]), "t4").unwrap();
    assert!(again.regression);
    assert!(again.failed());
    assert!(
        again
            .render_text(false)
            .contains("REGRESSION: task 1 of plan 1")
    );
    // Every run is in an intact chain.
    let plan = plans.plan(1).unwrap();
    let runs = plans.runs(1, None).unwrap();
    assert_eq!(runs.len(), 4);
    assert!(matches!(
        verify_plan_chain(&runs, plan.chain_head.as_deref(), plan.chain_runs),
        crate::plan::ChainStatus::Intact { runs: 4, .. }
    ));
}

#[test]
fn read_ranges_end_at_the_indexed_end_of_the_file() {
    let mut plans = plans();
    let index = index(&[(38, "auth0"), (2, "auth0")]);
    let report = verify_task(
        &mut plans,
        &index,
        1,
        1,
        &Facts {
            emit_reads: true,
            ..facts("t")
        },
    )
    .unwrap();
    let reads = report.reads.unwrap();
    let ranges: Vec<(u32, u32)> = reads[0].ranges.iter().map(|r| (r.start, r.end)).collect();
    assert_eq!(ranges, [(1, 7), (33, 40)]);
}

#[test]
fn refusals_are_typed_and_record_nothing() {
    let mut plans = plans();
    let index = index(&[(3, "auth0")]);
    assert!(matches!(
        verify_task(&mut plans, &index, 1, 2, &facts("t")),
        Err(VerifyError::Plan(PlanError::NoSpec { .. }))
    ));
    assert!(matches!(
        verify_task(&mut plans, &index, 1, 9, &facts("t")),
        Err(VerifyError::Plan(PlanError::TaskNotFound { .. }))
    ));
    assert!(matches!(
        verify_task(&mut plans, &index, 7, 1, &facts("t")),
        Err(VerifyError::Plan(PlanError::PlanNotFound(7)))
    ));
    plans.archive_plan(1, None, None).unwrap();
    assert!(matches!(
        verify_task(&mut plans, &index, 1, 1, &facts("t")),
        Err(VerifyError::Plan(PlanError::Archived(1)))
    ));
    assert!(matches!(
        verify_plan(&mut plans, &index, 1, &facts("t")),
        Err(VerifyError::Plan(PlanError::Archived(1)))
    ));
    assert!(plans.runs(1, None).unwrap().is_empty());
}

#[test]
fn a_spec_that_no_longer_validates_is_a_spec_error() {
    let mut plans = plans();
    plans
        .update_task(
            1,
            1,
            &crate::plan::TaskUpdate {
                spec_yaml: Some("refactor_name: x\nrules: 3\n".to_owned()),
                ..Default::default()
            },
        )
        .unwrap();
    let err = verify(&mut plans, &index(&[]), "t").unwrap_err();
    assert!(
        matches!(err, VerifyError::Spec { task_number: 1, .. }),
        "{err}"
    );
}

#[test]
fn verifying_a_plan_runs_every_task_with_a_spec() {
    let mut plans = plans();
    let reports = verify_plan(&mut plans, &index(&[(3, "auth0")]), 1, &facts("t")).unwrap();
    assert_eq!(
        reports.iter().map(|r| r.task_number).collect::<Vec<_>>(),
        [1]
    );
    let mut empty = MemoryPlanStore::new();
    empty.create_plan("p", None, None).unwrap();
    assert!(
        verify_plan(&mut empty, &index(&[]), 1, &facts("t"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_text_report_says_what_changed() {
    let mut plans = plans();
    let first = verify(&mut plans, &index(&[(3, "x = auth0")]), "t1").unwrap();
    let text = first.render_text(false);
    assert!(text.starts_with("Plan 1, task 1: with spec\n"), "{text}");
    assert!(
        text.contains("a.js:3:5  function_call_args  auth0  (term `auth0`)"),
        "{text}"
    );
    assert!(text.contains("First run of this task: 2 findings recorded as the baseline"));
    assert!(
        text.contains("task status: in_progress (was pending); run 1"),
        "{text}"
    );
    let second = verify(&mut plans, &index(&[(3, "x = auth0"), (5, "auth0")]), "t2").unwrap();
    let text = second.render_text(false);
    assert!(text.contains("Since run 1: 1 new, 0 fixed"), "{text}");
    assert!(
        text.contains("  new   a.js:5:1: auth0 [no-auth0]"),
        "{text}"
    );
}

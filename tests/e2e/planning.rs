//! `aud planning`: the whole loop on a real repository, the trail, concurrency and bad input.

use std::process::Stdio;

use aud_tests::Repo;
use serde_json::Value;

/// The auth fixture with plan 1 and task 1 (the auth spec) created.
fn planned() -> Repo {
    plan(Repo::fixture("planning/auth"))
}

/// Creates plan 1 and task 1 (the auth spec) in `repo`.
pub(crate) fn plan(repo: Repo) -> Repo {
    let run = repo.aud(&["planning", "init", "--name", "Auth0 to Cognito"]);
    run.ok();
    assert_eq!(run.stdout.trim(), "1");
    let run = repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Replace the Auth0 client",
        "--spec",
        "specs/auth.yaml",
    ]);
    run.ok();
    assert_eq!(run.stdout.trim(), "1");
    repo
}

/// Runs `verify-task 1 1 --format json` plus `extra` and checks the exit code.
fn verify(repo: &Repo, extra: &[&str], code: i32) -> Value {
    let mut args = vec!["planning", "verify-task", "1", "1", "--format", "json"];
    args.extend_from_slice(extra);
    let run = repo.aud(&args);
    run.code(code);
    run.json()
}

fn task_json(repo: &Repo) -> Value {
    let show = repo.aud(&["planning", "show", "1", "--format", "json"]);
    show.ok();
    show.json()["tasks"][0].clone()
}

fn db(repo: &Repo) -> rusqlite::Connection {
    rusqlite::Connection::open(repo.path().join(".pf/planning.db")).unwrap()
}

#[test]
fn the_whole_loop_from_violations_to_an_audited_archive() {
    let repo = Repo::fixture("planning/auth");
    repo.git(&["init", "-q"]);
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "start"]);
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let repo = plan(repo);

    // Violations: three auth0 calls, two imports, and the expected client is missing.
    let first = verify(&repo, &[], 1);
    assert_eq!(first["audit_status"], "fail");
    assert_eq!(first["plan_id"], 1);
    assert_eq!(first["task_number"], 1);
    assert_eq!(first["regression"], false);
    let total = first["summary"]["total_violations"].as_u64().unwrap();
    assert!(total >= 4, "{first:#}");
    assert_eq!(
        first["rules"][0]["missing_expectations"][0],
        "CognitoClient"
    );
    assert_eq!(first["new"].as_array().unwrap().len() as u64, total);
    assert_eq!(task_json(&repo)["audit_status"], "fail");

    // A partial fix is seen without re-indexing by hand.
    repo.write(
        "src/session.js",
        "import { CognitoClient } from \"cognito\";\n\nexport function refresh(token) {\n  return new CognitoClient().refresh(token);\n}\n",
    );
    let partial = verify(&repo, &["--auto-update"], 1);
    let fewer = partial["summary"]["total_violations"].as_u64().unwrap();
    assert!(fewer < total, "{fewer} >= {total}");
    assert!(partial["new"].as_array().unwrap().is_empty(), "{partial:#}");
    let fixed: Vec<&str> = partial["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(fixed.contains(&"src/session.js"), "{fixed:?}");
    // The missing expectation is met now: it is fixed too.
    assert!(fixed.contains(&""), "{fixed:?}");
    assert_eq!(partial["status"], "in_progress");

    // Text output: totals, per-rule counts, coverage and the diff.
    let text = repo.aud(&["planning", "verify-task", "1", "1", "--verbose"]);
    text.code(1);
    for needle in [
        "FAIL:",
        "remove-auth0 [high]",
        "sites migrated",
        "src/login.js:",
        "Since run 2: 0 new, 0 fixed",
    ] {
        assert!(
            text.stdout.contains(needle),
            "no {needle:?} in\n{}",
            text.stdout
        );
    }

    // The full fix completes the task.
    repo.write(
        "src/login.js",
        "import { CognitoClient } from \"cognito\";\n\nexport function login(user) {\n  return new CognitoClient().login(user);\n}\n",
    );
    let clean = verify(&repo, &["--auto-update"], 0);
    assert_eq!(clean["audit_status"], "pass");
    assert_eq!(clean["status"], "completed");
    assert_eq!(clean["summary"]["total_violations"], 0);
    let task = task_json(&repo);
    assert_eq!(task["status"], "completed");
    assert_eq!(task["last_run"]["sequence"], 4);
    let list = repo
        .aud(&[
            "planning",
            "list",
            "--status",
            "completed",
            "--format",
            "json",
        ])
        .json();
    assert_eq!(list[0]["progress_percent"], 100, "{list:#}");

    // A regression fails the task loudly. The new line is one site (issue 13), however many
    // index tables see it.
    repo.write("src/legacy.js", "const auth0 = require(\"auth0\");\n");
    let regressed = verify(&repo, &["--auto-update"], 1);
    assert_eq!(regressed["regression"], true);
    assert_eq!(regressed["status"], "failed");
    let plan = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    assert_eq!(plan["plan"]["status"], "active");
    let history = repo.aud(&["planning", "show", "1", "--verbose"]);
    history.ok();
    let trend = format!("violations per run: {total} -> {fewer} -> {fewer} -> 0 -> 1");
    assert!(history.stdout.contains(&trend), "{}", history.stdout);
    assert!(!regressed["new"].as_array().unwrap().is_empty());
    let text = repo.aud(&["planning", "verify-task", "1", "1"]);
    text.code(1);
    assert!(text.stdout.contains("REGRESSION"), "{}", text.stdout);

    // Archive: refused without --yes when a task is open and stdin is not a terminal.
    let refused = repo.aud(&["planning", "archive", "1"]);
    refused.code(2);
    assert!(refused.stderr.contains("open task"), "{}", refused.stderr);
    repo.aud(&["planning", "archive", "1", "--yes", "--notes", "done"])
        .ok();
    let plan = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    assert_eq!(plan["plan"]["status"], "archived");
    assert_eq!(plan["plan"]["git_commit"], head.as_str());

    // Immutable in the database itself, and every changing command says so.
    let conn = db(&repo);
    for sql in [
        "UPDATE plan_tasks SET title = 'x' WHERE plan_id = 1",
        "UPDATE plans SET name = 'x' WHERE id = 1",
        "DELETE FROM plan_tasks WHERE plan_id = 1",
        "INSERT INTO plan_phases (plan_id, phase_number, title, created_at) VALUES (1, 9, 't', 'now')",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("archived"), "{sql}: {err}");
    }
    for args in [
        &["planning", "add-job", "1", "1", "--description", "more"][..],
        &["planning", "add-task", "1", "--title", "more"],
        &["planning", "update-task", "1", "1", "--status", "completed"],
        &["planning", "verify-task", "1", "1"],
        &["planning", "archive", "1", "--yes"],
    ] {
        let run = repo.aud(args);
        run.code(2);
        assert!(
            run.stderr
                .contains("plan 1 is archived and cannot be changed"),
            "{args:?}: {}",
            run.stderr
        );
    }

    // The trail is intact...
    let audit = repo.aud(&["planning", "audit", "1"]);
    audit.ok();
    assert!(audit.stdout.contains("intact (6 runs"), "{}", audit.stdout);

    // ...until someone rewrites history behind aud's back (triggers dropped first).
    conn.execute_batch(
        "DROP TRIGGER verification_runs_update; DROP TRIGGER verification_runs_archived_update;
         UPDATE verification_runs SET total_violations = 0 WHERE sequence = 3;",
    )
    .unwrap();
    let audit = repo.aud(&["planning", "audit", "1"]);
    audit.code(1);
    assert!(
        audit.stdout.contains("BROKEN at run 3 of task 1"),
        "{}",
        audit.stdout
    );
    assert!(audit.stdout.contains("altered"), "{}", audit.stdout);
    let json = repo.aud(&["planning", "audit", "1", "--format", "json"]);
    json.code(1);
    assert_eq!(json.json()["reason"], "content_altered");
}

#[test]
fn removing_the_last_run_is_evident() {
    let repo = planned();
    verify(&repo, &[], 1);
    let last = verify(&repo, &[], 1);
    assert_eq!(last["run_hash"].as_str().unwrap().len(), 64);
    repo.aud(&["planning", "audit", "1"]).ok();
    db(&repo)
        .execute_batch(
            "DROP TRIGGER run_findings_delete; DROP TRIGGER verification_runs_delete;
             DELETE FROM run_findings WHERE run_id = 2; DELETE FROM verification_runs WHERE id = 2;",
        )
        .unwrap();
    let audit = repo.aud(&["planning", "audit", "1"]);
    audit.code(1);
    assert!(
        audit.stdout.contains("the plan records 2 runs"),
        "{}",
        audit.stdout
    );
    let json = repo
        .aud(&["planning", "audit", "1", "--format", "json"])
        .json();
    assert_eq!(json["status"], "truncated");
}

#[test]
fn moved_lines_are_neither_new_nor_fixed() {
    let repo = planned();
    verify(&repo, &[], 1);
    let moved = format!("// a header\n// more\n\n{}", repo.read("src/login.js"));
    repo.write("src/login.js", &moved);
    let run = verify(&repo, &[], 1);
    assert!(run["new"].as_array().unwrap().is_empty(), "{run:#}");
    assert!(run["fixed"].as_array().unwrap().is_empty(), "{run:#}");
}

#[test]
fn emit_reads_merges_line_ranges_and_names_the_next_command() {
    let repo = planned();
    let run = repo.aud(&["planning", "verify-task", "1", "1", "--emit-reads"]);
    run.code(1);
    let json = run.json();
    assert_eq!(
        json["next_command"],
        "aud planning verify-task 1 1 --auto-update"
    );
    let reads = json["reads"].as_array().unwrap();
    let login = reads.iter().find(|r| r["file"] == "src/login.js").unwrap();
    // Lines 1, 4 and 8 are within 5 of each other: one range, ending at the last line (9).
    assert_eq!(login["ranges"], serde_json::json!([{"start": 1, "end": 9}]));
    assert!(
        json["guidance"][0]["guidance"]
            .as_str()
            .unwrap()
            .contains("CognitoClient")
    );
}

#[test]
fn sarif_and_junit_reports() {
    let repo = planned();
    let sarif = repo.aud(&["planning", "verify-task", "1", "1", "--format", "sarif"]);
    sarif.code(1);
    let log = sarif.json();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/login.js"
    ));
    let junit = repo.aud(&["planning", "verify", "1", "--format", "junit"]);
    junit.code(1);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert!(
        junit.stdout.contains("<failure message="),
        "{}",
        junit.stdout
    );
}

#[test]
fn verify_runs_every_task_with_a_spec() {
    let repo = planned();
    repo.aud(&["planning", "add-task", "1", "--title", "Docs"])
        .ok();
    let run = repo.aud(&["planning", "verify", "1", "--format", "json"]);
    run.code(1);
    let json = run.json();
    assert_eq!(json["passed"], false);
    assert_eq!(json["tasks"].as_array().unwrap().len(), 1);
    let text = repo.aud(&["planning", "verify", "1"]);
    text.code(1);
    assert!(
        text.stdout.contains("Plan 1: 0 of 1 verified task pass"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_bad_spec_is_refused_with_every_error_and_nothing_is_written() {
    let repo = planned();
    let run = repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Bad",
        "--spec",
        "specs/bad.yaml",
    ]);
    run.code(2);
    assert!(
        run.stderr
            .contains("specs/bad.yaml:5:5: unknown key `mtach`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `match`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("specs/bad.yaml:9:15: unknown severity `urgent`"),
        "{}",
        run.stderr
    );
    let show = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    assert_eq!(show["tasks"].as_array().unwrap().len(), 1);
    let specs: i64 = db(&repo)
        .query_row("SELECT count(*) FROM plan_specs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(specs, 1);

    // Replacing a task's spec is validated the same way.
    let run = repo.aud(&[
        "planning",
        "update-task",
        "1",
        "1",
        "--spec",
        "specs/bad.yaml",
    ]);
    run.code(2);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    repo.write(
        "specs/v2.yaml",
        "refactor_name: v2\nrules:\n  - id: no-login\n    description: d\n    match:\n      identifiers: [nothing_like_this]\n",
    );
    repo.aud(&[
        "planning",
        "update-task",
        "1",
        "1",
        "--spec",
        "specs/v2.yaml",
    ])
    .ok();
    let json = verify(&repo, &[], 0);
    assert_eq!(json["spec"]["name"], "v2");
}

#[test]
fn errors_name_the_missing_thing() {
    let repo = planned();
    repo.aud(&["planning", "add-task", "1", "--title", "No spec"])
        .ok();
    for (args, message) in [
        (&["planning", "show", "7"][..], "plan 7 does not exist"),
        (
            &["planning", "verify-task", "1", "2"],
            "task 2 of plan 1 has no spec",
        ),
        (
            &["planning", "verify-task", "1", "9"],
            "task 9 of plan 1 does not exist",
        ),
        (
            &["planning", "complete-job", "1", "1", "4"],
            "job 4 of task 1 of plan 1 does not exist",
        ),
        (
            &["planning", "add-task", "1", "--title", "x", "--phase", "3"],
            "phase 3 of plan 1 does not exist",
        ),
        (
            &["planning", "update-task", "1", "1", "--status", "done"],
            "unknown task status `done`",
        ),
    ] {
        let run = repo.aud(args);
        run.code(2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn phases_jobs_and_updates_show_up() {
    let repo = planned();
    repo.aud(&[
        "planning",
        "add-phase",
        "1",
        "--phase-number",
        "1",
        "--title",
        "Backend",
        "--success-criteria",
        "no auth0",
    ])
    .ok();
    repo.aud(&[
        "planning",
        "add-phase",
        "1",
        "--phase-number",
        "1",
        "--title",
        "Again",
    ])
    .code(2);
    repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Frontend",
        "--phase",
        "1",
        "--assigned-to",
        "alice",
    ])
    .ok();
    repo.aud(&[
        "planning",
        "add-job",
        "1",
        "2",
        "--description",
        "swap the button",
    ])
    .ok();
    repo.aud(&[
        "planning",
        "add-job",
        "1",
        "2",
        "--description",
        "check",
        "--is-audit",
    ])
    .ok();
    repo.aud(&["planning", "complete-job", "1", "2", "1"]).ok();
    repo.aud(&[
        "planning",
        "update-task",
        "1",
        "2",
        "--status",
        "in_progress",
        "--assigned-to",
        "bob",
    ])
    .ok();
    let show = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    let task = &show["tasks"][1];
    assert_eq!(task["phase"], 1);
    assert_eq!(task["status"], "in_progress");
    assert_eq!(task["assigned_to"], "bob");
    assert_eq!(task["jobs"][0]["completed"], true);
    assert_eq!(task["jobs"][1]["is_audit_job"], true);
    assert_eq!(show["phases"][0]["success_criteria"], "no auth0");
    let text = repo.aud(&["planning", "show", "1", "--format", "phases", "--verbose"]);
    text.ok();
    assert!(text.stdout.contains("Phase 1: Backend"), "{}", text.stdout);
    assert!(
        text.stdout.contains("[x] 1. swap the button"),
        "{}",
        text.stdout
    );
    let list = repo.aud(&["planning", "list", "--format", "json"]).json();
    assert_eq!(list[0]["tasks_total"], 2);
    assert_eq!(list[0]["status"], "active");
    let none = repo
        .aud(&[
            "planning", "list", "--status", "archived", "--format", "json",
        ])
        .json();
    assert_eq!(none, serde_json::json!([]));
}

#[test]
fn twelve_parallel_add_jobs_all_succeed() {
    let repo = planned();
    let children: Vec<_> = (0..12)
        .map(|i| {
            repo.aud_cmd(&[
                "planning",
                "add-job",
                "1",
                "1",
                "--description",
                &format!("job {i}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let show = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    let numbers: Vec<u64> = show["tasks"][0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
}

#[test]
fn processes_killed_mid_command_leave_the_database_consistent() {
    let repo = planned();
    let mut children: Vec<_> = (0..12)
        .map(|i| {
            repo.aud_cmd(&[
                "planning",
                "add-job",
                "1",
                "1",
                "--description",
                &format!("job {i}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children.iter_mut().step_by(2) {
        let _ = child.kill();
    }
    for mut child in children {
        let _ = child.wait();
    }
    let integrity: String = db(&repo)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let show = repo
        .aud(&["planning", "show", "1", "--format", "json"])
        .json();
    let numbers: Vec<u64> = show["tasks"][0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_number"].as_u64().unwrap())
        .collect();
    // Whatever got in is numbered without gaps, and the next write still works.
    assert!(numbers.len() >= 6, "{numbers:?}");
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    repo.aud(&["planning", "add-job", "1", "1", "--description", "after"])
        .ok();
    repo.aud(&["planning", "audit", "1"]).ok();
}

#[test]
fn a_corrupt_or_newer_database_is_named_not_panicked_on() {
    let repo = Repo::new();
    repo.write(".pf/planning.db", &"this is not sqlite\n".repeat(200));
    let run = repo.aud(&["planning", "list"]);
    run.code(2);
    assert!(run.stderr.contains(".pf/planning.db"), "{}", run.stderr);
    assert!(
        run.stderr.contains("not a valid planning database"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    // Damaged pages inside a real planning database.
    let repo = planned();
    for i in 0..30 {
        let title = format!("task {i} {}", "x".repeat(300));
        repo.aud(&["planning", "add-task", "1", "--title", &title])
            .ok();
    }
    db(&repo)
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let path = repo.path().join(".pf/planning.db");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8192..16384].fill(0xff);
    std::fs::write(&path, bytes).unwrap();
    let run = repo.aud(&["planning", "show", "1"]);
    run.code(2);
    assert!(
        run.stderr.contains(".pf/planning.db is damaged"),
        "{}",
        run.stderr
    );

    let repo = Repo::new();
    std::fs::create_dir_all(repo.path().join(".pf")).unwrap();
    rusqlite::Connection::open(repo.path().join(".pf/planning.db"))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let run = repo.aud(&["planning", "init", "--name", "x"]);
    run.code(2);
    assert!(
        run.stderr
            .contains(".pf/planning.db was written by a newer aud"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_planning_command_has_help_with_examples() {
    let repo = Repo::new();
    for cmd in [
        "init",
        "list",
        "show",
        "add-phase",
        "add-task",
        "add-job",
        "complete-job",
        "update-task",
        "verify-task",
        "verify",
        "archive",
        "audit",
    ] {
        let run = repo.aud(&["planning", cmd, "--help"]);
        run.ok();
        assert!(run.stdout.contains("Examples:"), "{cmd}:\n{}", run.stdout);
    }
}

#[test]
fn commands_find_the_plan_from_a_subdirectory_or_with_root() {
    let repo = planned();
    let sub = repo.path().join("src");
    let out = repo
        .aud_cmd(&["planning", "show", "1", "--format", "json"])
        .current_dir(&sub)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elsewhere = Repo::new();
    let root = repo.path().to_str().unwrap();
    let run = elsewhere.aud(&[
        "--root", root, "planning", "init", "--name", "second", "--format", "json",
    ]);
    run.ok();
    assert_eq!(run.json()["id"], 2);
    assert!(!elsewhere.path().join(".pf").exists());
}

#[test]
fn a_task_spanning_five_languages_is_verified_done_by_the_code() {
    let repo = Repo::fixture("polyglot");
    repo.aud(&["planning", "init", "--name", "Retire legacy billing"])
        .ok();
    repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Rename legacy billing everywhere",
        "--spec",
        "specs/legacy-billing.yaml",
    ])
    .ok();
    let first = verify(&repo, &[], 1);
    assert_eq!(first["audit_status"], "fail");
    let files: std::collections::BTreeSet<&str> = first["rules"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        [
            "go/main.go",
            "rust/src/lib.rs",
            "svc/billing.py",
            "web/app.js",
            "web/billing.ts"
        ]
    );

    crate::refactor::migrate_polyglot(&repo);
    let done = verify(&repo, &[], 0);
    assert_eq!(done["audit_status"], "pass", "{done:#}");
    assert!(done["new"].as_array().unwrap().is_empty());
    assert!(!done["fixed"].as_array().unwrap().is_empty());
}

/// Issue 13: a failed verification keeps the code it failed on once; re-verifying the same tree
/// adds runs but no checkpoint, and a changed tree gets one again.
#[test]
fn issue_13_an_unchanged_failed_verify_takes_no_new_checkpoint() {
    let repo = planned();
    let checkpoints = |repo: &Repo| -> i64 {
        db(repo)
            .query_row(
                "SELECT count(*) FROM code_snapshots WHERE checkpoint_name = 'verify-task-1-failed'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    verify(&repo, &[], 1);
    assert_eq!(checkpoints(&repo), 1);
    let again = verify(&repo, &[], 1);
    assert_eq!(again["run"], 2);
    assert_eq!(checkpoints(&repo), 1, "the tree did not change");
    repo.write("src/extra.js", "const auth0 = require('auth0');\n");
    verify(&repo, &[], 1);
    assert_eq!(checkpoints(&repo), 2, "the tree changed");
}

/// Issue 13: a finding is one site; its JSON has the column span and every source and term.
#[test]
fn issue_13_findings_are_sites_with_columns_sources_and_terms() {
    let repo = planned();
    let report = verify(&repo, &[], 1);
    let violations = report["rules"][0]["violations"].as_array().unwrap();
    assert!(!violations.is_empty());
    let mut places = std::collections::BTreeSet::new();
    for v in violations {
        let sources = v["sources"].as_array().unwrap();
        assert_eq!(v["source"], sources[0], "{v}");
        assert_eq!(v["term"], v["terms"][0], "{v}");
        let (column, end) = (
            v["column"].as_u64().unwrap(),
            v["end_column"].as_u64().unwrap(),
        );
        assert!(column >= 1 && end > column, "{v}");
        let place = (
            v["file"].as_str().unwrap().to_owned(),
            v["line"].as_u64().unwrap(),
            column,
            end,
        );
        assert!(places.insert(place), "one finding per site: {v}");
    }
    // The recorded run counts the same sites.
    assert_eq!(
        report["new"].as_array().unwrap().len(),
        report["summary"]["total_violations"].as_u64().unwrap() as usize
    );
}

//! `aud refactor`: a spec evaluated against the refreshed index, end to end.

use aud_tests::{Repo, original_examples_dir};

const SPEC: &str = r#"refactor_name: Auth0 to Cognito
rules:
  - id: auth0-gone
    description: Auth0 client is replaced by Cognito
    severity: high
    match:
      identifiers: [AuthenticationClient]
    expect:
      identifiers: [CognitoClient]
    scope:
      include: ["src/**"]
"#;

fn auth_repo() -> Repo {
    let repo = Repo::new();
    repo.write("spec.yaml", SPEC)
        .write(
            "src/a.js",
            "const { AuthenticationClient } = require('auth0');\nconst c = new AuthenticationClient({});\n",
        )
        .write("src/b.js", "function ok() { return 1; }\n")
        // Out of scope: never reported.
        .write("scripts/old.js", "new AuthenticationClient();\n");
    repo
}

#[test]
fn violations_exit_1_and_fixing_the_code_passes_without_a_manual_reindex() {
    let repo = auth_repo();
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--format", "json"]);
    run.code(1);
    let json = run.json();
    let rule = &json["rules"][0];
    assert_eq!(rule["status"], "needs_migration");
    assert_eq!(rule["missing_expectations"][0], "CognitoClient");
    let files: Vec<&str> = rule["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap())
        .collect();
    assert!(files.iter().all(|f| *f == "src/a.js"), "{files:?}");
    assert_eq!(json["index"]["files_indexed"], 3);
    let total = json["summary"]["total_violations"].as_u64().unwrap();
    assert_eq!(
        total as usize,
        rule["violations"].as_array().unwrap().len() + 1
    );

    // The fix lands; no `aud index` in between.
    repo.write(
        "src/a.js",
        "const { CognitoClient } = require('@aws-sdk/client-cognito-identity-provider');\n",
    );
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--format", "json"]);
    run.ok();
    assert_eq!(run.json()["rules"][0]["status"], "clean");
}

#[test]
fn text_report_names_sites_and_totals() {
    let repo = auth_repo();
    let run = repo.aud(&["refactor", "--file", "spec.yaml"]);
    run.code(1);
    assert!(run.stdout.contains("src/a.js:2"), "{}", run.stdout);
    assert!(run.stdout.contains("missing expectation: `CognitoClient`"));
    assert!(run.stdout.contains("FAIL:"));
    assert!(!run.stdout.contains("scripts/old.js"));
}

#[test]
fn a_bad_spec_is_refused_with_every_error_and_its_line() {
    let repo = auth_repo();
    repo.write(
        "bad.yaml",
        "refactor_name: x\nrules:\n  - id: r\n    description: d\n    mtach: {identifiers: [a]}\n    severity: urgent\n",
    );
    let run = repo.aud(&["refactor", "--file", "bad.yaml"]);
    run.code(2);
    assert!(
        run.stderr.contains("bad.yaml:5:5: unknown key `mtach`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("did you mean `match`?"));
    assert!(
        run.stderr
            .contains("bad.yaml:6:15: unknown severity `urgent`")
    );
    assert!(run.stdout.is_empty());
    // Nothing was indexed for a spec that could not be read.
    assert!(!repo.path().join(".pf").exists());
}

#[test]
fn missing_spec_and_missing_index_are_errors() {
    let repo = auth_repo();
    let run = repo.aud(&["refactor", "--file", "nope.yaml"]);
    run.code(2);
    assert!(
        run.stderr.contains("cannot read spec nope.yaml"),
        "{}",
        run.stderr
    );
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--no-refresh"]);
    run.code(2);
    assert!(
        run.stderr.contains("run `aud index` first"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_only_and_output_file() {
    let repo = auth_repo();
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--validate-only"]);
    run.ok();
    assert!(
        run.stdout.contains("valid (1 rule, 2 terms)"),
        "{}",
        run.stdout
    );

    let run = repo.aud(&[
        "refactor",
        "--file",
        "spec.yaml",
        "--format",
        "sarif",
        "--output",
        "out/aud.sarif",
    ]);
    // The directory does not exist: a clear error, no stray file.
    run.code(2);
    std::fs::create_dir(repo.path().join("out")).unwrap();
    let run = repo.aud(&[
        "refactor",
        "--file",
        "spec.yaml",
        "--format",
        "sarif",
        "--output",
        "out/aud.sarif",
    ]);
    run.code(1);
    assert!(run.stdout.is_empty());
    let sarif: serde_json::Value = serde_json::from_str(&repo.read("out/aud.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let leftovers: Vec<_> = std::fs::read_dir(repo.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// The original tool's five published specs load unchanged (compatibility set kept outside
/// the repository, beside it, in ../shared/reference).
#[test]
fn the_originals_published_specs_validate() {
    let dir = original_examples_dir();
    if !dir.is_dir() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let repo = Repo::new();
    for name in [
        "api_versioning.yaml",
        "auth_migration.yaml",
        "jwt_migration.yaml",
        "model_rename.yaml",
        "plantflow_profile.yaml",
    ] {
        let path = dir.join(name);
        let run = repo.aud(&[
            "refactor",
            "--file",
            path.to_str().unwrap(),
            "--validate-only",
        ]);
        run.ok();
        // And they evaluate (against an empty repository: every `expect` is missing).
        let run = repo.aud(&[
            "refactor",
            "--file",
            path.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(run.code == 0 || run.code == 1, "{name}: {}", run.stderr);
        assert!(run.json()["summary"]["total_rules"].as_u64().unwrap() > 0);
    }
}

#[test]
fn one_spec_spans_javascript_typescript_python_go_and_rust() {
    let repo = Repo::fixture("polyglot");
    let spec = "specs/legacy-billing.yaml";
    let run = repo.aud(&["refactor", "--file", spec, "--format", "json"]);
    run.code(1);
    let json = run.json();
    assert_eq!(json["index"]["files_indexed"], 5, "{json:#}");
    let rule = &json["rules"][0];
    let mut sites: Vec<(String, String)> = rule["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["file"].as_str().unwrap().to_owned(),
                v["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    sites.sort();
    sites.dedup();
    for (file, source) in [
        ("web/app.js", "api_endpoints"),
        // `legacy_total` is one name: found among the names, at the name itself.
        ("web/app.js", "names"),
        ("web/billing.ts", "names"),
        ("svc/billing.py", "sql_query_tables"),
        ("go/main.go", "api_endpoints"),
        ("go/main.go", "names"),
        ("rust/src/lib.rs", "sql_query_tables"),
    ] {
        assert!(
            sites.contains(&(file.to_owned(), source.to_owned())),
            "{file} {source} not in {sites:?}"
        );
    }
    assert_eq!(rule["missing_expectations"][0], "billing_total");

    // The migration lands in every language; no `aud index` in between.
    migrate_polyglot(&repo);
    let run = repo.aud(&["refactor", "--file", spec, "--format", "json"]);
    run.ok();
    assert_eq!(run.json()["rules"][0]["status"], "clean");
}

/// Renames legacy billing to billing in every file of the polyglot fixture.
pub fn migrate_polyglot(repo: &Repo) {
    for file in [
        "web/app.js",
        "web/billing.ts",
        "svc/billing.py",
        "go/main.go",
        "rust/src/lib.rs",
    ] {
        let migrated = repo.read(file).replace("legacy", "billing");
        repo.write(file, &migrated);
    }
}

/// Issue 12: a FastAPI route whose prefix is mounted in another file, from a settings class,
/// is found by its full path; the spec passes only once the route is gone.
#[test]
fn issue_12_a_route_is_matched_by_the_full_path_its_mounts_give_it() {
    let repo = Repo::fixture("index/routes");
    repo.write(
        "spec.yaml",
        r#"refactor_name: Retire the v1 items API
rules:
  - id: items-v1-gone
    description: /api/v1/items is no longer served
    severity: high
    match:
      api_routes: ['/api/v1/items']
"#,
    );
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--format", "json"]);
    run.code(1);
    let json = run.json();
    let rule = &json["rules"][0];
    assert_eq!(rule["status"], "needs_migration", "{json:#}");
    let files: Vec<&str> = rule["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap())
        .collect();
    assert!(
        !files.is_empty()
            && files
                .iter()
                .all(|f| *f == "fastapi/app/api/routes/items.py"),
        "{files:?}"
    );

    // `aud query --api` shows how the path was assembled.
    let query = repo.aud(&["query", "--api", "/api/v1/items/", "--no-refresh"]);
    query.ok();
    assert!(
        query
            .stdout
            .contains("mounted at fastapi/app/main.py:7 /api/v1 (settings.API_V1_STR)"),
        "{}",
        query.stdout
    );

    // The routes go; the router file stays.
    repo.write(
        "fastapi/app/api/routes/items.py",
        "from fastapi import APIRouter\n\nrouter = APIRouter(prefix=\"/items\")\n",
    );
    let run = repo.aud(&["refactor", "--file", "spec.yaml", "--format", "json"]);
    run.ok();
    assert_eq!(run.json()["rules"][0]["status"], "clean");
}

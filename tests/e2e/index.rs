//! `aud index` and `aud query` on real temporary repositories.

use aud_tests::Repo;
use serde_json::Value;

fn rows(report: &Value, table: &str) -> u64 {
    report["rows"][table].as_u64().unwrap_or_default()
}

fn index_json(repo: &Repo, extra: &[&str]) -> Value {
    let mut args = vec!["index", "--format", "json"];
    args.extend_from_slice(extra);
    let run = repo.aud(&args);
    run.ok();
    run.json()
}

fn query_json(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["query", "--format", "json"];
    all.extend_from_slice(args);
    let run = repo.aud(&all);
    run.ok();
    run.json()
}

#[test]
fn indexes_the_js_fixture_and_reports_skips_and_syntax_errors() {
    let repo = Repo::fixture("index/js");
    repo.write("generated/out.js", "const ignored = require('ignored');\n");
    let report = index_json(&repo, &[]);
    assert_eq!(report["files_indexed"], 4, "{report:#}");
    assert_eq!(report["skipped"][0]["path"], "blob.js");
    assert_eq!(report["skipped"][0]["reason"], "binary");
    assert_eq!(report["parse_errors"][0], "src/broken.js");
    assert_eq!(rows(&report, "api_endpoints"), 7);
    assert!(repo.path().join(".pf/repo_index.db").is_file());

    let text = repo.aud(&["index"]);
    text.ok();
    assert!(text.stdout.contains("Indexed 4 files"), "{}", text.stdout);
    assert!(text.stdout.contains("blob.js (binary)"), "{}", text.stdout);
}

#[test]
fn refresh_after_one_edit_reextracts_only_that_file() {
    let repo = Repo::fixture("index/python");
    let first = index_json(&repo, &[]);
    assert_eq!(first["files_new"], 5, "{first:#}");

    let second = index_json(&repo, &[]);
    assert_eq!(second["files_extracted"], 0);
    assert_eq!(second["files_unchanged"], 5);

    repo.write("api/items.py", "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/only')\ndef only(): ...\n");
    let third = index_json(&repo, &[]);
    assert_eq!(third["files_reindexed"], 1, "{third:#}");
    assert_eq!(third["files_unchanged"], 4);
    let api = query_json(&repo, &["--api", "*"]);
    let paths: Vec<&str> = api["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"] == "api/items.py")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/only"]);
}

#[test]
fn deleting_a_file_removes_its_rows() {
    let repo = Repo::fixture("index/ts");
    index_json(&repo, &[]);
    assert_eq!(
        query_json(&repo, &["--symbol", "UserService"])["results"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    repo.remove("src/service.ts");
    let report = index_json(&repo, &[]);
    assert_eq!(report["files_removed"], 1);
    assert_eq!(report["files_indexed"], 2);
    let after = query_json(&repo, &["--symbol", "UserService"]);
    assert!(after["results"].as_array().unwrap().is_empty(), "{after:#}");
}

#[test]
fn full_rebuild_extracts_everything_again() {
    let repo = Repo::fixture("index/ts");
    index_json(&repo, &[]);
    let full = index_json(&repo, &["--full"]);
    assert_eq!(full["full"], true);
    assert_eq!(full["files_new"], 3);
    assert_eq!(full["files_unchanged"], 0);
}

#[test]
fn oversized_and_non_utf8_files_are_skipped_with_reasons() {
    let repo = Repo::new();
    repo.write("small.js", "const a = 1;\n");
    repo.write("big.js", &"const b = 2;\n".repeat(100));
    std::fs::write(repo.path().join("latin1.py"), b"name = 'caf\xe9'\n").unwrap();
    let report = index_json(&repo, &["--max-file-bytes", "200"]);
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("big.js".to_owned(), "too_large".to_owned()),
            ("latin1.py".to_owned(), "not_utf8".to_owned())
        ]
    );
    assert_eq!(report["files_indexed"], 1);
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_trap_the_walk() {
    let repo = Repo::new();
    repo.write("src/a.js", "export const a = 1;\n");
    std::os::unix::fs::symlink(repo.path(), repo.path().join("src/loop")).unwrap();
    std::os::unix::fs::symlink(repo.path().join("src/a.js"), repo.path().join("b.js")).unwrap();
    let report = index_json(&repo, &[]);
    assert_eq!(report["files_indexed"], 1);
}

#[test]
fn a_corrupt_index_is_an_error_naming_the_file() {
    let repo = Repo::new();
    repo.write("a.js", "const a = 1;\n");
    repo.write(
        ".pf/repo_index.db",
        "this is not sqlite, not at all, definitely not a database file",
    );
    let run = repo.aud(&["index"]);
    run.code(2);
    assert!(run.stderr.contains("repo_index.db"), "{}", run.stderr);
    // A full rebuild replaces it.
    let report = index_json(&repo, &["--full"]);
    assert_eq!(report["files_indexed"], 1);
    assert!(!repo.path().join(".pf/repo_index.db.tmp").exists());
    index_json(&repo, &[]);
}

#[test]
fn query_finds_symbols_callers_components_and_routes() {
    let repo = Repo::fixture("index/js");
    let symbols = query_json(&repo, &["--symbol", "Auth*"]);
    let names: Vec<&str> = symbols["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["AuthenticationClient", "AUTH0_DOMAIN", "AuthService"]
    );

    let callers = query_json(&repo, &["--callers", "sign"]);
    assert_eq!(callers["results"][0]["name"], "jwt.sign");
    assert_eq!(callers["results"][0]["detail"], "from AuthService.login");

    let components = query_json(&repo, &["--component", "LegacyButton"]);
    assert_eq!(components["results"][0]["file"], "src/Button.jsx");

    let text = repo.aud(&["query", "--api", "/users/*"]);
    text.ok();
    // `router` is mounted at `/api` (issue 12): the full path, found by the declared one too.
    assert!(
        text.stdout
            .contains("src/routes.js:9  PUT  /api/users/:id  (updateUser (express))\n    declared as /users/:id\n    mounted at src/routes.js:16 /api"),
        "{}",
        text.stdout
    );

    repo.aud(&["query"]).code(2);
    repo.aud(&["query", "--symbol", ""]).code(2);
    repo.aud(&["query", "--symbol", "a", "--api", "b"]).code(2);
}

#[test]
fn query_follows_imports_both_ways() {
    let repo = Repo::fixture("index/js");
    let deps = query_json(&repo, &["--dependencies", "./src/routes.js"]);
    let modules: Vec<&str> = deps["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(modules, ["express", "./auth"]);

    let dependents = query_json(&repo, &["--dependents", "auth"]);
    let files: Vec<&str> = dependents["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["src/routes.js"]);
}

#[test]
fn indexes_go_and_rust_with_routes_queries_and_callers() {
    let repo = Repo::fixture("index/go");
    let report = index_json(&repo, &[]);
    assert_eq!(report["files_indexed"], 6, "{report:#}");
    assert_eq!(report["parse_errors"][0], "broken.go");
    assert_eq!(rows(&report, "api_endpoints"), 13);
    let api = query_json(&repo, &["--api", "/api/v1/admin/*"]);
    let routes: Vec<&str> = api["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        routes,
        ["/api/v1/admin/orders/:id", "/api/v1/admin/orders/:id"]
    );
    let callers = query_json(&repo, &["--callers", "legacy_total"]);
    let mut from: Vec<&str> = callers["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"].as_str().unwrap())
        .collect();
    from.sort_unstable();
    assert_eq!(from, ["from handlers.createUser", "from stillIndexed"]);

    let repo = Repo::fixture("index/rust");
    let report = index_json(&repo, &[]);
    assert_eq!(report["files_indexed"], 6, "{report:#}");
    assert_eq!(report["parse_errors"][0], "src/broken.rs");
    let symbols = query_json(&repo, &["--symbol", "Ledger*"]);
    assert!(
        symbols["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["file"] == "src/db/mod.rs"),
        "{symbols:#}"
    );
    let text = repo.aud(&["query", "--api", "/legacy/*"]);
    text.ok();
    assert!(
        text.stdout
            .contains("src/db/legacy.rs:6  GET  /legacy/export/{year}"),
        "{}",
        text.stdout
    );
}

//! Hostile input to the indexer (issue 19, "Verdicts must be true"): sources nested thousands of
//! levels deep, edits that keep a file's size and modification time, files swapped for FIFOs
//! or device links between the walk and the read, and files whose index would not fit in
//! memory. Every run must finish, say what it left out and never report stale code.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aud_tests::{Repo, Run};
use serde_json::Value;

/// How long a run may take before the test calls it hung (a hang guard, not a speed check).
const GUARD: Duration = Duration::from_secs(300);

/// Links in the chains of the original report: 20,000 `.b`, 40 KB of JavaScript.
const LINKS: usize = 20_000;

/// `s` repeated `n` times.
fn rep(s: &str, n: usize) -> String {
    s.repeat(n)
}

/// One deeply nested expression of each shape, as a statement of `lang` (its extension).
fn deep(lang: &str, shape: &str, n: usize) -> String {
    let expr = match shape {
        "member" => format!("a{}", rep(".b", n)),
        "fluent" => format!("a{}", rep(".b()", n)),
        "call" => format!("{}x{}", rep("f(", n), rep(")", n)),
        "array" => format!("{}1{}", rep("[", n), rep("]", n)),
        "paren" => format!("{}1{}", rep("(", n), rep(")", n)),
        "binary" => format!("x{}", rep(" + x", n)),
        "concat" => format!("\"SELECT * FROM users\"{}", rep(" + \"x\"", n)),
        "unary" if lang == "py" => format!("{}x", rep("not ", n)),
        "unary" => format!("{}x", rep("!", n)),
        _ => unreachable!("no shape {shape}"),
    };
    match lang {
        "js" | "ts" => format!("const deep = {expr};\nfunction survivor() {{}}\n"),
        "py" => format!("deep = {expr}\ndef survivor():\n    pass\n"),
        "go" => format!(
            "package p\n\nfunc f() {{\n\tdeep := {expr}\n\t_ = deep\n}}\n\nfunc survivor() {{}}\n"
        ),
        "rs" => format!("fn f() {{\n    let deep = {expr};\n}}\n\nfn survivor() {{}}\n"),
        _ => unreachable!("no language {lang}"),
    }
}

/// Language-specific nestings: statements, closures, literals, macros.
fn deep_specials(n: usize) -> Vec<(String, String)> {
    vec![
        (
            "js_else_if.js".into(),
            format!("{}{{}}\n", rep("if (a) {} else ", n)),
        ),
        (
            "js_arrows.js".into(),
            format!("x = {}1;\n", rep("() => ", n)),
        ),
        (
            "js_object.js".into(),
            format!("x = {}1{};\n", rep("{a: ", n), rep("}", n)),
        ),
        ("js_assign.js".into(), format!("{}1;\n", rep("a = ", n))),
        (
            "js_require.js".into(),
            format!("const m = require('m'){};\n", rep(".b", n)),
        ),
        (
            "js_template.js".into(),
            format!("x = {}1{};\n", rep("`${", n), rep("}`", n)),
        ),
        (
            "tsx_jsx.tsx".into(),
            format!("x = {}{};\n", rep("<a>", n), rep("</a>", n)),
        ),
        (
            "py_lambda.py".into(),
            format!("x = {}1\n", rep("lambda: ", n)),
        ),
        (
            "py_dict.py".into(),
            format!("x = {}1{}\n", rep("{1: ", n), rep("}", n)),
        ),
        (
            "go_composite.go".into(),
            format!("package p\n\nvar x = []any{}{}\n", rep("{", n), rep("}", n)),
        ),
        (
            "rs_macro.rs".into(),
            format!("fn f() {{ m!({}{}); }}\n", rep("(", n), rep(")", n)),
        ),
        (
            "rs_try.rs".into(),
            format!("fn f() {{ let x = a{}; }}\n", rep("?", n)),
        ),
        (
            "rs_closure.rs".into(),
            format!("fn f() {{ let x = {}1; }}\n", rep("|| ", n)),
        ),
        (
            "rs_block.rs".into(),
            format!("fn f() {}{}\n", rep("{", n), rep("}", n)),
        ),
    ]
}

/// `SELECT path, parse_status FROM files` of the repository's index.
fn statuses(repo: &Repo) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(repo.path().join(".pf/repo_index.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT path, parse_status FROM files ORDER BY path")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The file's `parse_status`, failing when it is not indexed.
fn status_of(statuses: &[(String, String)], path: &str) -> String {
    statuses
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("{path} is not in `files`: {statuses:?}"))
}

/// The paths listed under `key` of an index report.
fn listed(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` list in {report}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Whether `run` died of a signal or a crash rather than answering.
fn crashed(run: &Run) -> bool {
    !(0..=2).contains(&run.code) || run.stderr.contains("overflow")
}

#[test]
fn issue_19_1_a_20000_link_member_chain_is_indexed_partially_and_verdicts_still_come() {
    let repo = Repo::new();
    repo.write("src/chain.js", &deep("js", "member", LINKS))
        .write("src/chain.ts", &deep("ts", "member", LINKS))
        .write("src/shallow.js", &deep("js", "member", 50))
        .write("src/auth.js", "const client = new AuthenticationClient();\n")
        .write(
            "specs/auth.yaml",
            "refactor_name: auth\nrules:\n  - id: auth0\n    description: Auth0 is gone\n    match:\n      identifiers: [AuthenticationClient]\n",
        );
    assert!(repo.read("src/chain.js").len() >= 40_000);

    let run = repo.aud_guarded(&["index", "--format", "json"], GUARD);
    assert!(!crashed(&run), "aud index crashed: {run:?}");
    run.ok();
    let report = run.json();
    assert_eq!(
        listed(&report, "partial"),
        ["src/chain.js", "src/chain.ts"],
        "the cut files are reported, the shallow one is not"
    );
    let statuses = statuses(&repo);
    assert_eq!(status_of(&statuses, "src/chain.js"), "partial");
    assert_eq!(status_of(&statuses, "src/chain.ts"), "partial");
    assert_eq!(status_of(&statuses, "src/shallow.js"), "ok");
    let text = repo.aud_guarded(&["index", "--full"], GUARD);
    text.ok();
    assert!(
        text.stdout.contains("Partially indexed 2 files") && text.stdout.contains("src/chain.js"),
        "the text summary names the partial files:\n{}",
        text.stdout
    );

    // What is beside the hostile file is still indexed: the symbol after the chain, and the
    // other files, so verdicts are given.
    let query = repo.aud_guarded(
        &["query", "--symbol", "survivor", "--format", "json"],
        GUARD,
    );
    query.ok();
    for file in ["src/chain.js", "src/chain.ts", "src/shallow.js"] {
        assert!(
            query.stdout.contains(file),
            "survivor in {file}: {}",
            query.stdout
        );
    }
    let refactor = repo.aud_guarded(&["refactor", "--file", "specs/auth.yaml"], GUARD);
    assert!(!crashed(&refactor), "refactor crashed: {refactor:?}");
    refactor.code(1);
    assert!(
        refactor.stdout.contains("src/auth.js"),
        "{}",
        refactor.stdout
    );

    let repo = crate::planning::plan(repo);
    repo.write("src/chain2.js", &deep("js", "member", LINKS));
    let verify = repo.aud_guarded(&["planning", "verify-task", "1", "1"], GUARD);
    assert!(!crashed(&verify), "verify-task crashed: {verify:?}");
    verify.code(1);
}

#[test]
fn issue_19_1_every_deep_nesting_in_every_language_is_indexed_not_crashed_on() {
    let repo = Repo::new();
    let mut files = Vec::new();
    for lang in ["js", "ts", "py", "go", "rs"] {
        for shape in [
            "member", "fluent", "call", "array", "paren", "binary", "concat", "unary",
        ] {
            let path = format!("src/{lang}_{shape}.{lang}");
            repo.write(&path, &deep(lang, shape, LINKS));
            files.push(path);
        }
    }
    for (name, text) in deep_specials(LINKS) {
        let path = format!("src/{name}");
        repo.write(&path, &text);
        files.push(path);
    }
    let run = repo.aud_guarded(&["index", "--format", "json"], GUARD);
    assert!(!crashed(&run), "aud index crashed: {run:?}");
    run.ok();
    let report = run.json();
    assert_eq!(
        report["skipped"],
        serde_json::json!([]),
        "nothing is skipped"
    );
    let statuses = statuses(&repo);
    let partial = listed(&report, "partial");
    for file in &files {
        let status = status_of(&statuses, file);
        assert!(
            ["ok", "partial", "syntax_errors"].contains(&status.as_str()),
            "{file}: {status}"
        );
        assert_eq!(
            status == "partial",
            partial.contains(file),
            "{file} is reported partial exactly when it is stored so"
        );
    }
    // The member chain of every language is longer than any bound: it is cut, and says so.
    for lang in ["js", "ts", "py", "go", "rs"] {
        let file = format!("src/{lang}_member.{lang}");
        assert_eq!(status_of(&statuses, &file), "partial", "{file}");
    }
    // The symbol after each expression survives the cut.
    let query = repo.aud_guarded(
        &["query", "--symbol", "survivor", "--format", "json"],
        GUARD,
    );
    query.ok();
    for lang in ["js", "ts", "py", "go", "rs"] {
        let file = format!("src/{lang}_member.{lang}");
        assert!(query.stdout.contains(&file), "survivor in {file}");
    }
}

#[test]
fn issue_19_1_the_wasi_module_reports_deep_nesting_instead_of_trapping() {
    let native = Repo::new();
    let sandboxed = Repo::new();
    for repo in [&native, &sandboxed] {
        repo.write("src/chain.js", &deep("js", "member", LINKS))
            .write("src/call.py", &deep("py", "call", LINKS))
            .write("src/paren.go", &deep("go", "paren", LINKS))
            .write("src/macro.rs", &deep_specials(LINKS)[10].1)
            .write("src/concat.ts", &deep("ts", "concat", LINKS))
            .write("src/ok.js", "function survivor() {}\n");
    }
    let w = crate::wasi::wasi(&sandboxed, &["index", "--format", "json"]);
    assert!(!crashed(&w), "aud-wasi crashed: {w:?}");
    w.ok();
    let n = native.aud_guarded(&["index", "--format", "json"], GUARD);
    n.ok();
    assert!(listed(&w.json(), "partial").contains(&"src/chain.js".to_owned()));
    // The sandbox cuts where the native tool cuts: the same index.
    assert_eq!(
        crate::wasi::scrub(w.json()),
        crate::wasi::scrub(n.json()),
        "native and sandboxed index of deep nesting"
    );
}

/// Writes `text` to `rel` keeping the file's modification time as it was.
fn write_keeping_mtime(repo: &Repo, rel: &str, text: &str) {
    let path = repo.path().join(rel);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, text).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(mtime).unwrap();
}

/// The symbols `aud query` finds by `name` (refreshing the index first, as users run it).
fn symbol_found(repo: &Repo, name: &str) -> bool {
    let run = repo.aud_guarded(&["query", "--symbol", name, "--format", "json"], GUARD);
    run.ok();
    run.stdout.contains("src/a.js")
}

#[test]
fn issue_19_2_a_same_size_edit_that_keeps_the_mtime_is_seen() {
    let repo = Repo::new();
    repo.write("src/a.js", "function alpha() {}\n");
    repo.aud(&["index"]).ok();
    assert!(symbol_found(&repo, "alpha"));

    // An editor saving twice in one tick, `rsync -t`, `tar`: new bytes, same size and mtime.
    write_keeping_mtime(&repo, "src/a.js", "function omega() {}\n");
    assert!(symbol_found(&repo, "omega"), "the edit is indexed");
    assert!(!symbol_found(&repo, "alpha"), "the old code is gone");

    // `cp -p` from a file written long ago onto the indexed one.
    let old = repo.path().join("old.txt");
    std::fs::write(&old, "function gamma() {}\n").unwrap();
    let long_ago = SystemTime::now() - Duration::from_secs(86_400 * 365);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let cp = std::process::Command::new("cp")
        .arg("-p")
        .arg(&old)
        .arg(repo.path().join("src/a.js"))
        .status()
        .unwrap();
    assert!(cp.success());
    assert!(symbol_found(&repo, "gamma"), "the copied file is indexed");

    // A file replaced by another (a new inode) of the same size with the same mtime.
    let other = repo.path().join("other.txt");
    std::fs::write(&other, "function delta() {}\n").unwrap();
    let mtime = std::fs::metadata(repo.path().join("src/a.js"))
        .unwrap()
        .modified()
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::rename(&other, repo.path().join("src/a.js")).unwrap();
    assert!(symbol_found(&repo, "delta"), "the replaced file is indexed");

    // Nothing changed: the next run reads nothing again and calls the file unchanged.
    let run = repo.aud(&["index", "--format", "json"]);
    run.ok();
    assert_eq!(run.json()["files_extracted"], 0);
}

/// Makes a FIFO at `path` (with mkfifo(1): the tests link no libc).
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn issue_19_3_a_file_swapped_for_a_fifo_or_a_dev_zero_link_after_the_walk_does_not_hang() {
    const FILES: usize = 1500;
    let repo = Repo::new();
    let body =
        "function f(a) { return db.query('SELECT * FROM users WHERE id = ' + a); }\n".repeat(40);
    let spare = tempfile::tempdir().unwrap();
    // Retried until a swap lands between the walk and the read (it usually does at once).
    for attempt in 0..20 {
        for i in 0..FILES {
            repo.write(&format!("src/f{i:04}.js"), &body);
            let swap = spare.path().join(format!("s{i:04}"));
            let _ = std::fs::remove_file(&swap);
            if i % 2 == 0 {
                mkfifo(&swap);
            } else {
                std::os::unix::fs::symlink("/dev/zero", &swap).unwrap();
            }
        }
        let args = ["index", "--full", "--format", "json"];
        let child = repo
            .aud_cmd(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Last files first: the walk lists them before the reads reach them.
        for i in (0..FILES).rev() {
            let swap = spare.path().join(format!("s{i:04}"));
            std::fs::rename(&swap, repo.path().join(format!("src/f{i:04}.js"))).unwrap();
        }
        let run = aud_tests::wait_guarded(child, &args, GUARD);
        run.ok();
        let report = run.json();
        let not_regular = report["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["reason"] == "not_regular")
            .count();
        if not_regular > 0 {
            // Now the special files are there at walk time: they are no source files.
            let again = repo.aud_guarded(&["index", "--format", "json"], GUARD);
            again.ok();
            assert_eq!(again.json()["files_indexed"], 0);
            return;
        }
        eprintln!("attempt {attempt}: no swap landed between the walk and the read");
    }
    panic!("no swap ever landed between the walk and the read: the test proves nothing");
}

#[test]
fn issue_19_4_a_file_too_costly_to_index_is_skipped_with_a_reason() {
    let repo = Repo::new();
    // 1 MB of nested calls: each level's argument is stored as text (cut at 1000 bytes), so
    // rows would take hundreds of times the file's size.
    let nest = format!("{}x{};\n", rep("f(", 100), rep(")", 100));
    repo.write("src/calls.js", &nest.repeat(1_000_000 / nest.len()))
        .write("src/small.js", &nest)
        .write("src/ok.js", "function survivor() {}\n");
    let run = repo.aud_guarded(
        &["index", "--format", "json", "--max-file-memory", "32000000"],
        GUARD,
    );
    run.ok();
    let report = run.json();
    assert_eq!(
        report["skipped"],
        serde_json::json!([{"path": "src/calls.js", "reason": "over_budget"}]),
        "{report}"
    );
    let statuses = statuses(&repo);
    assert_eq!(status_of(&statuses, "src/small.js"), "ok");
    assert_eq!(status_of(&statuses, "src/ok.js"), "ok");
    let text = repo.aud(&["index", "--full", "--max-file-memory", "32000000"]);
    text.ok();
    assert!(
        text.stdout.contains("src/calls.js (over_budget)"),
        "{}",
        text.stdout
    );
}

#[test]
fn issue_19_4_a_54_mb_one_line_file_with_a_raised_size_limit_does_not_abort() {
    let repo = Repo::new();
    // One line, 54 MB: `x+x+x...`, the most nodes per byte a grammar builds.
    let line = format!("x = x{};", rep("+x", 27_000_000));
    repo.write("src/big.js", &line)
        .write("src/ok.js", "function survivor() {}\n");
    // Under a 4 GB address space, as on a small machine: a run needing 120 times the file's
    // size would abort on allocation there.
    let args = [
        "-c",
        "ulimit -v 4000000 && exec \"$0\" \"$@\"",
        aud_tests::aud_bin().to_str().unwrap(),
        "index",
        "--format",
        "json",
        "--max-file-bytes",
        "100000000",
    ];
    let child = std::process::Command::new("sh")
        .args(args)
        .current_dir(repo.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let run = aud_tests::wait_guarded(child, &args, GUARD);
    assert!(!crashed(&run), "aud index aborted: {run:?}");
    run.ok();
    let report = run.json();
    assert_eq!(
        report["skipped"],
        serde_json::json!([{"path": "src/big.js", "reason": "over_budget"}]),
        "{report}"
    );
    assert!(symbol_found_in(&repo, "survivor", "src/ok.js"));
}

fn symbol_found_in(repo: &Repo, name: &str, file: &str) -> bool {
    let run = repo.aud_guarded(&["query", "--symbol", name, "--format", "json"], GUARD);
    run.ok();
    run.stdout.contains(file)
}

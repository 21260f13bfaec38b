//! `aud-wasi`: the real wasm32-wasip1 module under the real runtime (wasmtime, through
//! `scripts/wasi-run.py`), against the native binary on the same repositories.
//!
//! The module is built on first use (`cargo build --release --target wasm32-wasip1`), like the
//! native binary. A missing runtime fails the tests: `scripts/setup.sh` installs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aud_tests::{Repo, Run, copy_dir, fixtures_dir};
use serde_json::Value;

/// Where the repository is mounted inside the sandbox.
const GUEST_ROOT: &str = "/repo";

/// Matches every indexed value of every kind: its findings are the whole index.
const EVERYTHING: &str = r#"refactor_name: Everything
rules:
  - id: everything
    description: Every indexed value
    match:
      identifiers: ['/./']
      expressions: ['/./']
      sql_tables: ['/./']
      api_routes: ['/./']
"#;

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// The `aud-wasi` module, built (release, as CI ships it) on first use; the runtime is checked
/// and the module compiled into wasmtime's cache once, so the tests do not all compile it.
fn module() -> &'static Path {
    static MODULE: OnceLock<PathBuf> = OnceLock::new();
    MODULE.get_or_init(|| {
        let root = workspace_dir();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args(["build", "--quiet", "--release", "--target", "wasm32-wasip1"])
            .args(["-p", "aud-wasi", "--bin", "aud-wasi"])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of aud-wasi.wasm failed");
        let module = target_dir(&root).join("wasm32-wasip1/release/aud-wasi.wasm");
        assert!(module.exists(), "{} missing after build", module.display());
        let probe = Command::new("python3")
            .args(["-c", "import wasmtime"])
            .output()
            .expect("python3 is needed to run the WASI runtime");
        assert!(
            probe.status.success(),
            "the WASI runtime (the `wasmtime` Python package) is missing: run scripts/setup.sh\n{}",
            String::from_utf8_lossy(&probe.stderr)
        );
        let warm = runtime(&[], &module, &["--version"]).output().expect("run");
        assert!(warm.status.success(), "aud-wasi --version failed: {warm:?}");
        module
    })
}

/// `CARGO_TARGET_DIR` or the workspace's `target/`, found from the running test binary.
fn target_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return root.join(dir);
    }
    // target/<profile>/deps/e2e-<hash> -> target
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| root.join("target"))
}

/// `scripts/wasi-run.py --dir HOST::GUEST... MODULE ARGS...`, not yet started.
fn runtime(mounts: &[(&Path, &str)], module: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(workspace_dir().join("scripts/wasi-run.py"));
    for (host, guest) in mounts {
        cmd.arg("--dir").arg(format!("{}::{guest}", host.display()));
    }
    cmd.arg(module).args(args);
    cmd
}

/// Runs aud-wasi with `mounts` and `args` as given.
fn wasi_raw(mounts: &[(&Path, &str)], args: &[&str]) -> Run {
    let output = runtime(mounts, module(), args)
        .output()
        .expect("run aud-wasi");
    Run::new(args, output)
}

/// Runs aud-wasi on `repo` mounted at `/repo`, with `--root /repo`.
pub(crate) fn wasi(repo: &Repo, args: &[&str]) -> Run {
    let mut all = vec!["--root", GUEST_ROOT];
    all.extend_from_slice(args);
    wasi_raw(&[(repo.path(), GUEST_ROOT)], &all)
}

/// Drops what legitimately differs between two runs (timings).
pub(crate) fn scrub(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|key, _| !key.contains("elapsed") && !key.ends_with("_ms"));
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// Removes `time="..."` attributes from JUnit XML.
fn scrub_junit(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        rest = after.find('"').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Two copies of one fixture repository, one for each binary.
fn twins(fixture: &Path) -> (Repo, Repo) {
    let native = Repo::new();
    let sandboxed = Repo::new();
    copy_dir(fixture, native.path());
    copy_dir(fixture, sandboxed.path());
    for repo in [&native, &sandboxed] {
        repo.write("everything.yaml", EVERYTHING);
    }
    (native, sandboxed)
}

#[test]
fn same_index_and_findings_as_native_on_every_fixture_repository() {
    let mut fixtures: Vec<PathBuf> = ["js", "python", "ts"]
        .iter()
        .map(|name| fixtures_dir().join("index").join(name))
        .collect();
    fixtures.push(workspace_dir().join("examples/auth-migration"));
    for fixture in &fixtures {
        let (native, sandboxed) = twins(fixture);
        let n = native.aud(&["index", "--format", "json"]);
        let w = wasi(&sandboxed, &["index", "--format", "json"]);
        n.ok();
        w.ok();
        assert_eq!(scrub(w.json()), scrub(n.json()), "index of {fixture:?}");

        for spec in ["everything.yaml", "specs/auth0-to-cognito.yaml"] {
            if !native.path().join(spec).exists() {
                continue;
            }
            let args = ["refactor", "--file", spec, "--format", "json"];
            let (n, w) = (native.aud(&args), wasi(&sandboxed, &args));
            assert_eq!(w.code, n.code, "{spec} on {fixture:?}: {}", w.stderr);
            let findings = scrub(n.json());
            assert!(
                findings["summary"]["total_violations"].as_u64() > Some(0),
                "{spec} on {fixture:?} finds nothing: the parity check would be empty"
            );
            assert_eq!(scrub(w.json()), findings, "{spec} on {fixture:?}");

            let args = ["refactor", "--file", spec, "--format", "sarif"];
            let (n, w) = (native.aud(&args), wasi(&sandboxed, &args));
            assert_eq!(scrub(w.json()), scrub(n.json()), "SARIF of {spec}");
            let args = ["refactor", "--file", spec, "--format", "junit"];
            let (n, w) = (native.aud(&args), wasi(&sandboxed, &args));
            assert_eq!(scrub_junit(&w.stdout), scrub_junit(&n.stdout), "JUnit");
            let args = ["refactor", "--file", spec];
            let (n, w) = (native.aud(&args), wasi(&sandboxed, &args));
            assert_eq!(w.code, n.code);
        }
    }
}

#[test]
fn exit_codes_match_the_native_tool() {
    let repo = Repo::new();
    repo.write("src/a.js", "const client = new AuthenticationClient();\n")
        .write(
            "dirty.yaml",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [AuthenticationClient]\n",
        )
        .write(
            "clean.yaml",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [Auth0Gone]\n",
        )
        .write("bad.yaml", "refactor_name: x\nrules:\n  - id: r\n    mtach: {}\n");
    wasi(&repo, &["index"]).ok();
    wasi(&repo, &["refactor", "--file", "clean.yaml"]).ok();
    wasi(&repo, &["refactor", "--file", "dirty.yaml"]).code(1);
    let bad = wasi(&repo, &["refactor", "--file", "bad.yaml"]);
    bad.code(2);
    assert!(bad.stderr.contains("mtach"), "{}", bad.stderr);
    let missing = wasi(&repo, &["refactor", "--file", "missing.yaml"]);
    missing.code(2);
    assert!(
        missing.stderr.contains("missing.yaml"),
        "{}",
        missing.stderr
    );
    wasi(&repo, &["no-such-command"]).code(2);
    wasi(&repo, &["--help"]).ok();

    // Editing plans (and anything needing git, the network or processes) is refused clearly.
    let refused = wasi(&repo, &["planning", "init", "--name", "x"]);
    refused.code(2);
    assert!(
        refused.stderr.contains("not available in the sandbox"),
        "{}",
        refused.stderr
    );
    assert!(!repo.path().join(".pf/planning.db").exists());
}

#[test]
fn writes_the_report_inside_the_mount_with_output() {
    let (_native, repo) = twins(&workspace_dir().join("examples/auth-migration"));
    let spec = "specs/auth0-to-cognito.yaml";
    wasi(
        &repo,
        &[
            "refactor",
            "--file",
            spec,
            "--format",
            "sarif",
            "--output",
            "aud.sarif",
        ],
    )
    .code(1);
    let sarif: Value = serde_json::from_str(&repo.read("aud.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    // Absolute guest paths work too; a missing directory is an error, as natively.
    wasi(
        &repo,
        &[
            "refactor",
            "--file",
            "/repo/specs/auth0-to-cognito.yaml",
            "--format",
            "junit",
            "--output",
            "/repo/out/junit.xml",
        ],
    )
    .code(2);
    std::fs::create_dir(repo.path().join("out")).unwrap();
    wasi(
        &repo,
        &[
            "refactor",
            "--file",
            "/repo/specs/auth0-to-cognito.yaml",
            "--format",
            "junit",
            "--output",
            "/repo/out/junit.xml",
        ],
    )
    .code(1);
    assert!(repo.read("out/junit.xml").contains("<testsuite"));
}

#[test]
fn a_planning_db_is_shared_with_the_native_tool_both_ways() {
    let repo = Repo::new();
    repo.write("src/a.js", "const c = new AuthenticationClient();\n")
        .write(
            "spec.yaml",
            "refactor_name: x\nrules:\n  - id: gone\n    description: d\n    match:\n      identifiers: [AuthenticationClient]\n",
        );
    repo.aud(&["planning", "init", "--name", "Auth0 to Cognito"])
        .ok();
    repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Replace",
        "--spec",
        "spec.yaml",
    ])
    .ok();

    // Written natively (WAL), verified in the sandbox.
    let run = wasi(
        &repo,
        &["planning", "verify-task", "1", "1", "--format", "json"],
    );
    run.code(1);
    let listed = wasi(&repo, &["planning", "list", "--format", "json"]);
    listed.ok();
    assert!(
        listed.stdout.contains("Auth0 to Cognito"),
        "{}",
        listed.stdout
    );

    // Written in the sandbox, read and extended natively.
    let show = repo.aud(&["planning", "show", "1", "--verbose"]);
    show.ok();
    assert!(
        show.stdout.contains("(run 1): 1 violation"),
        "{}",
        show.stdout
    );
    repo.write("src/a.js", "const c = new CognitoClient();\n");
    repo.aud(&["planning", "verify-task", "1", "1"]).ok();

    // And back: the sandbox sees the native run, and the hash chain holds across both writers.
    let show = wasi(&repo, &["planning", "show", "1", "--verbose"]);
    show.ok();
    assert!(
        show.stdout.contains("violations per run: 1 -> 0"),
        "{}",
        show.stdout
    );
    let verify = wasi(&repo, &["planning", "verify", "1", "--format", "sarif"]);
    verify.ok();
    assert_eq!(verify.json()["version"], "2.1.0");
    let history = repo.aud(&["planning", "show", "1", "--verbose"]);
    assert!(
        history.stdout.contains("violations per run: 1 -> 0 -> 0"),
        "{}",
        history.stdout
    );
    wasi(&repo, &["planning", "audit", "1"]).ok();
    repo.aud(&["planning", "audit", "1"]).ok();
}

#[test]
fn a_corrupt_planning_db_is_an_error_with_a_message() {
    let repo = Repo::new();
    repo.write(
        ".pf/planning.db",
        &"not a database, just text. ".repeat(200),
    );
    for args in [&["planning", "list"][..], &["planning", "verify", "1"]] {
        let run = wasi(&repo, args);
        run.code(2);
        assert!(run.stderr.contains("planning.db"), "{}", run.stderr);
    }
}

/// An outside directory beside the repository, holding a valid spec and a source file: if the
/// sandbox leaked, the escapes below would succeed instead of failing with exit 2.
fn repo_with_a_secret_beside_it() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let repo = top.path().join("repo");
    let outside = top.path().join("outside");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(repo.join("src/a.js"), "const a = 1;\n").unwrap();
    std::fs::write(
        outside.join("secret.yaml"),
        "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [a]\n",
    )
    .unwrap();
    std::fs::write(outside.join("secret.js"), "const leakedSecret = 42;\n").unwrap();
    (top, repo, outside)
}

#[test]
fn escapes_from_the_mounted_repository_are_refused() {
    let (_top, repo, outside) = repo_with_a_secret_beside_it();
    // Mounted at its host path, so a path that escaped it would name a real host file.
    let guest = repo.to_str().unwrap();
    let mounts = [(repo.as_path(), guest)];
    let secret = outside.join("secret.yaml");
    let secret = secret.to_str().unwrap();

    // The native tool can read the outside spec: the escapes are real paths.
    let native = Command::new(aud_tests::aud_bin())
        .args([
            "--root",
            guest,
            "refactor",
            "--file",
            "../outside/secret.yaml",
        ])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(native.status.code(), Some(1), "{native:?}");

    let attempts: &[&[&str]] = &[
        &["--root", "/", "index"],
        &["--root", "/etc", "index"],
        &[
            "--root",
            guest,
            "refactor",
            "--file",
            "../outside/secret.yaml",
        ],
        &["--root", guest, "refactor", "--file", secret],
        &[
            "--root",
            guest,
            "refactor",
            "--file",
            "../../../../etc/passwd",
        ],
        &["--root", guest, "refactor", "--file", "/etc/passwd"],
        &["--root", "../outside", "index"],
    ];
    for args in attempts {
        let run = wasi_raw(&mounts, args);
        run.code(2);
        assert!(run.stderr.starts_with("error:"), "{args:?}: {}", run.stderr);
    }
    assert!(!outside.join(".pf").exists(), "the sandbox wrote outside");

    // Symbolic links pointing outside lead nowhere either: a spec...
    std::os::unix::fs::symlink(outside.join("secret.yaml"), repo.join("link.yaml")).unwrap();
    let run = wasi_raw(
        &mounts,
        &["--root", guest, "refactor", "--file", "link.yaml"],
    );
    run.code(2);
    // ...a source file and a directory: never indexed, never read.
    std::os::unix::fs::symlink(outside.join("secret.js"), repo.join("src/leak.js")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("src/outside")).unwrap();
    std::fs::write(
        repo.join("leak.yaml"),
        "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [leakedSecret]\n",
    )
    .unwrap();
    let run = wasi_raw(
        &mounts,
        &[
            "--root",
            guest,
            "refactor",
            "--file",
            "leak.yaml",
            "--format",
            "json",
        ],
    );
    run.ok();
    assert_eq!(run.json()["summary"]["total_violations"], 0);
}

//! Checkpoints, diffs and rewind on real repositories: the user's git (status, HEAD, index,
//! branches, stash) is never touched, whatever aud does.

use aud_tests::{Repo, Run};
use serde_json::Value;

/// Everything of the user's repository that aud must leave alone.
fn git_state(repo: &Repo) -> String {
    format!(
        "status:\n{}{}",
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        git_refs_and_index(repo)
    )
}

/// HEAD, the index, branches and stash: what even `rewind --apply` (which rewrites files in the
/// work tree) leaves alone.
fn git_refs_and_index(repo: &Repo) -> String {
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .current_dir(repo.path())
        .output()
        .expect("run git");
    format!(
        "head: {}\nindex:\n{}branches:\n{}stash:\n{}",
        String::from_utf8_lossy(&head.stdout),
        repo.git(&["ls-files", "-s"]),
        repo.git(&["branch", "-a"]),
        repo.git(&["stash", "list"]),
    )
}

/// Runs aud and asserts the user's git state did not change.
fn aud_untouched(repo: &Repo, args: &[&str]) -> Run {
    let before = git_state(repo);
    let run = repo.aud(args);
    assert_eq!(
        before,
        git_state(repo),
        "aud {args:?} touched the user's git"
    );
    run
}

/// Runs `rewind --apply`, asserting HEAD, the index, branches and stash did not change.
fn aud_applies(repo: &Repo, args: &[&str]) -> Run {
    let before = git_refs_and_index(repo);
    let run = repo.aud(args);
    assert_eq!(
        before,
        git_refs_and_index(repo),
        "aud {args:?} touched the user's git"
    );
    run
}

/// A git repository with one commit (`a.txt`, `b.txt`, `.gitignore` ignoring `.pf/`), plan 1
/// and task 1.
fn git_repo() -> Repo {
    let repo = Repo::new();
    repo.git(&["init", "-q"]);
    repo.write(".gitignore", ".pf/\n")
        .write("a.txt", "one\ntwo\nthree\n")
        .write("b.txt", "alpha\nbeta\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "start"]);
    plan(&repo);
    repo
}

fn plan(repo: &Repo) {
    repo.aud(&["planning", "init", "--name", "p"]).ok();
    repo.aud(&["planning", "add-task", "1", "--title", "t"])
        .ok();
}

fn diff(repo: &Repo, extra: &[&str]) -> Value {
    let mut args = vec!["planning", "show-diff", "1", "1", "--format", "json"];
    args.extend_from_slice(extra);
    let run = if repo.path().join(".git").exists() {
        aud_untouched(repo, &args)
    } else {
        repo.aud(&args)
    };
    run.ok();
    run.json()
}

fn paths(diff: &Value) -> Vec<String> {
    diff["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path").to_owned())
        .collect()
}

#[test]
fn two_edits_give_two_checkpoints_and_rewind_restores_either() {
    let repo = git_repo();
    repo.write("a.txt", "one\nTWO\nthree\n");
    let run = aud_untouched(&repo, &["planning", "checkpoint", "1", "1"]);
    run.ok();
    assert!(
        run.stdout.contains("checkpoint 1 (edit_1)"),
        "{}",
        run.stdout
    );
    repo.write("b.txt", "alpha\nBETA\n")
        .write("new/untracked.txt", "fresh\n");
    aud_untouched(
        &repo,
        &["planning", "checkpoint", "1", "1", "--name", "second"],
    )
    .ok();

    // Each edit's diff shows only that edit.
    let first = diff(&repo, &["--sequence", "1"]);
    assert_eq!(paths(&first), ["a.txt"]);
    let text = first["files"][0]["diff"].as_str().expect("diff");
    assert!(text.contains("-two\n+TWO\n"), "{text}");
    assert_eq!(first["files"][0]["added_lines"], 1);
    let second = diff(&repo, &["--sequence", "2"]);
    assert_eq!(paths(&second), ["b.txt", "new/untracked.txt"]);
    let cumulative = diff(&repo, &["--sequence", "2", "--cumulative"]);
    assert_eq!(paths(&cumulative), ["a.txt", "b.txt", "new/untracked.txt"]);
    let only = diff(&repo, &["--sequence", "2", "--file", "b.txt"]);
    assert_eq!(paths(&only), ["b.txt"]);
    let list = aud_untouched(&repo, &["planning", "show-diff", "1", "1"]);
    list.ok();
    assert!(
        list.stdout.contains("edit_1") && list.stdout.contains("second"),
        "{}",
        list.stdout
    );
    let text = aud_untouched(
        &repo,
        &["planning", "show-diff", "1", "1", "--sequence", "1"],
    );
    assert!(
        text.stdout.contains("+TWO") && !text.stdout.contains('\x1b'),
        "{}",
        text.stdout
    );

    // Rewind prints and changes nothing.
    let run = aud_untouched(&repo, &["planning", "rewind", "1", "1", "--to", "1"]);
    run.ok();
    assert!(run.stdout.contains("git cat-file blob"), "{}", run.stdout);
    assert!(
        run.stdout.contains("rm -f -- 'new/untracked.txt'"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("a.txt"),
        "a.txt is already right: {}",
        run.stdout
    );
    assert_eq!(repo.read("b.txt"), "alpha\nBETA\n");
    assert_eq!(repo.read("new/untracked.txt"), "fresh\n");

    // The printed commands restore the state, without touching the user's index either.
    let state = git_state(&repo);
    let copy = Repo::new();
    aud_tests::copy_dir(repo.path(), copy.path());
    // The same commands, minus the `cd` into the original.
    let script: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("cd "))
        .collect();
    let out = std::process::Command::new("sh")
        .args(["-e", "-c", &script.join("\n")])
        .current_dir(copy.path())
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(copy.read("b.txt"), "alpha\nbeta\n");
    assert_eq!(copy.read("a.txt"), "one\nTWO\nthree\n");
    assert!(!copy.path().join("new/untracked.txt").exists());
    assert_eq!(state, git_state(&repo));

    // --apply restores, after a safety checkpoint that brings the newer state back.
    let run = aud_applies(
        &repo,
        &["planning", "rewind", "1", "1", "--to", "1", "--apply"],
    );
    run.ok();
    assert_eq!(repo.read("a.txt"), "one\nTWO\nthree\n");
    assert_eq!(repo.read("b.txt"), "alpha\nbeta\n");
    assert!(!repo.path().join("new/untracked.txt").exists());
    assert!(
        run.stdout
            .contains("to come back: aud planning rewind 1 1 --to 3 --apply"),
        "{}",
        run.stdout
    );
    aud_applies(
        &repo,
        &["planning", "rewind", "1", "1", "--to", "3", "--apply"],
    )
    .ok();
    assert_eq!(repo.read("b.txt"), "alpha\nBETA\n");
    assert_eq!(repo.read("new/untracked.txt"), "fresh\n");
    assert_eq!(repo.read("a.txt"), "one\nTWO\nthree\n");
}

#[test]
fn deleted_renamed_and_binary_files_round_trip() {
    let repo = git_repo();
    repo.remove("a.txt");
    std::fs::rename(repo.path().join("b.txt"), repo.path().join("c.txt")).expect("rename");
    std::fs::write(repo.path().join("blob.bin"), [0u8, 1, 2, 255, 0]).expect("write");
    aud_untouched(&repo, &["planning", "checkpoint", "1", "1"]).ok();
    let first = diff(&repo, &["--sequence", "1"]);
    assert_eq!(paths(&first), ["a.txt", "b.txt", "blob.bin", "c.txt"]);
    assert!(
        first["files"][2]["diff"]
            .as_str()
            .expect("diff")
            .starts_with("Binary files")
    );
    let list = diff(&repo, &[]);
    let statuses: Vec<String> = list[0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["status"].as_str().expect("s"),
                f["path"].as_str().expect("p")
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "deleted a.txt",
            "deleted b.txt",
            "added blob.bin",
            "added c.txt"
        ]
    );

    // Back to the base state by hand, then rewind to the checkpoint.
    repo.git(&["checkout", "-q", "--", "a.txt", "b.txt"]);
    repo.remove("c.txt");
    repo.remove("blob.bin");
    aud_applies(&repo, &["planning", "rewind", "1", "1", "--apply"]).ok();
    assert!(!repo.path().join("a.txt").exists() && !repo.path().join("b.txt").exists());
    assert_eq!(repo.read("c.txt"), "alpha\nbeta\n");
    assert_eq!(
        std::fs::read(repo.path().join("blob.bin")).expect("read"),
        [0u8, 1, 2, 255, 0]
    );
}

#[test]
fn a_repository_without_commits_checkpoints_every_file() {
    let repo = Repo::new();
    repo.git(&["init", "-q"]);
    repo.write(".gitignore", ".pf/\nignored.log\n")
        .write("src/main.py", "print('hi')\n")
        .write("ignored.log", "noise\n");
    plan(&repo);
    aud_untouched(&repo, &["planning", "checkpoint", "1", "1"]).ok();
    let first = diff(&repo, &["--sequence", "1"]);
    assert_eq!(paths(&first), [".gitignore", "src/main.py"]);
}

#[test]
fn outside_git_the_first_checkpoint_is_the_base() {
    let repo = Repo::new();
    repo.write("a.txt", "one\n").write("b.txt", "two\n");
    plan(&repo);
    repo.aud(&["planning", "checkpoint", "1", "1"]).ok();
    assert_eq!(
        paths(&diff(&repo, &["--sequence", "1"])),
        Vec::<String>::new()
    );
    repo.write("a.txt", "ONE\n");
    repo.remove("b.txt");
    repo.aud(&["planning", "checkpoint", "1", "1"]).ok();
    assert_eq!(
        paths(&diff(&repo, &["--sequence", "2"])),
        ["a.txt", "b.txt"]
    );
    assert_eq!(
        paths(&diff(&repo, &["--sequence", "2", "--cumulative"])),
        ["a.txt", "b.txt"]
    );
    repo.aud(&["planning", "rewind", "1", "1", "--to", "1", "--apply"])
        .ok();
    assert_eq!(repo.read("a.txt"), "one\n");
    assert_eq!(repo.read("b.txt"), "two\n");
}

#[test]
fn archive_takes_a_final_checkpoint_then_refuses_more() {
    let repo = git_repo();
    repo.write("a.txt", "changed\n");
    aud_untouched(&repo, &["planning", "archive", "1", "--yes"]).ok();
    let run = aud_untouched(
        &repo,
        &["planning", "rewind", "1", "--checkpoint", "archive"],
    );
    run.ok();
    assert!(
        run.stdout.contains("the files already match"),
        "{}",
        run.stdout
    );
    let run = aud_untouched(&repo, &["planning", "checkpoint", "1", "1"]);
    run.code(2);
    assert!(run.stderr.contains("archived"), "{}", run.stderr);
    // Pruning keeps an archived plan's checkpoints.
    let run = repo.aud(&["planning", "prune", "--days", "0"]);
    run.ok();
    assert!(
        run.stdout.contains("pruned 0 checkpoints"),
        "{}",
        run.stdout
    );
}

#[test]
fn prune_deletes_old_checkpoints_of_open_plans() {
    let repo = git_repo();
    repo.write("a.txt", "changed\n");
    repo.aud(&["planning", "checkpoint", "1", "1"]).ok();
    let run = repo.aud(&["planning", "prune"]);
    assert!(
        run.stdout.contains("pruned 0 checkpoints"),
        "{}",
        run.stdout
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    let run = repo.aud(&["planning", "prune", "--days", "0"]);
    assert!(
        run.stdout.contains("pruned 1 checkpoint "),
        "{}",
        run.stdout
    );
    assert_eq!(diff(&repo, &[]), serde_json::json!([]));
}

#[test]
fn errors_are_clear() {
    let repo = git_repo();
    let run = repo.aud(&["planning", "show-diff", "1", "1", "--sequence", "4"]);
    run.code(2);
    assert!(run.stderr.contains("has no checkpoint 4"), "{}", run.stderr);
    let run = repo.aud(&["planning", "checkpoint", "1", "9"]);
    run.code(2);
    let run = repo.aud(&["planning", "rewind", "1", "1"]);
    run.code(2);
    assert!(
        run.stderr.contains("no checkpoint to rewind to"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failed_verification_keeps_a_checkpoint() {
    let repo = Repo::fixture("planning/auth");
    repo.aud(&["planning", "init", "--name", "p"]).ok();
    repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "t",
        "--spec",
        "specs/auth.yaml",
    ])
    .ok();
    repo.aud(&["planning", "verify-task", "1", "1"]).code(1);
    let list = diff(&repo, &[]);
    assert_eq!(list[0]["name"], "verify-task-1-failed");
}

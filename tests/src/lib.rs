//! Helpers for the end-to-end tests: temporary repositories and the real `aud` binary.
//!
//! Every test gets its own [`Repo`] (a temp directory, removed on drop) and runs the binary
//! built from this workspace as a child process, exactly as a user would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Path of the `aud` binary of this workspace, built on first use if needed.
pub fn aud_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| locate_or_build("aud", "aud-cli"))
}

/// Finds `target/<profile>/<name>` beside the running test binary; builds it with cargo when
/// it is missing, so `cargo test` alone is enough.
pub fn locate_or_build(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/e2e-<hash> -> target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", package, "--bin", name]);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    // Always ask cargo: it is a no-op when the binary is fresh, and never tests a stale one.
    let status = build.status().expect("run cargo build");
    assert!(status.success(), "cargo build of {name} failed");
    assert!(bin.exists(), "{} missing after build", bin.display());
    bin
}

/// A throwaway repository for one test.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

impl Repo {
    /// An empty directory.
    pub fn new() -> Repo {
        Repo {
            dir: tempfile::Builder::new()
                .prefix("aud-e2e-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Repo {
        let repo = Repo::new();
        let src = fixtures_dir().join(name);
        assert!(src.is_dir(), "no fixture {}", src.display());
        copy_dir(&src, repo.path());
        repo
    }

    /// The repository root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, contents: &str) -> &Repo {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// Reads `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).expect("read file")
    }

    /// Removes `rel`.
    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).expect("remove file");
    }

    /// A command running `aud` in this repository (not yet started).
    pub fn aud_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(aud_bin());
        cmd.args(args).current_dir(self.path()).env("NO_COLOR", "1");
        cmd
    }

    /// Runs `aud` with `args` in this repository.
    pub fn aud(&self, args: &[&str]) -> Run {
        let output = self.aud_cmd(args).output().expect("run aud");
        Run::new(args, output)
    }

    /// Runs `aud` with `args`, killing it and failing the test if it has not finished after
    /// `guard` (a hang guard for input that used to block forever, not a speed check).
    #[track_caller]
    pub fn aud_guarded(&self, args: &[&str], guard: Duration) -> Run {
        let child = self
            .aud_cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run aud");
        wait_guarded(child, args, guard)
    }

    /// Runs `git` with `args` in this repository and asserts it succeeded.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The result of one run of a binary.
#[derive(Debug)]
pub struct Run {
    /// The arguments, for messages.
    pub args: Vec<String>,
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Wraps a finished process.
    pub fn new(args: &[&str], output: Output) -> Run {
        Run {
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "aud {:?} exited {} (expected {expected})\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts success (exit 0).
    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.code(0)
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "aud {:?}: stdout is not JSON ({e}):\n{}\n--- stderr\n{}",
                self.args, self.stdout, self.stderr
            )
        })
    }
}

/// `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The original tool's published example specs, kept outside the project.
pub fn original_examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/original-examples")
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Waits for `child`, killing it and failing the test if it runs longer than `guard`: a hang
/// guard, so that a regression fails instead of blocking the test run forever.
#[track_caller]
pub fn wait_guarded(mut child: Child, args: &[&str], guard: Duration) -> Run {
    use std::io::Read as _;
    // Reading the pipes on threads keeps a chatty child from blocking on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for aud") {
            break status;
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            panic!("aud {args:?} still running after {guard:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run::new(
        args,
        Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        },
    )
}

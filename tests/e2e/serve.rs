//! `aud serve`: the real binary on a real port, called with a real HTTP client. Every answer is
//! deserialised into the `aud_core::api` types the web UI reads; the server never writes, and
//! what the CLI writes while it runs shows on the next request.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aud_core::api::{ApiError, CheckpointDiff, IndexSummary, PlanDetail, PlanList, TaskDetail};
use aud_core::plan::{ChainStatus, TaskStatus};
use aud_tests::Repo;
use serde::de::DeserializeOwned;

/// A running `aud serve`, killed when dropped (a failing test never leaks the process).
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without the final slash.
    base: String,
    /// `127.0.0.1:PORT`.
    address: String,
    stderr: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer.
struct Answer {
    status: u16,
    content_type: String,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Server {
    /// Starts `aud serve --port 0 --root ROOT` plus `extra` in `repo` and reads the address it
    /// prints.
    fn start(repo: &Repo, root: &Path, extra: &[&str]) -> Server {
        let root = root.to_str().unwrap();
        let mut args = vec!["serve", "--port", "0", "--root", root];
        args.extend_from_slice(extra);
        let mut child = repo
            .aud_cmd(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start aud serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut line = String::new();
            let _ = lines.read_line(&mut line);
            let _ = tx.send(line);
            // Anything more on stdout would be a bug: keep reading so the pipe never fills.
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
            assert!(rest.is_empty(), "more than one line on stdout: {rest:?}");
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut server = Server {
            child,
            base: String::new(),
            address: String::new(),
            stderr,
            agent,
        };
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let Some(url) = line
            .strip_prefix("aud serve: http://")
            .and_then(|l| l.strip_suffix("/\n"))
        else {
            let status = server.child.try_wait();
            panic!(
                "no address line from aud serve: {line:?} ({status:?})\n--- stderr\n{}",
                server.stderr()
            );
        };
        server.address = url.to_owned();
        server.base = format!("http://{url}");
        server
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether stderr says `needle` within a few seconds (it is read by another thread).
    fn says(&self, needle: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `GET path` with the client's own `Host` header.
    fn get(&self, path: &str) -> Answer {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        answer(response)
    }

    /// `GET path`, expecting 200 and a body of type `T`.
    #[track_caller]
    fn json<T: DeserializeOwned>(&self, path: &str) -> T {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        assert_eq!(answer.content_type, "application/json", "GET {path}");
        serde_json::from_str(&answer.body)
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", answer.body))
    }

    /// `GET path`, expecting `status` and an [`ApiError`].
    #[track_caller]
    fn error(&self, path: &str, status: u16) -> ApiError {
        let answer = self.get(path);
        assert_eq!(answer.status, status, "GET {path}: {}", answer.body);
        serde_json::from_str(&answer.body)
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", answer.body))
    }

    /// Sends `GET target` byte for byte, with `Host: host`, and returns the status and the
    /// whole response (no client normalises anything on the way).
    fn raw(&self, target: &[u8], host: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(target);
        request.extend_from_slice(
            format!(" HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        stream.write_all(&request).unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        (status, text)
    }

    /// Waits up to `limit` for the process to exit; its exit code.
    fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let headers: BTreeMap<String, String> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    Answer {
        status: response.status().as_u16(),
        content_type: headers.get("content-type").cloned().unwrap_or_default(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
        headers,
    }
}

/// Each path under `.pf/` with its size and modification time (`None` for what is compared by
/// name only).
type Listing = BTreeMap<String, Option<(u64, SystemTime)>>;

/// Every file under `.pf/` with its size and modification time (the `-shm` index of the WAL
/// only by name: readers take their locks in it), plus planning.db's bytes.
fn pf_state(root: &Path) -> (Listing, Vec<u8>) {
    fn walk(base: &Path, dir: &Path, out: &mut Listing) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path.strip_prefix(base).unwrap().display().to_string();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                out.insert(name, None);
                walk(base, &path, out);
            } else if name.ends_with("-shm") {
                out.insert(name, None);
            } else {
                out.insert(name, Some((meta.len(), meta.modified().unwrap())));
            }
        }
    }
    let pf = root.join(".pf");
    let mut files = BTreeMap::new();
    walk(&pf, &pf, &mut files);
    (files, std::fs::read(pf.join("planning.db")).unwrap())
}

/// The auth fixture in git with plan 1 ("Auth0 to Cognito"), task 1 (the auth spec) and a
/// job, verified twice: once as it is, once after `src/session.js` moved to Cognito (with a
/// named checkpoint in between). Returns the two runs' totals too.
fn verified_twice() -> (Repo, usize, usize) {
    let repo = Repo::fixture("planning/auth");
    repo.write(".gitignore", ".pf/\n");
    repo.git(&["init", "-q"]);
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "start"]);
    let repo = crate::planning::plan(repo);
    repo.aud(&[
        "planning",
        "add-job",
        "1",
        "1",
        "--description",
        "Fix login",
    ])
    .ok();
    let total =
        |run: &aud_tests::Run| run.json()["summary"]["total_violations"].as_u64().unwrap() as usize;
    let first = repo.aud(&["planning", "verify-task", "1", "1", "--format", "json"]);
    first.code(1);
    repo.write(
        "src/session.js",
        "import { CognitoClient } from \"cognito\";\n\nexport function refresh(token) {\n  return new CognitoClient().refresh(token);\n}\n",
    );
    repo.aud(&["planning", "checkpoint", "1", "1", "--name", "session-done"])
        .ok();
    let second = repo.aud(&[
        "planning",
        "verify-task",
        "1",
        "1",
        "--auto-update",
        "--format",
        "json",
    ]);
    second.code(1);
    let (first, second) = (total(&first), total(&second));
    assert!(0 < second && second < first, "{first} -> {second}");
    (repo, first, second)
}

#[test]
fn the_api_answers_plans_tasks_runs_checkpoints_and_the_index() {
    let (repo, first_total, second_total) = verified_twice();
    let root = repo.path().canonicalize().unwrap();
    let before = pf_state(&root);
    let server = Server::start(&repo, &root, &[]);

    // The plan list.
    let list: PlanList = server.json("/api/plans");
    assert_eq!(list.root, root.display().to_string());
    assert_eq!(list.plans.len(), 1);
    let item = &list.plans[0];
    assert_eq!(item.summary.plan.name, "Auth0 to Cognito");
    assert_eq!(item.summary.tasks_total, 1);
    assert_eq!(item.total_violations, second_total, "{item:#?}");
    assert!(item.last_run_at.is_some());

    // The plan: one task, two runs, a burn-down from the first run's total to the second's.
    let plan: PlanDetail = server.json("/api/plans/1");
    assert_eq!(plan.tasks.len(), 1);
    assert_eq!(plan.tasks[0].task.title, "Replace the Auth0 client");
    assert_eq!(plan.tasks[0].task.status, TaskStatus::InProgress);
    assert_eq!(plan.tasks[0].jobs[0].description, "Fix login");
    assert_eq!(plan.tasks[0].runs, 2);
    assert_eq!(plan.tasks[0].violations, Some(second_total));
    assert_eq!(plan.total_violations, second_total);
    let points: Vec<usize> = plan.burndown.iter().map(|p| p.plan_violations).collect();
    assert_eq!(points, [first_total, second_total]);
    assert_eq!(plan.burndown[1].sequence, 2);
    assert!(
        matches!(plan.chain, ChainStatus::Intact { runs: 2, .. }),
        "{:?}",
        plan.chain
    );

    // The task: spec, last run with context lines, new/fixed, history, coverage, checkpoints.
    let task: TaskDetail = server.json("/api/plans/1/tasks/1");
    assert!(task.spec_yaml.as_deref().unwrap().contains("remove-auth0"));
    let last = task.last_run.as_ref().unwrap();
    assert_eq!(last.summary.sequence, 2);
    assert_eq!(last.summary.total_violations, second_total);
    // Every finding left is in login.js (no missing expectation any more).
    assert_eq!(last.findings.len(), second_total);
    let login = repo.read("src/login.js");
    for view in &last.findings {
        assert_eq!(view.finding.file, "src/login.js");
        let line = view.finding.line;
        let numbers: Vec<u32> = view.context.iter().map(|l| l.number).collect();
        let expected: Vec<u32> = (line.saturating_sub(2).max(1)..=line + 2)
            .filter(|n| *n as usize <= login.lines().count())
            .collect();
        assert_eq!(numbers, expected, "{view:?}");
        let at = view.context.iter().find(|l| l.number == line).unwrap();
        assert_eq!(at.text, login.lines().nth(line as usize - 1).unwrap());
        assert!(at.text.contains("auth0"), "{at:?}");
    }
    assert!(task.diff.new.is_empty(), "{:?}", task.diff.new);
    let fixed: Vec<&str> = task.diff.fixed.iter().map(|f| f.file.as_str()).collect();
    assert!(fixed.contains(&"src/session.js"), "{fixed:?}");
    assert!(
        fixed.contains(&""),
        "the missing expectation is met: {fixed:?}"
    );
    let history: Vec<usize> = task.history.iter().map(|r| r.total_violations).collect();
    assert_eq!(history, [first_total, second_total]);
    let coverage = task.coverage.as_ref().unwrap();
    assert_eq!(coverage.len(), 1);
    assert_eq!(coverage[0].rule_id, "remove-auth0");
    assert_eq!(coverage[0].remaining, second_total);
    assert!(coverage[0].migrated >= 1, "{coverage:?}");
    assert!(coverage[0].percent > 0.0 && coverage[0].percent < 100.0);
    let named = task
        .checkpoints
        .iter()
        .find(|c| c.name == "session-done")
        .unwrap_or_else(|| panic!("{:#?}", task.checkpoints));
    assert_eq!(named.task_number, Some(1));
    assert!(
        named
            .files
            .iter()
            .any(|f| f.path == "src/session.js" && f.status == "modified"),
        "{named:?}"
    );

    // The checkpoint's diff.
    let diff: CheckpointDiff = server.json(&format!("/api/plans/1/checkpoints/{}", named.id));
    assert_eq!(diff.checkpoint, *named);
    let session = diff
        .files
        .iter()
        .find(|f| f.path == "src/session.js")
        .unwrap_or_else(|| panic!("{diff:#?}"));
    assert!(
        session.diff.contains("-  return auth0.refresh(token);")
            && session
                .diff
                .contains("+  return new CognitoClient().refresh(token);"),
        "{}",
        session.diff
    );
    assert_eq!((session.added_lines, session.removed_lines), (2, 2));

    // The index.
    let index: IndexSummary = server.json("/api/index");
    assert!(index.exists);
    assert_eq!(index.files, 2);
    let languages: Vec<(&str, usize)> = index
        .languages
        .iter()
        .map(|c| (c.name.as_str(), c.count))
        .collect();
    assert_eq!(languages, [("javascript", 2)]);
    let table = |name: &str| {
        index
            .tables
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.count)
    };
    assert_eq!(table("files"), Some(2));
    assert!(table("symbols").unwrap() > 0, "{:?}", index.tables);
    assert!(index.indexed_at.is_some());

    // Unknown things are 404, malformed ids 400, writes 405: all as ApiError.
    for path in [
        "/api/plans/2",
        "/api/plans/1/tasks/9",
        "/api/plans/1/checkpoints/999",
        "/api/plans/2/checkpoints/1",
        "/api/nope",
        "/api/plans/1/nope",
        "/api",
    ] {
        assert!(!server.error(path, 404).error.is_empty(), "{path}");
    }
    assert!(server.error("/api/plans/2", 404).error.contains("plan 2"));
    for path in [
        "/api/plans/abc",
        "/api/plans/-1",
        "/api/plans/0",
        "/api/plans/1/tasks/x",
        "/api/plans/1/checkpoints/1.5",
        "/api/plans/%2e%2e",
        "/api/plans/1/tasks/%2e%2e%2f1",
    ] {
        let error = server.error(path, 400);
        assert!(error.error.contains("is not a"), "{path}: {error:?}");
    }
    let post = server
        .agent
        .post(&format!("{}/api/plans", server.base))
        .send("")
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);

    // The UI's pages (the UI itself, or how to get it in a build without trunk), and 404.
    for page in ["/", "/plans/1", "/plans/1/tasks/1", "/playground"] {
        let answer = server.get(page);
        assert_eq!(answer.status, 200, "{page}");
        assert_eq!(answer.content_type, "text/html; charset=utf-8", "{page}");
        assert_eq!(answer.headers["cache-control"], "no-cache", "{page}");
        assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    }
    assert_eq!(server.get("/nope").status, 404);
    assert_eq!(server.get("/plans/x").status, 404);
    assert_eq!(
        server.get("/api/plans").headers["x-content-type-options"],
        "nosniff"
    );

    // DNS rebinding: another host name is refused.
    let (status, text) = server.raw(b"/api/plans", "evil.example:8717");
    assert_eq!(status, 403, "{text}");
    assert!(!text.contains("Auth0 to Cognito"), "{text}");
    assert_eq!(server.raw(b"/api/plans", "localhost").0, 200);

    // Nothing was written.
    assert!(before == pf_state(&root), ".pf changed while serving");

    // What the CLI writes now shows on the next request.
    repo.aud(&["planning", "add-task", "1", "--title", "Second"])
        .ok();
    repo.aud(&["planning", "complete-job", "1", "1", "1"]).ok();
    let plan: PlanDetail = server.json("/api/plans/1");
    assert_eq!(plan.tasks.len(), 2);
    assert_eq!(plan.tasks[1].task.title, "Second");
    assert!(plan.tasks[0].jobs[0].completed);
    repo.write(
        "src/login.js",
        "import { CognitoClient } from \"cognito\";\n\nexport function login(user) {\n  return new CognitoClient().login(user);\n}\n",
    );
    repo.aud(&["planning", "verify-task", "1", "1", "--auto-update"])
        .ok();
    let plan: PlanDetail = server.json("/api/plans/1");
    let points: Vec<usize> = plan.burndown.iter().map(|p| p.plan_violations).collect();
    assert_eq!(points, [first_total, second_total, 0]);
    assert_eq!(plan.tasks[0].task.status, TaskStatus::Completed);
}

#[test]
fn no_path_reads_outside_the_assets_or_the_root() {
    let repo = Repo::fixture("planning/auth");
    // The served root is a folder of the repository; a secret sits beside it.
    let outer = repo.path().canonicalize().unwrap();
    std::fs::rename(outer.join("src"), outer.join("tmp-src")).unwrap();
    let root = outer.join("served");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::rename(outer.join("tmp-src"), root.join("src")).unwrap();
    std::fs::rename(outer.join("specs"), root.join("specs")).unwrap();
    repo.write("secret.txt", "TOP-SECRET-MARKER\n");
    repo.write("served/inside.txt", "INSIDE-MARKER\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outer.join("secret.txt"), root.join("link.txt")).unwrap();
    let root_str = root.to_str().unwrap();
    let cli = |args: &[&str]| {
        let mut all = vec!["--root", root_str];
        all.extend_from_slice(args);
        repo.aud(&all)
    };
    cli(&["planning", "init", "--name", "p"]).ok();
    let spec = root.join("specs/auth.yaml").display().to_string();
    cli(&["planning", "add-task", "1", "--title", "t", "--spec", &spec]).ok();
    cli(&["planning", "verify-task", "1", "1"]).code(1);
    // Findings naming files outside the root, as a tampered database could.
    {
        let conn = rusqlite::Connection::open(root.join(".pf/planning.db")).unwrap();
        let secret = outer.join("secret.txt").display().to_string();
        for file in [
            "../secret.txt",
            "src/../../secret.txt",
            secret.as_str(),
            "link.txt",
            "..\\secret.txt",
            "inside.txt",
        ] {
            conn.execute(
                "INSERT INTO run_findings (run_id, fingerprint, rule_id, file, line, source, match, term) \
                 VALUES (1, ?1, 'r', ?2, 1, 'symbols', 'x', 'x')",
                [format!("fp-{file}"), file.to_owned()],
            )
            .unwrap();
        }
    }
    let server = Server::start(&repo, &root, &[]);
    let task: TaskDetail = server.json("/api/plans/1/tasks/1");
    let findings = &task.last_run.as_ref().unwrap().findings;
    for view in findings {
        let text: String = view.context.iter().map(|l| l.text.as_str()).collect();
        assert!(!text.contains("TOP-SECRET"), "{view:?}");
        if view.finding.file == "inside.txt" {
            assert_eq!(text, "INSIDE-MARKER");
        } else if view.finding.rule_id == "r" {
            assert!(view.context.is_empty(), "{view:?}");
        }
    }
    // The tampering shows in the chain.
    let plan: PlanDetail = server.json("/api/plans/1");
    assert!(
        matches!(plan.chain, ChainStatus::Broken { .. }),
        "{:?}",
        plan.chain
    );

    // Asset paths: sent byte for byte, whatever the spelling, never a file.
    let attacks: &[&[u8]] = &[
        b"/secret.txt",
        b"/../secret.txt",
        b"/../../secret.txt",
        b"/%2e%2e/secret.txt",
        b"/%2E%2E/%2e%2e/secret.txt",
        b"/..%2fsecret.txt",
        b"/..%2Fsecret.txt",
        b"/%252e%252e%252fsecret.txt",
        b"/..\\secret.txt",
        b"/..%5csecret.txt",
        b"/inside.txt",
        b"/src/login.js",
        b"/.pf/planning.db",
        b"/index.html%00",
        b"/%00",
        b"//etc/passwd",
        b"/etc/passwd",
        b"/plans/1/../../secret.txt",
        b"/plans/..%2f..%2fsecret.txt",
        b"http://127.0.0.1/../secret.txt",
        b"/api/../secret.txt",
        b"/api/plans/1/../../../secret.txt",
    ];
    for target in attacks {
        let (status, text) = server.raw(target, "127.0.0.1");
        let shown = String::from_utf8_lossy(target);
        assert!(matches!(status, 400 | 404), "{shown}: {status}\n{text}");
        for marker in [
            "TOP-SECRET",
            "INSIDE-MARKER",
            "auth0",
            "root:",
            "SQLite format",
        ] {
            assert!(!text.contains(marker), "{shown}: {text}");
        }
    }
    // A NUL byte in the request line is refused outright.
    let (status, _) = server.raw(b"/index.html\0", "127.0.0.1");
    assert_eq!(status, 400);
}

#[test]
fn a_repository_without_plans_or_index_is_empty_not_an_error() {
    let repo = Repo::new();
    let root = repo.path().canonicalize().unwrap();
    let server = Server::start(&repo, &root, &[]);
    let list: PlanList = server.json("/api/plans");
    assert!(list.plans.is_empty());
    let index: IndexSummary = server.json("/api/index");
    assert!(!index.exists);
    assert_eq!(index.files, 0);
    server.error("/api/plans/1", 404);
    server.error("/api/plans/1/tasks/1", 404);
    server.error("/api/plans/1/checkpoints/1", 404);
    let home = server.get("/");
    assert_eq!(home.status, 200);
    if home.body.contains("no web UI") {
        // A build without trunk says how to get the UI, at / and on stderr.
        assert!(home.body.contains("./scripts/setup.sh"), "{}", home.body);
        assert!(server.says("no web UI"), "{}", server.stderr());
    } else {
        assert!(
            !server.stderr().contains("no web UI"),
            "{}",
            server.stderr()
        );
    }
    // Nothing was created.
    assert!(!root.join(".pf").exists());
}

#[test]
fn a_damaged_database_is_a_500_naming_it() {
    let repo = Repo::new();
    repo.write(".pf/planning.db", "this is not SQLite, not even close\n");
    repo.write(".pf/repo_index.db", "neither is this\n");
    let root = repo.path().canonicalize().unwrap();
    let server = Server::start(&repo, &root, &[]);
    let error = server.error("/api/plans", 500);
    assert!(error.error.contains(".pf/planning.db"), "{error:?}");
    let error = server.error("/api/plans/1", 500);
    assert!(error.error.contains(".pf/planning.db"), "{error:?}");
    let error = server.error("/api/index", 500);
    assert!(error.error.contains("repo_index.db"), "{error:?}");
    // Still there, untouched.
    assert_eq!(
        repo.read(".pf/planning.db"),
        "this is not SQLite, not even close\n"
    );
}

#[test]
fn sigterm_stops_the_server_and_a_port_in_use_is_exit_2() {
    let repo = Repo::new();
    let root = repo.path().canonicalize().unwrap();

    // A port in use is refused with a clear message.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let refused = repo.aud(&["serve", "--port", &port]);
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains(&format!("port {port} is in use; pass --port")),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);

    // SIGTERM as soon as the address is printed stops the server cleanly, exit 0.
    for _ in 0..3 {
        let mut server = Server::start(&repo, &root, &[]);
        let pid = server.child.id().to_string();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        assert_eq!(
            server.wait_exit(Duration::from_secs(30)),
            Some(0),
            "{}",
            server.stderr()
        );
        assert!(server.says("aud serve: stopped"), "{}", server.stderr());
    }
}

#[test]
fn another_address_is_served_only_when_asked_with_a_warning() {
    let repo = Repo::new();
    let root = repo.path().canonicalize().unwrap();
    let server = Server::start(&repo, &root, &["--host", "0.0.0.0"]);
    assert!(
        server.base.starts_with("http://0.0.0.0:"),
        "{}",
        server.base
    );
    let port = server.address.rsplit(':').next().unwrap();
    assert!(
        server.says("warning: aud serve listens on 0.0.0.0"),
        "{}",
        server.stderr()
    );
    // Any host name is answered then (the user asked for the network).
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream
        .write_all(b"GET /api/plans HTTP/1.1\r\nHost: my-laptop.lan\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

//! The web UI in a real browser: Debian's chromium, driven through chromedriver (WebDriver),
//! against the real `aud serve` on plans built with the CLI.
//!
//! Each test takes screenshots into `target/browser-screenshots/` for a person to look at.
//! chromium and chromedriver come from `scripts/setup.sh`; without them these tests fail with
//! a message saying so (they never skip).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aud_tests::Repo;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page may take to show an element (generous: CI machines are busy).
const WAIT: Duration = Duration::from_secs(30);

/// A child process killed when the test ends, pass or fail.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `aud serve --port 0` on `repo`; returns the guard and the base URL (with trailing `/`).
fn serve(repo: &Repo) -> (Guard, String) {
    let mut child = repo
        .aud_cmd(&["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start aud serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = Guard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("aud serve: ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(WAIT)
        .expect("aud serve printed no `aud serve: URL` line");
    (guard, url)
}

/// chromedriver on a free port; returns the guard and the port once it accepts connections.
fn chromedriver() -> (Guard, u16) {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: run ./scripts/setup.sh (it installs chromium and chromium-driver)"
        );
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = Guard(child);
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

/// A headless chromium session, isolated from the network and from any profile.
async fn browser(driver_port: u16, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1366,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("WebDriver session with chromium")
}

/// Saves a screenshot as `target/browser-screenshots/<name>.png`.
async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits for `css` and returns its text.
async fn text_of(client: &Client, css: &str) -> String {
    let el = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"));
    el.text().await.expect("element text")
}

/// Number of elements matching `css`, once at least one exists.
async fn count(client: &Client, css: &str) -> usize {
    text_of(client, css).await;
    client
        .find_all(Locator::Css(css))
        .await
        .expect("find_all")
        .len()
}

/// A git repository with two plans built by the CLI:
/// - plan 1 "Auth0 to Cognito", active: task 1 verified twice (9 violations, then 5 after
///   fixing `src/session.js`), a checkpoint between the runs, task 2 without a spec;
/// - plan 2 "Done already", archived after one passing run.
fn scenario() -> Repo {
    let repo = Repo::fixture("planning/auth");
    repo.git(&["init", "-q"]);
    repo.write(".gitignore", ".pf/\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "start"]);
    repo.aud(&["index"]).ok();
    repo.aud(&["planning", "init", "--name", "Auth0 to Cognito"])
        .ok();
    repo.aud(&[
        "planning",
        "add-phase",
        "1",
        "--phase-number",
        "1",
        "--title",
        "Backend",
    ])
    .ok();
    repo.aud(&[
        "planning",
        "add-task",
        "1",
        "--title",
        "Replace the Auth0 SDK",
        "--spec",
        "specs/auth.yaml",
        "--phase",
        "1",
    ])
    .ok();
    repo.aud(&["planning", "add-task", "1", "--title", "Tell the team"])
        .ok();
    repo.aud(&["planning", "verify-task", "1", "1", "--auto-update"])
        .code(1);
    repo.write(
        "src/session.js",
        "import { CognitoClient } from \"cognito\";\n\nexport function refresh(token) {\n  return new CognitoClient().refresh(token);\n}\n",
    );
    repo.aud(&[
        "planning",
        "checkpoint",
        "1",
        "1",
        "--name",
        "session-migrated",
    ])
    .ok();
    repo.aud(&["planning", "verify-task", "1", "1", "--auto-update"])
        .code(1);

    repo.aud(&["planning", "init", "--name", "Done already"])
        .ok();
    repo.write(
        "specs/gone.yaml",
        "refactor_name: Gone\nrules:\n  - id: no-md5\n    description: no md5\n    match:\n      identifiers: [md5]\n",
    );
    repo.aud(&[
        "planning",
        "add-task",
        "2",
        "--title",
        "No md5",
        "--spec",
        "specs/gone.yaml",
    ])
    .ok();
    repo.aud(&["planning", "verify-task", "2", "1", "--auto-update"])
        .ok();
    repo.aud(&["planning", "archive", "2", "--notes", "nothing to do"])
        .ok();
    repo
}

/// Runs `body` with a browser pointed at `aud serve` on the scenario repository.
fn with_browser<F>(body: F)
where
    F: for<'a> FnOnce(&'a Client, &'a str) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>,
{
    let repo = scenario();
    let (_server, url) = serve(&repo);
    let (_driver, port) = chromedriver();
    let profile = tempfile::tempdir().expect("profile dir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let client = browser(port, profile.path()).await;
        body(&client, &url).await;
        client.close().await.expect("close the browser");
    });
}

#[test]
fn the_plan_list_links_to_a_plan_with_its_burndown_chart() {
    with_browser(|client, url| {
        Box::pin(async move {
            client.goto(url).await.expect("open /");
            assert_eq!(count(client, "tr.plan-row").await, 2);
            let row = text_of(client, "tr.plan-row[data-plan-id=\"1\"]").await;
            assert!(row.contains("Auth0 to Cognito"), "{row}");
            let violations = text_of(client, "tr.plan-row[data-plan-id=\"1\"] .violations").await;
            // One finding per site: `auth0` at login.js lines 1, 4 and 8.
            assert_eq!(violations.trim(), "3", "plan 1 has 3 sites left");
            let percent = client
                .find(Locator::Css("tr.plan-row[data-plan-id=\"2\"] .progress"))
                .await
                .expect("progress of plan 2")
                .attr("data-percent")
                .await
                .expect("data-percent");
            assert_eq!(percent.as_deref(), Some("100"));
            screenshot(client, "plans").await;

            client
                .find(Locator::Css("tr.plan-row[data-plan-id=\"1\"] a"))
                .await
                .expect("link to plan 1")
                .click()
                .await
                .expect("click");
            assert_eq!(text_of(client, "h1").await.trim(), "Auth0 to Cognito");
            assert_eq!(count(client, "svg#burndown circle.point").await, 2);
            count(client, "svg#burndown polyline.plan-line").await;
            let badge = text_of(client, "[data-task=\"1\"] .badge").await;
            assert!(
                badge.contains("in_progress") || badge.contains("in progress"),
                "{badge}"
            );
            let verdict = text_of(client, "#chain-verdict").await;
            assert!(verdict.contains("intact"), "{verdict}");
            screenshot(client, "plan").await;

            client
                .goto(&format!("{url}plans/2"))
                .await
                .expect("open plan 2");
            let verdict = text_of(client, "#chain-verdict").await;
            assert!(verdict.contains("intact"), "archived plan: {verdict}");
            screenshot(client, "plan-archived").await;
        })
    });
}

#[test]
fn a_task_shows_violations_with_code_and_a_checkpoint_diff() {
    with_browser(|client, url| {
        Box::pin(async move {
            client
                .goto(&format!("{url}plans/1/tasks/1"))
                .await
                .expect("open the task");
            let spec = text_of(client, "pre#spec").await;
            assert!(spec.contains("remove-auth0"), "{spec}");
            count(client, "pre#spec span.yaml-key").await;
            assert_eq!(
                count(client, ".rule-group[data-rule=\"remove-auth0\"] .finding").await,
                3,
                "one code context per site"
            );
            let locs: Vec<String> = {
                let mut out = Vec::new();
                for el in client
                    .find_all(Locator::Css(".finding .loc"))
                    .await
                    .expect("locations")
                {
                    out.push(el.text().await.expect("text"));
                }
                out
            };
            assert!(
                locs.iter().all(|l| l.starts_with("src/login.js:")),
                "only login.js is left: {locs:?}"
            );
            let code = text_of(client, ".finding .code").await;
            assert!(code.contains("auth0"), "{code}");
            let fixed = text_of(client, "#fixed-findings").await;
            assert!(fixed.contains("src/session.js"), "{fixed}");
            text_of(client, "#coverage").await;
            let history = text_of(client, "#history").await;
            assert!(history.contains('9') && history.contains('5'), "{history}");
            screenshot(client, "task").await;

            // The failed first verification took an automatic checkpoint (no change yet); the
            // named one holds the edit of src/session.js.
            let mut named = None;
            for cp in client
                .find_all(Locator::Css(".checkpoint"))
                .await
                .expect("checkpoints")
            {
                if cp.text().await.expect("text").contains("session-migrated") {
                    named = Some(cp);
                }
            }
            named
                .expect("the session-migrated checkpoint is listed")
                .find(Locator::Css("button.show-diff"))
                .await
                .expect("its show-diff button")
                .click()
                .await
                .expect("click show diff");
            let added = text_of(client, "#diff .diff-add").await;
            assert!(!added.is_empty());
            let diff = text_of(client, "#diff").await;
            assert!(diff.contains("src/session.js"), "{diff}");
            assert!(diff.contains("CognitoClient"), "{diff}");
            count(client, "#diff .diff-del").await;
            client
                .execute(
                    "document.querySelector('#diff').scrollIntoView()",
                    Vec::new(),
                )
                .await
                .expect("scroll to the diff");
            screenshot(client, "task-diff").await;
        })
    });
}

#[test]
fn the_playground_marks_spec_errors_at_their_line() {
    with_browser(|client, url| {
        Box::pin(async move {
            client
                .goto(&format!("{url}playground"))
                .await
                .expect("open the playground");
            text_of(client, "#spec-ok").await;
            let input = client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::Css("textarea#spec-input"))
                .await
                .expect("the editor");
            input.clear().await.expect("clear");
            // Line 5 misspells `match`; line 8 has an unknown severity.
            let broken = "refactor_name: Broken\nrules:\n  - id: one\n    description: d\n    mtach:\n      identifiers: [auth0]\n  - id: two\n    severity: urgent\n    description: d\n    match:\n      identifiers: [md5]\n";
            input.send_keys(broken).await.expect("type the spec");
            let first = text_of(client, "li.spec-error[data-line=\"5\"]").await;
            assert!(first.contains("match"), "did-you-mean help: {first}");
            text_of(client, "li.spec-error[data-line=\"8\"]").await;
            text_of(client, ".gutter-line.error[data-line=\"5\"]").await;
            assert!(
                client
                    .find(Locator::Css(".gutter-line.error[data-line=\"4\"]"))
                    .await
                    .is_err(),
                "line 4 is fine"
            );
            screenshot(client, "playground-error").await;

            input.clear().await.expect("clear");
            input
                .send_keys("refactor_name: Fine\nrules:\n  - id: one\n    description: d\n    match:\n      identifiers: [auth0]\n")
                .await
                .expect("type a valid spec");
            text_of(client, "#spec-ok").await;
            assert_eq!(
                client
                    .find_all(Locator::Css("li.spec-error"))
                    .await
                    .expect("find_all")
                    .len(),
                0
            );
        })
    });
}

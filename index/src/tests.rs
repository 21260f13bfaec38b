//! Golden tests: every row extracted from the fixture repositories under
//! `tests/fixtures/index/`, compared with the reviewed snapshots in `snapshots/`; plus small
//! data-driven checks of single constructs.
#![allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::extract::{Language, extract};
use super::rows::FileRows;
use super::walk::{self, Skipped};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/index")
        .join(name)
}

#[derive(Serialize)]
struct FileSnapshot {
    language: &'static str,
    syntax_errors: u32,
    rows: FileRows,
}

#[derive(Serialize)]
struct RepoSnapshot {
    files: BTreeMap<String, FileSnapshot>,
    skipped: Vec<Skipped>,
}

/// Walks a copy of a fixture, with a symlink loop and a git-ignored file added at test time,
/// and extracts every file.
fn snapshot_of(name: &str) -> RepoSnapshot {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), tmp.path());
    std::fs::create_dir_all(tmp.path().join("generated")).unwrap();
    std::fs::write(tmp.path().join("generated/out.js"), "const ignored = 1;\n").unwrap();
    std::fs::write(tmp.path().join(".gitignore"), "generated/\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path(), tmp.path().join("loop")).unwrap();

    let (candidates, mut skipped) = walk::walk(tmp.path(), 2 * 1024 * 1024);
    let mut files = BTreeMap::new();
    for candidate in candidates {
        match walk::read(&candidate, 2 * 1024 * 1024) {
            Ok(walk::Read { text, .. }) => {
                let extraction = extract(&candidate.rel, candidate.language, &text);
                files.insert(
                    candidate.rel.clone(),
                    FileSnapshot {
                        language: candidate.language.name(),
                        syntax_errors: extraction.syntax_errors,
                        rows: extraction.rows,
                    },
                );
            }
            Err(reason) => skipped.push(Skipped {
                path: candidate.rel,
                reason,
            }),
        }
    }
    skipped.sort();
    RepoSnapshot { files, skipped }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn javascript_fixture() {
    insta::assert_yaml_snapshot!(snapshot_of("js"));
}

#[test]
fn typescript_fixture() {
    insta::assert_yaml_snapshot!(snapshot_of("ts"));
}

#[test]
fn python_fixture() {
    insta::assert_yaml_snapshot!(snapshot_of("python"));
}

#[test]
fn go_fixture() {
    insta::assert_yaml_snapshot!(snapshot_of("go"));
}

#[test]
fn rust_fixture() {
    insta::assert_yaml_snapshot!(snapshot_of("rust"));
}

fn rows(language: Language, path: &str, src: &str) -> FileRows {
    extract(path, language, src).rows
}

fn js(src: &str) -> FileRows {
    rows(Language::JavaScript, "a.js", src)
}

fn py(src: &str) -> FileRows {
    rows(Language::Python, "a.py", src)
}

fn go(src: &str) -> FileRows {
    rows(Language::Go, "a.go", src)
}

fn rs(src: &str) -> FileRows {
    rows(Language::Rust, "a.rs", src)
}

fn usages(rows: &FileRows) -> Vec<(&str, &str)> {
    rows.variable_usage
        .iter()
        .map(|u| (u.variable_name.as_str(), u.usage_type))
        .collect()
}

fn callees(rows: &FileRows) -> Vec<&str> {
    let mut names: Vec<&str> = rows
        .function_call_args
        .iter()
        .map(|c| c.callee_function.as_str())
        .collect();
    names.dedup();
    names
}

fn routes(rows: &FileRows) -> Vec<(&str, &str, Option<&str>, &str)> {
    rows.api_endpoints
        .iter()
        .map(|e| {
            (
                e.method.as_str(),
                e.path.as_str(),
                e.handler_function.as_deref(),
                e.framework,
            )
        })
        .collect()
}

#[test]
fn comments_produce_no_rows() {
    assert!(js("// const a = require('x'); app.get('/x', h);\n/* SELECT * FROM t */").is_empty());
    assert!(py("# import os\n# cur.execute('SELECT * FROM t')\n").is_empty());
    assert!(go("// db.Exec(\"DELETE FROM t\")\n/* x := 1 */").is_empty());
    assert!(rs("// let a = b();\n/* sqlx::query!(\"DELETE FROM t\") */\n/// c()").is_empty());
}

#[test]
fn member_chains_are_read_whole() {
    let rows = js("const d = process.env.AUTH0_DOMAIN;");
    let names: Vec<_> = rows
        .variable_usage
        .iter()
        .map(|u| u.variable_name.as_str())
        .collect();
    assert_eq!(names, ["d", "process.env.AUTH0_DOMAIN"]);
    let rows = py("def f(self):\n    return self.conn.cursor()\n");
    let names: Vec<_> = rows
        .variable_usage
        .iter()
        .map(|u| u.variable_name.as_str())
        .collect();
    assert_eq!(names, ["self.conn"]);
}

#[test]
fn new_expressions_name_the_class() {
    let rows = js("const c = new auth0.AuthenticationClient({ domain });");
    assert_eq!(
        rows.function_call_args[0].callee_function,
        "auth0.AuthenticationClient"
    );
    assert_eq!(
        rows.function_call_args[0].argument_expr.as_deref(),
        Some("{ domain }")
    );
}

#[test]
fn calls_without_arguments_have_one_row() {
    let rows = js("logout();");
    assert_eq!(rows.function_call_args.len(), 1);
    assert_eq!(rows.function_call_args[0].argument_index, None);
}

#[test]
fn destructuring_binds_one_row_per_name() {
    let rows = js("function f() { const { a, b: c, ...d } = g(); }");
    let targets: Vec<_> = rows
        .assignments
        .iter()
        .map(|a| (a.target_var.as_str(), a.in_function.as_str()))
        .collect();
    assert_eq!(targets, [("a", "f"), ("c", "f"), ("d", "f")]);
}

#[test]
fn fastapi_prefix_is_joined() {
    let rows = py(
        "from fastapi import APIRouter\nrouter = APIRouter(prefix='/v1/users')\n@router.get('/{id}')\ndef get(id): ...\n",
    );
    assert_eq!(rows.api_endpoints[0].path, "/v1/users/{id}");
    assert_eq!(rows.api_endpoints[0].framework, "fastapi");
}

#[test]
fn go_selector_chains_calls_and_assignments() {
    let rows = go(
        "package p\nfunc (s *Server) h(w W, r *R) {\n\tid := r.URL.Query().Get(\"id\")\n\ta, err := db.Exec(`DELETE FROM sessions WHERE id = $1`, id)\n\ts.count += 1\n}\n",
    );
    assert_eq!(
        usages(&rows),
        [
            ("id", "write"),
            ("r.URL", "read"),
            ("a", "write"),
            ("err", "write"),
            ("db", "read"),
            ("id", "read"),
            ("s.count", "read"),
            ("s.count", "write"),
        ]
    );
    assert_eq!(
        callees(&rows),
        ["r.URL.Query", "r.URL.Query().Get", "db.Exec"]
    );
    let assigned: Vec<_> = rows
        .assignments
        .iter()
        .map(|a| {
            (
                a.target_var.as_str(),
                a.source_expr.as_str(),
                a.in_function.as_str(),
            )
        })
        .collect();
    assert_eq!(
        assigned[1],
        (
            "a",
            "db.Exec(`DELETE FROM sessions WHERE id = $1`, id)",
            "Server.h"
        )
    );
    assert_eq!(rows.sql_queries[0].tables, ["sessions"]);
    assert_eq!(rows.symbols[0].parent.as_deref(), Some("Server"));
}

#[test]
fn go_routes_join_group_prefixes() {
    let rows = go(
        "package p\nimport \"github.com/gin-gonic/gin\"\nfunc r(r *gin.Engine) {\n\tv1 := r.Group(\"/v1\")\n\tadmin := v1.Group(\"admin\")\n\tadmin.GET(\"/users/:id\", h.Get)\n\thttp.HandleFunc(\"DELETE /x/{id}\", del)\n\tcache.Get(\"/not-a-route\", 1)\n}\n",
    );
    assert_eq!(
        routes(&rows),
        [
            ("GET", "/v1/admin/users/:id", Some("h.Get"), "gin"),
            ("DELETE", "/x/{id}", Some("del"), "net/http"),
        ]
    );
}

#[test]
fn go_routes_of_gorilla_echo_and_fiber() {
    let rows = go(
        "package p\nimport \"github.com/gorilla/mux\"\nfunc r() {\n\tr := mux.NewRouter()\n\tapi := r.PathPrefix(\"/api\").Subrouter()\n\tapi.HandleFunc(\"/users\", list).Methods(\"GET\", \"HEAD\")\n}\n",
    );
    assert_eq!(
        routes(&rows),
        [
            ("GET", "/api/users", Some("list"), "gorilla"),
            ("HEAD", "/api/users", Some("list"), "gorilla"),
        ]
    );
    let rows = go(
        "package p\nimport \"github.com/labstack/echo/v4\"\nfunc r(e *echo.Echo) {\n\tg := e.Group(\"/admin\")\n\tg.PUT(\"/users/:id\", h.Put)\n\te.Get(\"/not-echo\", h)\n}\n",
    );
    assert_eq!(
        routes(&rows),
        [("PUT", "/admin/users/:id", Some("h.Put"), "echo")]
    );
    let rows = go(
        "package p\nimport \"github.com/gofiber/fiber/v2\"\nfunc r(app *fiber.App) {\n\tapi := app.Group(\"/api\")\n\tapi.Get(\"/items\", items)\n}\n",
    );
    assert_eq!(
        routes(&rows),
        [("GET", "/api/items", Some("items"), "fiber")]
    );
}

#[test]
fn rust_paths_fields_and_macros() {
    let rows = rs(
        "impl Repo {\n    fn get(&self) {\n        let key = std::env::var(\"KEY\").unwrap();\n        let n = self.conn.execute(r#\"UPDATE users SET a = 1\"#, []);\n        println!(\"{}\", self.name.len());\n        legacy_total(n);\n    }\n}\n",
    );
    let used = usages(&rows);
    for expected in [
        ("std::env::var", "read"),
        ("self.conn", "read"),
        ("self.name", "read"),
        ("key", "write"),
        ("n", "read"),
    ] {
        assert!(used.contains(&expected), "{expected:?} in {used:?}");
    }
    assert_eq!(
        callees(&rows),
        [
            "std::env::var",
            "std::env::var(\"KEY\").unwrap",
            "self.conn.execute",
            "println!",
            "self.name.len",
            "legacy_total"
        ]
    );
    assert_eq!(rows.sql_queries[0].query_text, "UPDATE users SET a = 1");
    assert_eq!(rows.sql_queries[0].tables, ["users"]);
    assert_eq!(rows.function_call_args[0].caller_function, "Repo.get");
}

#[test]
fn rust_routes_resolve_nesting_within_a_file() {
    let rows = rs(
        "fn app() -> Router {\n    let users = Router::new().route(\"/:id\", get(show).delete(remove));\n    Router::new()\n        .nest(\"/users\", users)\n        .nest(\"/api\", api())\n}\nfn api() -> Router { Router::new().route(\"/ping\", any(ping)) }\n",
    );
    assert_eq!(
        routes(&rows),
        [
            ("DELETE", "/users/:id", Some("remove"), "axum"),
            ("GET", "/users/:id", Some("show"), "axum"),
            ("ALL", "/api/ping", Some("ping"), "axum"),
        ]
    );
    let rows = rs(
        "#[get(\"/{id}\")]\nasync fn one() {}\nfn cfg() { App::new().service(web::scope(\"/v2\").service(one).service(web::resource(\"/all\").route(web::post().to(add)))); }\n",
    );
    assert_eq!(
        routes(&rows),
        [
            ("GET", "/v2/{id}", Some("one"), "actix-web"),
            ("POST", "/v2/all", Some("add"), "actix-web"),
        ]
    );
}

#[test]
fn rust_attribute_routes_of_actix_and_rocket() {
    let rows = rs(
        "#[route(\"/x\", method = \"GET\", method = \"HEAD\")]\nasync fn x() {}\n#[get(\"not-a-path\")]\nfn y() {}\n",
    );
    assert_eq!(
        routes(&rows),
        [
            ("GET", "/x", Some("x"), "actix-web"),
            ("HEAD", "/x", Some("x"), "actix-web"),
        ]
    );
    let rows = rs(
        "#[macro_use] extern crate rocket;\n#[post(\"/todo/<id>\", data = \"<todo>\")]\nfn update(id: u32) {}\n",
    );
    assert_eq!(
        routes(&rows),
        [("POST", "/todo/<id>", Some("update"), "rocket")]
    );
    // Format strings name what they read; SQL built with `format!` still parses.
    let rows = rs("fn f() { let q = format!(\"SELECT {COLS} FROM t WHERE id = {}\", id); }\n");
    assert!(usages(&rows).contains(&("COLS", "read")));
    assert!(rows.sql_queries[0].parse_ok);
}

#[test]
fn hostile_input_never_panics() {
    let deep = "(".repeat(100_000);
    let _ = js(&deep);
    let _ = py(&"[".repeat(100_000));
    let _ = js(&"a.".repeat(50_000));
    let _ = py("\u{feff}\0\u{fffd}def");
    let _ = rows(Language::Tsx, "a.tsx", "<<<>>> </ {{{");
    let _ = go(&"f(".repeat(100_000));
    let _ = go(&"a.".repeat(50_000));
    let _ = go("package main\nfunc ( {{ := := `\n");
    let _ = rs(&"[".repeat(100_000));
    let _ = rs(&"m!(".repeat(50_000));
    let _ = rs(&"a::".repeat(50_000));
    let _ = rs("fn f( { let = ; impl for {} #[get(]\n r#\"");
    // Routers nesting each other in a cycle, many times over.
    let cycle = "fn a() -> Router { Router::new().route(\"/x\", get(h)).merge(b()).merge(a()) }\nfn b() -> Router { Router::new().nest(\"/b\", a()).merge(b()) }\n";
    let rows = rs(&cycle.repeat(50));
    assert!(!rows.api_endpoints.is_empty());
}

#[test]
fn escaped_quotes_in_queries_are_resolved() {
    let rows = py("cur.execute('UPDATE \"user\" SET old_id = nextval(\\'user_id_seq\\')')\n");
    assert_eq!(rows.sql_queries.len(), 1);
    assert!(rows.sql_queries[0].parse_ok, "{:?}", rows.sql_queries[0]);
    assert_eq!(rows.sql_queries[0].tables, ["user"]);
    let rows = js("db.query('SELECT * FROM \\'odd\\' WHERE a = \\'b\\'')");
    assert_eq!(
        rows.sql_queries[0].query_text,
        "SELECT * FROM 'odd' WHERE a = 'b'"
    );
}

#[test]
fn the_rule_engine_reads_the_written_index() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("js"), tmp.path());
    let db = tmp.path().join(".pf/repo_index.db");
    let report = super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap();
    assert_eq!(report.files_indexed, 4);

    let index = super::SqliteIndex::open(&db).unwrap();
    let coverage = index.coverage().unwrap();
    assert_eq!(
        (
            coverage.files_indexed,
            coverage.files_skipped,
            coverage.parse_errors
        ),
        (4, 1, 1)
    );
    let spec = aud_core::spec::Spec::parse(
        "spec.yaml",
        "refactor_name: auth0 to cognito\nrules:\n  - id: remove-auth0\n    description: no auth0\n    match:\n      identifiers: [AuthenticationClient]\n      sql_tables: [users]\n      api_routes: [/posts]\n",
    )
    .unwrap();
    let evaluation = aud_core::engine::evaluate(&spec, &index).unwrap();
    let mut found: Vec<(String, u32, String, String)> = evaluation.rules[0]
        .violations
        .iter()
        .map(|f| (f.file.clone(), f.line, f.source.clone(), f.context.clone()))
        .collect();
    found.sort();
    insta::assert_yaml_snapshot!(found);
}

#[test]
fn a_newer_index_is_refused_with_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("repo_index.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA user_version = 999;").unwrap();
    drop(conn);
    let err = super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("repo_index.db") && message.contains("newer"),
        "{message}"
    );
    assert!(super::SqliteIndex::open(&db).is_err());
}

#[test]
fn loop_variables_are_writes() {
    let rows = js("for (const { id } of users) { send(id); }\nfor (key in obj) {}");
    let usages: Vec<_> = rows
        .variable_usage
        .iter()
        .map(|u| (u.variable_name.as_str(), u.usage_type))
        .collect();
    assert_eq!(
        usages,
        [
            ("id", "write"),
            ("users", "read"),
            ("id", "read"),
            ("key", "write"),
            ("obj", "read")
        ]
    );
}

#[test]
fn flask_url_rules_are_routes() {
    let rows = py(
        "bp = Blueprint('b', __name__, url_prefix='/b')\nbp.add_url_rule('/x', view_func=show, methods=['POST', 'PUT'])\n",
    );
    let routes: Vec<_> = rows
        .api_endpoints
        .iter()
        .map(|e| {
            (
                e.method.as_str(),
                e.path.as_str(),
                e.handler_function.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("POST", "/b/x", Some("show")),
            ("PUT", "/b/x", Some("show"))
        ]
    );
}

#[test]
fn kept_row_counts_match_the_tables_after_every_kind_of_change() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("python"), tmp.path());
    let db = tmp.path().join(".pf/repo_index.db");
    let opts = super::IndexOptions::default();
    let check = |report: &super::IndexReport| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for (table, n) in &report.rows {
            let actual: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(*n, actual as u64, "{table}");
        }
    };
    check(&super::refresh(tmp.path(), &db, &opts).unwrap());
    std::fs::write(tmp.path().join("app.py"), "import os\nprint(os.environ)\n").unwrap();
    std::fs::remove_file(tmp.path().join("models.py")).unwrap();
    std::fs::write(
        tmp.path().join("new.py"),
        "cur.execute('SELECT * FROM t JOIN u ON true')\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("api/items.py"), b"\xff\xfe not utf-8").unwrap();
    let report = super::refresh(tmp.path(), &db, &opts).unwrap();
    assert_eq!(
        (
            report.files_new,
            report.files_reindexed,
            report.files_removed
        ),
        (1, 1, 2)
    );
    check(&report);
    check(&super::refresh(tmp.path(), &db, &opts).unwrap());
    check(
        &super::refresh(
            tmp.path(),
            &db,
            &super::IndexOptions {
                full: true,
                ..opts.clone()
            },
        )
        .unwrap(),
    );
}

/// Every row of every per-file table, sorted, without rowids.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut all = Vec::new();
    for (table, _) in crate::schema::PER_FILE_TABLES
        .iter()
        .chain([&("files", "path")])
    {
        // Ids are the writer's own (insertion order): compare what they stand for.
        let sql = match *table {
            "name_sites" => "SELECT f.path, n.name, s.sites FROM name_sites s JOIN files f ON f.rowid = s.file_id JOIN names n ON n.id = s.name_id".to_owned(),
            _ => format!("SELECT * FROM {table}"),
        };
        let mut stmt = conn.prepare(&sql).unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut fields = vec![(*table).to_owned()];
                for i in 0..columns {
                    let value: rusqlite::types::Value = r.get(i)?;
                    fields.push(format!("{value:?}"));
                }
                Ok(fields.join("|"))
            })
            .unwrap();
        all.extend(rows.map(Result::unwrap));
    }
    all.sort();
    all
}

#[test]
fn an_incremental_refresh_leaves_exactly_what_a_full_rebuild_writes() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("js"), tmp.path());
    let db = tmp.path().join(".pf/repo_index.db");
    let opts = super::IndexOptions::default();
    super::refresh(tmp.path(), &db, &opts).unwrap();
    std::fs::write(
        tmp.path().join("src/auth.js"),
        "const jwt = require('jsonwebtoken');\njwt.sign(a);\n",
    )
    .unwrap();
    std::fs::remove_file(tmp.path().join("src/Button.jsx")).unwrap();
    std::fs::write(
        tmp.path().join("src/new.js"),
        "db.query('SELECT * FROM a JOIN b ON true');\n",
    )
    .unwrap();
    super::refresh(tmp.path(), &db, &opts).unwrap();
    std::fs::write(tmp.path().join("src/routes.js"), "app.get('/only', h);\n").unwrap();
    super::refresh(tmp.path(), &db, &opts).unwrap();
    let incremental = dump(&db);

    let full_db = tmp.path().join(".pf/full.db");
    super::refresh(
        tmp.path(),
        &full_db,
        &super::IndexOptions { full: true, ..opts },
    )
    .unwrap();
    // mtimes are equal (same files); everything else must match too.
    assert_eq!(incremental, dump(&full_db));
}

/// Every `api_endpoints` row of an index, as the snapshot shows it.
fn endpoints(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT file, line, method, path, pattern, prefix_status, unresolved, mounts FROM api_endpoints ORDER BY file, line, method, path",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let mut row = format!(
            "{}:{} {} {} (declared {}, {})",
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        );
        if let Some(reason) = r.get::<_, Option<String>>(6)? {
            row.push_str(&format!(" unresolved: {reason}"));
        }
        if let Some(mounts) = r.get::<_, Option<String>>(7)? {
            row.push_str(&format!(" via {mounts}"));
        }
        Ok(row)
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn indexed_routes_fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("routes"), tmp.path());
    let db = tmp.path().join(".pf/repo_index.db");
    super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap();
    (tmp, db)
}

/// Routes with their full path across files: FastAPI `include_router` with a settings prefix,
/// Flask blueprints, Express `use` through `require`/`import` and default exports, axum
/// `.nest` of routers built in other modules; cycles, unresolvable prefixes, double mounts.
#[test]
fn routes_fixture_full_paths() {
    let (_tmp, db) = indexed_routes_fixture();
    insta::assert_yaml_snapshot!(endpoints(&db));
}

#[test]
fn an_edit_in_one_file_changes_full_paths_in_another() {
    let (tmp, db) = indexed_routes_fixture();
    let has = |db: &Path, needle: &str| endpoints(db).iter().any(|e| e.contains(needle));
    assert!(has(&db, "GET /api/v1/items/ "));
    // The settings default moves: the items routes move with it, on refresh.
    let config = tmp.path().join("fastapi/app/core/config.py");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("/api/v1", "/api/v2")).unwrap();
    super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap();
    assert!(has(&db, "GET /api/v2/items/ "));
    assert!(!has(&db, "/api/v1/items"));
    // The mount goes: the routes stay, at their own path.
    let main = tmp.path().join("fastapi/app/main.py");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("app.include_router(", "print(")).unwrap();
    super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap();
    assert!(has(&db, "GET /items/ (declared /items/, resolved)"));
    assert!(!has(&db, "/api/v2/items"));
    // Incremental and full agree.
    let full = tmp.path().join(".pf/full.db");
    super::refresh(
        tmp.path(),
        &full,
        &super::IndexOptions {
            full: true,
            ..super::IndexOptions::default()
        },
    )
    .unwrap();
    assert_eq!(endpoints(&db), endpoints(&full));
}

#[test]
fn hostile_mount_chains_end() {
    // Each router mounts the next and the last the first; a thousand files deep.
    let tmp = tempfile::tempdir().unwrap();
    let n = 1000;
    for i in 0..n {
        let next = (i + 1) % n;
        std::fs::write(
            tmp.path().join(format!("r{i}.js")),
            format!(
                "const next = require('./r{next}');\nconst router = Router();\nrouter.use('/p{i}', next);\nrouter.get('/x', h);\nmodule.exports = router;\n"
            ),
        )
        .unwrap();
    }
    let db = tmp.path().join(".pf/repo_index.db");
    super::refresh(tmp.path(), &db, &super::IndexOptions::default()).unwrap();
    // Every route is kept, each with a bounded chain of prefixes.
    let rows = endpoints(&db);
    assert!(rows.len() >= n, "{}", rows.len());
    assert!(rows.iter().all(|r| {
        let path = r.split(' ').nth(2).unwrap();
        path.matches("/p").count() <= 16
    }));
}

/// `tests/fixtures/names/`: every line ending in a `<-` comment holds the name `widget` as code
/// and must be found; no other line may be (strings, comments, docstrings, JSX text).
fn names_fixture(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/names")
        .join(file);
    std::fs::read_to_string(path).unwrap()
}

fn check_names(file: &str, language: Language) {
    let text = names_fixture(file);
    let extraction = extract(file, language, &text);
    let pattern = aud_core::matcher::Pattern::new("widget").unwrap();
    let found: std::collections::BTreeSet<u32> = extraction
        .rows
        .names
        .iter()
        .filter(|group| pattern.is_match(&group.name))
        .flat_map(|group| group.sites.iter().map(|site| site.line))
        .collect();
    let expected: std::collections::BTreeSet<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_end().ends_with("<-"))
        .map(|(i, _)| u32::try_from(i + 1).unwrap())
        .collect();
    let missed: Vec<&u32> = expected.difference(&found).collect();
    let extra: Vec<&u32> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "{file}: missed lines {missed:?}, wrongly found lines {extra:?}"
    );
}

#[test]
fn names_typescript() {
    check_names("names.ts", Language::TypeScript);
}

#[test]
fn names_tsx() {
    check_names("names.tsx", Language::Tsx);
}

#[test]
fn names_javascript() {
    check_names("names.js", Language::JavaScript);
}

#[test]
fn names_python() {
    check_names("names.py", Language::Python);
}

#[test]
fn names_go() {
    check_names("names.go", Language::Go);
}

#[test]
fn names_rust() {
    check_names("names.rs", Language::Rust);
}

#[test]
fn names_snapshot() {
    // Every occurrence with its column and role, for review.
    let mut out = BTreeMap::new();
    for (file, language) in [
        ("names.ts", Language::TypeScript),
        ("names.tsx", Language::Tsx),
        ("names.js", Language::JavaScript),
        ("names.py", Language::Python),
        ("names.go", Language::Go),
        ("names.rs", Language::Rust),
    ] {
        let text = names_fixture(file);
        let rows = extract(file, language, &text).rows;
        let widget: Vec<_> = rows
            .names
            .into_iter()
            .filter(|g| g.name.to_lowercase().contains("widget"))
            .collect();
        out.insert(file, widget);
    }
    insta::assert_yaml_snapshot!(out);
}

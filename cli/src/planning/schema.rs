//! The schema of `.pf/planning.db`, its migrations and its immutability triggers.
//!
//! The version lives in `PRAGMA user_version`. [`migrate`] brings an older file up to
//! [`VERSION`] in one immediate transaction (never dropping data), refuses a newer one, and
//! reports a file that is not SQLite at all by name.

use rusqlite::{Connection, TransactionBehavior};

/// The schema version this aud writes.
pub const VERSION: i64 = 3;

/// Version 1: the original tool's tables, plus verification runs and their findings.
const V1: &str = r"
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'archived')),
    metadata_json TEXT NOT NULL DEFAULT '{}',
    git_commit TEXT,
    archived_at TEXT,
    archive_notes TEXT
);
CREATE TABLE IF NOT EXISTS plan_phases (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    phase_number INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    success_criteria TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    UNIQUE (plan_id, phase_number)
);
CREATE TABLE IF NOT EXISTS plan_specs (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    spec_yaml TEXT NOT NULL,
    spec_type TEXT NOT NULL DEFAULT 'refactor',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_tasks (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    phase_id INTEGER REFERENCES plan_phases(id),
    task_number INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'blocked')),
    audit_status TEXT CHECK (audit_status IN ('pass', 'fail')),
    assigned_to TEXT,
    spec_id INTEGER REFERENCES plan_specs(id),
    created_at TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (plan_id, task_number)
);
CREATE TABLE IF NOT EXISTS plan_jobs (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES plan_tasks(id),
    job_number INTEGER NOT NULL,
    description TEXT NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    is_audit_job INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (task_id, job_number)
);
CREATE TABLE IF NOT EXISTS code_snapshots (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    task_id INTEGER REFERENCES plan_tasks(id),
    sequence INTEGER NOT NULL,
    checkpoint_name TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    git_ref TEXT,
    shadow_sha TEXT,
    files_json TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS code_diffs (
    id INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES code_snapshots(id),
    file_path TEXT NOT NULL,
    diff_text TEXT,
    added_lines INTEGER NOT NULL DEFAULT 0,
    removed_lines INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS verification_runs (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    task_id INTEGER NOT NULL REFERENCES plan_tasks(id),
    task_number INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    git_commit TEXT,
    index_fingerprint TEXT,
    total_violations INTEGER NOT NULL,
    audit_status TEXT NOT NULL CHECK (audit_status IN ('pass', 'fail')),
    rules_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (task_id, sequence)
);
CREATE TABLE IF NOT EXISTS run_findings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES verification_runs(id),
    fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    source TEXT NOT NULL,
    match TEXT NOT NULL,
    term TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_tasks_plan ON plan_tasks(plan_id, task_number);
CREATE INDEX IF NOT EXISTS plan_jobs_task ON plan_jobs(task_id, job_number);
CREATE INDEX IF NOT EXISTS verification_runs_plan ON verification_runs(plan_id, id);
CREATE INDEX IF NOT EXISTS verification_runs_task ON verification_runs(task_id, sequence);
CREATE INDEX IF NOT EXISTS run_findings_run ON run_findings(run_id);
CREATE INDEX IF NOT EXISTS code_snapshots_plan ON code_snapshots(plan_id, task_id, sequence);

-- An archived plan is immutable.
CREATE TRIGGER IF NOT EXISTS plans_archived_update BEFORE UPDATE ON plans WHEN OLD.status = 'archived'
BEGIN SELECT RAISE(ABORT, 'plan is archived and immutable'); END;
CREATE TRIGGER IF NOT EXISTS plans_archived_delete BEFORE DELETE ON plans WHEN OLD.status = 'archived'
BEGIN SELECT RAISE(ABORT, 'plan is archived and immutable'); END;

-- Verification runs are append-only, archived or not; the hash chain catches what a trigger
-- cannot (someone dropping it).
CREATE TRIGGER IF NOT EXISTS verification_runs_update BEFORE UPDATE ON verification_runs
BEGIN SELECT RAISE(ABORT, 'verification runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS verification_runs_delete BEFORE DELETE ON verification_runs
BEGIN SELECT RAISE(ABORT, 'verification runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS run_findings_update BEFORE UPDATE ON run_findings
BEGIN SELECT RAISE(ABORT, 'verification runs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS run_findings_delete BEFORE DELETE ON run_findings
BEGIN SELECT RAISE(ABORT, 'verification runs are append-only'); END;
";

/// Columns of `plans` that TheAuditor's planning.db lacks.
const PLAN_EXTRA_COLUMNS: &[(&str, &str)] = &[
    ("metadata_json", "TEXT NOT NULL DEFAULT '{}'"),
    ("git_commit", "TEXT"),
    ("archived_at", "TEXT"),
    ("archive_notes", "TEXT"),
];

/// Version 2: the plan anchors its run chain (last hash, number of runs).
const V2_PLAN_COLUMNS: &[(&str, &str)] = &[
    ("chain_head", "TEXT"),
    ("chain_runs", "INTEGER NOT NULL DEFAULT 0"),
];

/// Version 3: a finding is a site, with its column span and every source and term that saw it
/// (`sources` and `terms` as JSON arrays; empty in runs recorded before). A run's rows are
/// either its whole finding set or, to keep unchanged re-runs small, its delta against the
/// task's previous run: `op` is 1 for a finding added (or changed) and -1 for one removed.
const V3_FINDING_COLUMNS: &[(&str, &str)] = &[
    ("col", "INTEGER NOT NULL DEFAULT 0"),
    ("end_col", "INTEGER NOT NULL DEFAULT 0"),
    ("sources", "TEXT NOT NULL DEFAULT ''"),
    ("terms", "TEXT NOT NULL DEFAULT ''"),
    ("op", "INTEGER NOT NULL DEFAULT 1"),
];

/// Version 3: whether a run's `run_findings` are a delta (1) or the whole set (0, every run
/// recorded before).
const V3_RUN_COLUMNS: &[(&str, &str)] = &[("findings_delta", "INTEGER NOT NULL DEFAULT 0")];

/// Fills the anchor of every plan from its runs. The archive trigger is lifted inside the
/// migration's transaction only: a backfill, not a change of the plan.
const V2_BACKFILL: &str = "
DROP TRIGGER plans_archived_update;
UPDATE plans SET
    chain_head = (SELECT hash FROM verification_runs r WHERE r.plan_id = plans.id ORDER BY r.id DESC LIMIT 1),
    chain_runs = (SELECT count(*) FROM verification_runs r WHERE r.plan_id = plans.id);
CREATE TRIGGER plans_archived_update BEFORE UPDATE ON plans WHEN OLD.status = 'archived'
BEGIN SELECT RAISE(ABORT, 'plan is archived and immutable'); END;
";

/// Adds the `columns` that `table` lacks.
fn add_missing_columns(
    conn: &Connection,
    table: &str,
    columns: &[(&str, &str)],
) -> rusqlite::Result<()> {
    let existing = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (name, ty) in columns {
        if !existing.iter().any(|e| e == name) {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {name} {ty}"))?;
        }
    }
    Ok(())
}

/// The tables holding a `plan_id`, guarded against changes once their plan is archived.
const PLAN_CHILDREN: &[&str] = &[
    "plan_phases",
    "plan_specs",
    "plan_tasks",
    "code_snapshots",
    "verification_runs",
];

/// Tables reaching their plan through a parent: `(table, parent key, the plan of that key)`.
const GRANDCHILDREN: &[(&str, &str, &str)] = &[
    (
        "plan_jobs",
        "task_id",
        "SELECT plan_id FROM plan_tasks WHERE id = {}",
    ),
    (
        "code_diffs",
        "snapshot_id",
        "SELECT plan_id FROM code_snapshots WHERE id = {}",
    ),
    (
        "run_findings",
        "run_id",
        "SELECT plan_id FROM verification_runs WHERE id = {}",
    ),
];

/// The triggers refusing INSERT, UPDATE and DELETE of rows of an archived plan.
fn archive_triggers() -> String {
    let mut sql = String::new();
    let archived =
        |plan: &str| format!("(SELECT status FROM plans WHERE id = {plan}) = 'archived'");
    let mut push = |table: &str, event: &str, condition: String| {
        sql.push_str(&format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_archived_{} BEFORE {event} ON {table} WHEN {condition}\n\
             BEGIN SELECT RAISE(ABORT, 'plan is archived and immutable'); END;\n",
            event.to_lowercase()
        ));
    };
    for table in PLAN_CHILDREN {
        push(table, "INSERT", archived("NEW.plan_id"));
        push(
            table,
            "UPDATE",
            format!("{} OR {}", archived("OLD.plan_id"), archived("NEW.plan_id")),
        );
        push(table, "DELETE", archived("OLD.plan_id"));
    }
    for (table, key, plan_of) in GRANDCHILDREN {
        let of = |row: &str| {
            archived(&format!(
                "({})",
                plan_of.replace("{}", &format!("{row}.{key}"))
            ))
        };
        push(table, "INSERT", of("NEW"));
        push(table, "UPDATE", format!("{} OR {}", of("OLD"), of("NEW")));
        push(table, "DELETE", of("OLD"));
    }
    sql
}

/// Why the file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// `user_version` is above [`VERSION`].
    #[error(
        "{path} was written by a newer aud (schema version {found}; this aud knows up to {VERSION}); upgrade aud"
    )]
    Newer {
        /// The database path, for the message.
        path: String,
        /// The version found.
        found: i64,
    },
    /// `user_version` is below [`VERSION`] where the file may not be migrated (a read-only
    /// reader such as `aud serve`).
    #[error(
        "{path} was written by an older aud (schema version {found}); run any `aud planning` command once to upgrade it"
    )]
    Older {
        /// The database path, for the message.
        path: String,
        /// The version found.
        found: i64,
    },
    /// Not SQLite, or damaged.
    #[error(
        "{path} is not a valid planning database (corrupt or not SQLite); move it aside to start afresh"
    )]
    Corrupt {
        /// The database path, for the message.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// Anything else SQLite reports.
    #[error("cannot set up {path}")]
    Sqlite {
        /// The database path, for the message.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
}

/// Whether SQLite says the file is not a database or is damaged.
fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// The [`SchemaError`] for what SQLite said about the file at `path`.
fn sqlite_error(path: &str, source: rusqlite::Error) -> SchemaError {
    if is_corruption(&source) {
        SchemaError::Corrupt {
            path: path.to_owned(),
            source,
        }
    } else {
        SchemaError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }
}

/// Checks, without writing, that the database is at [`VERSION`]: for readers that must not
/// migrate (`aud serve` opens the file read-only).
pub fn check_version(conn: &Connection, path: &str) -> Result<(), SchemaError> {
    // Reading the schema makes SQLite read the header: a file that is not SQLite fails here.
    let found: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .and_then(|()| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .map_err(|e| sqlite_error(path, e))?;
    match found.cmp(&VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(SchemaError::Newer {
            path: path.to_owned(),
            found,
        }),
        std::cmp::Ordering::Less => Err(SchemaError::Older {
            path: path.to_owned(),
            found,
        }),
    }
}

/// Brings the database up to [`VERSION`].
pub fn migrate(conn: &mut Connection, path: &str) -> Result<(), SchemaError> {
    let wrap = |source: rusqlite::Error| sqlite_error(path, source);
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(wrap)?;
    if current == VERSION {
        return Ok(());
    }
    if current > VERSION {
        return Err(SchemaError::Newer {
            path: path.to_owned(),
            found: current,
        });
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(wrap)?;
    // Another process may have migrated while we waited for the lock.
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(wrap)?;
    if current < 1 {
        // Version 0 is an empty file or TheAuditor's own planning.db, whose tables are ours
        // minus a few columns: keep its rows and add what is missing.
        tx.execute_batch(V1).map_err(wrap)?;
        add_missing_columns(&tx, "plans", PLAN_EXTRA_COLUMNS).map_err(wrap)?;
        tx.execute_batch(&archive_triggers()).map_err(wrap)?;
    }
    if current < 2 {
        add_missing_columns(&tx, "plans", V2_PLAN_COLUMNS).map_err(wrap)?;
        tx.execute_batch(V2_BACKFILL).map_err(wrap)?;
    }
    if current < 3 {
        add_missing_columns(&tx, "run_findings", V3_FINDING_COLUMNS).map_err(wrap)?;
        add_missing_columns(&tx, "verification_runs", V3_RUN_COLUMNS).map_err(wrap)?;
    }
    // Later versions add `if current < 4 { ... }` here, each step keeping the data.
    tx.pragma_update(None, "user_version", VERSION)
        .map_err(wrap)?;
    tx.commit().map_err(wrap)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn triggers_compile_and_guard_every_child_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, "planning.db").unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_archived_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            n,
            2 + 3 * (PLAN_CHILDREN.len() + GRANDCHILDREN.len()) as i64
        );
        // Migrating twice is a no-op.
        migrate(&mut conn, "planning.db").unwrap();
    }

    /// TheAuditor's tables, as its planning.db has them.
    const ORIGINAL: &str = "
        CREATE TABLE plans (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT,
            created_at TEXT NOT NULL, status TEXT NOT NULL, metadata_json TEXT);
        CREATE TABLE plan_phases (id INTEGER PRIMARY KEY, plan_id INTEGER, phase_number INTEGER,
            title TEXT, description TEXT, success_criteria TEXT, status TEXT, created_at TEXT);
        CREATE TABLE plan_tasks (id INTEGER PRIMARY KEY, plan_id INTEGER, phase_id INTEGER,
            task_number INTEGER, title TEXT, description TEXT, status TEXT, audit_status TEXT,
            assigned_to TEXT, spec_id INTEGER, created_at TEXT, completed_at TEXT,
            UNIQUE (plan_id, task_number));
        CREATE TABLE plan_jobs (id INTEGER PRIMARY KEY, task_id INTEGER, job_number INTEGER,
            description TEXT, completed INTEGER, is_audit_job INTEGER, created_at TEXT);
        CREATE TABLE plan_specs (id INTEGER PRIMARY KEY, plan_id INTEGER, spec_yaml TEXT,
            spec_type TEXT, created_at TEXT);
        INSERT INTO plans VALUES (1, 'old', NULL, '2025-01-01', 'active', '{}');
        INSERT INTO plans VALUES (2, 'done', NULL, '2025-01-01', 'archived', '{}');
        INSERT INTO plan_tasks VALUES (1, 1, NULL, 1, 'task', NULL, 'completed', 'pass', NULL,
            NULL, '2025-01-01', NULL);
        INSERT INTO plan_tasks VALUES (2, 2, NULL, 1, 'task', NULL, 'completed', 'pass', NULL,
            NULL, '2025-01-01', NULL);
    ";

    #[test]
    fn the_original_tools_database_is_migrated_with_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(ORIGINAL).unwrap();
        migrate(&mut conn, "planning.db").unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        let (name, commit): (String, Option<String>) = conn
            .query_row("SELECT name, git_commit FROM plans WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), commit), ("old", None));
        // Its archived plan is immutable from now on.
        let err = conn
            .execute("UPDATE plan_tasks SET title = 'x' WHERE plan_id = 2", [])
            .unwrap_err();
        assert!(err.to_string().contains("archived"), "{err}");
        conn.execute("UPDATE plan_tasks SET title = 'x' WHERE plan_id = 1", [])
            .unwrap();
    }

    #[test]
    fn version_1_gains_the_chain_anchor_from_its_runs() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(&archive_triggers()).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO plans (id, name, created_at) VALUES (1, 'p', 'now');
             INSERT INTO plan_tasks (id, plan_id, task_number, title, created_at) VALUES (1, 1, 1, 't', 'now');
             INSERT INTO verification_runs (plan_id, task_id, task_number, sequence, created_at,
                 total_violations, audit_status, rules_json, prev_hash, hash)
             VALUES (1, 1, 1, 1, 'now', 0, 'pass', '[]', 'g', 'h1'),
                    (1, 1, 1, 2, 'now', 0, 'pass', '[]', 'h1', 'h2');
             UPDATE plans SET status = 'archived' WHERE id = 1;",
        )
        .unwrap();
        migrate(&mut conn, "planning.db").unwrap();
        let (head, runs): (String, i64) = conn
            .query_row(
                "SELECT chain_head, chain_runs FROM plans WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((head.as_str(), runs), ("h2", 2));
        // Still immutable after the backfill.
        let err = conn
            .execute("UPDATE plans SET name = 'x' WHERE id = 1", [])
            .unwrap_err();
        assert!(err.to_string().contains("archived"), "{err}");
    }

    #[test]
    fn a_newer_schema_is_refused_by_name() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn, ".pf/planning.db").unwrap_err();
        assert!(
            err.to_string()
                .contains(".pf/planning.db was written by a newer aud"),
            "{err}"
        );
    }
}

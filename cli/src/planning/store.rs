//! [`SqlitePlanStore`]: core's [`PlanStore`] over `.pf/planning.db`.
//!
//! The connection runs in WAL mode with a busy timeout, and every write is one `BEGIN IMMEDIATE`
//! transaction, so parallel commands queue instead of failing and a killed process leaves the
//! database as it was before the command. Writes check that the plan is active first (for a
//! clear message); the triggers of [`super::schema`] enforce it regardless.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use aud_core::plan::{
    GENESIS_HASH, Job, NewPhase, NewRun, NewTask, Phase, Plan, PlanError, PlanStatus, PlanStore,
    PlanSummary, RuleTotal, Run, RunFinding, Task, TaskStatus, TaskUpdate, chained_run,
    plan_status,
};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, params,
};

use super::schema;
use super::time::now_rfc3339;

/// How long a command waits for another one holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Plans in SQLite.
pub struct SqlitePlanStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqlitePlanStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlitePlanStore")
            .field("path", &self.path)
            .finish()
    }
}

const PLAN_COLUMNS: &str = "id, name, description, status, created_at, git_commit, archived_at, archive_notes, \
     chain_head, chain_runs";
const TASK_COLUMNS: &str = "t.id, t.task_number, t.title, t.description, t.status, t.audit_status, \
     t.assigned_to, p.phase_number, t.spec_id IS NOT NULL, t.created_at, t.completed_at";
const RUN_COLUMNS: &str = "id, plan_id, task_number, sequence, created_at, git_commit, \
     index_fingerprint, total_violations, audit_status, rules_json, prev_hash, hash";

impl SqlitePlanStore {
    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    /// `shown` is how the path appears in messages (`.pf/planning.db`).
    pub fn open(path: &Path, shown: &str) -> anyhow::Result<SqlitePlanStore> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open {shown}"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .with_context(|| format!("cannot open {shown}"))?;
        // Foreign keys guard children against dangling parents.
        conn.pragma_update(None, "foreign_keys", true)
            .with_context(|| format!("cannot open {shown}"))?;
        schema::migrate(&mut conn, shown)?;
        set_wal(&conn).with_context(|| format!("cannot switch {shown} to WAL mode"))?;
        // In WAL mode NORMAL keeps every commit atomic and the file consistent after a crash;
        // only the last commits before a power loss may be lost. Skipping the checkpoint on
        // close saves an fsync per command; SQLite checkpoints as the WAL grows.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .with_context(|| format!("cannot open {shown}"))?;
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .with_context(|| format!("cannot open {shown}"))?;
        Ok(SqlitePlanStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database read-only, creating and migrating nothing (`aud serve`): the
    /// file must be at the current schema version. A reader in WAL mode sees every transaction
    /// committed before each of its queries, and never blocks a writer.
    pub fn open_read_only(path: &Path, shown: &str) -> anyhow::Result<SqlitePlanStore> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open {shown}"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .with_context(|| format!("cannot open {shown}"))?;
        schema::check_version(&conn, shown)?;
        Ok(SqlitePlanStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The underlying connection, for the checkpoint tables (which the `PlanStore` does not
    /// cover); writers must use one transaction.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The underlying connection (for tests and diagnostics).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The task's latest run without its findings (cheap, for `show`).
    pub fn last_run_summary(&self, plan_id: i64, task_number: u32) -> anyhow::Result<Option<Run>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM verification_runs \
                     WHERE plan_id = ?1 AND task_number = ?2 ORDER BY id DESC LIMIT 1"
                ),
                params![plan_id, task_number],
                run_from_row,
            )
            .optional()?)
    }

    /// The task's runs in order, without their findings (for the history in `show`).
    pub fn run_history(&self, plan_id: i64, task_number: u32) -> anyhow::Result<Vec<Run>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM verification_runs \
             WHERE plan_id = ?1 AND task_number = ?2 ORDER BY id"
        ))?;
        Ok(stmt
            .query_map(params![plan_id, task_number], run_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn write(&mut self) -> anyhow::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .with_context(|| format!("cannot lock {} for writing", self.path.display()))
    }
}

/// Switches to WAL once; the busy handler does not cover the journal-mode change, so retry.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let mut attempts = 0;
    loop {
        let mode: rusqlite::Result<String> =
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0));
        if mode.as_deref().is_ok_and(|m| m.eq_ignore_ascii_case("wal")) {
            return Ok(());
        }
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(e)
                if attempts < 200
                    && e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(e),
        }
    }
}

fn parse<T: std::str::FromStr>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<Plan> {
    Ok(Plan {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        status: parse(row, 3)?,
        created_at: row.get(4)?,
        git_commit: row.get(5)?,
        archived_at: row.get(6)?,
        archive_notes: row.get(7)?,
        chain_head: row.get(8)?,
        chain_runs: row.get(9)?,
    })
}

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    let audit: Option<String> = row.get(5)?;
    Ok(Task {
        id: row.get(0)?,
        task_number: row.get(1)?,
        title: row.get(2)?,
        description: row.get(3)?,
        status: parse(row, 4)?,
        // TheAuditor's databases may hold other verdicts (`pending`): no verdict, for us.
        audit_status: audit.and_then(|a| a.parse().ok()),
        assigned_to: row.get(6)?,
        phase: row.get(7)?,
        has_spec: row.get(8)?,
        created_at: row.get(9)?,
        completed_at: row.get(10)?,
    })
}

fn phase_from_row(row: &Row<'_>) -> rusqlite::Result<Phase> {
    Ok(Phase {
        id: row.get(0)?,
        phase_number: row.get(1)?,
        title: row.get(2)?,
        description: row.get(3)?,
        success_criteria: row.get(4)?,
        status: row.get(5)?,
        created_at: row.get(6)?,
    })
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        job_number: row.get(0)?,
        description: row.get(1)?,
        completed: row.get(2)?,
        is_audit_job: row.get(3)?,
        created_at: row.get(4)?,
    })
}

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<Run> {
    let rules_json: String = row.get(9)?;
    let rules: Vec<RuleTotal> = serde_json::from_str(&rules_json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Run {
        id: row.get(0)?,
        plan_id: row.get(1)?,
        task_number: row.get(2)?,
        sequence: row.get(3)?,
        created_at: row.get(4)?,
        git_commit: row.get(5)?,
        index_fingerprint: row.get(6)?,
        total_violations: usize::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
        audit_status: parse(row, 8)?,
        rules,
        findings: Vec::new(),
        prev_hash: row.get(10)?,
        hash: row.get(11)?,
    })
}

/// The plan, or [`PlanError::PlanNotFound`].
fn get_plan(conn: &Connection, plan_id: i64) -> anyhow::Result<Plan> {
    conn.query_row(
        &format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?1"),
        [plan_id],
        plan_from_row,
    )
    .optional()?
    .ok_or_else(|| PlanError::PlanNotFound(plan_id).into())
}

/// The plan, which must be active or completed (not archived).
fn get_open_plan(conn: &Connection, plan_id: i64) -> anyhow::Result<Plan> {
    let plan = get_plan(conn, plan_id)?;
    if plan.status == PlanStatus::Archived {
        return Err(PlanError::Archived(plan_id).into());
    }
    Ok(plan)
}

fn get_task(conn: &Connection, plan_id: i64, task_number: u32) -> anyhow::Result<Task> {
    get_plan(conn, plan_id)?;
    conn.query_row(
        &format!(
            "SELECT {TASK_COLUMNS} FROM plan_tasks t LEFT JOIN plan_phases p ON p.id = t.phase_id \
             WHERE t.plan_id = ?1 AND t.task_number = ?2"
        ),
        params![plan_id, task_number],
        task_from_row,
    )
    .optional()?
    .ok_or_else(|| {
        PlanError::TaskNotFound {
            plan_id,
            task_number,
        }
        .into()
    })
}

/// Recomputes the plan's status from its tasks' (see `aud_core::plan::plan_status`).
fn settle(conn: &Connection, plan_id: i64) -> anyhow::Result<()> {
    let plan = get_plan(conn, plan_id)?;
    let mut stmt = conn.prepare_cached("SELECT status FROM plan_tasks WHERE plan_id = ?1")?;
    let statuses = stmt
        .query_map([plan_id], |r| parse::<TaskStatus>(r, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let status = plan_status(plan.status, statuses);
    if status != plan.status {
        conn.execute(
            "UPDATE plans SET status = ?1 WHERE id = ?2",
            params![status.as_str(), plan_id],
        )?;
    }
    Ok(())
}

fn get_job(conn: &Connection, task_id: i64, job_number: u32) -> rusqlite::Result<Option<Job>> {
    conn.query_row(
        "SELECT job_number, description, completed, is_audit_job, created_at FROM plan_jobs \
         WHERE task_id = ?1 AND job_number = ?2",
        params![task_id, job_number],
        job_from_row,
    )
    .optional()
}

/// The rows stored for `run_id`, with their `op` (1 added, -1 removed).
fn finding_rows(conn: &Connection, run_id: i64) -> rusqlite::Result<Vec<(i64, RunFinding)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT fingerprint, rule_id, file, line, source, match, term, col, end_col, sources, terms, op \
         FROM run_findings WHERE run_id = ?1 ORDER BY id",
    )?;
    stmt.query_map([run_id], |r| {
        Ok((
            r.get(11)?,
            RunFinding {
                fingerprint: r.get(0)?,
                rule_id: r.get(1)?,
                file: r.get(2)?,
                line: r.get(3)?,
                source: r.get(4)?,
                matched: r.get(5)?,
                term: r.get(6)?,
                column: r.get(7)?,
                end_column: r.get(8)?,
                sources: list_from_column(r, 9)?,
                terms: list_from_column(r, 10)?,
            },
        ))
    })?
    .collect()
}

/// A task's finding set while its runs are replayed in order.
#[derive(Default)]
struct FindingSet {
    /// By fingerprint; `order` keeps a whole run's stored order.
    by_fingerprint: HashMap<String, RunFinding>,
    /// The stored order of the last whole run, until a delta applies.
    order: Option<Vec<String>>,
}

impl FindingSet {
    /// Applies `run_id`'s rows: they replace the set (a whole run) or change it (a delta).
    fn apply(&mut self, conn: &Connection, run_id: i64, delta: bool) -> rusqlite::Result<()> {
        let rows = finding_rows(conn, run_id)?;
        if !delta {
            self.by_fingerprint.clear();
            self.order = Some(rows.iter().map(|(_, f)| f.fingerprint.clone()).collect());
            for (_, f) in rows {
                self.by_fingerprint.insert(f.fingerprint.clone(), f);
            }
            return Ok(());
        }
        self.order = None;
        for (op, f) in &rows {
            if *op < 0 {
                self.by_fingerprint.remove(&f.fingerprint);
            }
        }
        for (op, f) in rows {
            if op > 0 {
                self.by_fingerprint.insert(f.fingerprint.clone(), f);
            }
        }
        Ok(())
    }

    /// The set as a run lists it: a whole run in its stored order, a replayed one in the order
    /// the findings of an evaluation come in (rule, then file, line and column; missing
    /// expectations after a rule's sites).
    fn findings(&self, rules: &[RuleTotal]) -> Vec<RunFinding> {
        if let Some(order) = &self.order {
            return order
                .iter()
                .filter_map(|fp| self.by_fingerprint.get(fp).cloned())
                .collect();
        }
        let mut out: Vec<RunFinding> = self.by_fingerprint.values().cloned().collect();
        let rule = |id: &str| {
            rules
                .iter()
                .position(|r| r.rule_id == id)
                .unwrap_or(usize::MAX)
        };
        out.sort_by(|a, b| {
            (
                rule(&a.rule_id),
                a.file.is_empty(),
                &a.file,
                a.line,
                a.column,
                a.end_column,
                &a.matched,
                &a.fingerprint,
            )
                .cmp(&(
                    rule(&b.rule_id),
                    b.file.is_empty(),
                    &b.file,
                    b.line,
                    b.column,
                    b.end_column,
                    &b.matched,
                    &b.fingerprint,
                ))
        });
        out
    }
}

/// Fills the findings of `runs` (of one plan, in recording order) by replaying each task's runs
/// from its last whole run before the first one asked for.
fn fill_findings(conn: &Connection, runs: &mut [Run]) -> rusqlite::Result<()> {
    let mut sets: HashMap<u32, FindingSet> = HashMap::new();
    let mut replayed: HashMap<u32, i64> = HashMap::new();
    for run in runs.iter_mut() {
        let set = sets.entry(run.task_number).or_default();
        // The runs of this task between the last one replayed and this one (all of them the
        // first time, back to the last whole run).
        let after = replayed.get(&run.task_number).copied();
        let chain = replay_chain(conn, run.plan_id, run.task_number, run.id, after)?;
        for (id, delta) in chain {
            set.apply(conn, id, delta)?;
        }
        replayed.insert(run.task_number, run.id);
        run.findings = set.findings(&run.rules);
    }
    Ok(())
}

/// The runs of a task to replay to reach `run_id`, oldest first: from the last whole run at or
/// before it (or from just after `after`, a run already replayed).
fn replay_chain(
    conn: &Connection,
    plan_id: i64,
    task_number: u32,
    run_id: i64,
    after: Option<i64>,
) -> rusqlite::Result<Vec<(i64, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, findings_delta FROM verification_runs \
         WHERE plan_id = ?1 AND task_number = ?2 AND id <= ?3 AND id > ?4 ORDER BY id DESC",
    )?;
    let mut chain = Vec::new();
    let mut rows = stmt.query(params![plan_id, task_number, run_id, after.unwrap_or(0)])?;
    while let Some(row) = rows.next()? {
        let (id, delta): (i64, i64) = (row.get(0)?, row.get(1)?);
        chain.push((id, delta != 0));
        if delta == 0 {
            break;
        }
    }
    chain.reverse();
    Ok(chain)
}

/// A JSON array of strings stored in column `i` (`''` for none).
fn list_from_column(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(i)?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// `list` as the JSON array stored in `run_findings` (`''` for none).
fn list_to_column(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        serde_json::to_string(list).unwrap_or_default()
    }
}

/// The rows that turn `previous` into `current`: -1 for each finding gone or changed, 1 for each
/// finding new or changed (a finding is its fingerprint; a moved line is a change).
fn delta<'a>(previous: &'a [RunFinding], current: &'a [RunFinding]) -> Vec<(i64, &'a RunFinding)> {
    let before: HashMap<&str, &RunFinding> = previous
        .iter()
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let after: HashMap<&str, &RunFinding> = current
        .iter()
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let removed = previous
        .iter()
        .filter(|f| after.get(f.fingerprint.as_str()).copied() != Some(*f))
        .map(|f| (-1, f));
    let added = current
        .iter()
        .filter(|f| before.get(f.fingerprint.as_str()).copied() != Some(*f))
        .map(|f| (1, f));
    removed.chain(added).collect()
}

impl PlanStore for SqlitePlanStore {
    type Error = anyhow::Error;

    fn create_plan(
        &mut self,
        name: &str,
        description: Option<&str>,
        git_commit: Option<&str>,
    ) -> anyhow::Result<Plan> {
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO plans (name, description, created_at, git_commit) VALUES (?1, ?2, ?3, ?4)",
            params![name, description, now_rfc3339(), git_commit],
        )?;
        let plan = get_plan(&tx, tx.last_insert_rowid())?;
        tx.commit()?;
        Ok(plan)
    }

    fn list_plans(&self, status: Option<PlanStatus>) -> anyhow::Result<Vec<PlanSummary>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE ?1 IS NULL OR status = ?1 ORDER BY id"
        ))?;
        let plans = stmt
            .query_map([status.map(PlanStatus::as_str)], plan_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut statuses = self
            .conn
            .prepare("SELECT status FROM plan_tasks WHERE plan_id = ?1")?;
        plans
            .into_iter()
            .map(|plan| {
                let s = statuses
                    .query_map([plan.id], |r| parse::<TaskStatus>(r, 0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(PlanSummary::new(plan, s))
            })
            .collect()
    }

    fn plan(&self, plan_id: i64) -> anyhow::Result<Plan> {
        get_plan(&self.conn, plan_id)
    }

    fn phases(&self, plan_id: i64) -> anyhow::Result<Vec<Phase>> {
        get_plan(&self.conn, plan_id)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, phase_number, title, description, success_criteria, status, created_at \
             FROM plan_phases WHERE plan_id = ?1 ORDER BY phase_number",
        )?;
        Ok(stmt
            .query_map([plan_id], phase_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn add_phase(&mut self, plan_id: i64, phase: &NewPhase) -> anyhow::Result<Phase> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM plan_phases WHERE plan_id = ?1 AND phase_number = ?2)",
            params![plan_id, phase.phase_number],
            |r| r.get(0),
        )?;
        if exists {
            return Err(PlanError::DuplicatePhase {
                plan_id,
                phase_number: phase.phase_number,
            }
            .into());
        }
        tx.execute(
            "INSERT INTO plan_phases (plan_id, phase_number, title, description, success_criteria, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                plan_id,
                phase.phase_number,
                phase.title,
                phase.description,
                phase.success_criteria,
                now_rfc3339()
            ],
        )?;
        let id = tx.last_insert_rowid();
        let phase = tx.query_row(
            "SELECT id, phase_number, title, description, success_criteria, status, created_at \
             FROM plan_phases WHERE id = ?1",
            [id],
            phase_from_row,
        )?;
        tx.commit()?;
        Ok(phase)
    }

    fn tasks(&self, plan_id: i64) -> anyhow::Result<Vec<Task>> {
        get_plan(&self.conn, plan_id)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {TASK_COLUMNS} FROM plan_tasks t LEFT JOIN plan_phases p ON p.id = t.phase_id \
             WHERE t.plan_id = ?1 ORDER BY t.task_number"
        ))?;
        Ok(stmt
            .query_map([plan_id], task_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn task(&self, plan_id: i64, task_number: u32) -> anyhow::Result<Task> {
        get_task(&self.conn, plan_id, task_number)
    }

    fn add_task(&mut self, plan_id: i64, task: &NewTask) -> anyhow::Result<Task> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let phase_id: Option<i64> = match task.phase {
            None => None,
            Some(phase_number) => Some(
                tx.query_row(
                    "SELECT id FROM plan_phases WHERE plan_id = ?1 AND phase_number = ?2",
                    params![plan_id, phase_number],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or(PlanError::PhaseNotFound {
                    plan_id,
                    phase_number,
                })?,
            ),
        };
        let now = now_rfc3339();
        let spec_id: Option<i64> = match &task.spec_yaml {
            None => None,
            Some(yaml) => {
                tx.execute(
                    "INSERT INTO plan_specs (plan_id, spec_yaml, created_at) VALUES (?1, ?2, ?3)",
                    params![plan_id, yaml, now],
                )?;
                Some(tx.last_insert_rowid())
            }
        };
        let task_number: u32 = tx.query_row(
            "SELECT COALESCE(MAX(task_number), 0) + 1 FROM plan_tasks WHERE plan_id = ?1",
            [plan_id],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO plan_tasks (plan_id, phase_id, task_number, title, description, assigned_to, spec_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                plan_id,
                phase_id,
                task_number,
                task.title,
                task.description,
                task.assigned_to,
                spec_id,
                now
            ],
        )?;
        let task = get_task(&tx, plan_id, task_number)?;
        settle(&tx, plan_id)?;
        tx.commit()?;
        Ok(task)
    }

    fn update_task(
        &mut self,
        plan_id: i64,
        task_number: u32,
        update: &TaskUpdate,
    ) -> anyhow::Result<Task> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let task = get_task(&tx, plan_id, task_number)?;
        if let Some(status) = update.status {
            let completed_at = (status == TaskStatus::Completed).then(now_rfc3339);
            tx.execute(
                "UPDATE plan_tasks SET status = ?1, completed_at = ?2 WHERE id = ?3",
                params![status.as_str(), completed_at, task.id],
            )?;
        }
        if let Some(assignee) = &update.assigned_to {
            tx.execute(
                "UPDATE plan_tasks SET assigned_to = ?1 WHERE id = ?2",
                params![assignee, task.id],
            )?;
        }
        if let Some(yaml) = &update.spec_yaml {
            // A new row, so the spec each earlier run used stays on record.
            tx.execute(
                "INSERT INTO plan_specs (plan_id, spec_yaml, created_at) VALUES (?1, ?2, ?3)",
                params![plan_id, yaml, now_rfc3339()],
            )?;
            tx.execute(
                "UPDATE plan_tasks SET spec_id = ?1 WHERE id = ?2",
                params![tx.last_insert_rowid(), task.id],
            )?;
        }
        let task = get_task(&tx, plan_id, task_number)?;
        settle(&tx, plan_id)?;
        tx.commit()?;
        Ok(task)
    }

    fn jobs(&self, plan_id: i64, task_number: u32) -> anyhow::Result<Vec<Job>> {
        let task = get_task(&self.conn, plan_id, task_number)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT job_number, description, completed, is_audit_job, created_at FROM plan_jobs \
             WHERE task_id = ?1 ORDER BY job_number",
        )?;
        Ok(stmt
            .query_map([task.id], job_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn add_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        description: &str,
        is_audit_job: bool,
    ) -> anyhow::Result<Job> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let task = get_task(&tx, plan_id, task_number)?;
        let job_number: u32 = tx.query_row(
            "SELECT COALESCE(MAX(job_number), 0) + 1 FROM plan_jobs WHERE task_id = ?1",
            [task.id],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO plan_jobs (task_id, job_number, description, is_audit_job, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                task.id,
                job_number,
                description,
                is_audit_job,
                now_rfc3339()
            ],
        )?;
        let job = get_job(&tx, task.id, job_number)?.context("the job just added is missing")?;
        tx.commit()?;
        Ok(job)
    }

    fn complete_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        job_number: u32,
    ) -> anyhow::Result<Job> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let task = get_task(&tx, plan_id, task_number)?;
        let changed = tx.execute(
            "UPDATE plan_jobs SET completed = 1 WHERE task_id = ?1 AND job_number = ?2",
            params![task.id, job_number],
        )?;
        if changed == 0 {
            return Err(PlanError::JobNotFound {
                plan_id,
                task_number,
                job_number,
            }
            .into());
        }
        let job =
            get_job(&tx, task.id, job_number)?.context("the job just completed is missing")?;
        tx.commit()?;
        Ok(job)
    }

    fn task_spec(&self, plan_id: i64, task_number: u32) -> anyhow::Result<String> {
        get_task(&self.conn, plan_id, task_number)?;
        self.conn
            .query_row(
                "SELECT s.spec_yaml FROM plan_tasks t JOIN plan_specs s ON s.id = t.spec_id \
                 WHERE t.plan_id = ?1 AND t.task_number = ?2",
                params![plan_id, task_number],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                PlanError::NoSpec {
                    plan_id,
                    task_number,
                }
                .into()
            })
    }

    fn record_run(&mut self, plan_id: i64, task_number: u32, new: &NewRun) -> anyhow::Result<Run> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let task = get_task(&tx, plan_id, task_number)?;
        let prev_hash: String = tx
            .query_row(
                "SELECT hash FROM verification_runs WHERE plan_id = ?1 ORDER BY id DESC LIMIT 1",
                [plan_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| GENESIS_HASH.to_owned());
        let sequence: u32 = tx.query_row(
            "SELECT COALESCE(MAX(sequence), 0) + 1 FROM verification_runs WHERE task_id = ?1",
            [task.id],
            |r| r.get(0),
        )?;
        let mut run = chained_run(0, plan_id, task_number, sequence, new, prev_hash);
        // A run stores its delta against the task's previous run (no finding row at all when
        // nothing changed); the first run of a task stores its whole set.
        let previous: Option<Run> = {
            let last = tx
                .query_row(
                    &format!(
                        "SELECT {RUN_COLUMNS} FROM verification_runs \
                         WHERE task_id = ?1 ORDER BY id DESC LIMIT 1"
                    ),
                    [task.id],
                    run_from_row,
                )
                .optional()?;
            match last {
                None => None,
                Some(last) => {
                    let mut runs = [last];
                    fill_findings(&tx, &mut runs)?;
                    let [last] = runs;
                    Some(last)
                }
            }
        };
        tx.execute(
            "INSERT INTO verification_runs (plan_id, task_id, task_number, sequence, created_at, git_commit, \
             index_fingerprint, total_violations, audit_status, rules_json, prev_hash, hash, findings_delta) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                plan_id,
                task.id,
                task_number,
                sequence,
                run.created_at,
                run.git_commit,
                run.index_fingerprint,
                i64::try_from(run.total_violations).unwrap_or(i64::MAX),
                run.audit_status.as_str(),
                serde_json::to_string(&run.rules)?,
                run.prev_hash,
                run.hash,
                previous.is_some()
            ],
        )?;
        run.id = tx.last_insert_rowid();
        let rows: Vec<(i64, &RunFinding)> = match &previous {
            None => run.findings.iter().map(|f| (1, f)).collect(),
            Some(previous) => delta(&previous.findings, &run.findings),
        };
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO run_findings (run_id, fingerprint, rule_id, file, line, source, match, term, \
                 col, end_col, sources, terms, op) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for (op, f) in rows {
                insert.execute(params![
                    run.id,
                    f.fingerprint,
                    f.rule_id,
                    f.file,
                    f.line,
                    f.source,
                    f.matched,
                    f.term,
                    f.column,
                    f.end_column,
                    list_to_column(&f.sources),
                    list_to_column(&f.terms),
                    op
                ])?;
            }
        }
        tx.execute(
            "UPDATE plans SET chain_head = ?1, chain_runs = chain_runs + 1 WHERE id = ?2",
            params![run.hash, plan_id],
        )?;
        tx.execute(
            "UPDATE plan_tasks SET audit_status = ?1 WHERE id = ?2",
            params![run.audit_status.as_str(), task.id],
        )?;
        if let Some(status) = new.task_status.filter(|s| *s != task.status) {
            let completed_at = (status == TaskStatus::Completed).then(|| new.created_at.clone());
            tx.execute(
                "UPDATE plan_tasks SET status = ?1, completed_at = ?2 WHERE id = ?3",
                params![status.as_str(), completed_at, task.id],
            )?;
        }
        settle(&tx, plan_id)?;
        tx.commit()?;
        Ok(run)
    }

    fn runs(&self, plan_id: i64, task_number: Option<u32>) -> anyhow::Result<Vec<Run>> {
        get_plan(&self.conn, plan_id)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM verification_runs \
             WHERE plan_id = ?1 AND (?2 IS NULL OR task_number = ?2) ORDER BY id"
        ))?;
        let mut runs = stmt
            .query_map(params![plan_id, task_number], run_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        fill_findings(&self.conn, &mut runs)?;
        Ok(runs)
    }

    fn last_run(&self, plan_id: i64, task_number: u32) -> anyhow::Result<Option<Run>> {
        get_task(&self.conn, plan_id, task_number)?;
        let run = self
            .conn
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM verification_runs \
                     WHERE plan_id = ?1 AND task_number = ?2 ORDER BY id DESC LIMIT 1"
                ),
                params![plan_id, task_number],
                run_from_row,
            )
            .optional()?;
        match run {
            None => Ok(None),
            Some(run) => {
                let mut runs = [run];
                fill_findings(&self.conn, &mut runs)?;
                let [run] = runs;
                Ok(Some(run))
            }
        }
    }

    fn archive_plan(
        &mut self,
        plan_id: i64,
        notes: Option<&str>,
        git_commit: Option<&str>,
    ) -> anyhow::Result<Plan> {
        let tx = self.write()?;
        get_open_plan(&tx, plan_id)?;
        let now = now_rfc3339();
        // The final snapshot records where the code stood; file contents come with checkpoints.
        let sequence: u32 = tx.query_row(
            "SELECT COALESCE(MAX(sequence), 0) + 1 FROM code_snapshots WHERE plan_id = ?1 AND task_id IS NULL",
            [plan_id],
            |r| r.get(0),
        )?;
        // The CLI takes the final checkpoint (with the files) just before; keep it.
        tx.execute(
            "INSERT INTO code_snapshots (plan_id, task_id, sequence, checkpoint_name, timestamp, git_ref) \
             SELECT ?1, NULL, ?2, 'archive', ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM code_snapshots \
             WHERE plan_id = ?1 AND task_id IS NULL AND checkpoint_name = 'archive')",
            params![plan_id, sequence, now, git_commit],
        )?;
        tx.execute(
            "UPDATE plans SET status = 'archived', archived_at = ?1, archive_notes = ?2 WHERE id = ?3",
            params![now, notes, plan_id],
        )?;
        let plan = get_plan(&tx, plan_id)?;
        tx.commit()?;
        Ok(plan)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_store_meets_the_contract() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("planning.db");
        aud_core::plan::conformance::check(|| {
            let _ = std::fs::remove_file(&path);
            SqlitePlanStore::open(&path, "planning.db").unwrap()
        });
    }

    /// A run of task 1 with `findings` as `(fingerprint, line)`.
    fn run_with(findings: &[(&str, u32)], at: &str) -> NewRun {
        NewRun {
            created_at: at.to_owned(),
            git_commit: None,
            index_fingerprint: None,
            total_violations: findings.len(),
            audit_status: aud_core::plan::AuditStatus::Fail,
            rules: vec![RuleTotal {
                rule_id: "r".to_owned(),
                violations: findings.len(),
            }],
            findings: findings
                .iter()
                .map(|(fp, line)| RunFinding {
                    fingerprint: (*fp).to_owned(),
                    rule_id: "r".to_owned(),
                    file: "a.js".to_owned(),
                    line: *line,
                    source: "names".to_owned(),
                    matched: "auth0".to_owned(),
                    term: "auth0".to_owned(),
                    column: 3,
                    end_column: 8,
                    sources: vec!["names".to_owned()],
                    terms: vec!["auth0".to_owned()],
                })
                .collect(),
            task_status: None,
        }
    }

    /// Issue 13: a run stores its delta against the task's previous run, so an unchanged
    /// re-run adds no finding row, and every run still reads back whole and in order.
    #[test]
    fn runs_store_deltas_and_read_back_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("planning.db");
        let mut store = SqlitePlanStore::open(&path, "planning.db").unwrap();
        let plan = store.create_plan("p", None, None).unwrap();
        for title in ["one", "two"] {
            store
                .add_task(
                    plan.id,
                    &aud_core::plan::NewTask {
                        title: title.to_owned(),
                        description: None,
                        spec_yaml: None,
                        assigned_to: None,
                        phase: None,
                    },
                )
                .unwrap();
        }
        let rows = |store: &SqlitePlanStore| -> i64 {
            store
                .connection()
                .query_row("SELECT count(*) FROM run_findings", [], |r| r.get(0))
                .unwrap()
        };
        let runs = [
            run_with(&[("a", 1), ("b", 5), ("c", 9)], "t1"),
            // Unchanged.
            run_with(&[("a", 1), ("b", 5), ("c", 9)], "t2"),
            // `b` moved, `c` fixed, `d` new.
            run_with(&[("a", 1), ("b", 7), ("d", 12)], "t3"),
            run_with(&[("a", 1), ("b", 7), ("d", 12)], "t4"),
        ];
        let mut counts = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            store.record_run(plan.id, 1, run).unwrap();
            if i == 1 {
                // Another task's run in between does not disturb task 1's deltas.
                store
                    .record_run(plan.id, 2, &run_with(&[("x", 2)], "t2b"))
                    .unwrap();
            }
            counts.push(rows(&store));
        }
        // 3 whole, +1 (task 2's first run), then +4 (b out and in, c out, d in), then nothing.
        assert_eq!(counts, [3, 4, 8, 8]);
        let read = store.runs(plan.id, Some(1)).unwrap();
        for (got, want) in read.iter().zip(&runs) {
            assert_eq!(got.findings, want.findings, "run at {}", want.created_at);
        }
        let last = store.last_run(plan.id, 1).unwrap().unwrap();
        assert_eq!(last.findings, runs[3].findings);
        // Rebuilt runs hash as recorded: the chain is intact.
        let plan = store.plan(plan.id).unwrap();
        let all = store.runs(plan.id, None).unwrap();
        assert!(matches!(
            aud_core::plan::verify_plan_chain(&all, plan.chain_head.as_deref(), plan.chain_runs),
            aud_core::plan::ChainStatus::Intact { runs: 5, .. }
        ));
    }

    #[test]
    fn a_read_only_store_reads_and_never_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("planning.db");
        // No file: nothing is created.
        assert!(SqlitePlanStore::open_read_only(&path, "planning.db").is_err());
        assert!(!path.exists());
        let mut store = SqlitePlanStore::open(&path, "planning.db").unwrap();
        store.create_plan("p", None, None).unwrap();
        let mut reader = SqlitePlanStore::open_read_only(&path, "planning.db").unwrap();
        assert_eq!(reader.list_plans(None).unwrap().len(), 1);
        // A write committed after the reader opened is seen by its next query.
        store.create_plan("q", None, None).unwrap();
        assert_eq!(reader.list_plans(None).unwrap().len(), 2);
        let err = reader.create_plan("r", None, None).unwrap_err();
        assert!(format!("{err:#}").contains("readonly"), "{err:#}");
        // An older schema is reported, not migrated.
        store
            .connection()
            .pragma_update(None, "user_version", 1)
            .unwrap();
        let err = SqlitePlanStore::open_read_only(&path, "planning.db").unwrap_err();
        assert!(err.to_string().contains("older aud"), "{err}");
    }

    #[test]
    fn triggers_refuse_changes_to_archived_plans_behind_the_store() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = SqlitePlanStore::open(&tmp.path().join("p.db"), "p.db").unwrap();
        store.create_plan("p", None, None).unwrap();
        store
            .add_task(
                1,
                &NewTask {
                    title: "t".into(),
                    ..NewTask::default()
                },
            )
            .unwrap();
        store.add_job(1, 1, "j", false).unwrap();
        store.archive_plan(1, None, None).unwrap();
        let conn = store.connection();
        for sql in [
            "UPDATE plans SET status = 'active' WHERE id = 1",
            "DELETE FROM plans WHERE id = 1",
            "UPDATE plan_jobs SET completed = 1",
            "DELETE FROM plan_jobs",
            "INSERT INTO plan_jobs (task_id, job_number, description, created_at) VALUES (1, 2, 'x', 'now')",
            "INSERT INTO plan_tasks (plan_id, task_number, title, created_at) VALUES (1, 2, 'x', 'now')",
            "UPDATE code_snapshots SET checkpoint_name = 'x'",
            "DELETE FROM code_snapshots",
            "INSERT INTO plan_specs (plan_id, spec_yaml, created_at) VALUES (1, 'x', 'now')",
        ] {
            let err = conn.execute(sql, []).unwrap_err();
            assert!(
                err.to_string().contains("archived and immutable"),
                "{sql}: {err}"
            );
        }
        let snapshots: i64 = conn
            .query_row(
                "SELECT count(*) FROM code_snapshots WHERE checkpoint_name = 'archive'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(snapshots, 1);
    }
}

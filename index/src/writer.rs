//! Opening `.pf/repo_index.db` for writing and copying extracted rows into it.
//!
//! Only one thread ever writes. Every statement is prepared once per run (SQLite's statement
//! cache) and all writes of a run happen inside one transaction, so a run killed half-way
//! leaves the previous index whole.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::schema::{INDEX_DDL, INDEX_SCHEMA_VERSION, PER_FILE_TABLES, ROUTE_TABLES};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};

use crate::rows::FileRows;
use crate::walk::Stat;

/// What can go wrong with the index database itself.
#[derive(Debug, thiserror::Error)]
pub enum IndexDbError {
    /// The database was written by a newer aud.
    #[error(
        "{path}: index schema version {found} is newer than this aud supports ({supported}); upgrade aud or delete the file"
    )]
    Newer {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The version this build writes.
        supported: i64,
    },
    /// The database was written by an older aud: reading commands refuse it, `aud index` (and
    /// every command that refreshes) rebuilds it.
    #[error(
        "{path}: index schema version {found} is older than this aud's ({supported}); run `aud index` to rebuild it"
    )]
    Older {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The version this build writes.
        supported: i64,
    },
    /// The file is not a usable SQLite database.
    #[error("{path}: not a valid aud index (corrupt or not SQLite); delete it and run `aud index`")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's complaint.
        #[source]
        source: rusqlite::Error,
    },
    /// The database does not exist yet.
    #[error("{path}: no index yet; run `aud index`")]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// Any other SQLite failure.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

/// A file's row in `files`, as the incremental check needs it.
#[derive(Debug, Clone)]
pub struct Known {
    /// Size, times and inode when it was read.
    pub stat: Stat,
    pub sha256: String,
}

/// The `files` row of a file being written.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    pub ext: String,
    pub loc: u64,
    pub language: &'static str,
    /// Size, times and inode of the handle the text was read from.
    pub stat: Stat,
    pub syntax_errors: u32,
    /// Whether extraction stopped short of the whole file (nesting deeper than the bound).
    pub partial: bool,
}

/// Opens (creating if needed) the index for writing. Returns the connection and whether the
/// existing contents must be discarded (an older schema).
pub fn open(path: &Path) -> Result<(Connection, bool), IndexDbError> {
    let sqlite = |source| IndexDbError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(sqlite)?;
    let version = schema_version(&conn, path)?;
    if version > INDEX_SCHEMA_VERSION {
        return Err(IndexDbError::Newer {
            path: path.to_path_buf(),
            found: version,
            supported: INDEX_SCHEMA_VERSION,
        });
    }
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sqlite)?;
    conn.execute_batch("PRAGMA synchronous = NORMAL;")
        .map_err(sqlite)?;
    Ok((conn, version != 0 && version < INDEX_SCHEMA_VERSION))
}

/// Opens an existing index read-only, checking its version.
pub fn open_read_only(path: &Path) -> Result<Connection, IndexDbError> {
    if !path.is_file() {
        return Err(IndexDbError::Missing {
            path: path.to_path_buf(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| IndexDbError::Sqlite {
        path: path.to_path_buf(),
        source,
    })?;
    let version = schema_version(&conn, path)?;
    if version > INDEX_SCHEMA_VERSION {
        return Err(IndexDbError::Newer {
            path: path.to_path_buf(),
            found: version,
            supported: INDEX_SCHEMA_VERSION,
        });
    }
    if version == 0 {
        return Err(IndexDbError::Missing {
            path: path.to_path_buf(),
        });
    }
    if version < INDEX_SCHEMA_VERSION {
        return Err(IndexDbError::Older {
            path: path.to_path_buf(),
            found: version,
            supported: INDEX_SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

fn schema_version(conn: &Connection, path: &Path) -> Result<i64, IndexDbError> {
    // Reading the schema forces SQLite to read the header: a corrupt file fails here.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .and_then(|_| conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)))
    .map_err(|source| IndexDbError::Corrupt {
        path: path.to_path_buf(),
        source,
    })
}

/// Creates the schema (dropping every table first when `reset`), inside `tx`.
pub fn prepare_schema(tx: &Transaction<'_>, reset: bool) -> rusqlite::Result<()> {
    if reset {
        let tables: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for table in tables {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS \"{table}\";"))?;
        }
    }
    tx.execute_batch(INDEX_DDL)?;
    tx.execute_batch(&format!("PRAGMA user_version = {INDEX_SCHEMA_VERSION};"))?;
    Ok(())
}

/// Drops the secondary indexes, so that a full rebuild inserts into bare tables;
/// [`create_indexes`] builds them again in one sorted pass, which is much faster.
pub fn drop_indexes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    for line in INDEX_DDL.lines() {
        let Some(rest) = line.trim().strip_prefix("CREATE INDEX IF NOT EXISTS ") else {
            continue;
        };
        if let Some(name) = rest.split_whitespace().next() {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {name};"))?;
        }
    }
    Ok(())
}

/// Creates whatever tables and indexes are missing.
pub fn create_indexes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(INDEX_DDL)
}

/// Every file in the index with its stat and hash.
pub fn known_files(tx: &Transaction<'_>) -> rusqlite::Result<HashMap<String, Known>> {
    let mut stmt =
        tx.prepare("SELECT path, bytes, mtime_ns, ctime_ns, inode, sha256 FROM files")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Known {
                stat: Stat {
                    bytes: r.get::<_, i64>(1)?.try_into().unwrap_or(0),
                    mtime_ns: r.get(2)?,
                    ctime_ns: r.get(3)?,
                    // Stored as the bits of a u64 (SQLite integers are signed).
                    inode: r.get::<_, i64>(4)?.cast_unsigned(),
                },
                sha256: r.get(5)?,
            },
        ))
    })?;
    rows.collect()
}

/// The key in `index_meta` of the time (file system clock, ns) the last run started.
const STARTED_KEY: &str = "refresh_started_ns";

/// When the run that wrote the index started (file system clock, ns), if recorded.
pub fn last_started(tx: &Transaction<'_>) -> rusqlite::Result<Option<i64>> {
    let value: Option<String> = tx
        .query_row(
            "SELECT value FROM index_meta WHERE key = ?1",
            [STARTED_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()))
}

/// Records when this run started (file system clock, ns).
pub fn set_started(tx: &Transaction<'_>, started_ns: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO index_meta (key, value) VALUES (?1, ?2)",
        params![STARTED_KEY, started_ns.to_string()],
    )?;
    Ok(())
}

/// Removes a file and all its rows (the rowid ranges recorded in `file_rows`). Returns whether
/// it had rows in a table route resolution reads ([`ROUTE_TABLES`]).
pub fn remove_file(
    tx: &Transaction<'_>,
    path: &str,
    counts: &mut RowCounts,
) -> rusqlite::Result<bool> {
    let mut had_routes = false;
    let ranges: Vec<(String, i64, i64)> = tx
        .prepare_cached("SELECT tbl, first_rowid, last_rowid FROM file_rows WHERE path = ?1")?
        .query_map([path], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (table, first, last) in ranges {
        // Only names this build knows are ever spliced into SQL.
        let Some((table, _)) = PER_FILE_TABLES.iter().find(|(t, _)| *t == table) else {
            continue;
        };
        had_routes |= ROUTE_TABLES.contains(table);
        let removed = tx
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE rowid BETWEEN ?1 AND ?2"
            ))?
            .execute(params![first, last])?;
        counts.sub(table, removed);
    }
    tx.prepare_cached("DELETE FROM file_rows WHERE path = ?1")?
        .execute([path])?;
    let removed = tx
        .prepare_cached("DELETE FROM files WHERE path = ?1")?
        .execute([path])?;
    counts.sub("files", removed);
    Ok(had_routes)
}

/// Records that `path`'s last `count` rows inserted into `table` are its rows there.
fn record_range(
    tx: &Transaction<'_>,
    path: &str,
    table: &str,
    count: usize,
) -> rusqlite::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let last = tx.last_insert_rowid();
    let first = last - i64::try_from(count).unwrap_or(i64::MAX) + 1;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO file_rows (path, tbl, first_rowid, last_rowid) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![path, table, first, last])?;
    Ok(())
}

/// Records a new stat for a file whose content did not change.
pub fn touch_file(tx: &Transaction<'_>, path: &str, stat: &Stat) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE files SET bytes = ?2, mtime_ns = ?3, ctime_ns = ?4, inode = ?5 WHERE path = ?1",
    )?
    .execute(params![
        path,
        i64::try_from(stat.bytes).unwrap_or(i64::MAX),
        stat.mtime_ns,
        stat.ctime_ns,
        stat.inode.cast_signed()
    ])?;
    Ok(())
}

/// Replaces the skipped-files list.
pub fn write_skipped(
    tx: &Transaction<'_>,
    skipped: &[crate::walk::Skipped],
    counts: &mut RowCounts,
) -> rusqlite::Result<()> {
    counts.set("skipped_files", skipped.len());
    tx.execute("DELETE FROM skipped_files", [])?;
    let mut stmt =
        tx.prepare_cached("INSERT OR REPLACE INTO skipped_files (path, reason) VALUES (?1, ?2)")?;
    for skip in skipped {
        stmt.execute(params![skip.path, skip.reason.as_str()])?;
    }
    Ok(())
}

/// The ids of names already in `names`, so that a run interns each name with one lookup.
#[derive(Debug, Default)]
pub struct NameIds {
    ids: HashMap<String, i64>,
}

impl NameIds {
    /// The id of `name`, inserting it into `names` when new.
    fn intern(&mut self, tx: &Transaction<'_>, name: &str) -> rusqlite::Result<i64> {
        if let Some(id) = self.ids.get(name) {
            return Ok(*id);
        }
        let existing: Option<i64> = tx
            .prepare_cached("SELECT id FROM names WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                tx.prepare_cached("INSERT INTO names (name) VALUES (?1)")?
                    .execute([name])?;
                tx.last_insert_rowid()
            }
        };
        self.ids.insert(name.to_owned(), id);
        Ok(id)
    }
}

/// Encodes a name's occurrences as `name_sites.sites` (see the DDL).
pub fn encode_sites(sites: &[crate::syntax::NameSite]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sites.len() * 4);
    let mut previous_line = 0u32;
    for site in sites {
        push_varint(&mut out, site.line.saturating_sub(previous_line));
        push_varint(&mut out, site.col);
        out.push(site.role as u8);
        previous_line = site.line;
    }
    out
}

fn push_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Writes a file's `files` row and all its rows (its old rows must be gone already).
pub fn write_file(
    tx: &Transaction<'_>,
    file: &FileRecord,
    rows: &FileRows,
    counts: &mut RowCounts,
    names: &mut NameIds,
) -> rusqlite::Result<()> {
    counts.add("files", 1);
    counts.add("symbols", rows.symbols.len());
    counts.add("symbols_jsx", rows.symbols_jsx.len());
    counts.add("refs", rows.refs.len());
    counts.add("variable_usage", rows.variable_usage.len());
    counts.add("assignments", rows.assignments.len());
    counts.add("function_call_args", rows.function_call_args.len());
    counts.add("sql_queries", rows.sql_queries.len());
    counts.add(
        "sql_query_tables",
        rows.sql_queries.iter().map(|q| q.tables.len()).sum(),
    );
    counts.add("route_sites", rows.api_endpoints.len());
    counts.add("route_mounts", rows.route_mounts.len());
    counts.add("route_bindings", rows.route_bindings.len());
    let path = file.path.as_str();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO files (path, sha256, ext, bytes, loc, language, mtime_ns, parse_status, parse_errors, ctime_ns, inode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        path,
        file.sha256,
        file.ext,
        i64::try_from(file.stat.bytes).unwrap_or(i64::MAX),
        i64::try_from(file.loc).unwrap_or(i64::MAX),
        file.language,
        file.stat.mtime_ns,
        match (file.partial, file.syntax_errors) {
            (true, _) => "partial",
            (false, 0) => "ok",
            (false, _) => "syntax_errors",
        },
        file.syntax_errors,
        file.stat.ctime_ns,
        file.stat.inode.cast_signed(),
    ])?;
    let file_id = tx.last_insert_rowid();

    let mut stmt = tx.prepare_cached(
        "INSERT INTO symbols (path, name, type, line, col, end_line, end_col, parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for s in &rows.symbols {
        stmt.execute(params![
            path, s.name, s.kind, s.line, s.col, s.end_line, s.end_col, s.parent
        ])?;
    }
    record_range(tx, path, "symbols", rows.symbols.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO symbols_jsx (path, name, type, line, col) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for j in &rows.symbols_jsx {
        stmt.execute(params![path, j.name, j.kind, j.line, j.col])?;
    }
    record_range(tx, path, "symbols_jsx", rows.symbols_jsx.len())?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO refs (src, kind, value, line) VALUES (?1, ?2, ?3, ?4)")?;
    for r in &rows.refs {
        stmt.execute(params![path, r.kind, r.value, r.line])?;
    }
    record_range(tx, path, "refs", rows.refs.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO variable_usage (file, line, col, variable_name, usage_type, in_function) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for u in &rows.variable_usage {
        stmt.execute(params![
            path,
            u.line,
            u.col,
            u.variable_name,
            u.usage_type,
            u.in_function
        ])?;
    }
    record_range(tx, path, "variable_usage", rows.variable_usage.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO assignments (file, line, col, target_var, source_expr, in_function) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for a in &rows.assignments {
        stmt.execute(params![
            path,
            a.line,
            a.col,
            a.target_var,
            a.source_expr,
            a.in_function
        ])?;
    }
    record_range(tx, path, "assignments", rows.assignments.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO function_call_args (file, line, col, caller_function, callee_function, argument_index, argument_expr) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for c in &rows.function_call_args {
        stmt.execute(params![
            path,
            c.line,
            c.col,
            c.caller_function,
            c.callee_function,
            c.argument_index,
            c.argument_expr
        ])?;
    }
    record_range(
        tx,
        path,
        "function_call_args",
        rows.function_call_args.len(),
    )?;
    let mut query_stmt = tx.prepare_cached(
        "INSERT INTO sql_queries (file_path, line_number, query_text, command, parse_ok) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut table_stmt = tx.prepare_cached(
        "INSERT INTO sql_query_tables (query_file, query_line, table_name) VALUES (?1, ?2, ?3)",
    )?;
    // One table after the other, so that each table's rows form one rowid range.
    for q in &rows.sql_queries {
        query_stmt.execute(params![path, q.line, q.query_text, q.command, q.parse_ok])?;
    }
    record_range(tx, path, "sql_queries", rows.sql_queries.len())?;
    let mut table_rows = 0;
    for q in &rows.sql_queries {
        for table in &q.tables {
            table_stmt.execute(params![path, q.line, table])?;
            table_rows += 1;
        }
    }
    record_range(tx, path, "sql_query_tables", table_rows)?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO route_sites (file, line, method, pattern, handler_function, framework, router) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in &rows.api_endpoints {
        stmt.execute(params![
            path,
            e.line,
            e.method,
            e.path,
            e.handler_function,
            e.framework,
            e.router
        ])?;
    }
    record_range(tx, path, "route_sites", rows.api_endpoints.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO route_mounts (file, line, framework, parent, prefix, prefix_expr, outer, child) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for m in &rows.route_mounts {
        stmt.execute(params![
            path,
            m.line,
            m.framework,
            m.parent,
            m.prefix,
            m.prefix_expr,
            m.outer,
            m.child
        ])?;
    }
    record_range(tx, path, "route_mounts", rows.route_mounts.len())?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO route_bindings (file, line, kind, name, module, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for b in &rows.route_bindings {
        stmt.execute(params![path, b.line, b.kind, b.name, b.module, b.target])?;
    }
    record_range(tx, path, "route_bindings", rows.route_bindings.len())?;
    // Interned first, so that the file's `name_sites` rows stay one rowid range.
    let name_ids: Vec<i64> = rows
        .names
        .iter()
        .map(|group| names.intern(tx, &group.name))
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO name_sites (file_id, name_id, sites) VALUES (?1, ?2, ?3)")?;
    for (group, name_id) in rows.names.iter().zip(name_ids) {
        stmt.execute(params![file_id, name_id, encode_sites(&group.sites)])?;
    }
    counts.add("name_sites", rows.names.len());
    record_range(tx, path, "name_sites", rows.names.len())?;
    Ok(())
}

/// The tables whose sizes the summary reports.
fn counted_tables() -> impl Iterator<Item = &'static str> {
    std::iter::once("files")
        .chain(PER_FILE_TABLES.iter().map(|(t, _)| *t))
        .chain(["api_endpoints", "skipped_files"])
}

/// Rows per table, kept up to date by the writer and stored in `index_meta`, so that a refresh
/// never has to count big tables.
#[derive(Debug, Clone, Default)]
pub struct RowCounts(BTreeMap<String, u64>);

impl RowCounts {
    /// The stored counts; any missing (an index written before they were kept) are counted.
    pub fn load(tx: &Transaction<'_>) -> rusqlite::Result<RowCounts> {
        let mut counts = BTreeMap::new();
        for table in counted_tables() {
            let stored: Option<String> = tx
                .query_row(
                    "SELECT value FROM index_meta WHERE key = ?1",
                    [format!("rows.{table}")],
                    |r| r.get(0),
                )
                .optional()?;
            let n = match stored.and_then(|v| v.parse().ok()) {
                Some(n) => n,
                None => {
                    let n: i64 =
                        tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                    u64::try_from(n).unwrap_or(0)
                }
            };
            counts.insert(table.to_owned(), n);
        }
        Ok(RowCounts(counts))
    }

    /// Stores the counts in `index_meta`.
    pub fn save(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut stmt =
            tx.prepare_cached("INSERT OR REPLACE INTO index_meta (key, value) VALUES (?1, ?2)")?;
        for table in counted_tables() {
            let n = self.0.get(table).copied().unwrap_or(0);
            stmt.execute(params![format!("rows.{table}"), n.to_string()])?;
        }
        Ok(())
    }

    fn add(&mut self, table: &str, n: usize) {
        *self.0.entry(table.to_owned()).or_default() += n as u64;
    }

    fn sub(&mut self, table: &str, n: usize) {
        let entry = self.0.entry(table.to_owned()).or_default();
        *entry = entry.saturating_sub(n as u64);
    }

    pub(crate) fn set(&mut self, table: &str, n: usize) {
        self.0.insert(table.to_owned(), n as u64);
    }

    /// Every counted table with its rows.
    pub fn into_map(self) -> BTreeMap<String, u64> {
        counted_tables()
            .map(|t| (t.to_owned(), self.0.get(t).copied().unwrap_or(0)))
            .collect()
    }
}

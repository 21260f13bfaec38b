//! The schema of `.pf/repo_index.db`, the code index.
//!
//! Table and column names follow TheAuditor's index so that its specs and hand-written queries
//! keep working. The DDL lives here, in core, so that every writer (the native indexer, the WASI
//! runner) and every reader agrees on one definition; core itself never opens a database.

/// Bumped whenever [`INDEX_DDL`] changes incompatibly. Stored in `PRAGMA user_version`.
/// Version 2: `file_rows` replaces the per-file secondary indexes.
/// Version 3: `names` and `name_sites`, every identifier-like node of the code; also
/// `files.ctime_ns` and `files.inode` (a same-size edit that keeps the mtime is seen),
/// `parse_status` `partial`, skip reasons `not_regular` and `over_budget`.
pub const INDEX_SCHEMA_VERSION: i64 = 3;

/// Creates every table and index of the code index. Idempotent (`IF NOT EXISTS`).
///
/// Paths are repo-relative with `/` separators. Lines are 1-based, columns 0-based.
pub const INDEX_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    ext TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    loc INTEGER NOT NULL,
    language TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    parse_status TEXT NOT NULL,   -- ok | syntax_errors | partial (nested deeper than extraction goes)
    parse_errors INTEGER NOT NULL DEFAULT 0,
    ctime_ns INTEGER NOT NULL DEFAULT 0,  -- status change time; 0 where the platform has none
    inode INTEGER NOT NULL DEFAULT 0      -- as the bits of a u64; 0 where unknown
);
CREATE TABLE IF NOT EXISTS skipped_files (
    path TEXT PRIMARY KEY,
    reason TEXT NOT NULL          -- binary | too_large | not_utf8 | unreadable | not_regular | over_budget
);
CREATE TABLE IF NOT EXISTS symbols (
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,           -- function | method | class | interface | type | enum | variable | constant | import | ...
    line INTEGER NOT NULL,
    col INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    end_col INTEGER NOT NULL DEFAULT 0,
    parent TEXT
);
CREATE TABLE IF NOT EXISTS symbols_jsx (
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,           -- component | element
    line INTEGER NOT NULL,
    col INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refs (
    src TEXT NOT NULL,
    kind TEXT NOT NULL,           -- import | require | from
    value TEXT NOT NULL,
    line INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS variable_usage (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL DEFAULT 0,
    variable_name TEXT NOT NULL,
    usage_type TEXT NOT NULL,     -- read | write
    in_function TEXT NOT NULL DEFAULT 'global'
);
CREATE TABLE IF NOT EXISTS assignments (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL DEFAULT 0,
    target_var TEXT NOT NULL,
    source_expr TEXT NOT NULL,
    in_function TEXT NOT NULL DEFAULT 'global'
);
CREATE TABLE IF NOT EXISTS function_call_args (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    col INTEGER NOT NULL DEFAULT 0,
    caller_function TEXT NOT NULL DEFAULT 'global',
    callee_function TEXT NOT NULL,
    argument_index INTEGER,       -- NULL for a call without arguments
    argument_expr TEXT            -- NULL for a call without arguments
);
CREATE TABLE IF NOT EXISTS sql_queries (
    file_path TEXT NOT NULL,
    line_number INTEGER NOT NULL,
    query_text TEXT NOT NULL,
    command TEXT NOT NULL,        -- SELECT | INSERT | UPDATE | DELETE | CREATE | ...
    parse_ok INTEGER NOT NULL DEFAULT 1  -- 0: looked like SQL, the parser rejected it, tables from a tolerant scan
);
CREATE TABLE IF NOT EXISTS sql_query_tables (
    query_file TEXT NOT NULL,
    query_line INTEGER NOT NULL,
    table_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_endpoints (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    method TEXT NOT NULL,         -- GET | POST | ... | ALL
    path TEXT NOT NULL,
    handler_function TEXT,
    framework TEXT NOT NULL DEFAULT ''
);
-- Every distinct identifier-like name of the code, once: an `identifiers` term is matched against
-- these (tens of thousands) and only the occurrences of matching names are read.
CREATE TABLE IF NOT EXISTS names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- Every occurrence of a name in a file, one row per (file, name). `sites` holds, per occurrence
-- in source order, three unsigned LEB128 varints: line minus the previous occurrence's line
-- (the first: the line itself, 1-based), the 0-based byte column, and the role
-- (0 reference, 1 declaration, 2 parameter, 3 property, 4 type, 5 import).
CREATE TABLE IF NOT EXISTS name_sites (
    file_id INTEGER NOT NULL,     -- files.rowid
    name_id INTEGER NOT NULL,     -- names.id
    sites BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS index_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A file's rows in each per-file table are written together, so they occupy one rowid range:
-- removing a file deletes these ranges, with no secondary index on the path columns (which
-- would cost a quarter of the index's size).
CREATE TABLE IF NOT EXISTS file_rows (
    path TEXT NOT NULL,
    tbl TEXT NOT NULL,            -- one of PER_FILE_TABLES
    first_rowid INTEGER NOT NULL,
    last_rowid INTEGER NOT NULL,
    PRIMARY KEY (path, tbl)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);
CREATE INDEX IF NOT EXISTS name_sites_name ON name_sites(name_id);
CREATE INDEX IF NOT EXISTS function_call_args_callee ON function_call_args(callee_function);
"#;

/// The tables that hold per-file rows, with the column naming the file. Deleting a file's rows
/// from each of these (its `file_rows` ranges) removes it from the index.
pub const PER_FILE_TABLES: &[(&str, &str)] = &[
    ("symbols", "path"),
    ("symbols_jsx", "path"),
    ("refs", "src"),
    ("variable_usage", "file"),
    ("assignments", "file"),
    ("function_call_args", "file"),
    ("sql_queries", "file_path"),
    ("sql_query_tables", "query_file"),
    ("api_endpoints", "file"),
    ("name_sites", "file_id"),
];

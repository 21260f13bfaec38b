//! The schema of `.pf/repo_index.db`, the code index.
//!
//! Table and column names follow TheAuditor's index so that its specs and hand-written queries
//! keep working. The DDL lives here, in the indexer crate, so that every writer (the native indexer, the WASI
//! runner) and every reader agrees on one definition; core itself never opens a database.

/// Bumped whenever [`INDEX_DDL`] changes incompatibly. Stored in `PRAGMA user_version`.
/// Version 2: `file_rows` replaces the per-file secondary indexes.
/// Version 3: `names` and `name_sites`, every identifier-like node of the code; also
/// `files.ctime_ns` and `files.inode` (a same-size edit that keeps the mtime is seen),
/// `parse_status` `partial`, skip reasons `not_regular` and `over_budget`.
/// Also version 3: routes with their full path: `api_endpoints` is derived from the per-file
/// `route_sites`, `route_mounts` and `route_bindings` and gains `pattern`, `prefix_status`,
/// `unresolved` and `mounts`.
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
-- Every route with its full path as served, resolved over all files (crate::routes) from the
-- three route_* tables below; rewritten whole whenever one of them changes. A route mounted
-- twice has two rows.
CREATE TABLE IF NOT EXISTS api_endpoints (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    method TEXT NOT NULL,         -- GET | POST | ... | ALL
    path TEXT NOT NULL,           -- the full path: every prefix it is mounted under, here and in other files
    handler_function TEXT,
    framework TEXT NOT NULL DEFAULT '',
    pattern TEXT NOT NULL DEFAULT '',  -- the path as its own file serves it
    prefix_status TEXT NOT NULL DEFAULT 'none',  -- none (not mounted elsewhere) | resolved | unresolved
    unresolved TEXT,              -- unresolved: which prefix could not be read statically, and why
    mounts TEXT                   -- how path was assembled: `file:line prefix` steps, outermost first
);
-- A route as its file declares it: `pattern` with the prefixes mounted in that file, on `router`.
CREATE TABLE IF NOT EXISTS route_sites (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    method TEXT NOT NULL,
    pattern TEXT NOT NULL,
    handler_function TEXT,
    framework TEXT NOT NULL,
    router TEXT NOT NULL          -- `app`, `router`, `fn:router` (Rust), `Register(0)` (Go)
);
-- `parent` (a router of `file`) serves the router `child` (as `file` names it) under a prefix.
CREATE TABLE IF NOT EXISTS route_mounts (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    framework TEXT NOT NULL,
    parent TEXT NOT NULL,
    prefix TEXT,                  -- NULL: not a literal, see prefix_expr
    prefix_expr TEXT NOT NULL,    -- the prefix as written when not a literal
    outer TEXT NOT NULL,          -- the parent's own prefix before prefix_expr
    child TEXT NOT NULL           -- `router`, `items.router`, `routes::router`, `routes.Register(0)`
);
-- What names mean, for resolving mounted routers and prefixes across files.
CREATE TABLE IF NOT EXISTS route_bindings (
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    kind TEXT NOT NULL,           -- import | alias | const
    name TEXT NOT NULL,
    module TEXT NOT NULL,         -- import: the module as written
    target TEXT NOT NULL          -- import: the imported name ('' the module); alias: the name it stands for; const: the string
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
    ("route_sites", "file"),
    ("route_mounts", "file"),
    ("route_bindings", "file"),
    ("name_sites", "file_id"),
];

/// The per-file tables the route resolver (`routes.rs`) reads: a change to one of them means `api_endpoints`
/// must be resolved again.
pub const ROUTE_TABLES: &[&str] = &["route_sites", "route_mounts", "route_bindings"];

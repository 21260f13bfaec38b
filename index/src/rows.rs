//! The rows one source file contributes to the index, before they are written.
//!
//! Extractors fill a [`FileRows`] without touching the database, so extraction can run on any
//! thread (or in a WASI sandbox) and the single writer only copies these vectors into SQLite.
//! Column names mirror the tables in [`crate::schema::INDEX_DDL`].

use serde::Serialize;

/// A declared name (`symbols`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Symbol {
    pub line: u32,
    pub col: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub end_line: u32,
    pub end_col: u32,
    pub parent: Option<String>,
}

/// A JSX element or component in use (`symbols_jsx`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct JsxUse {
    pub line: u32,
    pub col: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An import of another module (`refs`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Ref {
    pub line: u32,
    pub kind: String,
    pub value: String,
}

/// A read or write of an identifier or member chain (`variable_usage`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Usage {
    pub line: u32,
    pub col: u32,
    pub variable_name: String,
    pub usage_type: &'static str,
    pub in_function: String,
}

/// A declaration with a value or an assignment (`assignments`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Assignment {
    pub line: u32,
    pub col: u32,
    pub target_var: String,
    pub source_expr: String,
    pub in_function: String,
}

/// One argument of a call, or the call itself when it has none (`function_call_args`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CallArg {
    pub line: u32,
    pub col: u32,
    pub caller_function: String,
    pub callee_function: String,
    pub argument_index: Option<u32>,
    pub argument_expr: Option<String>,
}

/// A string literal that is SQL (`sql_queries`, with its `sql_query_tables`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SqlQuery {
    pub line: u32,
    pub query_text: String,
    pub command: String,
    pub parse_ok: bool,
    pub tables: Vec<String>,
}

/// An HTTP route as one file declares it (`route_sites`); `api_endpoints` gets its full paths
/// once the prefixes it is mounted under in other files are known ([`crate::routes`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Endpoint {
    pub line: u32,
    pub method: String,
    /// The path as this file serves it: prefixes mounted in this file are joined in.
    pub path: String,
    pub handler_function: Option<String>,
    pub framework: &'static str,
    /// The router (app, blueprint, group...) that serves it in this file, as other files can
    /// name it: a module-level variable (`router`, `bp`), `fn:NAME` (a Rust function building
    /// a router), `NAME(i)` (a Go function registering routes on its `i`-th parameter).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub router: String,
}

/// `parent` serves the router `child` under `prefix` (`route_mounts`): `app.use('/api', r)`,
/// `app.include_router(r, prefix=...)`, `.nest("/api", routes::router())`, `Register(v1)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mount {
    pub line: u32,
    pub framework: &'static str,
    /// The mounting router in this file (named like [`Endpoint::router`]).
    pub parent: String,
    /// The prefix, when it is a literal (prefixes mounted in this file are joined in).
    pub prefix: Option<String>,
    /// The prefix as written when it is not a literal (`settings.API_V1_STR`), to resolve
    /// through [`Binding`]s; empty otherwise.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix_expr: String,
    /// The local prefix of `parent` that comes before a non-literal `prefix_expr`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub outer: String,
    /// The mounted router as this file names it: a local name, a dotted or `::` path through
    /// an import (`items.router`, `routes::router`), a Go call `pkg.Register(0)`.
    pub child: String,
}

/// What a name means in a file, as far as route resolution needs it (`route_bindings`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Binding {
    pub line: u32,
    /// `import` (`name` is bound to `target` of `module`; an empty `target` is the module
    /// itself), `alias` (`name` stands for `target` in this file: `default` for
    /// `module.exports = router`, `settings` for `settings = Settings()`) or `const` (`name`
    /// is the string `target`: `API_PREFIX = "/api"`, `Settings.API_V1_STR: str = "/api/v1"`).
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub module: String,
    pub target: String,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileRows {
    pub symbols: Vec<Symbol>,
    pub symbols_jsx: Vec<JsxUse>,
    pub refs: Vec<Ref>,
    pub variable_usage: Vec<Usage>,
    pub assignments: Vec<Assignment>,
    pub function_call_args: Vec<CallArg>,
    pub sql_queries: Vec<SqlQuery>,
    pub api_endpoints: Vec<Endpoint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub route_mounts: Vec<Mount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub route_bindings: Vec<Binding>,
    /// Every identifier-like node, grouped by name (`names` and `name_sites`).
    pub names: Vec<crate::syntax::NameGroup>,
}

impl FileRows {
    /// Sorts every table by position, then value, so output is deterministic.
    pub fn sort(&mut self) {
        self.symbols.sort();
        self.symbols_jsx.sort();
        self.refs.sort();
        // The same name read (or written) twice on a line is one fact for every consumer.
        self.variable_usage.sort_by(|a, b| {
            (a.line, &a.variable_name, a.usage_type, a.col).cmp(&(
                b.line,
                &b.variable_name,
                b.usage_type,
                b.col,
            ))
        });
        self.variable_usage.dedup_by(|b, a| {
            a.line == b.line && a.variable_name == b.variable_name && a.usage_type == b.usage_type
        });
        self.variable_usage.sort();
        self.assignments.sort();
        self.function_call_args.sort();
        self.sql_queries.sort();
        self.api_endpoints.sort();
        self.names.sort();
        self.route_mounts.sort();
        self.route_mounts.dedup();
        self.route_bindings.sort();
        self.route_bindings.dedup();
    }

    /// Whether this file says anything about routes (their resolution must then run again).
    pub fn has_route_facts(&self) -> bool {
        !(self.api_endpoints.is_empty()
            && self.route_mounts.is_empty()
            && self.route_bindings.is_empty())
    }

    /// How many rows this file adds to the index, all tables together.
    pub fn len(&self) -> usize {
        self.symbols.len()
            + self.symbols_jsx.len()
            + self.refs.len()
            + self.variable_usage.len()
            + self.assignments.len()
            + self.function_call_args.len()
            + self
                .sql_queries
                .iter()
                .map(|q| 1 + q.tables.len())
                .sum::<usize>()
            + self.api_endpoints.len()
            + self.route_mounts.len()
            + self.route_bindings.len()
    }

    /// Whether nothing was extracted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

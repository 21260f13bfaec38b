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

/// An HTTP route (`api_endpoints`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Endpoint {
    pub line: u32,
    pub method: String,
    pub path: String,
    pub handler_function: Option<String>,
    pub framework: &'static str,
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
    }

    /// Whether nothing was extracted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

//! The rule engine's view of the code index.
//!
//! A spec term never reads source files: it is looked up in columns of the index
//! (`.pf/repo_index.db`). [`Source`] names each searchable column, [`IndexStore`] is the one
//! trait a storage backend implements (SQLite in the CLI and the WASI runner), and
//! [`MemoryIndex`] is the in-memory backend used by tests and the browser.

use std::convert::Infallible;

use serde::{Deserialize, Serialize};

use crate::engine::IndexCoverage;

/// One searchable column of the index. Which kinds of term search which sources is fixed by
/// [`crate::spec::TermKind::sources`], exactly as in the original tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `symbols.name`: every declared name, including import bindings.
    SymbolName,
    /// `symbols_jsx.name`: JSX elements and components in use.
    JsxName,
    /// `variable_usage.variable_name`: reads and writes of identifiers and member chains.
    VariableUsage,
    /// `assignments.target_var`.
    AssignmentTarget,
    /// `assignments.source_expr`.
    AssignmentSource,
    /// `function_call_args.callee_function`.
    CallCallee,
    /// `function_call_args.argument_expr`.
    CallArgument,
    /// `sql_queries.query_text`.
    SqlQuery,
    /// `sql_query_tables.table_name`.
    SqlTable,
    /// `api_endpoints.path`.
    ApiPath,
    /// `names.name` with `name_sites`: every identifier-like syntax node of the code (names,
    /// properties, keys, parameters, types, fields, labels...), one row per occurrence at the
    /// name's own line and column. A single-name `identifiers` term searches only this source.
    Name,
}

impl Source {
    /// Every source, in a stable order.
    pub const ALL: [Source; 11] = [
        Source::SymbolName,
        Source::JsxName,
        Source::VariableUsage,
        Source::AssignmentTarget,
        Source::AssignmentSource,
        Source::CallCallee,
        Source::CallArgument,
        Source::SqlQuery,
        Source::SqlTable,
        Source::ApiPath,
        Source::Name,
    ];

    /// The table this source reads; this is the `source` reported in a finding.
    pub fn table(self) -> &'static str {
        match self {
            Source::SymbolName => "symbols",
            Source::JsxName => "symbols_jsx",
            Source::VariableUsage => "variable_usage",
            Source::AssignmentTarget | Source::AssignmentSource => "assignments",
            Source::CallCallee | Source::CallArgument => "function_call_args",
            Source::SqlQuery => "sql_queries",
            Source::SqlTable => "sql_query_tables",
            Source::ApiPath => "api_endpoints",
            Source::Name => "names",
        }
    }

    /// The column holding the searched value.
    pub fn column(self) -> &'static str {
        match self {
            Source::SymbolName | Source::JsxName => "name",
            Source::VariableUsage => "variable_name",
            Source::AssignmentTarget => "target_var",
            Source::AssignmentSource => "source_expr",
            Source::CallCallee => "callee_function",
            Source::CallArgument => "argument_expr",
            Source::SqlQuery => "query_text",
            Source::SqlTable => "table_name",
            Source::ApiPath => "path",
            Source::Name => "name",
        }
    }

    /// The column holding the repo-relative file path.
    pub fn file_column(self) -> &'static str {
        match self {
            Source::SymbolName | Source::JsxName => "path",
            Source::VariableUsage
            | Source::AssignmentTarget
            | Source::AssignmentSource
            | Source::CallCallee
            | Source::CallArgument
            | Source::ApiPath
            | Source::Name => "file",
            Source::SqlQuery => "file_path",
            Source::SqlTable => "query_file",
        }
    }

    /// The column holding the 1-based line.
    pub fn line_column(self) -> &'static str {
        match self {
            Source::SqlQuery => "line_number",
            Source::SqlTable => "query_line",
            _ => "line",
        }
    }
}

/// One row of a [`Source`], as handed to the rule engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRow {
    /// Repo-relative path with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 0-based column (bytes) where the value starts on `line`; 0 where the table records none.
    #[serde(default)]
    pub col: u32,
    /// The searched value (a name, an expression, a query, a path...).
    pub value: String,
    /// A short human description of the row (`function`, `call jwt.sign arg 1`, `GET`...).
    pub context: String,
}

/// Read access to the code index, as the rule engine needs it.
///
/// The engine scans each source once per evaluation. Implementations must hand over every row
/// the engine may accept; the engine filters by term and scope itself. `needles` are lowercase
/// ASCII literals: when given, every value the engine can accept contains at least one of them,
/// so a backend may skip rows that contain none (compared ASCII-case-insensitively), cheaply and
/// before materialising them, but must never drop a row that contains one.
pub trait IndexStore {
    /// The backend's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Calls `visit` for each row of `source` whose value contains at least one of `needles`
    /// (ASCII case-insensitively), or for every row when `needles` is `None`.
    fn scan(
        &self,
        source: Source,
        needles: Option<&[String]>,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), Self::Error>;

    /// Calls `visit` for each occurrence ([`Source::Name`]) of every distinct name that contains
    /// one of `needles` (as [`IndexStore::scan`]) and that `accept` accepts. A store holding
    /// distinct names apart from their occurrences offers each name once and reads the
    /// occurrences of accepted names only; the default filters a plain [`IndexStore::scan`].
    fn scan_names(
        &self,
        needles: Option<&[String]>,
        accept: &mut dyn FnMut(&str) -> bool,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), Self::Error> {
        self.scan(Source::Name, needles, &mut |row: &IndexRow| {
            if accept(&row.value) {
                visit(row);
            }
        })
    }

    /// How complete the index is (files indexed, skipped, with parse errors), when the store
    /// knows; a verification records it with its verdict.
    fn coverage(&self) -> Result<Option<IndexCoverage>, Self::Error> {
        Ok(None)
    }

    /// Which code the index describes, as [`files_fingerprint`] of its files, when the store
    /// knows; a verification run records it.
    fn fingerprint(&self) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }

    /// The last line of `file` as indexed, when the store knows it; read ranges end there.
    fn last_line(&self, file: &str) -> Result<Option<u32>, Self::Error> {
        let _ = file;
        Ok(None)
    }
}

/// The fingerprint of an index: sha256 (hex) over each file's repo-relative path and content
/// hash, in path order. Two indexes of the same code have the same fingerprint.
pub fn files_fingerprint<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(&str, &str)> = files.into_iter().collect();
    files.sort_unstable();
    let mut hasher = Sha256::new();
    for (path, sha) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(sha.as_bytes());
        hasher.update([b'\n']);
    }
    crate::plan::fingerprint::hex(&hasher.finalize())
}

/// A file of a [`MemoryIndex`]: its content hash and number of lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryFile {
    /// The content hash, as the index records it.
    pub sha256: String,
    /// The number of lines.
    pub lines: u32,
}

/// An index held in memory: the backend for unit tests and for the browser playground.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct MemoryIndex {
    rows: Vec<(Source, IndexRow)>,
    /// The indexed files by path; an index without files knows no coverage or fingerprint.
    #[serde(default)]
    files: std::collections::BTreeMap<String, MemoryFile>,
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one row (at column 0).
    pub fn push(&mut self, source: Source, file: &str, line: u32, value: &str, context: &str) {
        self.push_at(source, file, line, 0, value, context);
    }

    /// Adds one row whose value starts at column `col`.
    pub fn push_at(
        &mut self,
        source: Source,
        file: &str,
        line: u32,
        col: u32,
        value: &str,
        context: &str,
    ) {
        self.rows.push((
            source,
            IndexRow {
                file: file.to_owned(),
                line,
                col,
                value: value.to_owned(),
                context: context.to_owned(),
            },
        ));
    }

    /// Adds one row, builder style.
    #[must_use]
    pub fn with(mut self, source: Source, file: &str, line: u32, value: &str) -> Self {
        self.push(source, file, line, value, "");
        self
    }

    /// How many rows the index holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the index holds no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Records an indexed file (replacing an earlier record of the same path).
    pub fn add_file(&mut self, path: &str, sha256: &str, lines: u32) {
        self.files.insert(
            path.to_owned(),
            MemoryFile {
                sha256: sha256.to_owned(),
                lines,
            },
        );
    }
}

impl IndexStore for MemoryIndex {
    type Error = Infallible;

    fn scan(
        &self,
        source: Source,
        needles: Option<&[String]>,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), Infallible> {
        for (row_source, row) in &self.rows {
            if *row_source != source {
                continue;
            }
            if let Some(needles) = needles {
                let lower = row.value.to_ascii_lowercase();
                if !needles.iter().any(|n| lower.contains(n.as_str())) {
                    continue;
                }
            }
            visit(row);
        }
        Ok(())
    }

    fn coverage(&self) -> Result<Option<IndexCoverage>, Infallible> {
        Ok((!self.files.is_empty()).then(|| IndexCoverage {
            files_indexed: self.files.len(),
            ..IndexCoverage::default()
        }))
    }

    fn fingerprint(&self) -> Result<Option<String>, Infallible> {
        Ok((!self.files.is_empty()).then(|| {
            files_fingerprint(
                self.files
                    .iter()
                    .map(|(path, f)| (path.as_str(), f.sha256.as_str())),
            )
        }))
    }

    fn last_line(&self, file: &str) -> Result<Option<u32>, Infallible> {
        Ok(self.files.get(file).map(|f| f.lines))
    }
}

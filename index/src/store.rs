//! [`SqliteIndex`]: the rule engine's read access to `.pf/repo_index.db`.
//!
//! Each [`Source`] maps to one query over its table. The engine scans a source once per spec
//! with the lowercase needles of all its terms; the query keeps only rows whose value contains
//! one of them, tested by an Aho-Corasick automaton registered as the SQL function
//! `aud_contains_any` and run on SQLite's own copy of the text, so rejected rows are never
//! materialised. It folds ASCII case only, exactly the comparison the [`IndexStore`] contract
//! asks for, so no row containing a needle is lost. Nothing is capped.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};
use anyhow::Context as _;
use aud_core::engine::IndexCoverage;
use aud_core::index::{IndexRow, IndexStore, Source, files_fingerprint};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension as _};

use crate::writer;

/// The code index in SQLite, opened read-only.
pub struct SqliteIndex {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteIndex")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteIndex {
    /// Opens an index written by `aud index`. Fails with a message naming the file when it is
    /// missing, corrupt or written by a newer aud.
    pub fn open(db_path: &Path) -> anyhow::Result<SqliteIndex> {
        let conn = writer::open_read_only(db_path)?;
        Ok(SqliteIndex {
            conn,
            path: db_path.to_path_buf(),
        })
    }

    /// The underlying connection, for queries beyond the rule engine's (`aud query`).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Rows per table, as `aud index` reports them (read, never written).
    pub fn row_counts(&self) -> anyhow::Result<std::collections::BTreeMap<String, u64>> {
        let read = || -> rusqlite::Result<_> {
            let tx = self.conn.unchecked_transaction()?;
            Ok(writer::RowCounts::load(&tx)?.into_map())
        };
        read().with_context(|| format!("reading {}", self.path.display()))
    }

    /// The SQL condition keeping the rows of `source` that contain one of `needles` (`1` for
    /// all rows), registering the prefilter function it calls.
    fn filter(&self, source: Source, needles: Option<&[String]>) -> rusqlite::Result<String> {
        Ok(match needles {
            Some(needles) => {
                let automaton = Arc::new(automaton(needles)?);
                self.conn.create_scalar_function(
                    CONTAINS_ANY,
                    1,
                    FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                    move |ctx| {
                        Ok(match ctx.get_raw(0) {
                            ValueRef::Text(bytes) => automaton.is_match(bytes),
                            _ => false,
                        })
                    },
                )?;
                format!("{CONTAINS_ANY}({})", source.column())
            }
            None => "1".to_owned(),
        })
    }

    /// Reads the occurrences of every name passing `filter` and `accept`, one [`IndexRow`] per
    /// occurrence (context: the role), file by file for each name.
    fn read_names(
        &self,
        filter: &str,
        accept: &mut dyn FnMut(&str) -> bool,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> rusqlite::Result<()> {
        let sql = query(Source::Name).replace("{filter}", filter);
        let mut accepted: Vec<(i64, String)> = Vec::new();
        {
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let name: String = row.get(1)?;
                if accept(&name) {
                    accepted.push((row.get(0)?, name));
                }
            }
        }
        let mut sites = self.conn.prepare_cached(
            "SELECT f.path, s.sites FROM name_sites s JOIN files f ON f.rowid = s.file_id WHERE s.name_id = ?1",
        )?;
        for (id, name) in accepted {
            let mut rows = sites.query([id])?;
            while let Some(row) = rows.next()? {
                let ValueRef::Blob(blob) = row.get_ref(1)? else {
                    continue;
                };
                // One row per file, moved from site to site: no allocation per occurrence.
                let mut index_row = IndexRow {
                    file: row.get(0)?,
                    line: 0,
                    col: 0,
                    value: name.clone(),
                    context: String::new(),
                };
                for (line, col, role) in decode_sites(blob) {
                    index_row.line = line;
                    index_row.col = col;
                    index_row.context.clear();
                    index_row.context.push_str(role);
                    visit(&index_row);
                }
            }
        }
        Ok(())
    }

    /// How much of the repository the index covers.
    pub fn coverage(&self) -> anyhow::Result<IndexCoverage> {
        IndexStore::coverage(self)
            .map(Option::unwrap_or_default)
            .with_context(|| format!("reading {}", self.path.display()))
    }
}

/// The SELECT for a source: file, line, value, context; `{filter}` is replaced by the needle
/// condition or by `1`.
fn query(source: Source) -> &'static str {
    match source {
        Source::SymbolName => "SELECT path, line, col, name, type FROM symbols WHERE {filter}",
        Source::JsxName => "SELECT path, line, col, name, type FROM symbols_jsx WHERE {filter}",
        Source::VariableUsage => {
            "SELECT file, line, col, variable_name, usage_type || ' in ' || in_function FROM variable_usage WHERE {filter}"
        }
        Source::AssignmentTarget => {
            "SELECT file, line, col, target_var, 'assignment in ' || in_function FROM assignments WHERE {filter}"
        }
        Source::AssignmentSource => {
            "SELECT file, line, 0, source_expr, 'assigned to ' || target_var FROM assignments WHERE {filter}"
        }
        Source::CallCallee => {
            "SELECT file, line, col, callee_function, 'call ' || callee_function || ' in ' || caller_function FROM function_call_args WHERE (argument_index IS NULL OR argument_index = 0) AND {filter}"
        }
        Source::CallArgument => {
            "SELECT file, line, 0, argument_expr, 'call ' || callee_function || ' arg ' || argument_index FROM function_call_args WHERE argument_expr IS NOT NULL AND {filter}"
        }
        Source::SqlQuery => {
            "SELECT file_path, line_number, 0, query_text, CASE WHEN parse_ok THEN command ELSE command || ' (unparsed)' END FROM sql_queries WHERE {filter}"
        }
        Source::SqlTable => {
            "SELECT query_file, query_line, 0, table_name, 'sql table' FROM sql_query_tables WHERE {filter}"
        }
        Source::ApiPath => "SELECT file, line, 0, path, method FROM api_endpoints WHERE {filter}",
        // Read through `scan_names`: one row per occurrence, decoded from `name_sites.sites`.
        Source::Name => "SELECT id, name FROM names WHERE {filter}",
    }
}

/// The name of the prefilter function registered for a scan.
const CONTAINS_ANY: &str = "aud_contains_any";

/// An automaton finding any of `needles`, ASCII-case-insensitively.
fn automaton(needles: &[String]) -> Result<AhoCorasick, rusqlite::Error> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(needles)
        .or_else(|_| {
            // Too many needles for a DFA: the contiguous NFA takes any number.
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(needles)
        })
        .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
}

impl IndexStore for SqliteIndex {
    type Error = rusqlite::Error;

    fn scan(
        &self,
        source: Source,
        needles: Option<&[String]>,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), rusqlite::Error> {
        let filter = self.filter(source, needles)?;
        if source == Source::Name {
            return self.read_names(&filter, &mut |_| true, visit);
        }
        let sql = query(source).replace("{filter}", &filter);
        // Not cached: the statement names a function redefined for every scan.
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let line: i64 = row.get(1)?;
            let col: i64 = row.get(2)?;
            let index_row = IndexRow {
                file: row.get(0)?,
                line: u32::try_from(line).unwrap_or(0),
                col: u32::try_from(col).unwrap_or(0),
                value: row.get(3)?,
                context: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            };
            visit(&index_row);
        }
        Ok(())
    }

    fn scan_names(
        &self,
        needles: Option<&[String]>,
        accept: &mut dyn FnMut(&str) -> bool,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), rusqlite::Error> {
        let filter = self.filter(Source::Name, needles)?;
        self.read_names(&filter, accept, visit)
    }

    fn coverage(&self) -> Result<Option<IndexCoverage>, rusqlite::Error> {
        let count = |sql: &str| -> rusqlite::Result<usize> {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok(Some(IndexCoverage {
            files_indexed: count("SELECT count(*) FROM files")?,
            files_skipped: count("SELECT count(*) FROM skipped_files")?,
            parse_errors: count("SELECT count(*) FROM files WHERE parse_status <> 'ok'")?,
        }))
    }

    fn fingerprint(&self) -> Result<Option<String>, rusqlite::Error> {
        let mut stmt = self.conn.prepare("SELECT path, sha256 FROM files")?;
        let files = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(files_fingerprint(
            files.iter().map(|(p, s)| (p.as_str(), s.as_str())),
        )))
    }

    fn last_line(&self, file: &str) -> Result<Option<u32>, rusqlite::Error> {
        let loc: Option<i64> = self
            .conn
            .prepare_cached("SELECT loc FROM files WHERE path = ?1")?
            .query_row([file], |r| r.get(0))
            .optional()?;
        Ok(loc.and_then(|n| u32::try_from(n).ok()))
    }
}

/// Decodes `name_sites.sites` into (line, column, role word); a malformed tail is ignored.
fn decode_sites(blob: &[u8]) -> Vec<(u32, u32, &'static str)> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut line = 0u32;
    while at < blob.len() {
        let (Some(delta), Some(col)) = (read_varint(blob, &mut at), read_varint(blob, &mut at))
        else {
            break;
        };
        let Some(&role) = blob.get(at) else { break };
        at += 1;
        line = line.saturating_add(delta);
        let role =
            crate::syntax::NameRole::from_u8(role).unwrap_or(crate::syntax::NameRole::Reference);
        out.push((line, col, role.as_str()));
    }
    out
}

fn read_varint(blob: &[u8], at: &mut usize) -> Option<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *blob.get(*at)?;
        *at += 1;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{automaton, decode_sites};
    use crate::syntax::{NameRole, NameSite};
    use crate::writer::encode_sites;

    #[test]
    fn name_sites_round_trip() {
        let sites = [
            NameSite {
                line: 1,
                col: 0,
                role: NameRole::Declaration,
            },
            NameSite {
                line: 1,
                col: 300,
                role: NameRole::Reference,
            },
            NameSite {
                line: 70_000,
                col: 5,
                role: NameRole::Import,
            },
        ];
        let decoded = decode_sites(&encode_sites(&sites));
        assert_eq!(
            decoded,
            [
                (1, 0, "declaration"),
                (1, 300, "reference"),
                (70_000, 5, "import")
            ]
        );
        // A cut blob yields what is whole, never garbage or a panic.
        let blob = encode_sites(&sites);
        assert_eq!(decode_sites(&blob[..blob.len() - 1]).len(), 2);
    }

    #[test]
    fn the_prefilter_folds_ascii_case_and_finds_any_needle() {
        let ac = automaton(&["auth0".to_owned(), "jwt.sign".to_owned()]).unwrap();
        for (value, hit) in [
            ("AUTH0", true),
            ("x.Jwt.Sign(y)", true),
            ("loginWithAuth0", true), // the engine applies word boundaries afterwards
            ("auth", false),
            ("", false),
        ] {
            assert_eq!(ac.is_match(value), hit, "{value}");
        }
    }
}

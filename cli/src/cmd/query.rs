//! `aud query`: navigate the index (symbols, routes, components, callers, callees, files and
//! their imports).
//!
//! The index is refreshed incrementally first (unless `--no-refresh`), so answers are never
//! stale. Names accept `*` wildcards and compare ASCII case-insensitively.

use std::fmt::Write as _;

use anyhow::Context as _;
use rusqlite::types::Value;
use serde::Serialize;

use crate::exit::Outcome;
use crate::index::{IndexOptions, SqliteIndex, refresh};
use crate::output::{Format, print_json, print_text};
use crate::root::Context;

/// Arguments of `aud query`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(false)))]
pub struct Args {
    /// Where a symbol is declared (functions, classes, variables, imports...).
    #[arg(long, value_name = "NAME", group = "what")]
    pub symbol: Option<String>,
    /// HTTP routes whose path matches.
    #[arg(long, value_name = "ROUTE", group = "what")]
    pub api: Option<String>,
    /// Where a JSX component or element is used.
    #[arg(long, value_name = "NAME", group = "what")]
    pub component: Option<String>,
    /// Calls of a function (`sign` also finds `jwt.sign`).
    #[arg(
        long,
        visible_alias = "show-callers",
        value_name = "NAME",
        group = "what"
    )]
    pub callers: Option<String>,
    /// What a function calls.
    #[arg(
        long,
        visible_alias = "show-callees",
        value_name = "NAME",
        group = "what"
    )]
    pub callees: Option<String>,
    /// Everything the index holds about a file (repo-relative path).
    #[arg(long, value_name = "PATH", group = "what")]
    pub file: Option<String>,
    /// The modules a file imports (`import`, `require`, `from x import`).
    #[arg(
        long,
        visible_alias = "show-dependencies",
        value_name = "PATH",
        group = "what"
    )]
    pub dependencies: Option<String>,
    /// The files that import a module (`jsonwebtoken`, `./auth`, `app.models`).
    #[arg(
        long,
        visible_alias = "show-dependents",
        value_name = "MODULE",
        group = "what"
    )]
    pub dependents: Option<String>,
    /// Use the index as it is, without refreshing it first.
    #[arg(long)]
    pub no_refresh: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// One answer row.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Repo-relative path.
    pub file: String,
    /// 1-based line.
    pub line: i64,
    /// What kind of row (`function`, `GET`, `call`...).
    pub kind: String,
    /// The name, route or callee.
    pub name: String,
    /// More about it (parent, handler, caller...), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Routes: how the full path was assembled, if it is mounted elsewhere (`file:line prefix`
    /// steps, outermost first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mounts: Option<String>,
    /// Routes: the path as its own file declares it, when prefixes were added elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Routes: why a prefix could not be resolved statically (the path then shows it as
    /// `{expression}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
}

/// The answer to a query.
#[derive(Debug, Serialize)]
pub struct Answer {
    /// What was asked, e.g. `symbol`.
    pub query: &'static str,
    /// The pattern as given.
    pub pattern: String,
    /// Every matching row, by file and line.
    pub results: Vec<Hit>,
}

/// Runs `aud query`.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<Outcome> {
    let db = ctx.index_db();
    if !args.no_refresh {
        ctx.ensure_pf_dir()?;
        refresh(&ctx.root, &db, &IndexOptions::default())?;
    }
    let index = SqliteIndex::open(&db)?;
    let answer = answer(&index, &args)?;
    match args.format {
        Format::Json => print_json(&answer)?,
        Format::Text => print_text(&render(&answer))?,
    }
    Ok(Outcome::Success)
}

/// Turns `*` wildcards into a `LIKE` pattern (`\` escapes).
fn like(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn answer(index: &SqliteIndex, args: &Args) -> anyhow::Result<Answer> {
    let (query, pattern, sql): (&'static str, &String, &str) = if let Some(p) = &args.symbol {
        (
            "symbol",
            p,
            "SELECT path, line, type, name, parent FROM symbols WHERE name LIKE ?1 ESCAPE '\\' ORDER BY path, line, col",
        )
    } else if let Some(p) = &args.api {
        (
            "api",
            p,
            "SELECT file, line, method, path, coalesce(handler_function, '') || CASE WHEN framework <> '' THEN ' (' || framework || ')' ELSE '' END, mounts, CASE WHEN pattern <> path THEN pattern END, unresolved FROM api_endpoints WHERE path LIKE ?1 ESCAPE '\\' OR pattern LIKE ?1 ESCAPE '\\' ORDER BY file, line, method, path",
        )
    } else if let Some(p) = &args.component {
        (
            "component",
            p,
            "SELECT path, line, type, name, NULL FROM symbols_jsx WHERE name LIKE ?1 ESCAPE '\\' ORDER BY path, line, col",
        )
    } else if let Some(p) = &args.callers {
        (
            "callers",
            p,
            "SELECT DISTINCT file, line, 'call', callee_function, 'from ' || caller_function FROM function_call_args WHERE callee_function LIKE ?1 ESCAPE '\\' OR callee_function LIKE '%.' || ?1 ESCAPE '\\' ORDER BY file, line",
        )
    } else if let Some(p) = &args.callees {
        (
            "callees",
            p,
            "SELECT DISTINCT file, line, 'call', callee_function, 'from ' || caller_function FROM function_call_args WHERE caller_function LIKE ?1 ESCAPE '\\' OR caller_function LIKE '%.' || ?1 ESCAPE '\\' ORDER BY file, line",
        )
    } else if let Some(p) = &args.file {
        (
            "file",
            p,
            "SELECT path, line, type, name, parent FROM symbols WHERE path LIKE ?1 ESCAPE '\\'
             UNION ALL SELECT src, line, kind, value, NULL FROM refs WHERE src LIKE ?1 ESCAPE '\\'
             UNION ALL SELECT file, line, method, path, handler_function FROM api_endpoints WHERE file LIKE ?1 ESCAPE '\\'
             UNION ALL SELECT file_path, line_number, 'sql ' || command, query_text, NULL FROM sql_queries WHERE file_path LIKE ?1 ESCAPE '\\'
             UNION ALL SELECT path, line, 'jsx ' || type, name, NULL FROM symbols_jsx WHERE path LIKE ?1 ESCAPE '\\'
             ORDER BY 1, 2",
        )
    } else if let Some(p) = &args.dependencies {
        (
            "dependencies",
            p,
            "SELECT src, line, kind, value, NULL FROM refs WHERE src LIKE ?1 ESCAPE '\\' ORDER BY src, line, value",
        )
    } else if let Some(p) = &args.dependents {
        (
            "dependents",
            p,
            "SELECT src, line, kind, value, NULL FROM refs WHERE value LIKE ?1 ESCAPE '\\' OR value LIKE '%/' || ?1 ESCAPE '\\' ORDER BY src, line",
        )
    } else {
        anyhow::bail!(
            "say what to look up: --symbol, --api, --component, --callers, --callees, --file, --dependencies or --dependents"
        );
    };
    if pattern.trim().is_empty() {
        anyhow::bail!("--{query}: the pattern is empty");
    }
    let conn = index.connection();
    let mut stmt = conn
        .prepare(sql)
        .context("querying the index (is it from an older aud? run `aud index --full`)")?;
    // Paths in the index are repo-relative with `/`; accept `./src\\a.js` too.
    let normalised = if matches!(query, "file" | "dependencies") {
        pattern
            .replace('\\', "/")
            .trim_start_matches("./")
            .to_owned()
    } else {
        pattern.clone()
    };
    let results = stmt
        .query_map([Value::Text(like(&normalised))], |row| {
            Ok(Hit {
                file: row.get(0)?,
                line: row.get(1)?,
                kind: row.get(2)?,
                name: row.get(3)?,
                detail: row.get::<_, Option<String>>(4)?.filter(|d| !d.is_empty()),
                mounts: optional(row, 5)?,
                pattern: optional(row, 6)?,
                unresolved: optional(row, 7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()
        .context("querying the index")?;
    Ok(Answer {
        query,
        pattern: pattern.clone(),
        results,
    })
}

/// Column `i` of a row that may not have it (only route answers do).
fn optional(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    if i >= row.as_ref().column_count() {
        return Ok(None);
    }
    Ok(row.get::<_, Option<String>>(i)?.filter(|v| !v.is_empty()))
}

fn render(answer: &Answer) -> String {
    let mut out = String::new();
    if answer.results.is_empty() {
        let _ = writeln!(out, "No {} matches {}", answer.query, answer.pattern);
        return out;
    }
    for hit in &answer.results {
        let _ = write!(out, "{}:{}  {}  {}", hit.file, hit.line, hit.kind, hit.name);
        if let Some(detail) = &hit.detail {
            let _ = write!(out, "  ({detail})");
        }
        out.push('\n');
        if let Some(pattern) = &hit.pattern {
            let _ = writeln!(out, "    declared as {pattern}");
        }
        if let Some(mounts) = &hit.mounts {
            let _ = writeln!(out, "    mounted at {mounts}");
        }
        if let Some(reason) = &hit.unresolved {
            let _ = writeln!(out, "    unresolved: {reason}");
        }
    }
    let _ = writeln!(out, "{} results", answer.results.len());
    out
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn wildcards_become_like_patterns() {
        assert_eq!(like("get*"), "get%");
        assert_eq!(like("a_b%"), "a\\_b\\%");
    }
}

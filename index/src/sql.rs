//! Deciding whether a string literal is SQL, and which tables it touches.
//!
//! A literal counts as SQL when it starts with a statement keyword and either a real SQL parser
//! (sqlparser, several dialects) accepts it or it has the unmistakable shape of a statement
//! (`DELETE FROM x`, `UPDATE x SET`, `INSERT INTO x`...). Driver placeholders (`$1`, `?`, `%s`,
//! `%(name)s`, `:name`, `@name`) are normalised to `?` before parsing. A string that merely
//! mentions a table name, or English prose that starts with "Select" or "Update", is not SQL.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::LazyLock;

use regex::Regex;
use sqlparser::ast::Statement;
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

/// What the indexer records about a literal that is SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `CREATE`, `ALTER`, `DROP`...
    pub command: String,
    /// Whether the parser accepted the text; if not, `tables` come from a tolerant scan.
    pub parse_ok: bool,
    /// Every table the statement touches, deduplicated, in order of name.
    pub tables: Vec<String>,
}

const KEYWORDS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "WITH", "REPLACE",
    "TRUNCATE",
];

/// The shape a statement must have to count as SQL when the parser rejects it, or when the
/// keyword is not written in capitals (prose such as "Select a file" parses as SQL).
static SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?isx)^\s*(?:
            select\s.+?\sfrom\s+[\w`\x22\[($?:@]
          | insert\s+(?:or\s+\w+\s+)?(?:ignore\s+)?into\s+[\w`\x22\[$?:@]
          | replace\s+into\s+[\w`\x22\[$?:@]
          | update\s+[\w`\x22\[.$?:@{}]+\s+(?:\w+\s+)?set\b
          | delete\s+(?:\w+\s+)?from\s+[\w`\x22\[$?:@]
          | create\s+(?:or\s+replace\s+)?(?:unique\s+|temp\s+|temporary\s+|virtual\s+)*(?:table|index|view|trigger|schema|database|sequence|type|function|extension)\s
          | alter\s+(?:table|index|view|sequence|type|database|schema)\s
          | drop\s+(?:table|index|view|trigger|schema|database|sequence|type|function|extension)\s
          | truncate\s+(?:table\s+)?[\w`\x22\[][\w.`\x22\]]*\s*(?:$|[;,)]|(?:cascade|restart|continue|only)\b)
          | with\s+(?:recursive\s+)?\w+\s*(?:\([^)]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s+)?\(
        )",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    // `%(name)s`, `%s`, `%d`, `:name` (not `::cast`), `@name`, `$1`, `${...}`, and the
    // `{}`, `{name}`, `{0:>8}` of Rust's `format!` and Python's `str.format`.
    Regex::new(
        r"%\(\w+\)[sdf]|%[sdf]|(^|[^:\w]):[A-Za-z_]\w*|@[A-Za-z_]\w*|\$\d+|\$\{[^}]*\}|\{\w*(?::[^{}]*)?\}",
    )
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static TOLERANT_TABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(?:from|join|into|update|table(?:\s+if\s+(?:not\s+)?exists)?)\s+[`"\[]?([A-Za-z_][\w$]*(?:[`"\]]?\.[`"\[]?[A-Za-z_][\w$]*)*)"#,
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

static CTE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bwith\s+(?:recursive\s+)?|,\s*)(\w+)\s*(?:\([^)]*\)\s*)?as\s*\(")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Words the tolerant scan must never report as tables.
const NOT_TABLES: &[&str] = &[
    "select", "where", "set", "values", "only", "lateral", "unnest", "dual", "as", "on", "if",
    "not", "exists", "the", "a", "an", "and", "or", "into", "table",
];

/// Decides whether `text` (a literal's static text, placeholders already written as `?` or in
/// any driver style) is SQL.
pub fn detect(text: &str) -> Option<Detected> {
    let trimmed = text.trim_start().trim_start_matches('(').trim_start();
    let first: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let upper = first.to_ascii_uppercase();
    if !KEYWORDS.contains(&upper.as_str()) {
        return None;
    }
    // The keyword must be a whole word followed by whitespace ("Selection" is not SQL).
    if !trimmed[first.len()..].starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let normalised = PLACEHOLDER.replace_all(trimmed, |caps: &regex::Captures<'_>| {
        format!("{}?", caps.get(1).map_or("", |m| m.as_str()))
    });
    let shaped = SHAPE.is_match(trimmed);
    let parsed = parse(&normalised);
    match parsed {
        Some(statements) if shaped || first == upper => {
            let command = command_of(&statements).unwrap_or(upper);
            Some(Detected {
                command,
                parse_ok: true,
                tables: tables_of(&statements, trimmed),
            })
        }
        _ if shaped => Some(Detected {
            command: upper,
            parse_ok: false,
            tables: tolerant_tables(trimmed),
        }),
        _ => None,
    }
}

fn parse(sql: &str) -> Option<Vec<Statement>> {
    let dialects: [&dyn Dialect; 4] = [
        &GenericDialect {},
        &PostgreSqlDialect {},
        &MySqlDialect {},
        &SQLiteDialect {},
    ];
    dialects.iter().find_map(|dialect| {
        Parser::parse_sql(*dialect, sql)
            .ok()
            .filter(|statements| !statements.is_empty())
    })
}

fn command_of(statements: &[Statement]) -> Option<String> {
    let command = match statements.first()? {
        Statement::Query(_) => "SELECT",
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::CreateTable(_)
        | Statement::CreateIndex(_)
        | Statement::CreateView(_)
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. } => "CREATE",
        Statement::AlterTable(_) => "ALTER",
        Statement::Drop { .. } => "DROP",
        Statement::Truncate(_) => "TRUNCATE",
        _ => return None,
    };
    Some(command.to_owned())
}

fn tables_of(statements: &[Statement], text: &str) -> Vec<String> {
    let ctes = cte_names(text);
    let mut tables = BTreeSet::new();
    let mut visit = |name: &sqlparser::ast::ObjectName| {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|part| match part.as_ident() {
                Some(ident) => ident.value.clone(),
                None => part.to_string(),
            })
            .collect();
        let joined = parts.join(".");
        if !ctes.contains(&joined.to_ascii_lowercase()) {
            tables.insert(joined);
        }
        ControlFlow::<()>::Continue(())
    };
    for statement in statements {
        let _ = sqlparser::ast::visit_relations(statement, &mut visit);
    }
    if tables.is_empty() {
        // Some statements (DDL on odd objects) hold their table outside a visited relation.
        return tolerant_tables(text);
    }
    tables.into_iter().collect()
}

fn cte_names(text: &str) -> BTreeSet<String> {
    CTE_NAME
        .captures_iter(text)
        .filter_map(|caps| caps.get(1))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect()
}

fn tolerant_tables(text: &str) -> Vec<String> {
    let ctes = cte_names(text);
    let mut tables = BTreeSet::new();
    for caps in TOLERANT_TABLE.captures_iter(text) {
        let Some(name) = caps.get(1) else { continue };
        let name: String = name
            .as_str()
            .chars()
            .filter(|c| !matches!(c, '`' | '"' | '[' | ']'))
            .collect();
        let lower = name.to_ascii_lowercase();
        if NOT_TABLES.contains(&lower.as_str()) || ctes.contains(&lower) {
            continue;
        }
        tables.insert(name);
    }
    tables.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Option<(&str, bool, &[&str])>) {
        let got = detect(text);
        let got = got.as_ref().map(|d| {
            (
                d.command.as_str(),
                d.parse_ok,
                d.tables.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        });
        let expected = expected.map(|(c, ok, t)| (c, ok, t.to_vec()));
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn plain_statements() {
        check(
            "SELECT id, name FROM users WHERE id = $1",
            Some(("SELECT", true, &["users"])),
        );
        check(
            "select * from orders o join users u on u.id = o.user_id",
            Some(("SELECT", true, &["orders", "users"])),
        );
        check(
            "INSERT INTO audit_log (a, b) VALUES (?, ?)",
            Some(("INSERT", true, &["audit_log"])),
        );
        check(
            "UPDATE accounts SET balance = %s WHERE id = %s",
            Some(("UPDATE", true, &["accounts"])),
        );
        check(
            "DELETE FROM sessions WHERE token = :token",
            Some(("DELETE", true, &["sessions"])),
        );
        check(
            "DELETE FROM sessions WHERE token = %(token)s",
            Some(("DELETE", true, &["sessions"])),
        );
        check(
            "CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY)",
            Some(("CREATE", true, &["products"])),
        );
        check(
            "DROP TABLE legacy_users",
            Some(("DROP", true, &["legacy_users"])),
        );
        check("SELECT 1", Some(("SELECT", true, &[])));
    }

    #[test]
    fn format_placeholders_parse() {
        check(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = {}",
            Some(("SELECT", true, &["accounts"])),
        );
        check(
            "UPDATE users SET name = {name:?} WHERE id = {0}",
            Some(("UPDATE", true, &["users"])),
        );
    }

    #[test]
    fn ctes_are_not_tables() {
        check(
            "WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN users ON true",
            Some(("SELECT", true, &["orders", "users"])),
        );
    }

    #[test]
    fn fragments_are_flagged_with_tolerant_tables() {
        check(
            "SELECT * FROM users WHERE",
            Some(("SELECT", false, &["users"])),
        );
        check(
            "SELECT * FROM ? WHERE id = 1 ORDER BY",
            Some(("SELECT", false, &[])),
        );
        check("UPDATE users SET", Some(("UPDATE", false, &["users"])));
    }

    #[test]
    fn prose_and_mentions_are_not_sql() {
        check("Select a file", None);
        check("select one of the options", None);
        check("Update your profile", None);
        check("Delete this item?", None);
        check("users", None);
        check("the users table is big", None);
        check("Create an account", None);
        check("Selection", None);
        check("Drop files here", None);
        // Go error messages start in lower case.
        check("truncate ooo wbl: %w", None);
        check(
            "TRUNCATE TABLE events, logs CASCADE",
            Some(("TRUNCATE", true, &["events", "logs"])),
        );
    }
}

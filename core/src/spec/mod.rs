//! The spec language: what must disappear from the code and what must appear.
//!
//! A spec (TheAuditor calls it a refactor profile) is YAML. [`Spec::parse`] reads it, checks
//! every key and value, and either returns the validated, compiled model or *every* problem
//! at once ([`SpecErrors`]), each with its line and column. The shape of the file is documented
//! by [`shape`], from which the JSON Schema is generated; the run-time model is the types below.

mod error;
mod load;
pub mod shape;

use std::fmt;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

pub use error::{SpecError, SpecErrors};

use crate::index::Source;
use crate::matcher::Pattern;

/// A validated, compiled spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `refactor_name` (or `context_name`).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// `version`, as written (a number or a string).
    pub version: Option<String>,
    /// Free-form `metadata`.
    pub metadata: serde_json::Value,
    /// The rules, in file order. Never empty.
    pub rules: Vec<Rule>,
}

/// How bad a rule's violations are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the migration.
    Critical,
    /// Must be fixed.
    High,
    /// The default.
    Medium,
    /// Worth fixing.
    Low,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// Parses the name as written in a spec.
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule of a spec.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique within the spec.
    pub id: String,
    /// What the rule is about.
    pub description: String,
    /// Defaults to medium.
    pub severity: Severity,
    /// Free text; defaults to `schema`, as in the original.
    pub category: String,
    /// Terms that must disappear: every finding is a violation.
    pub r#match: TermSet,
    /// Terms that must appear: each term without a finding is a violation.
    pub expect: TermSet,
    /// Terms that must not appear: every finding is a violation.
    pub expect_not: TermSet,
    /// Which files the rule looks at.
    pub scope: Scope,
    /// Shown to whoever fixes the violations.
    pub guidance: Option<String>,
}

/// The kinds of term, each searching its own columns of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// Names: declarations, uses, assignment targets, callees, JSX.
    Identifiers,
    /// Code text: assigned values, call arguments, SQL text, route paths.
    Expressions,
    /// Tables touched by SQL queries.
    SqlTables,
    /// Paths of HTTP endpoints.
    ApiRoutes,
}

impl TermKind {
    /// Every kind, in spec order.
    pub const ALL: [TermKind; 4] = [
        TermKind::Identifiers,
        TermKind::Expressions,
        TermKind::SqlTables,
        TermKind::ApiRoutes,
    ];

    /// The key in a spec.
    pub fn key(self) -> &'static str {
        match self {
            TermKind::Identifiers => "identifiers",
            TermKind::Expressions => "expressions",
            TermKind::SqlTables => "sql_tables",
            TermKind::ApiRoutes => "api_routes",
        }
    }

    /// The index columns a term of this kind is looked up in (as the original tool).
    pub fn sources(self) -> &'static [Source] {
        match self {
            TermKind::Identifiers => &[
                Source::Name,
                Source::SymbolName,
                Source::JsxName,
                Source::VariableUsage,
                Source::AssignmentTarget,
                Source::CallCallee,
            ],
            TermKind::Expressions => &[
                Source::AssignmentSource,
                Source::CallArgument,
                Source::SqlQuery,
                Source::ApiPath,
            ],
            TermKind::SqlTables => &[Source::SqlTable],
            TermKind::ApiRoutes => &[Source::ApiPath],
        }
    }
}

/// One term of a rule, compiled.
#[derive(Debug, Clone)]
pub struct Term {
    /// The term as written in the spec.
    pub text: String,
    /// Which kind of term it is.
    pub kind: TermKind,
    /// The compiled matcher.
    pub pattern: Pattern,
}

impl Term {
    /// The index columns this term is looked up in. An `identifiers` term that is one plain name
    /// (`draggingElement`, `AUTH0_DOMAIN`) searches only [`Source::Name`], which holds every
    /// identifier-like node of the code at its own line and column, and nothing else (never a
    /// string, a comment, or a call's argument text). Any other term (a member chain such as
    /// `process.env.X`, a JSX attribute such as `data-testid`, a regex) also searches the
    /// columns holding chains as written.
    pub fn sources(&self) -> &'static [Source] {
        match self.kind {
            TermKind::Identifiers if self.is_single_name() => &[Source::Name],
            kind => kind.sources(),
        }
    }

    /// Whether the term is one plain name: word characters (and `$`) only, not a regex.
    pub fn is_single_name(&self) -> bool {
        !self.pattern.is_regex()
            && !self.text.is_empty()
            && self
                .text
                .chars()
                .all(|c| c == '$' || crate::matcher::is_word_char(c))
    }
}

/// The terms of one `match`, `expect` or `expect_not` block.
#[derive(Debug, Clone, Default)]
pub struct TermSet {
    /// All terms, kinds in spec order, terms in file order.
    pub terms: Vec<Term>,
}

impl TermSet {
    /// Whether the block has no term.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Which files a rule applies to.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Globs as written; empty means every file.
    pub include: Vec<String>,
    /// Globs as written.
    pub exclude: Vec<String>,
    include_set: Option<GlobSet>,
    exclude_set: GlobSet,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            include: Vec::new(),
            exclude: Vec::new(),
            include_set: None,
            exclude_set: GlobSet::empty(),
        }
    }
}

impl Scope {
    /// Whether `path` (repo-relative, `/`-separated) is in scope.
    pub fn contains(&self, path: &str) -> bool {
        if let Some(include) = &self.include_set
            && !include.is_match(path)
        {
            return false;
        }
        !self.exclude_set.is_match(path)
    }

    fn build(include: Vec<String>, exclude: Vec<String>) -> Result<Scope, globset::Error> {
        let include_set = if include.is_empty() {
            None
        } else {
            Some(glob_set(&include)?)
        };
        let exclude_set = glob_set(&exclude)?;
        Ok(Scope {
            include,
            exclude,
            include_set,
            exclude_set,
        })
    }
}

/// Compiles one scope glob: repo-relative, `*` stays within a directory, `**` crosses them.
/// A leading `./` or `/` is ignored.
pub fn compile_glob(pattern: &str) -> Result<Glob, globset::Error> {
    let trimmed = pattern.trim_start_matches("./").trim_start_matches('/');
    GlobBuilder::new(trimmed)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(compile_glob(p)?);
        // `dir/**` also names the directory's files when written as a bare directory.
        if !p.contains(['*', '?', '[', '{']) && !p.contains('.') {
            builder.add(compile_glob(&format!("{}/**", p.trim_end_matches('/')))?);
        }
    }
    builder.build()
}

impl Spec {
    /// Parses and validates a spec. `file` names the spec in error messages.
    pub fn parse(file: &str, yaml: &str) -> Result<Spec, SpecErrors> {
        load::load(file, yaml)
    }

    /// Every term of every rule, for listing.
    pub fn term_count(&self) -> usize {
        self.rules
            .iter()
            .map(|r| r.r#match.terms.len() + r.expect.terms.len() + r.expect_not.terms.len())
            .sum()
    }
}

#[cfg(test)]
mod tests;

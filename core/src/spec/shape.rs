//! The shape of a spec file, key by key, as serde types.
//!
//! These types mirror the YAML exactly (aliases included) and are the source of the published
//! JSON Schema (`aud schema`, with the `schema` feature). The loader in `load.rs` walks the YAML
//! itself so that it can report every problem with its position; the key lists below are shared
//! by both, and a test checks that they agree with these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Keys of the top level.
pub const SPEC_KEYS: &[&str] = &[
    "refactor_name",
    "context_name",
    "description",
    "version",
    "metadata",
    "rules",
];
/// Keys of a rule.
pub const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "severity",
    "category",
    "match",
    "expect",
    "requires",
    "expect_not",
    "scope",
    "guidance",
];
/// Keys of a `match`, `expect` or `expect_not` block.
pub const TERMS_KEYS: &[&str] = &[
    "identifiers",
    "expressions",
    "strings",
    "sql_tables",
    "api_routes",
];
/// Keys of a `scope` block.
pub const SCOPE_KEYS: &[&str] = &["include", "exclude"];

/// A spec file (TheAuditor's "refactor profile").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// The spec's name. Required unless `context_name` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refactor_name: Option<String>,
    /// Alias of `refactor_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_name: Option<String>,
    /// What the refactoring is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form version: a number or a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// Free-form data kept with the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, serde_json::Value>>,
    /// The rules; at least one.
    pub rules: Vec<RuleFile>,
}

/// `version: 1.0` and `version: "2025-10-26"` are both accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Version {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Unique within the spec.
    pub id: String,
    /// What the rule checks.
    pub description: String,
    /// `critical`, `high`, `medium` (default) or `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Free text (default `schema`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What must disappear: every finding is a violation.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub r#match: Option<TermsFile>,
    /// What must appear: each term with no finding in scope is a violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<TermsFile>,
    /// Alias of `expect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<TermsFile>,
    /// What must not appear: every finding is a violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_not: Option<TermsFile>,
    /// Which files the rule looks at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeFile>,
    /// Shown to whoever fixes the violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

/// Terms by kind. A plain term matches case-insensitively on word boundaries; `/.../` is a
/// case-insensitive regular expression.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TermsFile {
    /// Names: declarations, uses, assignment targets, callees, JSX components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<Vec<String>>,
    /// Code text: assigned values, call arguments, SQL text, route paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expressions: Option<Vec<String>>,
    /// Alias of `expressions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strings: Option<Vec<String>>,
    /// Tables touched by SQL queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_tables: Option<Vec<String>>,
    /// Paths of HTTP endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_routes: Option<Vec<String>>,
}

/// Repo-relative globs; `**` crosses directories, `*` does not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScopeFile {
    /// Only these files (all files when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// Never these files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
}

/// The JSON Schema of the spec format.
#[cfg(feature = "schema")]
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(SpecFile)).unwrap_or_default()
}

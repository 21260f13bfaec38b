//! Finding fingerprints that survive moved lines, and the new/fixed diff between two runs.
//!
//! A finding is a site (file, line, column span; see [`crate::engine::Finding`]). Its identity
//! is its rule, file, matched text and its occurrence index among the sites that share those
//! three (in line and column order) — never its line or column, and never the index tables that
//! saw it (a table added to the index must not make an old site new). Adding a function above a
//! violation moves it but keeps its fingerprint, so the next run reports it neither as fixed nor
//! as new. A missing expectation is a finding too: its file is empty, its source is `expect`
//! and its matched text is the term.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::Evaluation;

/// The `source` of a missing-expectation finding.
pub const MISSING_EXPECTATION: &str = "expect";

/// A finding as recorded in a verification run.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunFinding {
    /// Stable identity (32 hex digits).
    pub fingerprint: String,
    /// The rule that found it.
    pub rule_id: String,
    /// Repo-relative path (empty for a missing expectation).
    pub file: String,
    /// 1-based line (0 for a missing expectation).
    pub line: u32,
    /// The first index table that saw the site (or `expect`).
    pub source: String,
    /// The text at the site (or the missing term).
    #[serde(rename = "match")]
    pub matched: String,
    /// The first spec term that found it.
    pub term: String,
    /// 1-based byte column of the site's start (0 for a missing expectation, and in runs
    /// recorded before sites had columns). Absent from the JSON when 0, so the hashed content
    /// of those runs is unchanged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub column: u32,
    /// 1-based byte column just past the site (exclusive); 0 as `column`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub end_column: u32,
    /// Every index table that saw the site, `source` first (empty for a missing expectation and
    /// in runs recorded before sites).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Every term that matched the site, `term` first (empty as `sources`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde hands a reference.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl RunFinding {
    /// Every index table that saw the site (`source` alone in runs recorded before sites).
    pub fn all_sources(&self) -> Vec<&str> {
        if self.sources.is_empty() {
            vec![self.source.as_str()]
        } else {
            self.sources.iter().map(String::as_str).collect()
        }
    }

    /// Every term that matched the site (`term` alone in runs recorded before sites).
    pub fn all_terms(&self) -> Vec<&str> {
        if self.terms.is_empty() {
            vec![self.term.as_str()]
        } else {
            self.terms.iter().map(String::as_str).collect()
        }
    }
}

/// Findings that appeared and disappeared between two runs of a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingDiff {
    /// In this run, not in the previous one (every finding when there is no previous run).
    pub new: Vec<RunFinding>,
    /// In the previous run, not in this one.
    pub fixed: Vec<RunFinding>,
}

/// The fingerprint of the `occurrence`-th (0-based) site of `rule_id` with this file and
/// matched text. `kind` is empty for a site and [`MISSING_EXPECTATION`] for a missing
/// expectation.
pub fn fingerprint(
    rule_id: &str,
    file: &str,
    kind: &str,
    matched: &str,
    occurrence: usize,
) -> String {
    let mut hasher = Sha256::new();
    for part in [rule_id, file, kind, matched] {
        hasher.update(part.as_bytes());
        // A separator that cannot occur in the parts keeps ("ab","c") apart from ("a","bc").
        hasher.update([0u8]);
    }
    hasher.update(occurrence.to_string().as_bytes());
    hex(&hasher.finalize()[..16])
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Every violating site and missing expectation of `evaluation`, fingerprinted, in rule order,
/// then sites by file, line and column, then missing expectations by term.
pub fn fingerprint_evaluation(evaluation: &Evaluation) -> Vec<RunFinding> {
    let mut out = Vec::new();
    for rule in &evaluation.rules {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        let mut violations: Vec<_> = rule.violations.iter().collect();
        violations.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.end_column).cmp(&(
                &b.file,
                b.line,
                b.column,
                b.end_column,
            ))
        });
        for f in violations {
            let n = seen
                .entry((f.file.as_str(), f.matched.as_str()))
                .or_insert(0);
            out.push(RunFinding {
                fingerprint: fingerprint(&rule.rule_id, &f.file, "", &f.matched, *n),
                rule_id: rule.rule_id.clone(),
                file: f.file.clone(),
                line: f.line,
                source: f.source.clone(),
                matched: f.matched.clone(),
                term: f.term.clone(),
                column: f.column,
                end_column: f.end_column,
                sources: f.sources.clone(),
                terms: f.terms.clone(),
            });
            *n += 1;
        }
        // Missing expectations follow the sites, by term: the order a store replaying runs
        // from their deltas restores.
        let mut missing: Vec<&String> = rule.missing_expectations.iter().collect();
        missing.sort();
        for term in missing {
            out.push(RunFinding {
                fingerprint: fingerprint(&rule.rule_id, "", MISSING_EXPECTATION, term, 0),
                rule_id: rule.rule_id.clone(),
                file: String::new(),
                line: 0,
                source: MISSING_EXPECTATION.to_owned(),
                matched: (*term).clone(),
                term: (*term).clone(),
                column: 0,
                end_column: 0,
                sources: Vec::new(),
                terms: Vec::new(),
            });
        }
    }
    out
}

/// Compares a run's findings with the previous run's (`None` when this is the first run).
pub fn diff_findings(previous: Option<&[RunFinding]>, current: &[RunFinding]) -> FindingDiff {
    let Some(previous) = previous else {
        return FindingDiff {
            new: current.to_vec(),
            fixed: Vec::new(),
        };
    };
    let before: BTreeSet<&str> = previous.iter().map(|f| f.fingerprint.as_str()).collect();
    let after: BTreeSet<&str> = current.iter().map(|f| f.fingerprint.as_str()).collect();
    FindingDiff {
        new: current
            .iter()
            .filter(|f| !before.contains(f.fingerprint.as_str()))
            .cloned()
            .collect(),
        fixed: previous
            .iter()
            .filter(|f| !after.contains(f.fingerprint.as_str()))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;
    use crate::engine::evaluate;
    use crate::index::{MemoryIndex, Source};
    use crate::spec::Spec;

    const SPEC: &str = "\
refactor_name: auth
rules:
  - id: no-auth0
    description: remove auth0
    match:
      identifiers: [auth0]
    expect:
      identifiers: [cognito]
";

    /// Evaluates the spec over `rows` of `(file, line, value)` symbols.
    fn run(rows: &[(&str, u32, &str)]) -> Vec<RunFinding> {
        let spec = Spec::parse("spec.yaml", SPEC).unwrap();
        let mut index = MemoryIndex::new();
        for (file, line, value) in rows {
            index.push(Source::Name, file, *line, value, "");
        }
        fingerprint_evaluation(&evaluate(&spec, &index).unwrap())
    }

    /// Fingerprints as `file:line` strings, for comparing diffs.
    fn places(findings: &[RunFinding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{}:{}:{}", f.file, f.line, f.matched))
            .collect()
    }

    #[test]
    fn moved_lines_keep_their_fingerprints() {
        let before = run(&[
            ("a.js", 3, "auth0"),
            ("a.js", 9, "auth0"),
            ("b.js", 1, "auth0"),
        ]);
        let after = run(&[
            ("a.js", 13, "auth0"),
            ("a.js", 19, "auth0"),
            ("b.js", 40, "auth0"),
        ]);
        let fp = |v: &[RunFinding]| v.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(fp(&before), fp(&after));
        let diff = diff_findings(Some(&before), &after);
        assert!(diff.new.is_empty() && diff.fixed.is_empty(), "{diff:?}");
    }

    #[test]
    fn identical_findings_are_told_apart_by_occurrence() {
        let findings = run(&[("a.js", 3, "auth0"), ("a.js", 9, "auth0")]);
        // Two violations plus the missing expectation.
        assert_eq!(findings.len(), 3);
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
        assert_eq!(findings[2].source, MISSING_EXPECTATION);
        assert_eq!(findings[2].matched, "cognito");
    }

    #[test]
    fn fingerprints_depend_on_rule_file_source_and_match() {
        let base = fingerprint("r", "a.js", "symbols", "auth0", 0);
        assert_eq!(base.len(), 32);
        for other in [
            fingerprint("r2", "a.js", "symbols", "auth0", 0),
            fingerprint("r", "b.js", "symbols", "auth0", 0),
            fingerprint("r", "a.js", "assignments", "auth0", 0),
            fingerprint("r", "a.js", "symbols", "Auth0", 0),
            fingerprint("r", "a.js", "symbols", "auth0", 1),
            fingerprint("r", "a.jssymbols", "", "auth0", 0),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn new_and_fixed_between_runs() {
        let cases: &[(&[(&str, u32, &str)], &[(&str, u32, &str)], &[&str], &[&str])] = &[
            // One fixed, nothing new.
            (
                &[("a.js", 3, "auth0"), ("b.js", 1, "auth0")],
                &[("a.js", 3, "auth0")],
                &[],
                &["b.js:1:auth0"],
            ),
            // A new file with the old term; the expectation is now met.
            (
                &[("a.js", 3, "auth0")],
                &[
                    ("a.js", 3, "auth0"),
                    ("c.js", 7, "auth0"),
                    ("c.js", 8, "cognito"),
                ],
                &["c.js:7:auth0"],
                &[":0:cognito"],
            ),
            // Removing the first of two identical findings fixes "the second" occurrence: the
            // count is what matters, not which line went.
            (
                &[("a.js", 3, "auth0"), ("a.js", 9, "auth0")],
                &[("a.js", 9, "auth0")],
                &[],
                &["a.js:9:auth0"],
            ),
        ];
        for (before, after, new, fixed) in cases {
            let (b, a) = (run(before), run(after));
            let diff = diff_findings(Some(&b), &a);
            assert_eq!(places(&diff.new), *new, "{before:?} -> {after:?}");
            assert_eq!(places(&diff.fixed), *fixed, "{before:?} -> {after:?}");
        }
    }

    #[test]
    fn first_run_reports_everything_as_new() {
        let findings = run(&[("a.js", 3, "auth0")]);
        let diff = diff_findings(None, &findings);
        assert_eq!(diff.new.len(), 2);
        assert!(diff.fixed.is_empty());
    }
}

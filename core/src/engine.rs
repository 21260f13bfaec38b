//! The rule engine: evaluates a validated [`Spec`] against an [`IndexStore`].
//!
//! For each rule, every `match` and `expect_not` term is looked up in the index columns of its
//! kind; each match in the rule's scope is a hit at a file, line and column span. Hits of one
//! rule at the same span (seen by several index tables, or matched by several terms) fold into
//! one [`Finding`], a site; each violating site is a violation. Every `expect` term with no hit in scope is
//! a missing expectation, which counts as a violation too. Nothing is capped. The result types
//! here are the JSON contract shared by the CLI, the web UI and the WASI runner.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::index::{IndexRow, IndexStore, Source};
use crate::spec::{Rule, Severity, Spec, Term};

/// One place in the code where terms of a rule were found: a site.
///
/// A site is a file, a line and a column span. Every index table that saw the same span and
/// every term of the rule that matched it are folded into one finding, so counts, coverage,
/// fingerprints and reports count places in the code, not index rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// Repo-relative path with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based byte column where the matched text starts (exact where the index records
    /// columns; counted from the indexed value's start otherwise).
    #[serde(default)]
    pub column: u32,
    /// 1-based byte column just past the matched text (exclusive), on `line`.
    #[serde(default)]
    pub end_column: u32,
    /// The first of `sources`, kept for readers of the one-source format.
    pub source: String,
    /// Every index table that saw this span (`symbols`, `function_call_args`...), in a stable
    /// order, without repeats.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The text at the span: what the term matched inside the indexed value.
    #[serde(rename = "match")]
    pub matched: String,
    /// A short description of the first source's indexed row.
    pub context: String,
    /// The first of `terms`, kept for readers of the one-term format.
    pub term: String,
    /// Every term of the rule that matched this span, as written, in spec order.
    #[serde(default)]
    pub terms: Vec<String>,
}

/// Whether a rule still needs work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Violations or missing expectations remain.
    NeedsMigration,
    /// Nothing left to do.
    Clean,
}

/// Old sites gone versus new sites present, for a rule with both `match` and `expect` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Places where an `expect` term was found.
    pub migrated: usize,
    /// Places where a `match` term is still found.
    pub remaining: usize,
}

impl Coverage {
    /// `migrated + remaining`.
    pub fn total(&self) -> usize {
        self.migrated + self.remaining
    }

    /// Share migrated, 0 to 100.
    pub fn percent(&self) -> f64 {
        if self.total() == 0 {
            100.0
        } else {
            self.migrated as f64 * 100.0 / self.total() as f64
        }
    }
}

/// The verdict on one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's `id`.
    pub rule_id: String,
    /// The rule's `description`.
    pub description: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's category.
    pub category: String,
    /// `needs_migration` or `clean`.
    pub status: RuleStatus,
    /// Findings of `match` and `expect_not` terms in scope, sorted by file then line.
    pub violations: Vec<Finding>,
    /// `expect` terms with no finding in scope, as written.
    pub missing_expectations: Vec<String>,
    /// Findings of `expect` terms in scope.
    pub expected_references: Vec<Finding>,
    /// Files with violations but no expected reference (only when the rule has `expect` terms).
    pub missing_expectation_files: Vec<String>,
    /// Present when the rule has both `match` and `expect` terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// The rule's guidance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

impl RuleResult {
    /// Violations plus missing expectations.
    pub fn total_violations(&self) -> usize {
        self.violations.len() + self.missing_expectations.len()
    }
}

/// What the spec is, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecInfo {
    /// `refactor_name`.
    pub name: String,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `version`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Totals over all rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Rules evaluated.
    pub total_rules: usize,
    /// Rules with status `needs_migration`.
    pub rules_failing: usize,
    /// Violations plus missing expectations over all rules.
    pub total_violations: usize,
    /// `total_violations` per severity (every severity present, zero or not).
    pub by_severity: BTreeMap<Severity, usize>,
}

/// How complete the index behind a verdict is; filled by the caller that owns the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexCoverage {
    /// Files in the index.
    pub files_indexed: usize,
    /// Files seen but not indexed (binary, too large, not UTF-8...).
    pub files_skipped: usize,
    /// Indexed files with syntax errors (indexed as far as the parser recovered).
    pub parse_errors: usize,
}

/// The verdict on a whole spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The spec evaluated.
    pub spec: SpecInfo,
    /// Totals.
    pub summary: Summary,
    /// One result per rule, in spec order.
    pub rules: Vec<RuleResult>,
    /// How complete the index was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexCoverage>,
}

impl Evaluation {
    /// Violations plus missing expectations over all rules.
    pub fn total_violations(&self) -> usize {
        self.summary.total_violations
    }

    /// Whether nothing is left to do.
    pub fn passed(&self) -> bool {
        self.summary.total_violations == 0
    }
}

/// Evaluates `spec` against `store`.
///
/// Each source is scanned once for the whole spec: every term of every rule that searches it is
/// tested on the same rows, and the store may skip rows that contain none of the terms' literal
/// needles. A 45-term spec thus costs at most ten scans, not one per term and column.
pub fn evaluate<S: IndexStore + ?Sized>(spec: &Spec, store: &S) -> Result<Evaluation, S::Error> {
    let mut found: Vec<RuleFindings> = spec
        .rules
        .iter()
        .map(|rule| RuleFindings {
            expect_hit: vec![false; rule.expect.terms.len()],
            ..RuleFindings::default()
        })
        .collect();
    for (source, probes) in probes_by_source(spec) {
        let needles = needles(&probes);
        let mut scopes: Vec<HashMap<String, bool>> = vec![HashMap::new(); spec.rules.len()];
        let mut visit = |row: &IndexRow| {
            for probe in &probes {
                if !probe.term.pattern.is_match(&row.value) {
                    continue;
                }
                let rule = &spec.rules[probe.rule];
                let in_scope = match scopes[probe.rule].get(row.file.as_str()) {
                    Some(hit) => *hit,
                    None => {
                        let hit = rule.scope.contains(&row.file);
                        scopes[probe.rule].insert(row.file.clone(), hit);
                        hit
                    }
                };
                if !in_scope {
                    continue;
                }
                let out = &mut found[probe.rule];
                match probe.role {
                    Role::Violation => out.violations.extend(hits(source, row, probe.term)),
                    Role::Expected(i) => {
                        out.expect_hit[i] = true;
                        out.expected.extend(hits(source, row, probe.term));
                    }
                }
            }
        };
        if source == Source::Name {
            // Distinct names are tested once each; only the occurrences of matching names are read.
            let mut accept = |name: &str| probes.iter().any(|p| p.term.pattern.is_match(name));
            store.scan_names(needles.as_deref(), &mut accept, &mut visit)?;
        } else {
            store.scan(source, needles.as_deref(), &mut visit)?;
        }
    }
    let rules: Vec<RuleResult> = spec
        .rules
        .iter()
        .zip(found)
        .map(|(rule, found)| rule_result(rule, found))
        .collect();
    let mut by_severity: BTreeMap<Severity, usize> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for r in &rules {
        *by_severity.entry(r.severity).or_default() += r.total_violations();
    }
    let summary = Summary {
        total_rules: rules.len(),
        rules_failing: rules
            .iter()
            .filter(|r| r.status == RuleStatus::NeedsMigration)
            .count(),
        total_violations: rules.iter().map(RuleResult::total_violations).sum(),
        by_severity,
    };
    Ok(Evaluation {
        spec: SpecInfo {
            name: spec.name.clone(),
            description: spec.description.clone(),
            version: spec.version.clone(),
        },
        summary,
        rules,
        index: None,
    })
}

/// What a finding of a term means for its rule.
#[derive(Debug, Clone, Copy)]
enum Role {
    /// A `match` or `expect_not` term: a violation.
    Violation,
    /// The `expect` term with this index: an expected reference.
    Expected(usize),
}

/// One term of one rule, to test on the rows of one source.
struct Probe<'s> {
    rule: usize,
    term: &'s Term,
    role: Role,
}

/// Raw hits of one rule, before they are folded into sites.
#[derive(Default)]
struct RuleFindings {
    violations: Vec<Hit>,
    expected: Vec<Hit>,
    expect_hit: Vec<bool>,
}

/// One match of one term in one indexed row: the raw material of a site.
struct Hit {
    file: String,
    line: u32,
    /// 0-based byte column of the match's start.
    col: u32,
    /// 0-based byte column just past the match (on `line`).
    end_col: u32,
    source: Source,
    matched: String,
    context: String,
    term: String,
}

/// Every term of the spec, grouped by the source it searches, in rule and term order.
fn probes_by_source(spec: &Spec) -> BTreeMap<Source, Vec<Probe<'_>>> {
    let mut by_source: BTreeMap<Source, Vec<Probe<'_>>> = BTreeMap::new();
    for (rule_index, rule) in spec.rules.iter().enumerate() {
        let violations = rule
            .r#match
            .terms
            .iter()
            .chain(&rule.expect_not.terms)
            .map(|t| (t, Role::Violation));
        let expected = rule
            .expect
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t, Role::Expected(i)));
        for (term, role) in violations.chain(expected) {
            for &source in term.sources() {
                by_source.entry(source).or_default().push(Probe {
                    rule: rule_index,
                    term,
                    role,
                });
            }
        }
    }
    by_source
}

/// The needles a store may prefilter with: all of them, or none when a term has none (a
/// regex, a non-ASCII literal), since then every row must be seen.
fn needles(probes: &[Probe<'_>]) -> Option<Vec<String>> {
    let mut needles: Vec<String> = Vec::with_capacity(probes.len());
    for probe in probes {
        needles.push(probe.term.pattern.needle()?.to_owned());
    }
    needles.sort();
    needles.dedup();
    Some(needles)
}

fn rule_result(rule: &Rule, found: RuleFindings) -> RuleResult {
    let violations = dedup_sorted(rule, found.violations);
    let expected_references = dedup_sorted(rule, found.expected);
    let missing_expectations: Vec<String> = rule
        .expect
        .terms
        .iter()
        .zip(&found.expect_hit)
        .filter(|(_, hit)| !**hit)
        .map(|(t, _)| t.text.clone())
        .collect();

    let missing_expectation_files = if rule.expect.is_empty() {
        Vec::new()
    } else {
        let with_expected: BTreeSet<&str> = expected_references
            .iter()
            .map(|f| f.file.as_str())
            .collect();
        let with_violations: BTreeSet<&str> = violations.iter().map(|f| f.file.as_str()).collect();
        with_violations
            .difference(&with_expected)
            .map(|f| (*f).to_owned())
            .collect()
    };

    let coverage = (!rule.r#match.is_empty() && !rule.expect.is_empty()).then(|| {
        let remaining = violations
            .iter()
            .filter(|f| {
                f.terms
                    .iter()
                    .any(|term| rule.r#match.terms.iter().any(|t| t.text == *term))
            })
            .count();
        Coverage {
            migrated: expected_references.len(),
            remaining,
        }
    });

    let status = if violations.is_empty() && missing_expectations.is_empty() {
        RuleStatus::Clean
    } else {
        RuleStatus::NeedsMigration
    };
    RuleResult {
        rule_id: rule.id.clone(),
        description: rule.description.clone(),
        severity: rule.severity,
        category: rule.category.clone(),
        status,
        violations,
        missing_expectations,
        expected_references,
        missing_expectation_files,
        coverage,
        guidance: rule.guidance.clone(),
    }
}

/// Every match of `term` in `row`'s value, each at its own line and column. A value spanning
/// lines (a query, a multi-line argument) places a match after a line break on its own line.
fn hits<'a>(source: Source, row: &'a IndexRow, term: &'a Term) -> impl Iterator<Item = Hit> + 'a {
    let mut spans: Vec<std::ops::Range<usize>> = term.pattern.find_spans(&row.value).collect();
    if spans.is_empty() {
        // A regex that matches only empty text: the site is the whole value.
        spans.push(0..row.value.len());
    }
    spans.into_iter().map(move |span| {
        let before = &row.value[..span.start];
        let (line, col) = match before.rfind('\n') {
            Some(nl) => (
                row.line.saturating_add(
                    u32::try_from(before.matches('\n').count()).unwrap_or(u32::MAX),
                ),
                span.start - nl - 1,
            ),
            None => (row.line, row_col(row) as usize + span.start),
        };
        let text = &row.value[span];
        let on_line = text.split('\n').next().unwrap_or_default();
        let col = u32::try_from(col).unwrap_or(u32::MAX);
        Hit {
            file: row.file.clone(),
            line,
            col,
            end_col: col.saturating_add(u32::try_from(on_line.len()).unwrap_or(u32::MAX)),
            source,
            matched: text.to_owned(),
            context: row.context.clone(),
            term: term.text.clone(),
        }
    })
}

/// Where `row`'s value starts on its line (0-based bytes).
fn row_col(row: &IndexRow) -> u32 {
    row.col
}

/// Folds hits into sites, sorted by file, line and column: one finding per (file, line, column
/// span), with every source that saw it and every term that matched it.
fn dedup_sorted(rule: &Rule, mut hits: Vec<Hit>) -> Vec<Finding> {
    hits.sort_by(|a, b| {
        (&a.file, a.line, a.col, a.end_col, a.source)
            .cmp(&(&b.file, b.line, b.col, b.end_col, b.source))
    });
    // Terms are listed in the order the spec writes them.
    let order = |text: &str| {
        rule.r#match
            .terms
            .iter()
            .chain(&rule.expect_not.terms)
            .chain(&rule.expect.terms)
            .position(|t| t.text == text)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<Finding> = Vec::new();
    for hit in hits {
        let table = hit.source.table();
        if let Some(last) = out.last_mut().filter(|f| {
            f.file == hit.file
                && f.line == hit.line
                && f.column == hit.col.saturating_add(1)
                && f.end_column == hit.end_col.saturating_add(1)
        }) {
            if !last.sources.iter().any(|s| s == table) {
                last.sources.push(table.to_owned());
            }
            if !last.terms.contains(&hit.term) {
                last.terms.push(hit.term);
            }
            continue;
        }
        out.push(Finding {
            file: hit.file,
            line: hit.line,
            column: hit.col.saturating_add(1),
            end_column: hit.end_col.saturating_add(1),
            source: table.to_owned(),
            sources: vec![table.to_owned()],
            matched: hit.matched,
            context: hit.context,
            term: hit.term.clone(),
            terms: vec![hit.term],
        });
    }
    for finding in &mut out {
        finding.terms.sort_by_key(|t| order(t));
        if let Some(first) = finding.terms.first() {
            finding.term.clone_from(first);
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! The human-readable report of an evaluation, as `aud refactor` prints it.

use std::fmt::Write as _;

use crate::engine::{Evaluation, Finding, RuleResult, RuleStatus};
use crate::spec::Severity;

/// How much to show.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Findings listed per rule before "... and N more" (ignored when `verbose`).
    pub max_findings: usize,
    /// List every finding, expected references and guidance.
    pub verbose: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            max_findings: 10,
            verbose: false,
        }
    }
}

/// Renders the whole report, ending with a newline.
pub fn render(eval: &Evaluation, opts: TextOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", eval.spec.name);
    if let Some(d) = &eval.spec.description {
        let _ = writeln!(out, "  {d}");
    }
    out.push('\n');
    for rule in &eval.rules {
        render_rule(&mut out, rule, opts);
    }
    let s = &eval.summary;
    let severities: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| format!("{sev} {}", s.by_severity.get(sev).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(
        out,
        "{}: {} violation{} in {} of {} rule{} ({})",
        if s.total_violations == 0 {
            "PASS"
        } else {
            "FAIL"
        },
        s.total_violations,
        plural(s.total_violations),
        s.rules_failing,
        s.total_rules,
        plural(s.total_rules),
        severities.join(", ")
    );
    if let Some(index) = &eval.index {
        let _ = writeln!(
            out,
            "Index: {} file{} indexed, {} skipped, {} with parse errors",
            index.files_indexed,
            plural(index.files_indexed),
            index.files_skipped,
            index.parse_errors
        );
    }
    out
}

/// Renders one rule's block.
pub fn render_rule(out: &mut String, rule: &RuleResult, opts: TextOptions) {
    let mark = match rule.status {
        RuleStatus::Clean => "ok  ",
        RuleStatus::NeedsMigration => "FAIL",
    };
    let n = rule.total_violations();
    let _ = writeln!(
        out,
        "{mark} {} [{}] {}: {}",
        rule.rule_id,
        rule.severity,
        rule.description,
        if n == 0 {
            "clean".to_owned()
        } else {
            format!("{n} violation{}", plural(n))
        }
    );
    let shown = if opts.verbose {
        rule.violations.len()
    } else {
        opts.max_findings.min(rule.violations.len())
    };
    for f in &rule.violations[..shown] {
        let _ = writeln!(
            out,
            "       {}  {}  {}  ({})",
            place(f),
            sources(f),
            excerpt(&f.matched),
            terms(f)
        );
    }
    if shown < rule.violations.len() {
        let _ = writeln!(
            out,
            "       ... and {} more (--verbose lists all)",
            rule.violations.len() - shown
        );
    }
    for term in &rule.missing_expectations {
        let _ = writeln!(
            out,
            "       missing expectation: `{term}` is found nowhere in scope"
        );
    }
    if let Some(c) = &rule.coverage {
        let _ = writeln!(
            out,
            "       coverage: {} of {} sites migrated ({:.0}%)",
            c.migrated,
            c.total(),
            c.percent()
        );
    }
    if !rule.missing_expectation_files.is_empty() {
        let _ = writeln!(
            out,
            "       files with violations and no expected reference: {}",
            rule.missing_expectation_files.join(", ")
        );
    }
    if opts.verbose {
        for f in &rule.expected_references {
            let _ = writeln!(
                out,
                "       expected: {}  {}  {}",
                place(f),
                sources(f),
                excerpt(&f.matched)
            );
        }
    }
    if n > 0
        && let Some(g) = &rule.guidance
    {
        let _ = writeln!(out, "       guidance: {}", g.trim());
    }
}

/// `file:line:column` of a site (`file:line` when the column is unknown).
pub fn place(f: &Finding) -> String {
    if f.column == 0 {
        format!("{}:{}", f.file, f.line)
    } else {
        format!("{}:{}:{}", f.file, f.line, f.column)
    }
}

/// The index tables that saw a site, joined with `+`.
fn sources(f: &Finding) -> String {
    if f.sources.is_empty() {
        f.source.clone()
    } else {
        f.sources.join("+")
    }
}

/// `term `a`` or `terms `a`, `b``: what matched a site.
fn terms(f: &Finding) -> String {
    match f.terms.as_slice() {
        [] => format!("term `{}`", f.term),
        [one] => format!("term `{one}`"),
        many => format!(
            "terms {}",
            many.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A matched value on one line, shortened to [`EXCERPT_CHARS`] characters for the terminal
/// (JSON keeps it whole).
pub fn excerpt(value: &str) -> String {
    let flat: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(EXCERPT_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// How many characters of a matched value the text report shows.
pub const EXCERPT_CHARS: usize = 80;

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{MemoryIndex, Source};
    use crate::spec::Spec;

    #[test]
    fn report_reads_well() {
        let spec = Spec::parse(
            "s.yaml",
            r#"refactor_name: Auth0 to Cognito
description: Replace Auth0
rules:
  - id: auth0-gone
    description: Auth0 must go
    severity: high
    match: { identifiers: [auth0] }
    expect: { identifiers: [CognitoClient, cognitoLogin] }
    guidance: Use the Cognito client.
  - id: config
    description: Config renamed
    match: { identifiers: [AUTH0_DOMAIN] }
"#,
        )
        .unwrap();
        let mut index = MemoryIndex::new().with(Source::Name, "b.js", 1, "CognitoClient");
        for i in 1..=12 {
            index.push(Source::Name, "a.js", i, "auth0", "reference");
        }
        let eval = crate::engine::evaluate(&spec, &index).unwrap();
        insta::assert_snapshot!(render(&eval, TextOptions::default()));
    }

    #[test]
    fn long_values_are_shortened_to_one_line() {
        assert_eq!(excerpt("a\n   b"), "a b");
        let long = "x".repeat(200);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), EXCERPT_CHARS);
        assert!(short.ends_with('…'));
    }
}

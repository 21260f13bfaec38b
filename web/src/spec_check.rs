//! The spec playground's logic: validate YAML with core's own parser (compiled to wasm), map
//! errors to gutter lines, summarise a valid spec.

use std::collections::BTreeSet;

use aud_core::spec::{Spec, SpecError};

/// The file name errors are reported against.
pub const FILE_NAME: &str = "spec.yaml";

/// The spec the playground opens with: the built-in example's, valid by construction.
pub const EXAMPLE_SPEC: &str =
    include_str!("../../examples/auth-migration/specs/auth0-to-cognito.yaml");

/// One rule of a valid spec, as summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSummary {
    /// The rule's id.
    pub id: String,
    /// Its severity.
    pub severity: String,
    /// What it is about.
    pub description: String,
    /// Terms that must disappear.
    pub match_terms: Vec<String>,
    /// Terms that must appear.
    pub expect_terms: Vec<String>,
    /// Terms that must never appear.
    pub expect_not_terms: Vec<String>,
    /// Include globs (empty: every file).
    pub include: Vec<String>,
    /// Exclude globs.
    pub exclude: Vec<String>,
}

impl RuleSummary {
    /// Every term of the rule.
    pub fn term_count(&self) -> usize {
        self.match_terms.len() + self.expect_terms.len() + self.expect_not_terms.len()
    }
}

/// A valid spec, as summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSummary {
    /// `refactor_name`.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// The rules, in file order.
    pub rules: Vec<RuleSummary>,
}

impl SpecSummary {
    /// Terms over all rules.
    pub fn term_count(&self) -> usize {
        self.rules.iter().map(RuleSummary::term_count).sum()
    }
}

/// The outcome of validating the playground's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// The spec is valid.
    Valid(SpecSummary),
    /// Every problem, by line and column.
    Invalid(Vec<SpecError>),
}

/// Validates `yaml` as a spec.
pub fn validate(yaml: &str) -> Validation {
    match Spec::parse(FILE_NAME, yaml) {
        Ok(spec) => Validation::Valid(summarise(&spec)),
        Err(errors) => Validation::Invalid(errors.errors),
    }
}

fn summarise(spec: &Spec) -> SpecSummary {
    let texts = |set: &aud_core::spec::TermSet| -> Vec<String> {
        set.terms
            .iter()
            .map(|t| format!("{}: {}", t.kind.key(), t.text))
            .collect()
    };
    SpecSummary {
        name: spec.name.clone(),
        description: spec.description.clone(),
        rules: spec
            .rules
            .iter()
            .map(|r| RuleSummary {
                id: r.id.clone(),
                severity: r.severity.as_str().to_owned(),
                description: r.description.clone(),
                match_terms: texts(&r.r#match),
                expect_terms: texts(&r.expect),
                expect_not_terms: texts(&r.expect_not),
                include: r.scope.include.clone(),
                exclude: r.scope.exclude.clone(),
            })
            .collect(),
    }
}

/// How many lines the gutter shows for `text`: one per line, the empty one after a final
/// newline included (as editors show it), and at least one.
pub fn gutter_lines(text: &str) -> usize {
    text.split('\n').count()
}

/// The gutter lines (1-based) an error points at, each clamped into `1..=line_count` (an error
/// at the end of the input is shown on its last line).
pub fn error_lines(errors: &[SpecError], line_count: usize) -> BTreeSet<usize> {
    let last = line_count.max(1);
    errors.iter().map(|e| e.line.clamp(1, last)).collect()
}

/// An error as listed: `line:col message (help)`.
pub fn error_text(e: &SpecError) -> String {
    match &e.help {
        Some(help) => format!("{}:{} {} ({help})", e.line, e.column, e.message),
        None => format!("{}:{} {}", e.line, e.column, e.message),
    }
}

/// The UTF-16 offsets (what a textarea's selection counts) of the start and end of 1-based
/// `line` in `text`, clamped to the text.
pub fn line_span_utf16(text: &str, line: usize) -> (u32, u32) {
    let mut offset = 0usize;
    let mut lines = text.split('\n');
    let mut current = lines.next().unwrap_or("");
    for _ in 1..line {
        match lines.next() {
            Some(next) => {
                offset += current.encode_utf16().count() + 1;
                current = next;
            }
            None => break,
        }
    }
    let end = offset + current.encode_utf16().count();
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (clamp(offset), clamp(end))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid_and_summarised() {
        let Validation::Valid(summary) = validate(EXAMPLE_SPEC) else {
            panic!("the example spec must be valid");
        };
        assert_eq!(summary.name, "Auth0 to Cognito");
        assert!(summary.rules.len() >= 3);
        let first = &summary.rules[0];
        assert_eq!(first.id, "remove-auth0-sdk");
        assert_eq!(first.severity, "critical");
        assert!(first.match_terms.contains(&"identifiers: auth0".to_owned()));
        assert_eq!(first.expect_terms.len(), 1);
        assert!(summary.term_count() >= first.term_count());
    }

    #[test]
    fn errors_carry_lines_and_map_to_the_gutter() {
        let yaml = "refactor_name: x\nrules:\n  - id: a\n    mach:\n      identifiers: [a]\n";
        let Validation::Invalid(errors) = validate(yaml) else {
            panic!("a misspelt key must be refused");
        };
        assert!(errors.iter().any(|e| e.line == 4), "{errors:?}");
        let lines = error_lines(&errors, gutter_lines(yaml));
        assert!(lines.contains(&4));
        let text = error_text(&errors[0]);
        assert!(text.starts_with(&format!("{}:{} ", errors[0].line, errors[0].column)));
    }

    #[test]
    fn empty_and_broken_yaml_are_errors_not_panics() {
        for yaml in ["", "   ", "rules: [", "\t- :", "refactor_name: [1, 2"] {
            let Validation::Invalid(errors) = validate(yaml) else {
                panic!("{yaml:?} must be refused");
            };
            assert!(!errors.is_empty());
            let lines = error_lines(&errors, gutter_lines(yaml));
            assert!(lines.iter().all(|&l| l >= 1 && l <= gutter_lines(yaml)));
        }
    }

    #[test]
    fn line_spans_count_utf16_units() {
        let text = "ab\né😀x\n\nlast";
        assert_eq!(line_span_utf16(text, 1), (0, 2));
        assert_eq!(line_span_utf16(text, 2), (3, 7));
        assert_eq!(line_span_utf16(text, 3), (8, 8));
        assert_eq!(line_span_utf16(text, 4), (9, 13));
        assert_eq!(line_span_utf16(text, 99), (9, 13));
        assert_eq!(line_span_utf16(text, 0), (0, 2));
        assert_eq!(line_span_utf16("", 1), (0, 0));
    }

    #[test]
    fn gutter_and_error_line_edges() {
        assert_eq!(gutter_lines(""), 1);
        assert_eq!(gutter_lines("a"), 1);
        assert_eq!(gutter_lines("a\n"), 2);
        assert_eq!(gutter_lines("a\nb"), 2);
        let err = |line| SpecError {
            file: FILE_NAME.into(),
            line,
            column: 1,
            message: "m".into(),
            help: Some("h".into()),
        };
        let lines = error_lines(&[err(0), err(3), err(99), err(3)], 5);
        assert_eq!(lines.into_iter().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(error_text(&err(2)), "2:1 m (h)");
    }
}

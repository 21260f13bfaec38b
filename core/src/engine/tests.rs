//! The rule engine against an in-memory index.

use super::*;
use crate::index::{IndexRow, IndexStore, MemoryIndex, Source};
use crate::spec::TermKind;

fn eval(spec: &str, index: &MemoryIndex) -> Evaluation {
    let spec = Spec::parse("spec.yaml", spec).unwrap_or_else(|e| panic!("{e}"));
    match evaluate(&spec, index) {
        Ok(e) => e,
        Err(never) => match never {},
    }
}

fn locations(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f.file,
                f.line,
                f.sources.join("+"),
                f.matched
            )
        })
        .collect()
}

/// Sites as `file:line:column-end_column sources match [terms]`.
fn sites(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}-{} {} {} [{}]",
                f.file,
                f.line,
                f.column,
                f.end_column,
                f.sources.join("+"),
                f.matched,
                f.terms.join(", ")
            )
        })
        .collect()
}

/// A spec of one rule whose `match` is `expressions: [terms]`.
fn expressions(terms: &str) -> String {
    format!(
        "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      expressions: [{terms}]\n    expect:\n      expressions: [cognito]\n"
    )
}

#[test]
fn one_finding_per_site_with_every_source_and_term() {
    let index = MemoryIndex::new()
        // One call argument seen as an assignment's value and as a call's argument: one site.
        .with(Source::AssignmentSource, "a.js", 3, "auth0.domain")
        .with(Source::CallArgument, "a.js", 3, "auth0.domain")
        // Two spans on one line are two sites.
        .with(Source::CallArgument, "a.js", 5, "f(auth0.x, auth0.y)")
        // A value over several lines places the match on its own line and column.
        .with(Source::SqlQuery, "b.py", 10, "SELECT *\n  FROM auth0.users");
    let result = eval(&expressions("auth0, '/auth0\\.domain/'"), &index);
    let rule = &result.rules[0];
    assert_eq!(
        sites(&rule.violations),
        [
            "a.js:3:1-6 assignments+function_call_args auth0 [auth0]",
            "a.js:3:1-13 assignments+function_call_args auth0.domain [/auth0\\.domain/]",
            "a.js:5:3-8 function_call_args auth0 [auth0]",
            "a.js:5:12-17 function_call_args auth0 [auth0]",
            "b.py:11:8-13 sql_queries auth0 [auth0]",
        ]
    );
    assert_eq!(result.summary.total_violations, 5 + 1);
    assert_eq!(
        rule.coverage,
        Some(Coverage {
            migrated: 0,
            remaining: 5
        })
    );
    // `source` and `term` stay the first of their lists.
    assert_eq!(rule.violations[0].source, "assignments");
    assert_eq!(rule.violations[0].term, "auth0");
}

#[test]
fn two_terms_on_one_span_are_one_finding() {
    let index = MemoryIndex::new()
        .with(Source::CallArgument, "a.js", 1, "legacyAuth(token)")
        .with(Source::AssignmentSource, "a.js", 1, "legacyAuth(token)");
    let result = eval(&expressions("'/legacyauth/', legacyAuth"), &index);
    assert_eq!(
        sites(&result.rules[0].violations),
        ["a.js:1:1-11 assignments+function_call_args legacyAuth [/legacyauth/, legacyAuth]"]
    );
    assert_eq!(
        result.summary.total_violations, 2,
        "one site and the missing expectation"
    );
}

#[test]
fn expected_references_are_sites_too() {
    let index = MemoryIndex::new()
        .with(
            Source::AssignmentSource,
            "a.js",
            1,
            "new cognito.Client(cognito)",
        )
        .with(
            Source::CallArgument,
            "a.js",
            1,
            "new cognito.Client(cognito)",
        )
        .with(Source::AssignmentSource, "a.js", 2, "auth0");
    let rule = eval(&expressions("auth0"), &index).rules.remove(0);
    assert_eq!(
        sites(&rule.expected_references),
        [
            "a.js:1:5-12 assignments+function_call_args cognito [cognito]",
            "a.js:1:20-27 assignments+function_call_args cognito [cognito]",
        ]
    );
    assert_eq!(
        rule.coverage,
        Some(Coverage {
            migrated: 2,
            remaining: 1
        })
    );
    assert!(rule.missing_expectation_files.is_empty());
}

const AUTH: &str = r#"refactor_name: auth
rules:
  - id: auth0-gone
    description: Auth0 must go, Cognito must come
    severity: high
    match:
      identifiers: [auth0, AuthenticationClient]
    expect:
      identifiers: [CognitoClient]
"#;

#[test]
fn match_findings_are_violations_sorted_and_deduplicated() {
    let index = MemoryIndex::new()
        .with(Source::Name, "src/b.js", 9, "auth0")
        .with(Source::Name, "src/a.js", 3, "auth0")
        .with(Source::Name, "src/a.js", 3, "auth0")
        .with(Source::Name, "src/a.js", 5, "AuthenticationClient")
        .with(Source::Name, "src/a.js", 1, "loginWithAuth0")
        // A single-name term reads only the names: every name of the code is there, so the
        // columns holding chains and argument text are not searched for it.
        .with(Source::VariableUsage, "src/a.js", 8, "auth0")
        .with(Source::CallArgument, "src/a.js", 7, "auth0");
    let result = eval(AUTH, &index);
    let rule = &result.rules[0];
    assert_eq!(
        locations(&rule.violations),
        [
            "src/a.js:3 names auth0",
            "src/a.js:5 names AuthenticationClient",
            "src/b.js:9 names auth0",
        ]
    );
    assert_eq!(rule.violations[1].term, "AuthenticationClient");
    assert_eq!(rule.status, RuleStatus::NeedsMigration);
}

#[test]
fn chain_terms_search_the_chains_as_written() {
    let spec = "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [auth0.domain, '/^auth0$/']\n";
    let index = MemoryIndex::new()
        .with(Source::VariableUsage, "src/b.js", 9, "auth0.domain")
        .with(Source::Name, "src/b.js", 9, "auth0")
        .with(Source::Name, "src/b.js", 9, "domain")
        .with(Source::CallCallee, "src/c.js", 2, "auth0");
    let rule = eval(spec, &index).rules.remove(0);
    assert_eq!(
        locations(&rule.violations),
        [
            "src/b.js:9 names auth0",
            "src/b.js:9 variable_usage auth0.domain",
            "src/c.js:2 function_call_args auth0",
        ]
    );
}

#[test]
fn a_missing_expectation_is_a_violation() {
    let result = eval(AUTH, &MemoryIndex::new());
    let rule = &result.rules[0];
    assert!(rule.violations.is_empty());
    assert_eq!(rule.missing_expectations, ["CognitoClient"]);
    assert_eq!(rule.status, RuleStatus::NeedsMigration);
    assert_eq!(result.summary.total_violations, 1);
    assert!(!result.passed());
}

#[test]
fn clean_when_old_gone_and_new_present() {
    let index = MemoryIndex::new().with(Source::Name, "src/a.js", 2, "CognitoClient");
    let result = eval(AUTH, &index);
    let rule = &result.rules[0];
    assert_eq!(rule.status, RuleStatus::Clean);
    assert_eq!(
        locations(&rule.expected_references),
        ["src/a.js:2 names CognitoClient"]
    );
    assert!(result.passed());
    assert_eq!(
        rule.coverage,
        Some(Coverage {
            migrated: 1,
            remaining: 0
        })
    );
}

#[test]
fn coverage_and_missing_expectation_files() {
    let index = MemoryIndex::new()
        .with(Source::Name, "a.js", 1, "CognitoClient")
        .with(Source::Name, "a.js", 2, "auth0")
        .with(Source::Name, "b.js", 1, "auth0")
        .with(Source::Name, "c.js", 1, "CognitoClient");
    let rule = eval(AUTH, &index).rules.remove(0);
    assert_eq!(rule.missing_expectation_files, ["b.js"]);
    let coverage = rule.coverage.unwrap();
    assert_eq!(
        (coverage.migrated, coverage.remaining, coverage.total()),
        (2, 2, 4)
    );
    assert!((coverage.percent() - 50.0).abs() < f64::EPSILON);
}

#[test]
fn expect_not_findings_are_violations() {
    let spec = r#"refactor_name: x
rules:
  - id: no-session
    description: v2 must not use sessions
    expect_not:
      identifiers: [req.session]
"#;
    let index = MemoryIndex::new()
        .with(Source::VariableUsage, "v2.js", 4, "req.session.user")
        .with(Source::VariableUsage, "v2.js", 5, "req.sessionId");
    let rule = eval(spec, &index).rules.remove(0);
    assert_eq!(
        locations(&rule.violations),
        ["v2.js:4 variable_usage req.session"]
    );
    assert!(rule.coverage.is_none());
    assert!(rule.missing_expectation_files.is_empty());
}

#[test]
fn scope_limits_findings_and_expectations() {
    let spec = r#"refactor_name: x
rules:
  - id: r
    description: d
    match: { identifiers: [auth0] }
    expect: { identifiers: [cognito] }
    scope: { include: ["backend/**"], exclude: ["backend/vendor/**"] }
"#;
    let index = MemoryIndex::new()
        .with(Source::Name, "backend/a.py", 1, "auth0")
        .with(Source::Name, "backend/vendor/x.py", 1, "auth0")
        .with(Source::Name, "frontend/a.js", 1, "auth0")
        // An expectation met outside the scope does not count.
        .with(Source::Name, "frontend/b.js", 1, "cognito");
    let rule = eval(spec, &index).rules.remove(0);
    assert_eq!(locations(&rule.violations), ["backend/a.py:1 names auth0"]);
    assert_eq!(rule.missing_expectations, ["cognito"]);
}

#[test]
fn each_kind_searches_its_own_columns() {
    // One row per source, all holding the same value; each kind must see exactly its sources.
    let mut index = MemoryIndex::new();
    for (i, source) in Source::ALL.iter().enumerate() {
        index.push(*source, "f.js", i as u32 + 1, "users", "");
    }
    for kind in TermKind::ALL {
        let spec = format!(
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      {}: [users]\n",
            kind.key()
        );
        let rule = eval(&spec, &index).rules.remove(0);
        let mut seen: Vec<u32> = rule.violations.iter().map(|f| f.line).collect();
        seen.sort_unstable();
        // `users` is one plain name: as an identifier it is looked up among the names only.
        let sources: &[Source] = match kind {
            TermKind::Identifiers => &[Source::Name],
            other => other.sources(),
        };
        let mut expected: Vec<u32> = sources
            .iter()
            .map(|s| Source::ALL.iter().position(|a| a == s).unwrap() as u32 + 1)
            .collect();
        expected.sort_unstable();
        assert_eq!(seen, expected, "{kind:?}");
    }
}

#[test]
fn nothing_is_capped() {
    let mut index = MemoryIndex::new();
    for i in 0..5_000 {
        index.push(Source::Name, &format!("f{i}.js"), 1, "auth0", "");
    }
    let result = eval(AUTH, &index);
    assert_eq!(result.rules[0].violations.len(), 5_000);
    assert_eq!(result.summary.total_violations, 5_001);
    assert_eq!(result.summary.by_severity[&Severity::High], 5_001);
    assert_eq!(result.summary.by_severity[&Severity::Low], 0);
}

#[test]
fn regex_terms_search_without_a_needle() {
    let spec = "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      expressions: ['/\\.product\\.id$/']\n";
    let index = MemoryIndex::new()
        .with(Source::AssignmentSource, "a.ts", 1, "item.product.id")
        .with(Source::AssignmentSource, "a.ts", 2, "item.product.identity");
    let rule = eval(spec, &index).rules.remove(0);
    assert_eq!(
        locations(&rule.violations),
        ["a.ts:1 assignments .product.id"]
    );
}

#[test]
fn json_contract() {
    let index = MemoryIndex::new().with(Source::Name, "a.js", 3, "auth0");
    let json = serde_json::to_value(eval(AUTH, &index)).unwrap();
    insta::assert_json_snapshot!(json);
}

/// A store that counts scans and records the needles it was given.
struct Counting {
    inner: MemoryIndex,
    scans: std::cell::RefCell<Vec<(Source, Option<Vec<String>>)>>,
}

impl IndexStore for Counting {
    type Error = std::convert::Infallible;

    fn scan(
        &self,
        source: Source,
        needles: Option<&[String]>,
        visit: &mut dyn FnMut(&IndexRow),
    ) -> Result<(), Self::Error> {
        self.scans
            .borrow_mut()
            .push((source, needles.map(<[String]>::to_vec)));
        self.inner.scan(source, needles, visit)
    }
}

#[test]
fn each_source_is_scanned_once_per_spec_with_every_needle() {
    let spec = r#"refactor_name: x
rules:
  - id: a
    description: d
    match: { identifiers: [Auth0, jwt.sign] }
    expect: { identifiers: [cognito] }
  - id: b
    description: d
    match: { identifiers: [auth0], sql_tables: ['/^legacy_/'] }
"#;
    let store = Counting {
        inner: MemoryIndex::new()
            .with(Source::Name, "a.js", 1, "AUTH0")
            .with(Source::SqlTable, "a.js", 2, "legacy_users"),
        scans: Default::default(),
    };
    let spec = Spec::parse("spec.yaml", spec).unwrap();
    let Ok(result) = evaluate(&spec, &store);
    assert_eq!(result.rules[0].violations.len(), 1);
    assert_eq!(result.rules[1].violations.len(), 2);
    let scans = store.scans.into_inner();
    let sources: Vec<Source> = scans.iter().map(|(s, _)| *s).collect();
    let mut unique = sources.clone();
    unique.dedup();
    assert_eq!(sources, unique, "a source was scanned twice");
    assert_eq!(sources.len(), TermKind::Identifiers.sources().len() + 1);
    let needles_of = |source: Source| {
        scans
            .iter()
            .find(|(s, _)| *s == source)
            .and_then(|(_, n)| n.clone())
    };
    // Single names search only the names; the chain also searches the columns holding chains.
    assert_eq!(
        needles_of(Source::Name),
        Some(vec![
            "auth0".to_owned(),
            "cognito".to_owned(),
            "jwt.sign".to_owned()
        ])
    );
    assert_eq!(
        needles_of(Source::SymbolName),
        Some(vec!["jwt.sign".to_owned()])
    );
    // A regex term has no needle: its source is read whole.
    let (_, table_needles) = scans.iter().find(|(s, _)| *s == Source::SqlTable).unwrap();
    assert_eq!(table_needles, &None);
}

#[test]
fn a_site_is_at_the_column_of_the_match_in_the_row() {
    let mut index = MemoryIndex::new();
    index.push_at(Source::Name, "a.ts", 4, 10, "draggingElement", "property");
    index.push_at(
        Source::VariableUsage,
        "a.ts",
        6,
        2,
        "state.draggingElement",
        "read",
    );
    let spec = "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [draggingElement, state.draggingElement]\n";
    let rule = eval(spec, &index).rules.remove(0);
    let spans: Vec<(u32, u32, u32)> = rule
        .violations
        .iter()
        .map(|f| (f.line, f.column, f.end_column))
        .collect();
    // 1-based columns, end exclusive: the name itself, and the chain where it starts.
    assert_eq!(spans, [(4, 11, 26), (6, 3, 24)]);
}

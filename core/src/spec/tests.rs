//! Spec loading and validation: data-driven cases and snapshots of the error messages.

use super::*;

/// Parses `yaml` and renders every error, one per line (or `ok`).
fn errors(yaml: &str) -> String {
    match Spec::parse("spec.yaml", yaml) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn parse(yaml: &str) -> Spec {
    Spec::parse("spec.yaml", yaml).unwrap_or_else(|e| panic!("{e}"))
}

const MINIMAL: &str = "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [auth0]\n";

#[test]
fn minimal_spec_takes_the_defaults() {
    let spec = parse(MINIMAL);
    assert_eq!(spec.name, "x");
    let rule = &spec.rules[0];
    assert_eq!(rule.severity, Severity::Medium);
    assert_eq!(rule.category, "schema");
    assert_eq!(rule.r#match.terms.len(), 1);
    assert_eq!(rule.r#match.terms[0].kind, TermKind::Identifiers);
    assert!(rule.expect.is_empty() && rule.expect_not.is_empty());
    assert!(rule.scope.contains("any/file.js"));
}

#[test]
fn aliases_are_accepted() {
    let spec = parse(
        "context_name: ctx\nversion: 1.0\nrules:\n  - id: r\n    description: d\n    match:\n      strings: [\"a + b\"]\n    requires:\n      identifiers: [Cognito]\n",
    );
    assert_eq!(spec.name, "ctx");
    assert_eq!(spec.version.as_deref(), Some("1.0"));
    let rule = &spec.rules[0];
    assert_eq!(rule.r#match.terms[0].kind, TermKind::Expressions);
    assert_eq!(rule.expect.terms[0].text, "Cognito");
}

#[test]
fn version_is_kept_as_written() {
    for (written, kept) in [
        ("1.0", "1.0"),
        ("2", "2"),
        ("\"2025-10-26\"", "2025-10-26"),
        ("2025-10-26", "2025-10-26"),
        ("v3", "v3"),
    ] {
        let spec = parse(&format!("version: {written}\n{MINIMAL}"));
        assert_eq!(spec.version.as_deref(), Some(kept), "version: {written}");
    }
}

#[test]
fn metadata_is_free_form() {
    let spec = parse(&format!(
        "metadata:\n  owner: team\n  related: [a, b]\n  n: 3\n{MINIMAL}"
    ));
    assert_eq!(spec.metadata["owner"], "team");
    assert_eq!(spec.metadata["related"][1], "b");
    assert_eq!(spec.metadata["n"], 3);
}

#[test]
fn all_term_blocks_and_kinds_are_read_in_order() {
    let spec = parse(
        r#"refactor_name: x
rules:
  - id: r
    description: d
    severity: critical
    category: auth
    match:
      identifiers: [a]
      expressions: [b]
      sql_tables: [users]
      api_routes: ['/api/v1']
    expect:
      identifiers: [c]
    expect_not:
      identifiers: [d]
    scope:
      include: ["src/**"]
      exclude: ["src/vendor/**"]
    guidance: do it
"#,
    );
    let rule = &spec.rules[0];
    let kinds: Vec<_> = rule.r#match.terms.iter().map(|t| t.kind).collect();
    assert_eq!(kinds, TermKind::ALL);
    assert_eq!(rule.severity, Severity::Critical);
    assert_eq!(rule.expect_not.terms[0].text, "d");
    assert_eq!(rule.guidance.as_deref(), Some("do it"));
}

#[test]
fn scope_globs() {
    let spec = parse(
        r#"refactor_name: x
rules:
  - id: r
    description: d
    match: { identifiers: [a] }
    scope:
      include: ["backend/**", "./web/*.ts", "lib"]
      exclude: ["backend/vendor/**", "**/*.test.ts"]
"#,
    );
    let scope = &spec.rules[0].scope;
    for (path, inside) in [
        ("backend/app.py", true),
        ("backend/deep/er/app.py", true),
        ("backend/vendor/x.py", false),
        ("web/a.ts", true),
        ("web/sub/a.ts", false),
        ("web/a.test.ts", false),
        ("lib/x.js", true),
        ("lib", true),
        ("other/app.py", false),
        ("librarian/x.js", false),
    ] {
        assert_eq!(scope.contains(path), inside, "{path}");
    }
}

#[test]
fn empty_term_lists_are_allowed() {
    // The original's own examples write `expect: { identifiers: [] }` for "must be gone".
    let spec = parse(
        "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: [a]\n    expect:\n      identifiers: []\n",
    );
    assert!(spec.rules[0].expect.is_empty());
}

/// Every error case, with the exact messages people will read.
#[test]
fn error_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "misspelt_key",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    mtach:\n      identifiers: [a]\n    expect:\n      identifiers: [b]\n",
        ),
        (
            "misplaced_key",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    identifiers: [a]\n",
        ),
        ("unknown_top_level", "refactor_name: x\nrule:\n  - id: r\n"),
        (
            "wrong_types",
            "refactor_name: [x]\nversion: [1]\nrules:\n  - id: 12\n    description: d\n    severity: urgent\n    match:\n      identifiers: auth0\n",
        ),
        ("empty_rules", "refactor_name: x\nrules: []\n"),
        ("missing_everything", "description: nothing else\n"),
        (
            "duplicate_ids",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match: {identifiers: [a]}\n  - id: r\n    description: e\n    match: {identifiers: [b]}\n",
        ),
        (
            "bad_regex_and_glob",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    match:\n      identifiers: ['/(unclosed/', ok, '']\n    scope:\n      include: ['src/[z-a]']\n",
        ),
        (
            "checks_nothing",
            "refactor_name: x\nrules:\n  - id: r\n    description: d\n    severity: High\n",
        ),
        (
            "yaml_syntax",
            "refactor_name: x\nrules:\n  - id: r\n    description: [unclosed\n",
        ),
        (
            "duplicate_key",
            "refactor_name: x\nrefactor_name: y\nrules: []\n",
        ),
        (
            "both_aliases",
            "refactor_name: x\ncontext_name: y\nrules:\n  - id: r\n    description: d\n    match: {identifiers: [a], expressions: [b], strings: [c]}\n    expect: {identifiers: [a]}\n    requires: {identifiers: [a]}\n",
        ),
        ("not_a_mapping", "- just\n- a list\n"),
        ("empty_file", ""),
        (
            "rule_not_mapping",
            "refactor_name: x\nrules:\n  - just text\n",
        ),
    ];
    let mut all = String::new();
    for (name, yaml) in cases {
        all.push_str(&format!("## {name}\n{}\n\n", errors(yaml)));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let out = errors(
        "refactor_name: x\nrules:\n  - id: a\n    descripton: d\n    match: {identifiers: ['/(/']}\n  - id: b\n    description: d\n    sevrity: low\n    match: {identifiers: [b]}\n",
    );
    assert_eq!(out.lines().count(), 4, "{out}");
}

/// The original tool's five published specs must load, each key with its meaning.
#[test]
fn the_originals_published_examples_load() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/original-examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        // The compatibility set lives outside the repository; CI checks it out beside it.
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let mut loaded = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let spec = Spec::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            assert!(!spec.rules.is_empty());
            loaded += 1;
        }
    }
    assert_eq!(loaded, 5, "expected the five published examples");
}

#[cfg(feature = "schema")]
#[test]
fn key_lists_agree_with_the_schema_types() {
    use super::shape::*;
    let schema = json_schema();
    let keys = |def: Option<&str>| -> Vec<String> {
        let node = match def {
            None => &schema,
            Some(d) => &schema["$defs"][d],
        };
        let mut k: Vec<String> = node["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    let sorted = |list: &[&str]| {
        let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(keys(None), sorted(SPEC_KEYS));
    assert_eq!(keys(Some("RuleFile")), sorted(RULE_KEYS));
    assert_eq!(keys(Some("TermsFile")), sorted(TERMS_KEYS));
    assert_eq!(keys(Some("ScopeFile")), sorted(SCOPE_KEYS));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Fragments of real specs, so that generated inputs get past the YAML parser often.
    const PIECES: &[&str] = &[
        "refactor_name: x\n",
        "rules:\n",
        "  - id: r\n",
        "    description: d\n",
        "    match:\n",
        "      identifiers: [a, '/(b/']\n",
        "    expect: {identifiers: []}\n",
        "    scope: {include: ['src/**', '[']}\n",
        "    severity: high\n",
        "version: 1.0\n",
        "metadata: {a: [1, {b: c}]}\n",
        "  - 12\n",
        "- x\n",
        ": :\n",
        "&a [*a]\n",
        "!!binary x\n",
        "rules: *x\n",
        "\t\n",
        "---\n",
        "{",
        "'",
        "\"\\u",
        "\u{feff}",
        "context_name: y\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary text is either a spec or a list of errors with positions: never a panic.
        #[test]
        fn arbitrary_text(text in "\\PC{0,200}") {
            check(&text);
        }

        /// Shuffled fragments of real specs, likewise.
        #[test]
        fn spliced_fragments(picks in proptest::collection::vec(0..PIECES.len(), 0..16)) {
            let text: String = picks.iter().map(|i| PIECES[*i]).collect();
            check(&text);
        }
    }

    fn check(text: &str) {
        if let Err(errors) = Spec::parse("fuzz.yaml", text) {
            assert!(!errors.errors.is_empty());
            for e in &errors.errors {
                assert!(e.line >= 1 && e.column >= 1, "{e}");
                assert!(!e.message.is_empty());
            }
        }
    }
}

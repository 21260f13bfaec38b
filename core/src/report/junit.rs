//! JUnit XML, for CI test reports: one test case per rule, failing when the rule has violations.
//!
//! The failure body lists every violation as `file:line: match (term, source)` and every missing
//! expectation, so a CI page shows exactly what is left without opening another tool.

use std::fmt::Write as _;

use crate::engine::{Evaluation, RuleStatus};

use super::Subject;

/// Renders `evaluation` as a JUnit XML document.
pub fn render(evaluation: &Evaluation, subject: &Subject) -> String {
    render_many(&[(evaluation, subject)])
}

/// Renders several evaluations (the tasks of a plan) as one document, one test suite each.
pub fn render_many(evaluations: &[(&Evaluation, &Subject)]) -> String {
    let tests: usize = evaluations.iter().map(|(e, _)| e.rules.len()).sum();
    let failures: usize = evaluations.iter().map(|(e, _)| failing(e)).sum();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<testsuites name="aud" tests="{tests}" failures="{failures}" errors="0">"#
    );
    for (evaluation, subject) in evaluations {
        suite(&mut out, evaluation, subject);
    }
    let _ = writeln!(out, "</testsuites>");
    out
}

fn failing(evaluation: &Evaluation) -> usize {
    evaluation
        .rules
        .iter()
        .filter(|r| r.status == RuleStatus::NeedsMigration)
        .count()
}

/// One `<testsuite>`.
fn suite(out: &mut String, evaluation: &Evaluation, subject: &Subject) {
    let tests = evaluation.rules.len();
    let failures = failing(evaluation);
    let suite = match (subject.plan_id, subject.task_number, &subject.title) {
        (Some(p), Some(t), Some(title)) => format!("plan {p} task {t}: {title}"),
        (Some(p), Some(t), None) => format!("plan {p} task {t}"),
        _ => evaluation.spec.name.clone(),
    };
    let classname = format!("aud.{}", evaluation.spec.name);

    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="0">"#,
        escape(&suite)
    );
    for rule in &evaluation.rules {
        let name = format!("{}: {}", rule.rule_id, rule.description);
        let _ = write!(
            out,
            r#"    <testcase classname="{}" name="{}""#,
            escape(&classname),
            escape(&name)
        );
        if rule.status == RuleStatus::Clean {
            let _ = writeln!(out, "/>");
            continue;
        }
        let _ = writeln!(out, ">");
        let n = rule.total_violations();
        let mut body = String::new();
        for f in &rule.violations {
            let _ = writeln!(
                body,
                "{}: {} ({}; {})",
                super::text::place(f),
                f.matched,
                f.terms.join(", "),
                f.sources.join(", ")
            );
        }
        for term in &rule.missing_expectations {
            let _ = writeln!(body, "missing expectation: {term} is not found in scope");
        }
        if let Some(guidance) = &rule.guidance {
            let _ = writeln!(body, "guidance: {guidance}");
        }
        let _ = writeln!(
            out,
            r#"      <failure message="{n} violation{}" type="{}">{}</failure>"#,
            if n == 1 { "" } else { "s" },
            rule.severity,
            escape(&body)
        );
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;
    use crate::engine::evaluate;
    use crate::index::{MemoryIndex, Source};
    use crate::spec::Spec;

    #[test]
    fn escape_cases() {
        for (input, expected) in [
            ("plain", "plain"),
            ("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;"),
            ("bell\u{7}", "bell"),
            ("line\nbreak", "line\nbreak"),
        ] {
            assert_eq!(escape(input), expected);
        }
    }

    #[test]
    fn a_plan_with_two_tasks_snapshot() {
        let spec = Spec::parse(
            "spec.yaml",
            "refactor_name: auth\nrules:\n  - id: no-auth0\n    description: remove auth0\n    severity: high\n    guidance: use cognito\n    match:\n      identifiers: [auth0]\n    expect:\n      identifiers: [cognito]\n",
        )
        .unwrap();
        let dirty = MemoryIndex::new()
            .with(Source::Name, "src/a.js", 3, "auth0")
            .with(Source::Name, "src/b.js", 9, "auth0");
        let clean = MemoryIndex::new().with(Source::Name, "src/a.js", 3, "cognito");
        let subject = |task: u32| Subject {
            tool_version: "0.1.0".into(),
            plan_id: Some(1),
            task_number: Some(task),
            title: Some(format!("task {task}")),
        };
        let (one, two) = (subject(1), subject(2));
        let (e1, e2) = (
            evaluate(&spec, &dirty).unwrap(),
            evaluate(&spec, &clean).unwrap(),
        );
        insta::assert_snapshot!(render_many(&[(&e1, &one), (&e2, &two)]));
    }

    #[test]
    fn one_case_per_rule_failing_ones_list_violations() {
        let spec = Spec::parse(
            "spec.yaml",
            "refactor_name: auth\nrules:\n  - id: a\n    description: no <auth0>\n    match:\n      identifiers: [auth0]\n  - id: b\n    description: no md5\n    match:\n      identifiers: [md5]\n",
        )
        .unwrap();
        let index = MemoryIndex::new().with(Source::Name, "x.js", 4, "auth0");
        let xml = render(
            &evaluate(&spec, &index).unwrap(),
            &Subject {
                tool_version: "0.1.0".into(),
                plan_id: Some(1),
                task_number: Some(1),
                title: Some("T & U".into()),
            },
        );
        assert!(
            xml.contains(r#"<testsuites name="aud" tests="2" failures="1" errors="0">"#),
            "{xml}"
        );
        assert!(xml.contains(r#"name="plan 1 task 1: T &amp; U""#), "{xml}");
        assert!(xml.contains(r#"name="a: no &lt;auth0&gt;">"#), "{xml}");
        assert!(
            xml.contains(
                r#"<failure message="1 violation" type="medium">x.js:4:1: auth0 (auth0; names)"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase classname="aud.auth" name="b: no md5"/>"#),
            "{xml}"
        );
    }
}

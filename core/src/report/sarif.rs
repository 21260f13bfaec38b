//! SARIF 2.1.0, for code-scanning tools (GitHub code scanning, IDE viewers).
//!
//! One SARIF run per evaluation. Each spec rule is a reporting descriptor; each violating site is
//! one result at its file, line and column span (1-based byte columns, which equal SARIF's
//! default UTF-16 columns on ASCII lines) with a `partialFingerprints` entry that survives moved lines
//! (see [`crate::plan::fingerprint`]); each missing expectation is a result without a location.
//! Severities map to levels: critical and high are `error`, medium `warning`, low `note`.

use serde_json::{Value, json};

use crate::engine::Evaluation;
use crate::plan::fingerprint::{MISSING_EXPECTATION, fingerprint_evaluation};
use crate::spec::Severity;

use super::Subject;

/// The SARIF `level` of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// Renders `evaluation` as a SARIF 2.1.0 log (pretty JSON with a final newline).
pub fn render(evaluation: &Evaluation, subject: &Subject) -> String {
    render_many(&[(evaluation, subject)])
}

/// Renders several evaluations (the tasks of a plan) as one SARIF log with one run each.
pub fn render_many(evaluations: &[(&Evaluation, &Subject)]) -> String {
    let runs: Vec<Value> = evaluations
        .iter()
        .map(|(evaluation, subject)| run(evaluation, subject))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// One SARIF run.
fn run(evaluation: &Evaluation, subject: &Subject) -> Value {
    let rules: Vec<Value> = evaluation
        .rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.rule_id,
                "shortDescription": { "text": r.description },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "category": r.category, "severity": r.severity.as_str() },
            });
            if let Some(guidance) = &r.guidance {
                rule["help"] = json!({ "text": guidance });
            }
            rule
        })
        .collect();

    let mut results = Vec::new();
    for finding in fingerprint_evaluation(evaluation) {
        let Some((index, rule)) = evaluation
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.rule_id == finding.rule_id)
        else {
            continue;
        };
        let mut result = json!({
            "ruleId": rule.rule_id,
            "ruleIndex": index,
            "level": level(rule.severity),
            "partialFingerprints": { "audFinding/v2": finding.fingerprint },
        });
        if finding.source == MISSING_EXPECTATION {
            result["message"] = json!({
                "text": format!("expected `{}` is not found anywhere in scope ({})", finding.term, rule.description)
            });
        } else {
            let terms: Vec<String> = finding
                .all_terms()
                .iter()
                .map(|t| format!("`{t}`"))
                .collect();
            result["message"] = json!({
                "text": format!("`{}` matches {} in {} ({})", finding.matched, terms.join(", "), finding.all_sources().join(", "), rule.description)
            });
            let mut region = json!({ "startLine": finding.line.max(1) });
            if finding.column > 0 {
                region["startColumn"] = json!(finding.column);
                region["endColumn"] = json!(finding.end_column.max(finding.column));
            }
            result["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": finding.file, "uriBaseId": "%SRCROOT%" },
                    "region": region,
                }
            }]);
        }
        results.push(result);
    }

    let mut run = json!({
        "tool": {
            "driver": {
                "name": "aud",
                "informationUri": "https://github.com/aud-dev/aud",
                "version": subject.tool_version,
                "rules": rules,
            }
        },
        "automationDetails": { "id": subject.automation_id() },
        "results": results,
        "properties": {
            "spec": evaluation.spec.name,
            "totalViolations": evaluation.summary.total_violations,
        },
    });
    if let Some(plan_id) = subject.plan_id {
        run["properties"]["planId"] = json!(plan_id);
    }
    if let Some(task_number) = subject.task_number {
        run["properties"]["taskNumber"] = json!(task_number);
    }
    run
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
    severity: high
    guidance: use cognito
    match:
      identifiers: [auth0]
    expect:
      identifiers: [cognito]
  - id: no-md5
    description: no md5
    severity: low
    match:
      identifiers: [md5]
";

    #[test]
    fn violations_and_missing_expectations_become_results() {
        let spec = Spec::parse("spec.yaml", SPEC).unwrap();
        let index = MemoryIndex::new()
            .with(Source::Name, "src/a.js", 3, "auth0")
            .with(Source::Name, "src/b.js", 9, "md5");
        let evaluation = evaluate(&spec, &index).unwrap();
        let subject = Subject {
            tool_version: "0.1.0".into(),
            plan_id: Some(1),
            task_number: Some(2),
            title: Some("Move to Cognito".into()),
        };
        let log: Value = serde_json::from_str(&render(&evaluation, &subject)).unwrap();
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "no-auth0");
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["help"]["text"],
            "use cognito"
        );
        assert_eq!(run["automationDetails"]["id"], "aud/plan-1/task-2/");
        assert_eq!(run["properties"]["planId"], 1);
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        let loc = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/a.js");
        assert_eq!(loc["region"]["startLine"], 3);
        assert_eq!(results[0]["level"], "error");
        assert_eq!(
            results[0]["partialFingerprints"]["audFinding/v2"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
        assert!(results[1].get("locations").is_none());
        assert!(
            results[1]["message"]["text"]
                .as_str()
                .unwrap()
                .contains("cognito")
        );
        assert_eq!(results[2]["ruleIndex"], 1);
        assert_eq!(results[2]["level"], "note");
    }

    #[test]
    fn sarif_log_snapshot() {
        let spec = Spec::parse("spec.yaml", SPEC).unwrap();
        let index = MemoryIndex::new()
            .with(Source::Name, "src/a.js", 3, "auth0")
            .with(Source::Name, "src/a.js", 8, "auth0");
        let subject = Subject {
            tool_version: "0.1.0".into(),
            plan_id: Some(1),
            task_number: Some(1),
            title: None,
        };
        insta::assert_snapshot!(render(&evaluate(&spec, &index).unwrap(), &subject));
    }
}

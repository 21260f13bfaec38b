//! Small pure helpers for presenting API data: times, the audit-chain verdict, findings grouped
//! by rule.

use aud_core::api::FindingView;
use aud_core::plan::chain::BreakReason;
use aud_core::plan::{ChainStatus, RunFinding};

/// An RFC 3339 time as `2026-11-28 10:07` (UTC when it says so); anything else as given.
pub fn short_time(rfc3339: &str) -> String {
    time(rfc3339, 16)
}

/// An RFC 3339 time as `2026-11-28 10:07:31` (UTC when it says so); anything else as given.
pub fn long_time(rfc3339: &str) -> String {
    time(rfc3339, 19)
}

fn time(s: &str, len: usize) -> String {
    let bytes = s.as_bytes();
    let shaped = s.len() >= len
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && matches!(bytes.get(10), Some(b'T' | b' '))
        && bytes.get(13) == Some(&b':')
        && s.is_char_boundary(len);
    if !shaped {
        return s.to_owned();
    }
    let utc = s.ends_with('Z') || s.ends_with("+00:00");
    format!(
        "{} {}{}",
        &s[..10],
        &s[11..len],
        if utc { " UTC" } else { "" }
    )
}

/// The first `n` characters of a hash or commit.
pub fn short_hash(hash: &str, n: usize) -> &str {
    match hash.char_indices().nth(n) {
        Some((i, _)) => &hash[..i],
        None => hash,
    }
}

/// How the audit-chain verdict reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `intact`, `truncated` or `broken` (also the CSS modifier).
    pub word: &'static str,
    /// One line: `Audit chain intact`, `Audit chain broken at run 7`.
    pub headline: String,
    /// What it means.
    pub detail: String,
}

/// The audit-chain verdict of a plan, in words.
pub fn chain_verdict(status: &ChainStatus) -> Verdict {
    match status {
        ChainStatus::Intact { runs, head } => Verdict {
            word: "intact",
            headline: "Audit chain intact".into(),
            detail: match head {
                Some(head) => format!(
                    "{runs} verification run{} checked; head {}",
                    if *runs == 1 { "" } else { "s" },
                    short_hash(head, 12)
                ),
                None => "no verification run recorded yet".into(),
            },
        },
        ChainStatus::Truncated {
            recorded_runs,
            found_runs,
        } => Verdict {
            word: "truncated",
            headline: "Audit chain truncated".into(),
            detail: format!(
                "the plan records {recorded_runs} run{} but {found_runs} {} found: runs at the \
                 end were removed, or the anchor was edited",
                if *recorded_runs == 1 { "" } else { "s" },
                if *found_runs == 1 { "is" } else { "are" },
            ),
        },
        ChainStatus::Broken {
            run_id,
            task_number,
            sequence,
            reason,
        } => Verdict {
            word: "broken",
            headline: format!("Audit chain broken at run {run_id}"),
            detail: format!(
                "task {task_number}, verification {sequence}: {}",
                match reason {
                    BreakReason::ContentAltered =>
                        "its content no longer matches its hash (it was edited)",
                    BreakReason::LinkBroken =>
                        "it does not link to the run before it (a run was removed, inserted or \
                         rewritten)",
                }
            ),
        },
    }
}

/// The findings of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleGroup<'a> {
    /// The rule's id.
    pub rule_id: &'a str,
    /// Findings with a place in the code, in the order given.
    pub findings: Vec<&'a FindingView>,
    /// Missing expectations (no place: the term is found nowhere).
    pub missing: Vec<&'a FindingView>,
}

/// Groups findings by rule, rules in order of first appearance (the API sends rule order).
pub fn group_by_rule(findings: &[FindingView]) -> Vec<RuleGroup<'_>> {
    let mut groups: Vec<RuleGroup<'_>> = Vec::new();
    for f in findings {
        let i = match groups.iter().position(|g| g.rule_id == f.finding.rule_id) {
            Some(i) => i,
            None => {
                groups.push(RuleGroup {
                    rule_id: &f.finding.rule_id,
                    findings: Vec::new(),
                    missing: Vec::new(),
                });
                groups.len() - 1
            }
        };
        if is_missing_expectation(f) {
            groups[i].missing.push(f);
        } else {
            groups[i].findings.push(f);
        }
    }
    groups
}

/// Whether a finding is a missing expectation rather than a place in the code.
pub fn is_missing_expectation(f: &FindingView) -> bool {
    f.finding.source == aud_core::plan::fingerprint::MISSING_EXPECTATION
        && f.finding.file.is_empty()
}

/// `file:line` of a finding.
pub fn location(file: &str, line: u32) -> String {
    format!("{file}:{line}")
}

/// `file:line:column` of a site (`file:line` when its column is unknown).
pub fn site_location(f: &RunFinding) -> String {
    if f.column == 0 {
        location(&f.file, f.line)
    } else {
        format!("{}:{}:{}", f.file, f.line, f.column)
    }
}

/// The byte range to mark on a site's own code line: its column span when the line holds the
/// matched text there, else the first of its matched text and terms found on the line.
pub fn site_span(line: &str, f: &RunFinding) -> Option<(usize, usize)> {
    if f.column > 0 && f.end_column > f.column {
        let start = f.column as usize - 1;
        let end = f.end_column as usize - 1;
        if let Some(text) = line.get(start..end)
            && f.matched
                .get(..end - start)
                .is_some_and(|m| m.eq_ignore_ascii_case(text))
        {
            return Some((start, end));
        }
    }
    let mut needles = vec![f.matched.as_str()];
    needles.extend(f.all_terms());
    find_match(line, &needles)
}

/// `n thing` or `n things`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// The byte range of the first of `needles` (non-empty, tried in order) found in `line`: the
/// part of a code line to mark as the match.
pub fn find_match(line: &str, needles: &[&str]) -> Option<(usize, usize)> {
    needles
        .iter()
        .filter(|n| !n.is_empty())
        .find_map(|n| line.find(n).map(|start| (start, start + n.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shortened_only_when_they_look_like_times() {
        assert_eq!(short_time("2026-11-28T10:07:31Z"), "2026-11-28 10:07 UTC");
        assert_eq!(
            long_time("2026-11-28T10:07:31.123456Z"),
            "2026-11-28 10:07:31 UTC"
        );
        assert_eq!(
            long_time("2026-11-28T10:07:31+02:00"),
            "2026-11-28 10:07:31"
        );
        assert_eq!(short_time("yesterday"), "yesterday");
        assert_eq!(short_time(""), "");
        assert_eq!(short_time("2026-11-28"), "2026-11-28");
        assert_eq!(short_time("ééééééééééééééééé"), "ééééééééééééééééé");
    }

    #[test]
    fn hashes_are_cut() {
        assert_eq!(short_hash("abcdef", 4), "abcd");
        assert_eq!(short_hash("ab", 4), "ab");
    }

    #[test]
    fn chain_verdicts_name_their_state() {
        let v = chain_verdict(&ChainStatus::Intact {
            runs: 3,
            head: Some("0123456789abcdef".into()),
        });
        assert_eq!(v.word, "intact");
        assert_eq!(v.detail, "3 verification runs checked; head 0123456789ab");
        let v = chain_verdict(&ChainStatus::Intact {
            runs: 0,
            head: None,
        });
        assert!(v.detail.contains("no verification run"));
        let v = chain_verdict(&ChainStatus::Truncated {
            recorded_runs: 4,
            found_runs: 3,
        });
        assert_eq!(v.word, "truncated");
        assert!(
            v.detail.contains("records 4 runs but 3 are found"),
            "{}",
            v.detail
        );
        let v = chain_verdict(&ChainStatus::Broken {
            run_id: 7,
            task_number: 2,
            sequence: 3,
            reason: BreakReason::ContentAltered,
        });
        assert_eq!(v.word, "broken");
        assert_eq!(v.headline, "Audit chain broken at run 7");
        assert!(v.detail.starts_with("task 2, verification 3: its content"));
    }

    fn view(rule: &str, file: &str, line: u32, source: &str) -> FindingView {
        FindingView {
            finding: RunFinding {
                fingerprint: String::new(),
                rule_id: rule.into(),
                file: file.into(),
                line,
                source: source.into(),
                matched: "m".into(),
                term: "t".into(),
                ..RunFinding::default()
            },
            context: Vec::new(),
        }
    }

    #[test]
    fn findings_group_by_rule_in_order_with_missing_expectations_apart() {
        let findings = [
            view("b", "x.js", 1, "symbols"),
            view("a", "y.js", 2, "refs"),
            view("b", "", 0, "expect"),
            view("b", "z.js", 3, "refs"),
        ];
        let groups = group_by_rule(&findings);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].rule_id, "b");
        assert_eq!(groups[0].findings.len(), 2);
        assert_eq!(groups[0].missing.len(), 1);
        assert_eq!(groups[1].rule_id, "a");
        assert!(group_by_rule(&[]).is_empty());
    }

    #[test]
    fn matches_are_found_by_the_first_needle_that_occurs() {
        let line = "const d = process.env.AUTH0_DOMAIN;";
        assert_eq!(
            find_match(line, &["process.env.AUTH0_DOMAIN"]),
            Some((10, 34))
        );
        assert_eq!(find_match(line, &["nope", "AUTH0"]), Some((22, 27)));
        assert_eq!(find_match(line, &["", "nope"]), None);
        assert_eq!(find_match("", &["a"]), None);
    }

    #[test]
    fn a_site_marks_its_own_span() {
        let line = "const a = auth0; const b = auth0;";
        let site = |column: u32, end_column: u32, matched: &str| RunFinding {
            column,
            end_column,
            matched: matched.to_owned(),
            term: "auth0".to_owned(),
            ..RunFinding::default()
        };
        // The second occurrence, by its columns.
        assert_eq!(site_span(line, &site(28, 33, "auth0")), Some((27, 32)));
        // Columns that do not hold the text (the file changed): the first occurrence.
        assert_eq!(site_span(line, &site(3, 8, "auth0")), Some((10, 15)));
        // No column recorded: found by text.
        assert_eq!(site_span(line, &site(0, 0, "auth0")), Some((10, 15)));
        assert_eq!(
            site_location(&RunFinding {
                file: "a.js".into(),
                line: 2,
                column: 28,
                ..RunFinding::default()
            }),
            "a.js:2:28"
        );
    }

    #[test]
    fn counts_and_locations() {
        assert_eq!(count(1, "run", "runs"), "1 run");
        assert_eq!(count(0, "run", "runs"), "0 runs");
        assert_eq!(location("a.js", 3), "a.js:3");
    }
}

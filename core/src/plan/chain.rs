//! The hash chain over a plan's verification runs: tamper evidence for the audit trail.
//!
//! Each run's hash is `sha256(prev_hash || canonical JSON of the run's content)`, where
//! `prev_hash` is the hash of the plan's previous run (in recording order) and
//! [`GENESIS_HASH`] for the first. The content is every recorded fact of the run — plan, task,
//! sequence, time, commit, index fingerprint, verdict, per-rule totals and each finding — but
//! not the row id. Changing, removing or reordering a run breaks the chain at that run, and
//! [`verify_chain`] names it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fingerprint::{RunFinding, hex};
use super::model::{NewRun, RuleTotal, Run};

/// The `prev_hash` of a plan's first run.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hashed content of a run. Fields are in alphabetical order and findings sorted by
/// fingerprint, so the JSON is canonical: one run, one byte string.
#[derive(Serialize)]
struct Content<'a> {
    audit_status: &'a str,
    created_at: &'a str,
    findings: Vec<&'a RunFinding>,
    git_commit: Option<&'a str>,
    index_fingerprint: Option<&'a str>,
    plan_id: i64,
    rules: &'a [RuleTotal],
    sequence: u32,
    task_number: u32,
    total_violations: usize,
}

/// The canonical JSON of `run`'s content (everything but its id and hashes).
pub fn canonical_content(run: &Run) -> String {
    let mut findings: Vec<&RunFinding> = run.findings.iter().collect();
    findings.sort();
    let content = Content {
        audit_status: run.audit_status.as_str(),
        created_at: &run.created_at,
        findings,
        git_commit: run.git_commit.as_deref(),
        index_fingerprint: run.index_fingerprint.as_deref(),
        plan_id: run.plan_id,
        rules: &run.rules,
        sequence: run.sequence,
        task_number: run.task_number,
        total_violations: run.total_violations,
    };
    // Serialising plain structs, strings and integers cannot fail.
    serde_json::to_string(&content).unwrap_or_default()
}

/// `sha256(prev_hash || canonical_content(run))`, in hex. `run.hash` and `run.prev_hash` are
/// not read: the caller says which previous hash to chain to.
pub fn run_hash(prev_hash: &str, run: &Run) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_content(run).as_bytes());
    hex(&hasher.finalize())
}

/// The run recorded for `new`, chained to `prev_hash`: the one way every [`super::PlanStore`]
/// builds a run, so that no store can hash differently. `id` is the store's row id.
pub fn chained_run(
    id: i64,
    plan_id: i64,
    task_number: u32,
    sequence: u32,
    new: &NewRun,
    prev_hash: String,
) -> Run {
    let mut run = Run {
        id,
        plan_id,
        task_number,
        sequence,
        created_at: new.created_at.clone(),
        git_commit: new.git_commit.clone(),
        index_fingerprint: new.index_fingerprint.clone(),
        total_violations: new.total_violations,
        audit_status: new.audit_status,
        rules: new.rules.clone(),
        findings: new.findings.clone(),
        prev_hash,
        hash: String::new(),
    };
    run.hash = run_hash(&run.prev_hash, &run);
    run
}

/// Why the chain breaks at a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The run's content no longer matches its hash: it was edited.
    ContentAltered,
    /// The run does not point at the hash of the run before it: a run before it was removed,
    /// inserted or rewritten.
    LinkBroken,
}

/// The result of checking a plan's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainStatus {
    /// Every run matches its hash and links to the one before.
    Intact {
        /// Runs checked.
        runs: usize,
        /// The last run's hash, if any.
        head: Option<String>,
    },
    /// Every run checks out, but the plan records more runs, or another last hash: runs at the
    /// end were removed (or the anchor was edited).
    Truncated {
        /// Runs the plan records.
        recorded_runs: u32,
        /// Runs found.
        found_runs: usize,
    },
    /// The first run where the chain breaks.
    Broken {
        /// Its row id.
        run_id: i64,
        /// Its task.
        task_number: u32,
        /// Its sequence within the task.
        sequence: u32,
        /// What is wrong.
        reason: BreakReason,
    },
}

/// Recomputes the chain over `runs` (a plan's runs in recording order).
pub fn verify_chain(runs: &[Run]) -> ChainStatus {
    let mut expected_prev = GENESIS_HASH;
    for run in runs {
        let broken = |reason| ChainStatus::Broken {
            run_id: run.id,
            task_number: run.task_number,
            sequence: run.sequence,
            reason,
        };
        if run.prev_hash != expected_prev {
            return broken(BreakReason::LinkBroken);
        }
        if run_hash(&run.prev_hash, run) != run.hash {
            return broken(BreakReason::ContentAltered);
        }
        expected_prev = &run.hash;
    }
    ChainStatus::Intact {
        runs: runs.len(),
        head: runs.last().map(|r| r.hash.clone()),
    }
}

/// [`verify_chain`], then checks the end of the chain against the plan's anchor: its recorded
/// number of runs and last hash.
pub fn verify_plan_chain(
    runs: &[Run],
    recorded_head: Option<&str>,
    recorded_runs: u32,
) -> ChainStatus {
    let status = verify_chain(runs);
    if let ChainStatus::Intact { head, .. } = &status {
        let count_matches = usize::try_from(recorded_runs).is_ok_and(|n| n == runs.len());
        if !count_matches || head.as_deref() != recorded_head {
            return ChainStatus::Truncated {
                recorded_runs,
                found_runs: runs.len(),
            };
        }
    }
    status
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;
    use crate::plan::model::AuditStatus;

    fn finding(fp: &str, line: u32) -> RunFinding {
        RunFinding {
            fingerprint: fp.into(),
            rule_id: "r".into(),
            file: "a.js".into(),
            line,
            source: "symbols".into(),
            matched: "auth0".into(),
            term: "auth0".into(),
            ..RunFinding::default()
        }
    }

    /// A chain of `n` runs of task 1, each with `n - i` findings.
    fn chain(n: usize) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for i in 0..n {
            let findings: Vec<RunFinding> = (0..n - i)
                .map(|k| finding(&format!("fp{k}"), 10 + k as u32))
                .collect();
            let mut run = Run {
                id: i as i64 + 1,
                plan_id: 1,
                task_number: 1,
                sequence: i as u32 + 1,
                created_at: format!("2026-01-0{}T00:00:00Z", i + 1),
                git_commit: Some("abc".into()),
                index_fingerprint: None,
                total_violations: findings.len(),
                audit_status: AuditStatus::Fail,
                rules: vec![RuleTotal {
                    rule_id: "r".into(),
                    violations: findings.len(),
                }],
                findings,
                prev_hash: runs
                    .last()
                    .map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone()),
                hash: String::new(),
            };
            run.hash = run_hash(&run.prev_hash, &run);
            runs.push(run);
        }
        runs
    }

    /// Applies `tamper` to a fresh chain of 3 runs and expects `expected`.
    fn check(tamper: impl FnOnce(&mut Vec<Run>), expected: Option<(i64, BreakReason)>) {
        let mut runs = chain(3);
        tamper(&mut runs);
        let got = match verify_chain(&runs) {
            ChainStatus::Intact { .. } => None,
            ChainStatus::Broken { run_id, reason, .. } => Some((run_id, reason)),
            ChainStatus::Truncated { .. } => unreachable!("verify_chain does not read the anchor"),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn an_untouched_chain_is_intact() {
        check(|_| {}, None);
        assert_eq!(
            verify_chain(&[]),
            ChainStatus::Intact {
                runs: 0,
                head: None
            }
        );
        let runs = chain(3);
        assert_eq!(
            verify_chain(&runs),
            ChainStatus::Intact {
                runs: 3,
                head: Some(runs[2].hash.clone())
            }
        );
    }

    #[test]
    fn tampering_names_the_first_broken_run() {
        use BreakReason::{ContentAltered, LinkBroken};
        check(|r| r[1].total_violations = 0, Some((2, ContentAltered)));
        check(|r| r[0].findings[0].line = 99, Some((1, ContentAltered)));
        check(
            |r| r[2].findings.pop().map(drop).unwrap_or(()),
            Some((3, ContentAltered)),
        );
        check(
            |r| r[1].audit_status = AuditStatus::Pass,
            Some((2, ContentAltered)),
        );
        check(
            |r| r[2].created_at = "2027-01-01T00:00:00Z".into(),
            Some((3, ContentAltered)),
        );
        // Deleting a run breaks the link of the next one.
        check(|r| drop(r.remove(1)), Some((3, LinkBroken)));
        // Recomputing a tampered run's own hash is not enough: the next link breaks.
        check(
            |r| {
                r[0].total_violations = 0;
                r[0].hash = run_hash(&r[0].prev_hash, &r[0]);
            },
            Some((2, LinkBroken)),
        );
        check(|r| r.swap(0, 1), Some((2, LinkBroken)));
    }

    #[test]
    fn the_anchor_catches_a_removed_last_run() {
        let runs = chain(3);
        let head = runs[2].hash.clone();
        assert!(matches!(
            verify_plan_chain(&runs, Some(&head), 3),
            ChainStatus::Intact { runs: 3, .. }
        ));
        assert_eq!(
            verify_plan_chain(&runs[..2], Some(&head), 3),
            ChainStatus::Truncated {
                recorded_runs: 3,
                found_runs: 2
            }
        );
        assert_eq!(
            verify_plan_chain(&runs, Some(&runs[1].hash), 3),
            ChainStatus::Truncated {
                recorded_runs: 3,
                found_runs: 3
            }
        );
        assert!(matches!(
            verify_plan_chain(&[], None, 0),
            ChainStatus::Intact { runs: 0, .. }
        ));
        // A broken run is reported as such, before the anchor is looked at.
        let mut broken = chain(3);
        broken[1].total_violations = 9;
        assert!(matches!(
            verify_plan_chain(&broken, Some(&head), 3),
            ChainStatus::Broken { run_id: 2, .. }
        ));
    }

    #[test]
    fn finding_order_does_not_change_the_hash() {
        let mut runs = chain(1);
        let h = run_hash(GENESIS_HASH, &runs[0]);
        runs[0].findings.reverse();
        assert_eq!(run_hash(GENESIS_HASH, &runs[0]), h);
        assert_eq!(h.len(), 64);
    }
}

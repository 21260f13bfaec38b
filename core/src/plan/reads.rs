//! `--emit-reads`: the exact line ranges an agent should read to fix the violations.
//!
//! Each violation contributes its line plus and minus a radius (5 in the CLI); ranges that
//! overlap or touch within a file are merged, so the agent reads every line once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Finding;

/// Lines `start..=end` of a file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineRange {
    /// First line, at least 1.
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
}

/// The ranges to read in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReads {
    /// Repo-relative path.
    pub file: String,
    /// Disjoint, non-adjacent ranges in line order.
    pub ranges: Vec<LineRange>,
    /// The violation lines inside those ranges, sorted and unique.
    pub lines: Vec<u32>,
}

/// Groups `findings` by file (sorted) and merges the ranges `line - radius ..= line + radius`
/// that overlap or are adjacent. Findings without a file (line 0) are skipped.
pub fn read_ranges<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    radius: u32,
) -> Vec<FileReads> {
    let mut by_file: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for f in findings {
        if f.file.is_empty() || f.line == 0 {
            continue;
        }
        by_file.entry(f.file.as_str()).or_default().push(f.line);
    }
    by_file
        .into_iter()
        .map(|(file, mut lines)| {
            lines.sort_unstable();
            lines.dedup();
            FileReads {
                file: file.to_owned(),
                ranges: merge(&lines, radius),
                lines,
            }
        })
        .collect()
}

/// Merges the windows around sorted `lines`.
fn merge(lines: &[u32], radius: u32) -> Vec<LineRange> {
    let mut ranges: Vec<LineRange> = Vec::new();
    for &line in lines {
        let next = LineRange {
            start: line.saturating_sub(radius).max(1),
            end: line.saturating_add(radius),
        };
        match ranges.last_mut() {
            Some(last) if next.start <= last.end.saturating_add(1) => {
                last.end = last.end.max(next.end)
            }
            _ => ranges.push(next),
        }
    }
    ranges
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::type_complexity)] // Tests fail loudly; case tables are tuples.
mod tests {
    use super::*;

    fn finding(file: &str, line: u32) -> Finding {
        Finding {
            file: file.into(),
            line,
            column: 1,
            end_column: 6,
            source: "symbols".into(),
            sources: vec!["symbols".into()],
            matched: "auth0".into(),
            context: String::new(),
            term: "auth0".into(),
            terms: vec!["auth0".into()],
        }
    }

    /// `lines` of one file with radius 5 give `expected` as `(start, end)` pairs.
    fn check(lines: &[u32], expected: &[(u32, u32)]) {
        let findings: Vec<Finding> = lines.iter().map(|&l| finding("a.js", l)).collect();
        let reads = read_ranges(&findings, 5);
        let got: Vec<(u32, u32)> = reads
            .first()
            .map(|r| r.ranges.iter().map(|r| (r.start, r.end)).collect())
            .unwrap_or_default();
        assert_eq!(got, expected, "lines {lines:?}");
    }

    #[test]
    fn windows_are_clamped_merged_and_ordered() {
        check(&[], &[]);
        check(&[1], &[(1, 6)]);
        check(&[3], &[(1, 8)]);
        check(&[20], &[(15, 25)]);
        check(&[20, 20], &[(15, 25)]);
        // Overlapping windows merge.
        check(&[20, 24], &[(15, 29)]);
        // Adjacent windows (25 and 26) merge too.
        check(&[20, 31], &[(15, 36)]);
        // A gap of one line keeps them apart.
        check(&[20, 32], &[(15, 25), (27, 37)]);
        // Order of the input does not matter.
        check(&[50, 10, 12], &[(5, 17), (45, 55)]);
        check(&[u32::MAX], &[(u32::MAX - 5, u32::MAX)]);
    }

    #[test]
    fn files_are_separate_and_sorted() {
        let findings = [
            finding("b.js", 10),
            finding("a.js", 10),
            finding("", 0),
            finding("b.js", 11),
        ];
        let reads = read_ranges(&findings, 5);
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[0].file, "a.js");
        assert_eq!(reads[1].file, "b.js");
        assert_eq!(reads[1].ranges, vec![LineRange { start: 5, end: 16 }]);
        assert_eq!(reads[1].lines, vec![10, 11]);
    }
}

//! Index fidelity: does an `identifiers` term find every line where the name really occurs?
//!
//! The ground truth is an independent parser: ast-grep, listing every node of the
//! identifier-like kinds of each grammar (`identifier`, `property_identifier`,
//! `type_identifier`, `field_identifier`, `package_identifier`, `shorthand_*`...). From those
//! nodes a deterministic sample of names is drawn (every k-th distinct name, plus the most
//! frequent ones); one spec with all of them as `identifiers` terms is evaluated by aud's rule
//! engine on aud's own index of the repository; and the two sets of (file, line, name) are
//! compared per language. A truth site counts when aud's term would match the node's text under
//! aud's own matching rules (case-insensitive, word boundaries), so both sides answer the same
//! question. Only files aud indexed are compared (ast-grep knows a few extensions aud skips).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use aud_core::matcher::Pattern;

/// The identifier-like node kinds of the TypeScript and TSX grammars (one node-kind set).
const TYPESCRIPT_KINDS: &[&str] = &[
    "identifier",
    "property_identifier",
    "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
    "private_property_identifier",
    "statement_identifier",
    "type_identifier",
];

/// ast-grep's language names and the identifier-like node kinds of each grammar.
const LANGUAGES: &[(&str, &str, &[&str])] = &[
    (
        "javascript",
        "JavaScript",
        &[
            "identifier",
            "property_identifier",
            "shorthand_property_identifier",
            "shorthand_property_identifier_pattern",
            "private_property_identifier",
            "statement_identifier",
        ],
    ),
    ("typescript", "TypeScript", TYPESCRIPT_KINDS),
    ("tsx", "Tsx", TYPESCRIPT_KINDS),
    ("python", "Python", &["identifier"]),
    (
        "go",
        "Go",
        &[
            "identifier",
            "field_identifier",
            "type_identifier",
            "package_identifier",
            "label_name",
        ],
    ),
    (
        "rust",
        "Rust",
        &[
            "identifier",
            "type_identifier",
            "field_identifier",
            "shorthand_field_identifier",
            // Rust's path keywords and macro metavariables name things too (`self.conn`).
            "self",
            "crate",
            "super",
            "metavariable",
        ],
    ),
];

/// Names drawn per language: every k-th distinct name up to this many...
const SAMPLE_SPREAD: usize = 250;
/// ...plus this many of the most frequent names.
const SAMPLE_FREQUENT: usize = 50;

/// One (file, line, lower-cased name).
type Site = (String, u32, String);

/// Measures the repository at `root` (already indexed by `aud index`, `.pf/repo_index.db`) and
/// returns one Markdown table row per language present, plus the misses for inspection.
pub fn measure(root: &Path, misses_out: &mut String) -> anyhow::Result<Vec<String>> {
    let db = root.join(".pf/repo_index.db");
    let index = aud_cli::index::SqliteIndex::open(&db)?;
    let indexed: HashMap<String, String> = {
        let mut stmt = index
            .connection()
            .prepare("SELECT path, language FROM files")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let repo = root.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let mut rows = Vec::new();
    for (aud_language, sg_language, kinds) in LANGUAGES {
        if !indexed.values().any(|l| l == aud_language) {
            continue;
        }
        // Every identifier-like node ast-grep sees in files aud indexed as this language.
        let nodes: Vec<(String, u32, String)> = ast_grep_nodes(root, sg_language, kinds)?
            .into_iter()
            .filter(|(file, _, _)| indexed.get(file).is_some_and(|l| l == aud_language))
            .collect();
        if nodes.is_empty() {
            continue;
        }
        let names = sample(&nodes);
        let patterns: Vec<(String, Pattern)> = names
            .iter()
            .filter_map(|n| Pattern::new(n).ok().map(|p| (n.to_lowercase(), p)))
            .collect();
        let mut truth: BTreeSet<Site> = BTreeSet::new();
        for (file, line, text) in &nodes {
            for (lower, pattern) in &patterns {
                if pattern.is_match(text) {
                    truth.insert((file.clone(), *line, lower.clone()));
                }
            }
        }
        let found = aud_sites(&index, &names, &indexed, aud_language)?;
        let hit = truth.intersection(&found).count();
        let recall = hit as f64 / truth.len().max(1) as f64;
        let precision = hit as f64 / found.len().max(1) as f64;
        for miss in truth.difference(&found).take(15) {
            writeln!(
                misses_out,
                "{repo} {aud_language} missed {}:{} {}",
                miss.0, miss.1, miss.2
            )?;
        }
        for extra in found.difference(&truth).take(15) {
            writeln!(
                misses_out,
                "{repo} {aud_language} extra {}:{} {}",
                extra.0, extra.1, extra.2
            )?;
        }
        rows.push(format!(
            "| {repo} | {aud_language} | {} | {} | {} | {} | {recall:.4} | {precision:.4} |",
            nodes.len(),
            names.len(),
            truth.len(),
            found.len(),
        ));
    }
    Ok(rows)
}

/// (file, 1-based line, text) of every node of `kinds` in `language`, from `ast-grep scan`.
fn ast_grep_nodes(
    root: &Path,
    language: &str,
    kinds: &[&str],
) -> anyhow::Result<Vec<(String, u32, String)>> {
    let bin = std::env::var_os("AST_GREP").unwrap_or_else(|| "ast-grep".into());
    let mut rule = format!("id: names\nlanguage: {language}\nrule:\n  any:\n");
    for kind in kinds {
        writeln!(rule, "    - kind: {kind}")?;
    }
    let out = Command::new(&bin)
        .current_dir(root)
        .args(["scan", "--inline-rules", &rule, "--json=stream", "."])
        .stderr(Stdio::inherit())
        .output()
        .context("running ast-grep (npm install -g @ast-grep/cli)")?;
    if !out.status.success() {
        bail!("ast-grep scan failed for {language}");
    }
    let mut nodes = Vec::new();
    for line in out.stdout.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(line)?;
        let file = value["file"].as_str().unwrap_or_default();
        let file = file.strip_prefix("./").unwrap_or(file).to_owned();
        let row = value["range"]["start"]["line"].as_u64().unwrap_or(0);
        let text = value["text"].as_str().unwrap_or_default().to_owned();
        nodes.push((file, u32::try_from(row + 1).unwrap_or(u32::MAX), text));
    }
    Ok(nodes)
}

/// A deterministic sample of names: every k-th distinct name (spread over the alphabet, mostly
/// rare names) and the most frequent names (`self`, `req`, `ctx`...).
fn sample(nodes: &[(String, u32, String)]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, text) in nodes {
        // Names only: ast-grep's text of a node is the name (a `#private` keeps its `#`).
        let name = text.trim_start_matches('#');
        if !name.is_empty() {
            *counts.entry(name).or_default() += 1;
        }
    }
    let distinct: Vec<&str> = counts.keys().copied().collect();
    let step = (distinct.len() / SAMPLE_SPREAD).max(1);
    let mut names: BTreeSet<String> = distinct
        .iter()
        .step_by(step)
        .map(|n| (*n).to_owned())
        .collect();
    let mut by_count: Vec<(&str, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    names.extend(
        by_count
            .iter()
            .take(SAMPLE_FREQUENT)
            .map(|(n, _)| (*n).to_owned()),
    );
    // Case-insensitive matching makes `Session` and `session` one term.
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|n| seen.insert(n.to_lowercase()))
        .collect()
}

/// (file, line, lower-cased term) of every finding of one `identifiers` spec holding `names`,
/// limited to files of `language`.
fn aud_sites(
    index: &aud_cli::index::SqliteIndex,
    names: &[String],
    indexed: &HashMap<String, String>,
    language: &str,
) -> anyhow::Result<BTreeSet<Site>> {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("'{}'", n.replace('\'', "''")))
        .collect();
    // One rule per name: a site found by two terms of one rule is one finding, and each name
    // must be answered on its own.
    let mut yaml = String::from("refactor_name: fidelity\nrules:\n");
    for (i, name) in quoted.iter().enumerate() {
        writeln!(
            yaml,
            "  - id: n{i}\n    description: sampled name\n    match:\n      identifiers: [{name}]"
        )?;
    }
    let spec = aud_core::spec::Spec::parse("fidelity.yaml", &yaml)
        .map_err(|e| anyhow::anyhow!("fidelity spec: {e:?}"))?;
    let evaluation = aud_core::engine::evaluate(&spec, index)?;
    let mut found = BTreeSet::new();
    for rule in &evaluation.rules {
        for f in &rule.violations {
            if indexed.get(&f.file).is_some_and(|l| l == language) {
                found.insert((f.file.clone(), f.line, f.term.to_lowercase()));
            }
        }
    }
    Ok(found)
}

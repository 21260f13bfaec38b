//! Turning one source file into [`FileRows`]: language detection, parsing, and what the
//! per-language extractors share.
//!
//! Extraction is a pure function of the file's path and text, so it runs on any thread and in
//! the WASI sandbox alike. tree-sitter recovers from syntax errors; the extractors then walk
//! whatever tree it built, skipping `ERROR` nodes' odd shapes without ever panicking.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;
use tree_sitter::{Node, Parser, Tree};

use crate::lang::{go, js, python, rust};
use crate::rows::FileRows;
use crate::syntax::{NameKinds, Out, collect_names};

/// The languages the indexer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// `.js .mjs .cjs .jsx`
    JavaScript,
    /// `.ts .mts .cts`
    TypeScript,
    /// `.tsx`
    Tsx,
    /// `.py`
    Python,
    /// `.go`
    Go,
    /// `.rs`
    Rust,
}

impl Language {
    /// The language of a file, from its extension; `None` for files the indexer ignores.
    pub fn from_extension(ext: &str) -> Option<Language> {
        match ext {
            "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            "py" => Some(Language::Python),
            "go" => Some(Language::Go),
            "rs" => Some(Language::Rust),
            _ => None,
        }
    }

    /// The name stored in `files.language`.
    pub fn name(self) -> &'static str {
        match self {
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Python => "python",
            Language::Go => "go",
            Language::Rust => "rust",
        }
    }

    fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        }
    }
}

/// The result of extracting one file.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    /// The rows, sorted.
    pub rows: FileRows,
    /// How many syntax errors tree-sitter recovered from (0: the file parsed cleanly).
    pub syntax_errors: u32,
    /// Whether nesting deeper than the extractors descend left parts of the file out.
    pub partial: bool,
    /// Whether the file would take more memory than the budget: then `rows` is empty and the
    /// file must be skipped.
    pub over_budget: bool,
}

/// The default per-file memory budget of [`extract_within`], in bytes: far above what any
/// source file within the default size limit needs.
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;

/// What parsing is counted to take per token of the source, in bytes: a run's peak memory
/// was measured at about 230 bytes per token both for 5 MB of `x+x+…` (the densest tree a
/// grammar builds) and for 5 MB of ordinary JavaScript (nodes, the parse stack, the rows);
/// rounded up.
const TREE_BYTES_PER_TOKEN: u64 = 256;

/// Parses `text` as `language` and extracts every row. `path` is repo-relative with `/`; it
/// only matters for path-sensitive rules (Django routes live in `urls.py`).
pub fn extract(path: &str, language: Language, text: &str) -> Extraction {
    extract_within(path, language, text, DEFAULT_MEMORY_BUDGET)
}

/// [`extract`] within a memory budget of `budget` bytes for the syntax tree and the rows
/// together. The tree's share is estimated from the tokens before parsing, the rows are
/// counted as they are recorded; a file over the budget yields `over_budget` and no rows.
pub fn extract_within(path: &str, language: Language, text: &str, budget: u64) -> Extraction {
    let tree_bytes = estimated_tree_bytes(text);
    let Some(rows_budget) = budget.checked_sub(tree_bytes) else {
        return Extraction {
            over_budget: true,
            ..Extraction::default()
        };
    };
    let Some(tree) = parse(language, text) else {
        // tree-sitter only gives up on cancellation or a grammar version mismatch.
        return Extraction {
            rows: FileRows::default(),
            syntax_errors: 1,
            ..Extraction::default()
        };
    };
    let root = tree.root_node();
    let mut out = Out::new(text);
    out.set_budget(usize::try_from(rows_budget).unwrap_or(usize::MAX));
    match language {
        Language::Python => python::extract(&mut out, root, path),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            js::extract(&mut out, root, path);
        }
        Language::Go => go::extract(&mut out, root),
        Language::Rust => rust::extract(&mut out, root),
    }
    if out.over_budget {
        return Extraction {
            over_budget: true,
            ..Extraction::default()
        };
    }
    let partial = out.partial.get();
    let mut rows = out.rows;
    rows.names = NAME_KINDS.with(|kinds| {
        let mut kinds = kinds.borrow_mut();
        let kinds = kinds
            .entry(language)
            .or_insert_with(|| NameKinds::new(&language.grammar()));
        collect_names(kinds, root, text)
    });
    rows.sort();
    Extraction {
        rows,
        syntax_errors: count_errors(root),
        partial,
        over_budget: false,
    }
}

/// What the syntax tree of `text` is counted to take: [`TREE_BYTES_PER_TOKEN`] per token,
/// a token being a run of word characters or any other character that is not white space
/// (an over-count inside strings and comments, which keeps the estimate an upper bound).
fn estimated_tree_bytes(text: &str) -> u64 {
    let mut tokens: u64 = 0;
    let mut in_word = false;
    for byte in text.bytes() {
        let word = byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80;
        if word {
            if !in_word {
                tokens += 1;
            }
        } else if !byte.is_ascii_whitespace() {
            tokens += 1;
        }
        in_word = word;
    }
    tokens
        .saturating_add(1)
        .saturating_mul(TREE_BYTES_PER_TOKEN)
}

thread_local! {
    /// One parser per language and thread, its grammar set once: extraction threads reuse them
    /// for every file instead of building a parser per file.
    static PARSERS: RefCell<HashMap<Language, Parser>> = RefCell::new(HashMap::new());
    /// Which node kinds of each grammar are names, computed once per language and thread.
    static NAME_KINDS: RefCell<HashMap<Language, NameKinds>> = RefCell::new(HashMap::new());
}

fn parse(language: Language, text: &str) -> Option<Tree> {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = match parsers.entry(language) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let mut parser = Parser::new();
                parser.set_language(&language.grammar()).ok()?;
                entry.insert(parser)
            }
        };
        let tree = parser.parse(text, None);
        if tree.is_none() {
            // A parse that gave up leaves state behind; the next file starts clean.
            parser.reset();
        }
        tree
    })
}

fn count_errors(root: Node<'_>) -> u32 {
    if !root.has_error() {
        return 0;
    }
    let mut count = 0;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
            continue;
        }
        if node.has_error() {
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
    }
    count.max(1)
}

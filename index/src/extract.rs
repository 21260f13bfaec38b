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
use crate::syntax::Out;

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
}

/// Parses `text` as `language` and extracts every row. `path` is repo-relative with `/`; it
/// only matters for path-sensitive rules (Django routes live in `urls.py`).
pub fn extract(path: &str, language: Language, text: &str) -> Extraction {
    let Some(tree) = parse(language, text) else {
        // tree-sitter only gives up on cancellation or a grammar version mismatch.
        return Extraction {
            rows: FileRows::default(),
            syntax_errors: 1,
        };
    };
    let root = tree.root_node();
    let mut out = Out::new(text);
    match language {
        Language::Python => python::extract(&mut out, root, path),
        Language::JavaScript | Language::TypeScript | Language::Tsx => js::extract(&mut out, root),
        Language::Go => go::extract(&mut out, root),
        Language::Rust => rust::extract(&mut out, root),
    }
    let mut rows = out.rows;
    rows.sort();
    Extraction {
        rows,
        syntax_errors: count_errors(root),
    }
}

thread_local! {
    /// One parser per language and thread, its grammar set once: extraction threads reuse them
    /// for every file instead of building a parser per file.
    static PARSERS: RefCell<HashMap<Language, Parser>> = RefCell::new(HashMap::new());
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

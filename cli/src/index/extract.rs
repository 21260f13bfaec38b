//! Turning one source file into [`FileRows`]: language detection, parsing, and what the
//! per-language extractors share.
//!
//! Extraction is a pure function of the file's path and text, so it runs on any thread and in
//! the WASI sandbox alike. tree-sitter recovers from syntax errors; the extractors then walk
//! whatever tree it built, skipping `ERROR` nodes' odd shapes without ever panicking.

use std::collections::HashSet;

use serde::Serialize;
use tree_sitter::{Node, Parser, Tree};

use super::rows::{Assignment, CallArg, FileRows, SqlQuery, Symbol, Usage};
use super::{js, python, sql};

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
}

impl Language {
    /// The language of a file, from its extension; `None` for files the indexer ignores.
    pub fn from_extension(ext: &str) -> Option<Language> {
        match ext {
            "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            "py" => Some(Language::Python),
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
        }
    }

    fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
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
    }
    let mut rows = out.rows;
    rows.sort();
    Extraction {
        rows,
        syntax_errors: count_errors(root),
    }
}

fn parse(language: Language, text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language.grammar()).ok()?;
    parser.parse(text, None)
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

/// How deep the extractors recurse before they stop descending. Real code never comes near;
/// generated or hostile input must not overflow the stack.
pub const MAX_DEPTH: usize = 400;

/// The longest expression text stored, in bytes; longer text is cut at a character boundary and
/// ends with `…`. Keeps huge inline callbacks from bloating the index.
const MAX_EXPR_BYTES: usize = 1000;

/// The extraction state shared by the language walkers.
pub struct Out<'a> {
    /// The source text.
    pub src: &'a str,
    /// The rows so far.
    pub rows: FileRows,
    /// The enclosing function names, innermost last; empty at module level.
    pub functions: Vec<String>,
    /// The enclosing class names, innermost last.
    pub classes: Vec<String>,
    /// String nodes already considered as part of a larger concatenation.
    pub strings_done: HashSet<usize>,
}

impl<'a> Out<'a> {
    fn new(src: &'a str) -> Self {
        Out {
            src,
            rows: FileRows::default(),
            functions: Vec::new(),
            classes: Vec::new(),
            strings_done: HashSet::new(),
        }
    }

    /// The node's source text ("" if it does not fall on character boundaries).
    pub fn text(&self, node: Node<'_>) -> &'a str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    /// The node's text with runs of whitespace collapsed, capped in length.
    pub fn expr(&self, node: Node<'_>) -> String {
        let text = self.text(node);
        let mut out = String::with_capacity(text.len().min(MAX_EXPR_BYTES + 4));
        let mut space = false;
        for c in text.chars() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            if out.len() >= MAX_EXPR_BYTES {
                out.push('…');
                break;
            }
            out.push(c);
        }
        out
    }

    /// The enclosing function, or `global`.
    pub fn in_function(&self) -> String {
        self.functions
            .last()
            .cloned()
            .unwrap_or_else(|| "global".to_owned())
    }

    /// Records a declared name at `name_node`; `span` is the whole declaration.
    pub fn symbol(&mut self, name_node: Node<'_>, span: Node<'_>, name: String, kind: &str) {
        if name.is_empty() {
            return;
        }
        let parent = self
            .classes
            .last()
            .filter(|_| matches!(kind, "method" | "property"))
            .or(self.functions.last())
            .cloned();
        self.rows.symbols.push(Symbol {
            line: line(name_node),
            col: col(name_node),
            name,
            kind: kind.to_owned(),
            end_line: end_line(span),
            end_col: end_col(span),
            parent,
        });
    }

    /// Records an assignment of `source` to `target` at `node`.
    pub fn assignment(&mut self, node: Node<'_>, target: String, source: String) {
        if target.is_empty() {
            return;
        }
        let in_function = self.in_function();
        self.rows.assignments.push(Assignment {
            line: line(node),
            col: col(node),
            target_var: target,
            source_expr: source,
            in_function,
        });
    }

    /// The qualified name of a function declared here: `Class.method` inside a class.
    pub fn qualified(&self, name: &str) -> String {
        match self.classes.last() {
            Some(class) => format!("{class}.{name}"),
            None => name.to_owned(),
        }
    }

    /// Records a read or write of `name` at `node`.
    pub fn usage(&mut self, node: Node<'_>, name: String, usage_type: &'static str) {
        if name.is_empty() {
            return;
        }
        let in_function = self.in_function();
        self.rows.variable_usage.push(Usage {
            line: line(node),
            col: col(node),
            variable_name: name,
            usage_type,
            in_function,
        });
    }

    /// Records a call: one row per argument, or one row with no argument.
    pub fn call(&mut self, node: Node<'_>, callee: String, args: &[Node<'_>]) {
        if callee.is_empty() {
            return;
        }
        let caller = self.in_function();
        let (line, col) = (line(node), col(node));
        if args.is_empty() {
            self.rows.function_call_args.push(CallArg {
                line,
                col,
                caller_function: caller,
                callee_function: callee,
                argument_index: None,
                argument_expr: None,
            });
            return;
        }
        for (index, arg) in args.iter().enumerate() {
            let argument_expr = self.expr(*arg);
            self.rows.function_call_args.push(CallArg {
                line,
                col,
                caller_function: caller.clone(),
                callee_function: callee.clone(),
                argument_index: Some(u32::try_from(index).unwrap_or(u32::MAX)),
                argument_expr: Some(argument_expr),
            });
        }
    }

    /// Records `text` (a literal's static text) as a query if it is SQL.
    pub fn maybe_sql(&mut self, node: Node<'_>, text: &str) {
        if text.len() < 8 {
            return;
        }
        if let Some(found) = sql::detect(text) {
            self.rows.sql_queries.push(SqlQuery {
                line: line(node),
                query_text: text.trim().to_owned(),
                command: found.command,
                parse_ok: found.parse_ok,
                tables: found.tables,
            });
        }
    }
}

/// 1-based line of the node's start.
pub fn line(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

/// 0-based column (bytes) of the node's start.
pub fn col(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().column).unwrap_or(u32::MAX)
}

/// 1-based line of the node's end.
pub fn end_line(node: Node<'_>) -> u32 {
    u32::try_from(node.end_position().row + 1).unwrap_or(u32::MAX)
}

/// 0-based column of the node's end.
pub fn end_col(node: Node<'_>) -> u32 {
    u32::try_from(node.end_position().column).unwrap_or(u32::MAX)
}

/// The node's named children, comments left out.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The node's children (named or not).
pub fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// Resolves the common backslash escapes of a string literal (`\'`, `\"`, `\\`, `\n`, `\t`,
/// `\r`) so that a query reads as the driver receives it. Other escapes stay as written.
pub fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(q @ ('\'' | '"' | '\\' | '`')) => out.push(q),
            // A line continuation joins the lines.
            Some('\n') => {}
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

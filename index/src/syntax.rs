//! The shared syntax kit: what every language walker uses to turn a tree-sitter tree into rows.
//!
//! [`Out`] collects one file's rows and knows the enclosing function and class; the free
//! functions read positions, strings and children of nodes. This module imports no language
//! walker; every walker imports it.

use std::cell::Cell;
use std::collections::HashSet;

use tree_sitter::Node;

use crate::rows::{Assignment, CallArg, FileRows, SqlQuery, Symbol, Usage};
use crate::sql;

/// How deep the extractors recurse before they stop descending. Real code never comes near;
/// generated or hostile input must not overflow the stack (the WASI module's is 1 MiB). Where
/// the bound cuts, [`Out::too_deep`] marks the file partially indexed.
pub const MAX_DEPTH: usize = 400;

/// The longest expression text stored, in bytes; longer text is cut at a character boundary and
/// ends with `…`. Keeps huge inline callbacks from bloating the index.
const MAX_EXPR_BYTES: usize = 1000;

/// What a row's copy of the enclosing function's name is counted as, in bytes.
const FUNCTION_BYTES: usize = 32;

/// The longest argument list kept in a fluent callee (`a.b(x).c`); longer ones become `(…)`.
const MAX_CALLEE_ARGS: usize = 60;

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
    /// Names a walker knows hold a router (`const api = express.Router()`), whatever they
    /// are called.
    pub routers: HashSet<String>,
    /// Set when a depth bound stopped extraction short of some node: the file is partial.
    pub partial: Cell<bool>,
    /// Bytes the rows may still take (the per-file memory budget); see [`Out::spend`].
    budget: usize,
    /// Set when the rows outgrew the budget: no more rows are recorded.
    pub over_budget: bool,
}

impl<'a> Out<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Out {
            src,
            rows: FileRows::default(),
            functions: Vec::new(),
            classes: Vec::new(),
            strings_done: HashSet::new(),
            routers: HashSet::new(),
            partial: Cell::new(false),
            budget: usize::MAX,
            over_budget: false,
        }
    }

    /// Limits the bytes the rows may take.
    pub(crate) fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
    }

    /// Whether `depth` is past [`MAX_DEPTH`]; if so the file is marked partial, since the
    /// caller will not descend.
    pub fn too_deep(&self, depth: usize) -> bool {
        let deep = depth > MAX_DEPTH;
        if deep {
            self.partial.set(true);
        }
        deep
    }

    /// Takes `bytes` (a row about to be recorded) from the budget; `false` once it is spent,
    /// and from then on.
    fn spend(&mut self, bytes: usize) -> bool {
        match self.budget.checked_sub(bytes) {
            Some(left) if !self.over_budget => {
                self.budget = left;
                true
            }
            _ => {
                self.over_budget = true;
                false
            }
        }
    }

    /// The node's source text ("" if it does not fall on character boundaries).
    pub fn text(&self, node: Node<'_>) -> &'a str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    /// The node's text with runs of whitespace collapsed, capped in length.
    pub fn expr(&self, node: Node<'_>) -> String {
        self.expr_of(node.byte_range())
    }

    /// The text of a byte range, like [`Out::expr`] (a macro argument spanning several tokens).
    pub fn expr_of(&self, range: std::ops::Range<usize>) -> String {
        let text = self.src.get(range).unwrap_or("");
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
        if name.is_empty() || !self.spend(size_of::<Symbol>() + name.len()) {
            return;
        }
        let parent = self
            .classes
            .last()
            .filter(|_| matches!(kind, "method" | "property" | "variant"))
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
        if target.is_empty()
            || !self.spend(size_of::<Assignment>() + target.len() + source.len() + FUNCTION_BYTES)
        {
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
        if name.is_empty() || !self.spend(size_of::<Usage>() + name.len() + FUNCTION_BYTES) {
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
        if self.over_budget {
            return;
        }
        let args: Vec<String> = args.iter().map(|arg| self.expr(*arg)).collect();
        self.call_exprs(node, callee, args);
    }

    /// Records a call whose arguments are given as text (a macro's tokens, split at commas).
    pub fn call_exprs(&mut self, node: Node<'_>, callee: String, args: Vec<String>) {
        let row = size_of::<CallArg>() + callee.len() + FUNCTION_BYTES;
        let cost = args.iter().map(|a| row + a.len()).sum::<usize>().max(row);
        if callee.is_empty() || !self.spend(cost) {
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
        for (index, argument_expr) in args.into_iter().enumerate() {
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
        if text.len() < 8 || self.over_budget {
            return;
        }
        if let Some(found) = sql::detect(text)
            && self.spend(
                size_of::<SqlQuery>()
                    + text.len()
                    + found.tables.iter().map(|t| t.len() + 24).sum::<usize>(),
            )
        {
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

impl Out<'_> {
    /// `"SELECT ..." + x + "..."` (a `binary_expression` chain, as JavaScript and Go write it):
    /// the concatenation as one candidate query, non-literal parts as placeholders. `literal`
    /// gives the value of a part that is a string literal. Only the outermost `+` of a chain is
    /// considered; its literals are then not considered again one by one.
    pub fn concatenation(
        &mut self,
        node: Node<'_>,
        literal: impl Fn(&Out<'_>, Node<'_>) -> Option<String>,
    ) {
        if !self.is_plus(node) || node.parent().is_some_and(|p| self.is_plus(p)) {
            return;
        }
        let mut parts = Vec::new();
        self.flatten_plus(node, &mut parts);
        let values: Vec<Option<String>> = parts.iter().map(|p| literal(self, *p)).collect();
        if values.iter().all(Option::is_none) {
            return;
        }
        let mut text = String::new();
        for value in &values {
            text.push_str(value.as_deref().unwrap_or("?"));
        }
        let sql_found = self.rows.sql_queries.len();
        self.maybe_sql(node, &text);
        if self.rows.sql_queries.len() > sql_found {
            for part in parts {
                self.strings_done.insert(part.id());
            }
        }
    }

    fn is_plus(&self, node: Node<'_>) -> bool {
        node.kind() == "binary_expression"
            && node
                .child_by_field_name("operator")
                .is_some_and(|op| self.text(op) == "+")
    }

    /// The operands of a `+` chain, left to right, looking through parentheses. Iterative:
    /// a chain of any length costs no stack.
    fn flatten_plus<'t>(&self, node: Node<'t>, parts: &mut Vec<Node<'t>>) {
        let mut stack = vec![node];
        while let Some(node) = stack.pop() {
            if self.is_plus(node) {
                // Right first, so that the left side is taken first.
                stack.extend(node.child_by_field_name("right"));
                stack.extend(node.child_by_field_name("left"));
            } else if node.kind() == "parenthesized_expression" {
                match node.named_child(0) {
                    Some(inner) if self.is_plus(inner) => stack.push(inner),
                    _ => parts.push(node),
                }
            } else {
                parts.push(node);
            }
        }
    }
}

/// How a grammar spells a member access (`a.b`): the node kind and its two fields.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// `member_expression` (JavaScript), `selector_expression` (Go), `field_expression` (Rust).
    pub kind: &'static str,
    /// The field holding the object (`a`).
    pub object: &'static str,
    /// The field holding the member's name (`b`).
    pub property: &'static str,
}

impl Out<'_> {
    /// The callee of a call as written, without the line breaks of a fluent chain
    /// (`router.route('/x').get`, not `router.route('/x')\n  .get`). `chain` names a plain
    /// identifier or member chain; calls in the chain keep their arguments as written.
    /// Iterative: it walks down the chain collecting each link's suffix, then writes the base
    /// and the suffixes; past [`MAX_DEPTH`] links (counting from `depth`) the rest of the
    /// chain is written as text and the file marked partial.
    pub fn callee_text(
        &self,
        func: Node<'_>,
        member: Member,
        chain: &dyn Fn(&Out<'_>, Node<'_>) -> Option<String>,
        depth: usize,
    ) -> String {
        let mut suffixes: Vec<String> = Vec::new();
        let mut func = func;
        let mut depth = depth;
        let base = loop {
            if let Some(name) = chain(self, func) {
                break name;
            }
            let link = match func.kind() {
                kind if kind == member.kind => {
                    match (
                        func.child_by_field_name(member.object),
                        func.child_by_field_name(member.property),
                    ) {
                        (Some(object), Some(property)) => {
                            Some((object, format!(".{}", self.text(property))))
                        }
                        _ => None,
                    }
                }
                "call_expression" => match (
                    func.child_by_field_name("function"),
                    func.child_by_field_name("arguments"),
                ) {
                    (Some(inner), Some(args)) => {
                        // Long arguments (closures, queries) are elided: the callee stays a
                        // name to search.
                        let args = self.expr(args);
                        let args = if args.len() > MAX_CALLEE_ARGS {
                            "(…)".to_owned()
                        } else {
                            args
                        };
                        Some((inner, args))
                    }
                    _ => None,
                },
                // Rust: `conn.query(x)?.rows`, `fetch().await.json`.
                "try_expression" => func.named_child(0).map(|inner| (inner, "?".to_owned())),
                "await_expression" => func
                    .named_child(0)
                    .map(|inner| (inner, ".await".to_owned())),
                _ => None,
            };
            match link {
                Some((inner, suffix)) if !self.too_deep(depth) => {
                    suffixes.push(suffix);
                    func = inner;
                    depth += 1;
                }
                _ => break self.callee_base(func),
            }
        };
        let mut text = base;
        for suffix in suffixes.iter().rev() {
            text.push_str(suffix);
        }
        text
    }

    /// The text of the innermost part of a callee that is no link of a chain.
    fn callee_base(&self, func: Node<'_>) -> String {
        // `sqlx::query!(...).execute`: a long macro call is its name.
        if func.kind() == "macro_invocation"
            && self.text(func).len() > MAX_CALLEE_ARGS
            && let Some(inner) = func.named_child(0)
        {
            return format!("{}!(…)", self.expr(inner));
        }
        let text = self.expr(func);
        if text.len() <= MAX_CALLEE_ARGS {
            return text;
        }
        // A long literal or closure called or used as a receiver: `Test{…}.Run`, `(…)()`.
        match func
            .child_by_field_name("type")
            .or_else(|| func.child_by_field_name("name"))
        {
            Some(name) if matches!(func.kind(), "composite_literal" | "struct_expression") => {
                format!("{}{{…}}", self.expr(name))
            }
            _ => "(…)".to_owned(),
        }
    }
}

/// The text inside matching quotes (`"`, `'` or a backtick), else the text itself.
pub fn strip_quotes(text: &str) -> &str {
    let mut chars = text.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if a == b && matches!(a, '"' | '\'' | '`') => chars.as_str(),
        _ => text,
    }
}

/// Joins a router prefix and a route path with exactly one `/` between them.
pub fn join_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        return path.to_owned();
    }
    if path.is_empty() {
        return prefix.to_owned();
    }
    format!(
        "{}/{}",
        prefix.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
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

/// What an identifier-like node is, as recorded in `name_sites` and shown as a finding's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NameRole {
    /// Any other use of the name.
    Reference = 0,
    /// The name a declaration declares (the `name` field of its parent node).
    Declaration = 1,
    /// A function, method, closure or lambda parameter.
    Parameter = 2,
    /// A property, object key, field, JSX attribute or member name.
    Property = 3,
    /// A type name (annotation, generic, bound, type declaration).
    Type = 4,
    /// A name in an import, re-export or `use`.
    Import = 5,
}

impl NameRole {
    /// Every role, by its number.
    pub const ALL: [NameRole; 6] = [
        NameRole::Reference,
        NameRole::Declaration,
        NameRole::Parameter,
        NameRole::Property,
        NameRole::Type,
        NameRole::Import,
    ];

    /// The role's word, as a finding's context shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            NameRole::Reference => "reference",
            NameRole::Declaration => "declaration",
            NameRole::Parameter => "parameter",
            NameRole::Property => "property",
            NameRole::Type => "type",
            NameRole::Import => "import",
        }
    }

    /// The role stored as `number`, if any.
    pub fn from_u8(number: u8) -> Option<NameRole> {
        NameRole::ALL.get(usize::from(number)).copied()
    }
}

/// One occurrence of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NameSite {
    /// 1-based line.
    pub line: u32,
    /// 0-based column in bytes.
    pub col: u32,
    /// What the occurrence is.
    pub role: NameRole,
}

/// Every occurrence of one name in one file, in source order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NameGroup {
    /// The name as written.
    pub name: String,
    /// Its occurrences, sorted by line and column.
    pub sites: Vec<NameSite>,
}

impl serde::Serialize for NameGroup {
    /// One compact line per name in snapshots: `draggingElement 3:10 property, 7:2 reference`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = self.name.clone();
        for (i, site) in self.sites.iter().enumerate() {
            text.push_str(if i == 0 { " " } else { ", " });
            text.push_str(&format!(
                "{}:{} {}",
                site.line,
                site.col,
                site.role.as_str()
            ));
        }
        serializer.serialize_str(&text)
    }
}

/// Which node kinds of a grammar are names, and how their parents classify them; computed once
/// per grammar from its node-kind table.
#[derive(Debug)]
pub struct NameKinds {
    /// Per kind id: the base role of a name node of this kind, `None` for kinds that are not
    /// names.
    name: Vec<Option<NameRole>>,
    /// Per kind id: the role a name directly inside a node of this kind takes, if the parent
    /// decides it (parameters, imports).
    parent: Vec<Option<NameRole>>,
    /// Per kind id: whether the node's `name` field is the name it declares.
    declares: Vec<bool>,
}

impl NameKinds {
    /// Classifies every node kind of `grammar`.
    pub fn new(grammar: &tree_sitter::Language) -> NameKinds {
        let count = grammar.node_kind_count();
        let mut name = vec![None; count];
        let mut parent = vec![None; count];
        let mut declares = vec![false; count];
        for id in 0..count {
            let Ok(kind_id) = u16::try_from(id) else {
                break;
            };
            let Some(kind) = grammar.node_kind_for_id(kind_id) else {
                continue;
            };
            let named = grammar.node_kind_is_named(kind_id);
            name[id] = named.then(|| name_kind_role(kind)).flatten();
            parent[id] = parent_kind_role(kind);
            declares[id] = [
                "declaration",
                "definition",
                "declarator",
                "_item",
                "_spec",
                "signature",
                "variant",
                "class",
                "function",
                "method",
                "enum_member",
                "alias",
            ]
            .iter()
            .any(|part| kind.contains(part))
                && !kind.contains("call");
        }
        NameKinds {
            name,
            parent,
            declares,
        }
    }

    fn name_role(&self, kind_id: u16) -> Option<NameRole> {
        self.name.get(usize::from(kind_id)).copied().flatten()
    }

    fn declares(&self, kind_id: u16) -> bool {
        self.declares
            .get(usize::from(kind_id))
            .copied()
            .unwrap_or(false)
    }

    fn parent_role(&self, kind_id: u16) -> Option<NameRole> {
        self.parent.get(usize::from(kind_id)).copied().flatten()
    }
}

/// The base role of a leaf node kind that is a name in some grammar, else `None`. The same
/// kinds an independent parser counts as identifier-like (`identifier`, `property_identifier`,
/// `type_identifier`, `field_identifier`, `package_identifier`, `shorthand_*`...), plus Rust's
/// path keywords and macro metavariables and Go's labels.
fn name_kind_role(kind: &str) -> Option<NameRole> {
    match kind {
        "identifier"
        | "package_identifier"
        | "statement_identifier"
        | "label_name"
        | "self"
        | "crate"
        | "super"
        | "metavariable" => Some(NameRole::Reference),
        "type_identifier" => Some(NameRole::Type),
        "property_identifier"
        | "private_property_identifier"
        | "field_identifier"
        | "shorthand_property_identifier"
        | "shorthand_property_identifier_pattern"
        | "shorthand_field_identifier" => Some(NameRole::Property),
        _ if kind.ends_with("_identifier")
            && !kind.starts_with("nested_")
            && !kind.starts_with("scoped_") =>
        {
            Some(NameRole::Reference)
        }
        _ => None,
    }
}

/// The role a parent kind gives the names directly inside it.
fn parent_kind_role(kind: &str) -> Option<NameRole> {
    if kind.contains("import") || kind.starts_with("use_") || kind.contains("export_specifier") {
        Some(NameRole::Import)
    } else if kind.contains("parameter") {
        Some(NameRole::Parameter)
    } else {
        None
    }
}

/// Every identifier-like node of the tree, grouped by name. Iterative (a cursor and a stack of
/// ancestor kinds), so nesting depth costs heap, never the call stack.
pub fn collect_names(kinds: &NameKinds, root: Node<'_>, src: &str) -> Vec<NameGroup> {
    let mut by_name: std::collections::HashMap<&str, Vec<NameSite>> =
        std::collections::HashMap::new();
    let mut cursor = root.walk();
    // Kind ids of the current node's ancestors, innermost last.
    let mut ancestors: Vec<u16> = Vec::new();
    loop {
        let node = cursor.node();
        if let Some(base) = kinds.name_role(node.kind_id())
            && node.child_count() == 0
            && let Some(text) = src.get(node.byte_range())
            && !text.is_empty()
        {
            let from_parent = ancestors
                .iter()
                .rev()
                .take(2)
                .find_map(|&k| kinds.parent_role(k));
            let role = match from_parent {
                Some(NameRole::Import) => NameRole::Import,
                Some(NameRole::Parameter) if base != NameRole::Type => NameRole::Parameter,
                _ if cursor.field_name() == Some("name")
                    && ancestors.last().is_some_and(|&k| kinds.declares(k)) =>
                {
                    NameRole::Declaration
                }
                _ => base,
            };
            by_name.entry(text).or_default().push(NameSite {
                line: line(node),
                col: col(node),
                role,
            });
        }
        if cursor.goto_first_child() {
            ancestors.push(node.kind_id());
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                let mut groups: Vec<NameGroup> = by_name
                    .into_iter()
                    .map(|(name, mut sites)| {
                        sites.sort();
                        NameGroup {
                            name: name.to_owned(),
                            sites,
                        }
                    })
                    .collect();
                groups.sort();
                return groups;
            }
            ancestors.pop();
        }
    }
}

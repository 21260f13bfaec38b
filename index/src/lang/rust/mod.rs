//! Extraction from Rust syntax trees.
//!
//! Besides names, reads, writes, calls and SQL (plain and raw strings, also inside macro
//! arguments such as `sqlx::query!`), this module knows the routing conventions of axum
//! (`.route("/x", get(h).post(g))`, `.nest("/api", router)`, `.merge(router)`) and actix-web
//! (`#[get("/x")]`, `web::resource("/x").route(web::get().to(h))`, `web::scope("/api")`,
//! `.service(handler)`); Rocket's attribute routes are read like actix-web's. Prefixes are
//! resolved within a file, through inline nesting, variables and functions returning routers.
//!
//! Macro arguments are token trees, not expressions: calls, reads and strings in them are
//! recognised from the token sequence (`a.b(c)`, `x::y`, `"..."`).

use tree_sitter::Node;

use crate::rows::{Endpoint, Ref};
use crate::syntax::{MAX_DEPTH, Member, Out, children, join_path, line, named_children, unescape};

/// How Rust spells `a.b`.
const MEMBER: Member = Member {
    kind: "field_expression",
    object: "value",
    property: "field",
};

/// Route functions (axum's `get(h)`, actix-web's `web::get()`) and attribute macros.
const ROUTE_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect",
];

/// Words that are keywords, not names, when they appear in a macro's tokens.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
];

/// A route waiting for the prefixes its router is nested under.
struct Site {
    endpoint: Endpoint,
    /// The routers it belongs to: `var:FUNCTION:NAME`, `fn:NAME` or `attr:HANDLER`.
    owners: Vec<String>,
}

/// `parent.nest("/prefix", child)`: routers of `children` are served under `prefix` of the
/// routers `parents`.
struct Nest {
    parents: Vec<String>,
    prefix: String,
    children: Vec<String>,
}

struct Rs<'o, 'a> {
    out: &'o mut Out<'a>,
    /// The file uses Rocket: attribute routes are Rocket's, not actix-web's.
    rocket: bool,
    sites: Vec<Site>,
    nests: Vec<Nest>,
}

/// Extracts every row of a Rust file.
pub fn extract(out: &mut Out<'_>, root: Node<'_>) {
    let mut rs = Rs {
        out,
        rocket: false,
        sites: Vec::new(),
        nests: Vec::new(),
    };
    rs.visit(root, 0);
    rs.resolve_routes();
}

impl Rs<'_, '_> {
    fn visit(&mut self, node: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        match node.kind() {
            // Comments, types, attributes and constants never hold runtime reads or calls.
            "line_comment"
            | "block_comment"
            | "attribute_item"
            | "inner_attribute_item"
            | "visibility_modifier"
            | "mutable_specifier"
            | "function_modifiers"
            | "type_identifier"
            | "primitive_type"
            | "generic_type"
            | "reference_type"
            | "pointer_type"
            | "array_type"
            | "tuple_type"
            | "function_type"
            | "abstract_type"
            | "dynamic_type"
            | "bounded_type"
            | "never_type"
            | "scoped_type_identifier"
            | "type_arguments"
            | "type_parameters"
            | "where_clause"
            | "lifetime"
            | "label"
            | "field_identifier"
            | "integer_literal"
            | "float_literal"
            | "boolean_literal"
            | "char_literal"
            | "parameters"
            | "closure_parameters"
            | "token_tree"
            | "unit_expression" => {}
            "use_declaration" => {
                if let Some(argument) = node.child_by_field_name("argument") {
                    self.use_tree(argument, "", node, 0);
                }
            }
            "extern_crate_declaration" => {
                if let Some(name) = node.child_by_field_name("name") {
                    let crate_name = self.out.text(name).to_owned();
                    self.rocket |= crate_name == "rocket";
                    self.out.rows.refs.push(Ref {
                        line: line(node),
                        kind: "use".to_owned(),
                        value: crate_name.clone(),
                    });
                    let bound = node.child_by_field_name("alias").unwrap_or(name);
                    let bound_name = self.out.text(bound).to_owned();
                    self.out.symbol(bound, node, bound_name, "import");
                }
            }
            "mod_item" => {
                self.declared(node, "module");
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            "function_item" => self.function(node, depth),
            "function_signature_item" => {
                let kind = if self.out.classes.is_empty() {
                    "function"
                } else {
                    "method"
                };
                self.declared(node, kind);
            }
            "struct_item" | "union_item" | "enum_item" | "trait_item" => self.item(node, depth),
            "type_item" => {
                self.declared(node, "type");
            }
            "macro_definition" => {
                self.declared(node, "macro");
            }
            "const_item" | "static_item" => {
                let kind = if node.kind() == "const_item" {
                    "constant"
                } else {
                    "variable"
                };
                if let Some(name) = self.declared(node, kind)
                    && let Some(value) = node.child_by_field_name("value")
                {
                    let name_node = node.child_by_field_name("name").unwrap_or(node);
                    self.out.usage(name_node, name.clone(), "write");
                    self.out.assignment(name_node, name, self.out.expr(value));
                    self.visit(value, depth);
                }
            }
            "impl_item" => {
                let name = node
                    .child_by_field_name("type")
                    .and_then(|t| self.base_type(t, 0))
                    .unwrap_or_default();
                self.members(node, name, depth);
            }
            "let_declaration" => self.let_declaration(node, depth),
            "assignment_expression" | "compound_assignment_expr" => self.assignment(node, depth),
            "for_expression" | "let_condition" | "match_arm" => {
                let pattern = node.child_by_field_name("pattern");
                if let Some(pattern) = pattern {
                    self.pattern(pattern, depth);
                }
                for child in named_children(node) {
                    if Some(child) != pattern {
                        self.visit(child, depth);
                    }
                }
            }
            "closure_expression" => {
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            "call_expression" => self.call(node, depth),
            "macro_invocation" => self.macro_call(node, depth),
            "field_expression" | "scoped_identifier" => match self.chain(node) {
                Some(name) => self.out.usage(node, name, "read"),
                None => {
                    if let Some(value) = node.child_by_field_name("value") {
                        self.visit(value, depth);
                    }
                }
            },
            "identifier" | "self" => {
                let name = self.out.text(node);
                if name != "_" {
                    self.out.usage(node, name.to_owned(), "read");
                }
            }
            "struct_expression" => {
                // `User { id, name: x }` uses the name `User`; field names are not reads.
                if let Some(name) = node.child_by_field_name("name") {
                    let text = self.out.expr(name);
                    self.out.usage(name, text, "read");
                }
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            "field_initializer" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit(value, depth);
                }
            }
            "generic_function" => {
                if let Some(function) = node.child_by_field_name("function") {
                    self.visit(function, depth);
                }
            }
            "type_cast_expression" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit(value, depth);
                }
            }
            "string_literal" | "raw_string_literal" => self.string(node),
            _ => self.visit_children(node, depth),
        }
    }

    fn visit_children(&mut self, node: Node<'_>, depth: usize) {
        for child in named_children(node) {
            self.visit(child, depth);
        }
    }

    fn chain(&self, node: Node<'_>) -> Option<String> {
        chain(self.out, node)
    }

    fn string(&mut self, node: Node<'_>) {
        if !self.out.strings_done.contains(&node.id())
            && let Some(value) = literal(self.out, node)
        {
            self.out.maybe_sql(node, &value);
        }
    }

    /// Records the symbol an item declares by its `name` field; returns the name.
    fn declared(&mut self, node: Node<'_>, kind: &str) -> Option<String> {
        let name_node = node.child_by_field_name("name")?;
        let name = self.out.text(name_node).to_owned();
        self.out.symbol(name_node, node, name.clone(), kind);
        Some(name)
    }

    /// `struct`, `union`, `enum` and `trait` items, with their fields, variants and methods.
    fn item(&mut self, node: Node<'_>, depth: usize) {
        let kind = match node.kind() {
            "struct_item" => "struct",
            "enum_item" => "enum",
            "trait_item" => "trait",
            _ => "type",
        };
        let Some(name) = self.declared(node, kind) else {
            return;
        };
        if kind == "trait" {
            self.members(node, name, depth);
            return;
        }
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        self.out.classes.push(name);
        for member in named_children(body) {
            let kind = match member.kind() {
                "field_declaration" => "property",
                "enum_variant" => "variant",
                _ => continue,
            };
            if let Some(name_node) = member.child_by_field_name("name") {
                let name = self.out.text(name_node).to_owned();
                self.out.symbol(name_node, member, name, kind);
            }
            // A variant's explicit discriminant is an expression.
            if let Some(value) = member.child_by_field_name("value") {
                self.visit(value, depth);
            }
        }
        self.out.classes.pop();
    }

    /// The body of an `impl` or a `trait`: its functions are methods of `name`.
    fn members(&mut self, node: Node<'_>, name: String, depth: usize) {
        self.out.classes.push(name);
        // Methods are not nested in an enclosing function's scope.
        let saved = std::mem::take(&mut self.out.functions);
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body, depth);
        }
        self.out.functions = saved;
        self.out.classes.pop();
    }

    /// The type an `impl` is for: `T` for `T`, `T<U>`, `&T`, `path::T`.
    fn base_type(&self, node: Node<'_>, depth: usize) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match node.kind() {
            "type_identifier" | "primitive_type" => Some(self.out.text(node).to_owned()),
            "scoped_type_identifier" => {
                self.base_type(node.child_by_field_name("name")?, depth + 1)
            }
            "generic_type" | "reference_type" | "pointer_type" => {
                self.base_type(node.child_by_field_name("type")?, depth + 1)
            }
            _ => None,
        }
    }

    fn function(&mut self, node: Node<'_>, depth: usize) {
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let name = self.out.text(name_node).to_owned();
        let method = !self.out.classes.is_empty() && self.out.functions.is_empty();
        let kind = if method { "method" } else { "function" };
        self.out.symbol(name_node, node, name.clone(), kind);
        self.attribute_routes(node, &name);
        let qualified = if method {
            self.out.qualified(&name)
        } else {
            name
        };
        self.out.functions.push(qualified);
        if let Some(params) = node.child_by_field_name("parameters") {
            // Parameter patterns bind names; only paths inside them (`Path(id)`) are reads.
            for param in named_children(params) {
                if let Some(pattern) = param.child_by_field_name("pattern") {
                    self.pattern_reads(pattern, depth);
                }
            }
        }
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body, depth);
        }
        self.out.functions.pop();
    }

    /// `use a::{b, c::d as e, f::*}`: one reference per path, one import per bound name.
    fn use_tree(&mut self, node: Node<'_>, prefix: &str, statement: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let joined = |text: &str| {
            if prefix.is_empty() {
                text.to_owned()
            } else {
                format!("{prefix}::{text}")
            }
        };
        match node.kind() {
            "identifier" | "scoped_identifier" | "self" | "crate" | "super" => {
                let text = self.out.expr(node);
                // `use a::{self}` binds `a`.
                let path = if text == "self" && !prefix.is_empty() {
                    prefix.to_owned()
                } else {
                    joined(&text)
                };
                let bound = path.rsplit("::").next().unwrap_or(&path).to_owned();
                self.import(statement, node, &path, Some(bound));
            }
            "use_as_clause" => {
                let (Some(path), Some(alias)) = (
                    node.child_by_field_name("path"),
                    node.child_by_field_name("alias"),
                ) else {
                    return;
                };
                let path = joined(&self.out.expr(path));
                let alias_name = self.out.text(alias).to_owned();
                self.import(
                    statement,
                    alias,
                    &path,
                    Some(alias_name).filter(|a| a != "_"),
                );
            }
            "scoped_use_list" => {
                let inner = match node.child_by_field_name("path") {
                    Some(path) => joined(&self.out.expr(path)),
                    None => prefix.to_owned(),
                };
                if let Some(list) = node.child_by_field_name("list") {
                    self.use_tree(list, &inner, statement, depth + 1);
                }
            }
            "use_list" => {
                for child in named_children(node) {
                    self.use_tree(child, prefix, statement, depth + 1);
                }
            }
            "use_wildcard" => {
                let path = match node.named_child(0) {
                    Some(path) => joined(&format!("{}::*", self.out.expr(path))),
                    None => joined("*"),
                };
                self.import(statement, node, &path, None);
            }
            _ => {}
        }
    }

    fn import(&mut self, statement: Node<'_>, at: Node<'_>, path: &str, bound: Option<String>) {
        self.rocket |= path == "rocket" || path.starts_with("rocket::");
        self.out.rows.refs.push(Ref {
            line: line(statement),
            kind: "use".to_owned(),
            value: path.to_owned(),
        });
        if let Some(bound) = bound {
            self.out.symbol(at, statement, bound, "import");
        }
    }

    fn let_declaration(&mut self, node: Node<'_>, depth: usize) {
        let pattern = node.child_by_field_name("pattern");
        let value = node.child_by_field_name("value");
        if let Some(pattern) = pattern {
            let source = value.map(|v| self.out.expr(v));
            for (bound, name) in self.bindings(pattern) {
                self.out.usage(bound, name.clone(), "write");
                if let Some(source) = &source {
                    self.out.assignment(bound, name, source.clone());
                }
            }
            self.pattern_reads(pattern, depth);
        }
        if let Some(value) = value {
            match pattern {
                // `let handler = |x| ...;` runs as `handler`.
                Some(p) if p.kind() == "identifier" && value.kind() == "closure_expression" => {
                    self.out.functions.push(self.out.text(p).to_owned());
                    self.visit(value, depth);
                    self.out.functions.pop();
                }
                _ => self.visit(value, depth),
            }
        }
        if let Some(alternative) = node.child_by_field_name("alternative") {
            self.visit(alternative, depth);
        }
    }

    /// `x = v`, `self.count += 1`, `*p = v`, `a[i] = v`.
    fn assignment(&mut self, node: Node<'_>, depth: usize) {
        let (Some(left), right) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        let source = right.map(|r| self.out.expr(r)).unwrap_or_default();
        match self.chain(left) {
            Some(name) if name == "_" => {}
            Some(name) => {
                if node.kind() == "compound_assignment_expr" {
                    self.out.usage(left, name.clone(), "read");
                }
                self.out.usage(left, name.clone(), "write");
                self.out.assignment(left, name, source);
            }
            None => {
                let bound = self.bindings(left);
                if bound.is_empty() {
                    let target = self.out.expr(left);
                    self.out.assignment(left, target, source);
                    self.visit(left, depth);
                } else {
                    // `(a, b) = (b, a)`: a destructuring assignment.
                    for (node, name) in bound {
                        self.out.usage(node, name.clone(), "write");
                        self.out.assignment(node, name, source.clone());
                    }
                }
            }
        }
        if let Some(right) = right {
            self.visit(right, depth);
        }
    }

    /// A pattern's bindings are writes, the paths in it (`Some`, `Kind::A`) reads.
    fn pattern(&mut self, pattern: Node<'_>, depth: usize) {
        for (bound, name) in self.bindings(pattern) {
            self.out.usage(bound, name, "write");
        }
        self.pattern_reads(pattern, depth);
    }

    /// The names a pattern binds, with their nodes. A capitalised bare name (`None`, `A`) is
    /// a constant or a variant, not a binding.
    fn bindings<'t>(&self, pattern: Node<'t>) -> Vec<(Node<'t>, String)> {
        let mut names = Vec::new();
        let mut stack = vec![(pattern, 0)];
        while let Some((node, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                continue;
            }
            match node.kind() {
                "identifier" => {
                    let name = self.out.text(node);
                    if name != "_" && !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                        names.push((node, name.to_owned()));
                    }
                }
                "shorthand_field_identifier" => {
                    names.push((node, self.out.text(node).to_owned()));
                }
                "field_pattern" => {
                    let child = node
                        .child_by_field_name("pattern")
                        .or_else(|| node.child_by_field_name("name"));
                    stack.extend(child.map(|c| (c, depth + 1)));
                }
                "tuple_struct_pattern" | "struct_pattern" => {
                    let ty = node.child_by_field_name("type");
                    for child in named_children(node) {
                        if Some(child) != ty {
                            stack.push((child, depth + 1));
                        }
                    }
                }
                "tuple_pattern"
                | "slice_pattern"
                | "or_pattern"
                | "ref_pattern"
                | "mut_pattern"
                | "reference_pattern"
                | "captured_pattern"
                | "match_pattern"
                | "parenthesized_pattern"
                | "box_pattern" => {
                    let condition = node.child_by_field_name("condition");
                    for child in named_children(node) {
                        if Some(child) != condition {
                            stack.push((child, depth + 1));
                        }
                    }
                }
                _ => {}
            }
        }
        names.reverse();
        names
    }

    /// Reads inside a pattern: variant and constant paths, a match guard.
    fn pattern_reads(&mut self, pattern: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match pattern.kind() {
            "scoped_identifier" => {
                if let Some(name) = self.chain(pattern) {
                    self.out.usage(pattern, name, "read");
                }
            }
            "tuple_struct_pattern" | "struct_pattern" => {
                let ty = pattern.child_by_field_name("type");
                if let Some(ty) = ty {
                    let name = self.out.expr(ty);
                    self.out.usage(ty, name, "read");
                }
                for child in named_children(pattern) {
                    if Some(child) != ty {
                        self.pattern_reads(child, depth + 1);
                    }
                }
            }
            "match_pattern" => {
                let condition = pattern.child_by_field_name("condition");
                for child in named_children(pattern) {
                    if Some(child) == condition {
                        self.visit(child, depth + 1);
                    } else {
                        self.pattern_reads(child, depth + 1);
                    }
                }
            }
            "identifier" | "shorthand_field_identifier" | "field_identifier" => {
                let name = self.out.text(pattern);
                if pattern.kind() == "identifier"
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    self.out.usage(pattern, name.to_owned(), "read");
                }
            }
            "string_literal" | "raw_string_literal" => self.string(pattern),
            _ => {
                for child in named_children(pattern) {
                    self.pattern_reads(child, depth + 1);
                }
            }
        }
    }

    fn call(&mut self, node: Node<'_>, depth: usize) {
        let Some(func) = node.child_by_field_name("function") else {
            self.visit_children(node, depth);
            return;
        };
        // `obj.method::<T>(x)`, `parse::<u8>(s)`: the callee without its type arguments.
        let func = match func.kind() {
            "generic_function" => func.child_by_field_name("function").unwrap_or(func),
            _ => func,
        };
        let args_node = node.child_by_field_name("arguments");
        let args: Vec<Node<'_>> = args_node
            .map(named_children)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                !matches!(
                    a.kind(),
                    "attribute_item" | "line_comment" | "block_comment"
                )
            })
            .collect();
        let callee = self.out.callee_text(func, MEMBER, &chain, 0);
        self.out.call(node, callee, &args);
        self.route_call(node, func, &args);

        match func.kind() {
            // `self.conn.execute(...)` reads `self.conn`.
            "field_expression" => {
                if let Some(value) = func.child_by_field_name("value") {
                    match self.chain(value) {
                        Some(name) => self.out.usage(value, name, "read"),
                        None => self.visit(value, depth),
                    }
                }
            }
            // `std::env::var(...)` uses the item at that path.
            "scoped_identifier" => self.visit(func, depth),
            "identifier" => {}
            _ => self.visit(func, depth),
        }
        for arg in args {
            self.visit(arg, depth);
        }
    }

    /// `name!(...)`: a call of `name!` with its comma-separated tokens as arguments; the calls,
    /// reads and strings among the tokens are recorded as in code.
    fn macro_call(&mut self, node: Node<'_>, depth: usize) {
        let Some(name) = node.child_by_field_name("macro") else {
            return;
        };
        let tree = named_children(node)
            .into_iter()
            .find(|c| c.kind() == "token_tree");
        let callee = format!("{}!", self.out.expr(name));
        let tokens = tree.map(inner_tokens).unwrap_or_default();
        let args = self.split_args(&tokens);
        self.out.call_exprs(node, callee, args);
        // `format!("{user} owes {}", x)`: names captured by a format string are reads.
        if let Some(format) = tokens.first().filter(|t| t.kind() == "string_literal")
            && let Some(text) = literal(self.out, *format)
        {
            for name in captured_names(&text) {
                self.out.usage(*format, name.to_owned(), "read");
            }
        }
        self.tokens(&tokens, depth);
    }

    /// The arguments in a token tree's tokens: the text between top-level commas.
    fn split_args(&self, tokens: &[Node<'_>]) -> Vec<String> {
        tokens
            .split(|t| t.kind() == ",")
            .filter_map(|group| {
                let (first, last) = (group.first()?, group.last()?);
                Some(self.out.expr_of(first.start_byte()..last.end_byte()))
            })
            .collect()
    }

    /// Calls (`a.b(c)`, `x::y(z)`, `m!(...)`), reads and strings among a macro's tokens.
    fn tokens(&mut self, tokens: &[Node<'_>], depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        let mut i = 0;
        while i < tokens.len() {
            let token = tokens[i];
            match token.kind() {
                "identifier" | "self" | "crate" | "super" => {
                    let mut name = self.out.text(token).to_owned();
                    let mut end = i + 1;
                    while let (Some(sep), Some(part)) = (tokens.get(end), tokens.get(end + 1)) {
                        if !matches!(sep.kind(), "." | "::")
                            || !matches!(part.kind(), "identifier" | "integer_literal")
                        {
                            break;
                        }
                        name.push_str(sep.kind());
                        name.push_str(self.out.text(*part));
                        end += 2;
                    }
                    let follows = |offset: usize| tokens.get(end + offset).map(|t| t.kind());
                    let after_dot = i > 0 && matches!(tokens[i - 1].kind(), "." | "::");
                    if end == i + 1 && KEYWORDS.contains(&name.as_str()) {
                        i += 1;
                        continue;
                    }
                    match (follows(0), follows(1)) {
                        (Some("!"), Some("token_tree")) => {
                            let inner = inner_tokens(tokens[end + 1]);
                            let args = self.split_args(&inner);
                            self.out.call_exprs(token, format!("{name}!"), args);
                            self.tokens(&inner, depth);
                            i = end + 2;
                            continue;
                        }
                        (Some("token_tree"), _)
                            if !after_dot && self.out.text(tokens[end]).starts_with('(') =>
                        {
                            let inner = inner_tokens(tokens[end]);
                            let args = self.split_args(&inner);
                            self.out.call_exprs(token, name.clone(), args);
                            // `a.b(c)` reads `a`; `x::y(z)` uses the path `x::y`.
                            let read = match name.rsplit_once('.') {
                                Some((receiver, _)) => Some(receiver.to_owned()),
                                None if name.contains("::") => Some(name),
                                None => None,
                            };
                            if let Some(read) = read {
                                self.out.usage(token, read, "read");
                            }
                            self.tokens(&inner, depth);
                            i = end + 1;
                            continue;
                        }
                        // `name: value` and `name = value` name a field or an argument.
                        (Some(":" | "="), _) => {}
                        _ if after_dot => {}
                        _ => self.out.usage(token, name, "read"),
                    }
                    i = end;
                }
                "string_literal" | "raw_string_literal" => {
                    self.string(token);
                    i += 1;
                }
                "token_tree" => {
                    let inner = inner_tokens(token);
                    self.tokens(&inner, depth);
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
}

/// The names a format string captures: `{name}`, `{name:>8}`, not `{{`, `{0}` or `{}`.
fn captured_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after;
            continue;
        }
        let end = rest.find(['}', ':']).unwrap_or(rest.len());
        let name = &rest[..end];
        if name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            names.push(name);
        }
        rest = &rest[end..];
    }
    names
}

/// A token tree's tokens without its delimiters.
fn inner_tokens(tree: Node<'_>) -> Vec<Node<'_>> {
    let mut tokens = children(tree);
    if tokens
        .first()
        .is_some_and(|t| matches!(t.kind(), "(" | "[" | "{"))
    {
        tokens.remove(0);
        if tokens
            .last()
            .is_some_and(|t| matches!(t.kind(), ")" | "]" | "}"))
        {
            tokens.pop();
        }
    }
    tokens.retain(|t| !matches!(t.kind(), "line_comment" | "block_comment"));
    tokens
}

/// An identifier, a field chain (`self.conn.pool`) or a path (`std::env::var`) made only of
/// names; `None` for anything else (`f().x`, `a[0].b`, `Vec::<u8>::new`).
fn chain(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    chain_depth(out, node, 0)
}

fn chain_depth(out: &Out<'_>, node: Node<'_>, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match node.kind() {
        "identifier" | "self" | "crate" | "super" | "metavariable" => {
            Some(out.text(node).to_owned())
        }
        "field_expression" => {
            let value = chain_depth(out, node.child_by_field_name("value")?, depth + 1)?;
            let field = out.text(node.child_by_field_name("field")?);
            Some(format!("{value}.{field}"))
        }
        "scoped_identifier" => {
            let name = out.text(node.child_by_field_name("name")?);
            match node.child_by_field_name("path") {
                Some(path) => {
                    let path = chain_depth(out, path, depth + 1)?;
                    Some(format!("{path}::{name}"))
                }
                None => Some(format!("::{name}")),
            }
        }
        _ => None,
    }
}

/// The value of a string literal: escapes resolved in `"..."`, verbatim in raw strings.
fn literal(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string_literal" => {
            let text = out.text(node);
            let start = text.find('"')? + 1;
            let end = text.rfind('"')?;
            Some(unescape(text.get(start..end)?))
        }
        "raw_string_literal" => Some(
            named_children(node)
                .into_iter()
                .find(|c| c.kind() == "string_content")
                .map(|c| out.text(c).to_owned())
                .unwrap_or_default(),
        ),
        _ => None,
    }
}

/// A router's place in the file, as [`Rs::climb`] finds it.
struct Place {
    /// Prefixes of the enclosing inline routers, outermost first.
    prefixes: Vec<String>,
    /// The routers it belongs to.
    owners: Vec<String>,
}

impl Rs<'_, '_> {
    /// The owner key of the current function.
    fn function_owner(&self) -> String {
        let function = self.out.in_function();
        let name = function.rsplit('.').next().unwrap_or(&function);
        format!("fn:{name}")
    }

    /// The call at the root of a fluent chain: `web::scope("/api")` in
    /// `web::scope("/api").service(a).route(...)`; or the variable it starts from.
    fn chain_root<'t>(&self, call: Node<'t>) -> Node<'t> {
        let mut current = call;
        for _ in 0..MAX_DEPTH {
            let next = current
                .child_by_field_name("function")
                .filter(|f| f.kind() == "field_expression")
                .and_then(|f| f.child_by_field_name("value"));
            match next {
                Some(value) if value.kind() == "call_expression" => current = value,
                Some(value) => return value,
                None => return current,
            }
        }
        current
    }

    /// The literal first argument of `root` if it is a call of a function named `name`
    /// (`web::scope("/api")`, `resource("/x")`).
    fn root_path(&self, root: Node<'_>, name: &str) -> Option<String> {
        if root.kind() != "call_expression" {
            return None;
        }
        let callee = self.chain(root.child_by_field_name("function")?)?;
        if callee.rsplit("::").next()? != name {
            return None;
        }
        let args = named_children(root.child_by_field_name("arguments")?);
        literal(self.out, *args.first()?)
    }

    /// The method name and arguments of `x.method(args)`.
    fn method_of<'t>(&self, call: Node<'t>) -> Option<(String, Vec<Node<'t>>)> {
        let func = call.child_by_field_name("function")?;
        if func.kind() != "field_expression" {
            return None;
        }
        let method = self.out.text(func.child_by_field_name("field")?).to_owned();
        Some((
            method,
            named_children(call.child_by_field_name("arguments")?),
        ))
    }

    /// Where the router built by the chain through `call` sits: the prefixes of the routers it
    /// is nested in inline, and the variable or function that holds it.
    fn climb(&self, call: Node<'_>) -> Place {
        let mut prefixes = Vec::new();
        let mut current = call;
        let mut scope = self.root_path(self.chain_root(call), "scope");
        for _ in 0..MAX_DEPTH {
            prefixes.extend(scope.take());
            // Up the fluent chain: `a.b(...).c(...)`.
            while let Some(parent) = current.parent()
                && parent.kind() == "field_expression"
                && parent.child_by_field_name("value") == Some(current)
                && let Some(outer) = parent.parent()
                && outer.kind() == "call_expression"
            {
                current = outer;
            }
            let Some(parent) = current.parent() else {
                break;
            };
            // An argument of `.nest("/p", here)`, `.service(here)`: nested inline.
            if parent.kind() == "arguments"
                && let Some(outer) = parent.parent()
                && let Some((method, args)) = self.method_of(outer)
                && matches!(method.as_str(), "nest" | "service" | "merge")
            {
                if method == "nest"
                    && let [prefix, child] = args.as_slice()
                    && *child == current
                    && let Some(prefix) = literal(self.out, *prefix)
                {
                    prefixes.push(prefix);
                }
                scope = self.root_path(self.chain_root(outer), "scope");
                current = outer;
                continue;
            }
            break;
        }
        prefixes.reverse();
        let mut owners = Vec::new();
        let function = self.out.in_function();
        let var = |name: &str| format!("var:{function}:{name}");
        if let Some(parent) = current.parent() {
            let target = match parent.kind() {
                "let_declaration" => parent.child_by_field_name("pattern"),
                "assignment_expression" => parent.child_by_field_name("left"),
                _ => None,
            };
            if let Some(target) = target.filter(|t| t.kind() == "identifier") {
                owners.push(var(self.out.text(target)));
            }
        }
        let root = self.chain_root(current);
        if root.kind() == "identifier" {
            owners.push(var(self.out.text(root)));
        }
        owners.push(self.function_owner());
        Place { prefixes, owners }
    }

    /// The routers an argument of `.nest`, `.merge` or `.service` names: a variable, a
    /// function returning a router, an attribute-routed handler.
    fn named_routers(&self, arg: Node<'_>) -> Vec<String> {
        let function = self.out.in_function();
        match arg.kind() {
            "identifier" => {
                let name = self.out.text(arg);
                vec![format!("var:{function}:{name}"), format!("attr:{name}")]
            }
            "scoped_identifier" => self
                .chain(arg)
                .and_then(|c| c.rsplit("::").next().map(|n| vec![format!("attr:{n}")]))
                .unwrap_or_default(),
            "call_expression" => arg
                .child_by_field_name("function")
                .and_then(|f| self.chain(f))
                .and_then(|callee| {
                    let name = callee.rsplit(['.', ':']).next().unwrap_or(&callee);
                    // `web::scope(...)`, `Files::new(...)` build a service; they name none.
                    (!matches!(name, "scope" | "resource" | "new" | "default"))
                        .then(|| vec![format!("fn:{name}")])
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Records the routes and router nestings a method call declares.
    fn route_call(&mut self, call: Node<'_>, func: Node<'_>, args: &[Node<'_>]) {
        if func.kind() != "field_expression" {
            return;
        }
        let Some(field) = func.child_by_field_name("field") else {
            return;
        };
        let at = line(field);
        match (self.out.text(field), args) {
            // axum `Router::route("/x", get(h))`, actix-web `App::route("/x", web::get().to(h))`.
            ("route", [path, methods]) => {
                let Some(path) = literal(self.out, *path).filter(|p| p.starts_with('/')) else {
                    return;
                };
                let place = self.climb(call);
                for (method, handler, framework) in self.method_router(*methods, 0) {
                    self.site(&place, at, method, &path, handler, framework);
                }
            }
            // actix-web `web::resource("/x").route(web::get().to(h))`.
            ("route", [methods]) => {
                let Some(path) = self.root_path(self.chain_root(call), "resource") else {
                    return;
                };
                let place = self.climb(call);
                for (method, handler, _) in self.method_router(*methods, 0) {
                    self.site(&place, at, method, &path, handler, "actix-web");
                }
            }
            // actix-web `web::resource("/x").to(h)`: every method.
            ("to", [handler]) => {
                let Some(path) = self.root_path(self.chain_root(call), "resource") else {
                    return;
                };
                let place = self.climb(call);
                let handler = self.chain(*handler);
                self.site(&place, at, "ALL".to_owned(), &path, handler, "actix-web");
            }
            ("nest" | "nest_service", [prefix, child]) => {
                let Some(prefix) = literal(self.out, *prefix) else {
                    return;
                };
                let children = self.named_routers(*child);
                self.nest(call, &prefix, children);
            }
            // actix-web `.configure(routes)`: a function that adds routes to its argument.
            ("configure", [child]) if child.kind() == "identifier" => {
                let children = vec![format!("fn:{}", self.out.text(*child))];
                self.nest(call, "", children);
            }
            ("merge" | "service" | "configure", [child]) => {
                let children = self.named_routers(*child);
                self.nest(call, "", children);
            }
            _ => {}
        }
    }

    fn nest(&mut self, call: Node<'_>, prefix: &str, children: Vec<String>) {
        if children.is_empty() {
            return;
        }
        let place = self.climb(call);
        let mut full = String::new();
        for part in place.prefixes.iter().map(String::as_str).chain([prefix]) {
            full = join_path(&full, part);
        }
        self.nests.push(Nest {
            parents: place.owners,
            prefix: full,
            children,
        });
    }

    fn site(
        &mut self,
        place: &Place,
        at: u32,
        method: String,
        path: &str,
        handler: Option<String>,
        framework: &'static str,
    ) {
        let mut full = String::new();
        for part in place.prefixes.iter().map(String::as_str).chain([path]) {
            full = join_path(&full, part);
        }
        self.sites.push(Site {
            endpoint: Endpoint {
                line: at,
                method,
                path: full,
                handler_function: handler,
                framework,
            },
            owners: place.owners.clone(),
        });
    }

    /// The methods and handlers of a method router: axum's `get(h).post(g)`,
    /// `routing::any(h)`; actix-web's `web::get().to(h)`, `web::route().to(h)`.
    fn method_router(
        &self,
        node: Node<'_>,
        depth: usize,
    ) -> Vec<(String, Option<String>, &'static str)> {
        if depth > MAX_DEPTH || node.kind() != "call_expression" {
            return Vec::new();
        }
        let Some(func) = node.child_by_field_name("function") else {
            return Vec::new();
        };
        let args = node
            .child_by_field_name("arguments")
            .map(named_children)
            .unwrap_or_default();
        let first = args.first().and_then(|a| self.chain(*a));
        let method_name = |name: &str| {
            let name = name.strip_suffix("_service").unwrap_or(name);
            if name == "any" || name == "route" {
                Some("ALL".to_owned())
            } else {
                ROUTE_METHODS
                    .contains(&name)
                    .then(|| name.to_ascii_uppercase())
            }
        };
        if func.kind() == "field_expression" {
            let (Some(value), Some(field)) = (
                func.child_by_field_name("value"),
                func.child_by_field_name("field"),
            ) else {
                return Vec::new();
            };
            let mut inner = self.method_router(value, depth + 1);
            let field = self.out.text(field);
            if field == "to" {
                for entry in &mut inner {
                    entry.1.clone_from(&first);
                    entry.2 = "actix-web";
                }
            } else if let Some(method) = method_name(field).filter(|_| field != "route") {
                inner.push((method, first, "axum"));
            }
            return inner;
        }
        let Some(callee) = self.chain(func) else {
            return Vec::new();
        };
        let name = callee.rsplit("::").next().unwrap_or(&callee);
        match method_name(name) {
            Some(method) if args.is_empty() => vec![(method, None, "actix-web")],
            Some(method) if name != "route" => vec![(method, first, "axum")],
            _ => Vec::new(),
        }
    }

    /// actix-web and Rocket: `#[get("/x")]`, `#[route("/x", method = "GET", method = "HEAD")]`
    /// on a function.
    fn attribute_routes(&mut self, function: Node<'_>, name: &str) {
        let mut sibling = function.prev_sibling();
        while let Some(attribute_item) = sibling {
            match attribute_item.kind() {
                "attribute_item" => {}
                "line_comment" | "block_comment" => {
                    sibling = attribute_item.prev_sibling();
                    continue;
                }
                _ => break,
            }
            sibling = attribute_item.prev_sibling();
            let Some(attribute) = attribute_item.named_child(0) else {
                continue;
            };
            let Some(macro_name) = attribute.named_child(0).and_then(|n| self.chain(n)) else {
                continue;
            };
            let macro_name = macro_name.rsplit("::").next().unwrap_or(&macro_name);
            let Some(args) = attribute.child_by_field_name("arguments") else {
                continue;
            };
            let tokens = inner_tokens(args);
            let Some(path) = tokens
                .first()
                .and_then(|t| literal(self.out, *t))
                .filter(|p| p.starts_with('/'))
            else {
                continue;
            };
            let methods: Vec<String> = if macro_name == "route" {
                tokens
                    .windows(3)
                    .filter(|w| w[0].kind() == "identifier" && self.out.text(w[0]) == "method")
                    .filter_map(|w| literal(self.out, w[2]))
                    .map(|m| m.to_ascii_uppercase())
                    .collect()
            } else if ROUTE_METHODS.contains(&macro_name) {
                vec![macro_name.to_ascii_uppercase()]
            } else {
                continue;
            };
            let framework = if self.rocket { "rocket" } else { "actix-web" };
            for method in methods {
                self.sites.push(Site {
                    endpoint: Endpoint {
                        line: line(attribute_item),
                        method,
                        path: path.clone(),
                        handler_function: Some(name.to_owned()),
                        framework,
                    },
                    owners: vec![format!("attr:{name}")],
                });
            }
        }
    }

    /// Writes every route with each prefix its routers are nested under in this file.
    fn resolve_routes(&mut self) {
        let sites = std::mem::take(&mut self.sites);
        for site in sites {
            // Bounds the walk over nestings: a hostile file cannot make it explode.
            let mut budget = 10_000;
            for prefix in self.prefixes_of(&site.owners, 0, &mut budget) {
                let mut endpoint = site.endpoint.clone();
                endpoint.path = join_path(&prefix, &endpoint.path);
                self.out.rows.api_endpoints.push(endpoint);
            }
        }
    }

    /// The prefixes the routers `owners` are served under: one per nesting path, `""` when
    /// nothing in the file nests them.
    fn prefixes_of(&self, owners: &[String], depth: usize, budget: &mut usize) -> Vec<String> {
        let mut found = Vec::new();
        if depth < 16 {
            for nest in &self.nests {
                if *budget == 0 {
                    break;
                }
                *budget -= 1;
                if nest.children.iter().any(|c| owners.contains(c)) {
                    for outer in self.prefixes_of(&nest.parents, depth + 1, budget) {
                        found.push(join_path(&outer, &nest.prefix));
                    }
                }
            }
        }
        if found.is_empty() {
            found.push(String::new());
        }
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::captured_names;

    #[test]
    fn format_strings_capture_names() {
        assert_eq!(
            captured_names("{user} owes {amount:>8} {{literal}} {} {0} {x.y}"),
            ["user", "amount"]
        );
        assert!(captured_names("SELECT {").is_empty());
    }
}

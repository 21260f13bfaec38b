//! Extraction from JavaScript, TypeScript and TSX syntax trees.
//!
//! One walker serves the three grammars: they share node kinds for everything the index
//! records, and TypeScript-only nodes (interfaces, type aliases, enums, annotations) are either
//! recorded as symbols or skipped. Comments are never visited, so they never produce rows.

use tree_sitter::Node;

use crate::rows::{Endpoint, Ref};
use crate::syntax::{MAX_DEPTH, Member, Out, children, named_children, strip_quotes};

/// The HTTP methods Express routers expose as functions.
const ROUTE_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "all", "options", "head",
];

/// Extracts every row of a JavaScript or TypeScript file.
pub fn extract(out: &mut Out<'_>, root: Node<'_>) {
    visit(out, root, 0);
}

fn visit(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let depth = depth + 1;
    match node.kind() {
        "comment" | "hash_bang_line" | "jsx_closing_element" | "jsx_text" | "html_comment" => {}
        // Types never hold runtime reads, writes or calls.
        "type_annotation"
        | "type_arguments"
        | "type_parameters"
        | "implements_clause"
        | "predefined_type"
        | "type_identifier"
        | "property_identifier"
        | "statement_identifier"
        | "private_property_identifier"
        | "regex"
        | "number"
        | "true"
        | "false"
        | "null"
        | "undefined" => {}
        "import_statement" => import(out, node),
        "export_statement" => export(out, node, depth),
        "function_declaration" | "generator_function_declaration" | "function_signature" => {
            named_function(out, node, "function", depth);
        }
        "method_definition" | "method_signature" | "abstract_method_signature" => {
            named_function(out, node, "method", depth);
        }
        "function_expression" | "function" | "generator_function" | "arrow_function" => {
            function_expression(out, node, depth);
        }
        "class_declaration" | "abstract_class_declaration" | "class" => class(out, node, depth),
        "interface_declaration" => declared_type(out, node, "interface"),
        "type_alias_declaration" => declared_type(out, node, "type"),
        "enum_declaration" => declared_type(out, node, "enum"),
        "lexical_declaration" | "variable_declaration" => {
            let kind = match node.child(0).map(|c| c.kind()) {
                Some("const") => "constant",
                _ => "variable",
            };
            for child in named_children(node) {
                if child.kind() == "variable_declarator" {
                    declarator(out, child, kind, depth);
                }
            }
        }
        "field_definition" | "public_field_definition" => field(out, node, depth),
        "assignment_expression" | "augmented_assignment_expression" => {
            assignment(out, node, depth);
        }
        "update_expression" => {
            if let Some(arg) = node.child_by_field_name("argument") {
                match chain(out, arg) {
                    Some(name) => {
                        out.usage(arg, name.clone(), "read");
                        out.usage(arg, name, "write");
                    }
                    None => visit(out, arg, depth),
                }
            }
        }
        "call_expression" | "new_expression" => call(out, node, depth),
        "member_expression" => match chain(out, node) {
            Some(name) => out.usage(node, name, "read"),
            None => {
                if let Some(object) = node.child_by_field_name("object") {
                    visit(out, object, depth);
                }
            }
        },
        "identifier" | "shorthand_property_identifier" | "this" => {
            let name = out.text(node).to_owned();
            out.usage(node, name, "read");
        }
        "formal_parameters" => parameters(out, node, depth),
        "string" => {
            if !out.strings_done.contains(&node.id()) {
                let value = string_value(out, node);
                out.maybe_sql(node, &value);
            }
        }
        "template_string" => {
            if !out.strings_done.contains(&node.id()) {
                let value = template_value(out, node);
                out.maybe_sql(node, &value);
            }
            for child in named_children(node) {
                if child.kind() == "template_substitution" {
                    visit(out, child, depth);
                }
            }
        }
        "binary_expression" => {
            out.concatenation(node, |out, part| match part.kind() {
                "string" => Some(string_value(out, part)),
                "template_string" => Some(template_value(out, part)),
                _ => None,
            });
            visit_children(out, node, depth);
        }
        "jsx_opening_element" | "jsx_self_closing_element" => jsx(out, node, depth),
        "pair" => {
            // An object key is not a read; its value is.
            if let Some(key) = node.child_by_field_name("key")
                && key.kind() == "computed_property_name"
            {
                visit(out, key, depth);
            }
            if let Some(value) = node.child_by_field_name("value") {
                visit(out, value, depth);
            }
        }
        "for_in_statement" => {
            // `for (const x of xs)`: the loop variable is written, the iterable read.
            let left = node.child_by_field_name("left");
            if let Some(left) = left {
                match chain(out, left) {
                    Some(name) if left.kind() != "identifier" => out.usage(left, name, "write"),
                    _ => {
                        for (bound, name) in pattern_names(out, left) {
                            out.usage(bound, name, "write");
                        }
                        pattern_defaults(out, left, depth);
                    }
                }
            }
            for child in named_children(node) {
                if Some(child) != left {
                    visit(out, child, depth);
                }
            }
        }
        "labeled_statement" => {
            if let Some(body) = node.child_by_field_name("body") {
                visit(out, body, depth);
            }
        }
        _ => visit_children(out, node, depth),
    }
}

fn visit_children(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    for child in named_children(node) {
        visit(out, child, depth);
    }
}

/// The text of an identifier or a member chain made only of names (`process.env.X`,
/// `this.db`, `a?.b`); `None` for anything else (`f().x`, `a[0].b`).
fn chain(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    chain_depth(out, node, 0)
}

fn chain_depth(out: &Out<'_>, node: Node<'_>, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    match node.kind() {
        "identifier"
        | "this"
        | "super"
        | "property_identifier"
        | "private_property_identifier"
        | "shorthand_property_identifier" => Some(out.text(node).to_owned()),
        "member_expression" => {
            let object = chain_depth(out, node.child_by_field_name("object")?, depth + 1)?;
            let property = out.text(node.child_by_field_name("property")?);
            if property.is_empty() {
                return None;
            }
            Some(format!("{object}.{property}"))
        }
        "non_null_expression" => chain_depth(out, node.named_child(0)?, depth + 1),
        _ => None,
    }
}

/// The value of a string literal, without its quotes.
fn string_value(out: &Out<'_>, node: Node<'_>) -> String {
    crate::syntax::unescape(strip_quotes(out.text(node)))
}

/// The text of a template literal between its backticks, substitutions as written.
fn template_value(out: &Out<'_>, node: Node<'_>) -> String {
    strip_quotes(out.text(node)).to_owned()
}

/// A string or a template literal without substitutions: its value.
fn literal(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string" => Some(string_value(out, node)),
        "template_string"
            if !named_children(node)
                .iter()
                .any(|c| c.kind() == "template_substitution") =>
        {
            Some(template_value(out, node))
        }
        _ => None,
    }
}

fn import(out: &mut Out<'_>, node: Node<'_>) {
    if let Some(source) = node.child_by_field_name("source") {
        let value = string_value(out, source);
        out.rows.refs.push(Ref {
            line: crate::syntax::line(node),
            kind: "import".to_owned(),
            value,
        });
    }
    for child in named_children(node) {
        if child.kind() == "import_clause" {
            import_clause(out, child);
        }
    }
}

fn import_clause(out: &mut Out<'_>, clause: Node<'_>) {
    for child in named_children(clause) {
        match child.kind() {
            "identifier" => {
                let name = out.text(child).to_owned();
                out.symbol(child, child, name, "import");
            }
            "namespace_import" => {
                for ident in named_children(child) {
                    if ident.kind() == "identifier" {
                        let name = out.text(ident).to_owned();
                        out.symbol(ident, ident, name, "import");
                    }
                }
            }
            "named_imports" => {
                for spec in named_children(child) {
                    if spec.kind() != "import_specifier" {
                        continue;
                    }
                    let bound = spec
                        .child_by_field_name("alias")
                        .or_else(|| spec.child_by_field_name("name"));
                    if let Some(bound) = bound {
                        let name = strip_quotes(out.text(bound)).to_owned();
                        out.symbol(bound, spec, name, "import");
                    }
                }
            }
            _ => {}
        }
    }
}

fn export(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    if let Some(source) = node.child_by_field_name("source") {
        // `export { a } from './x'` re-exports: a dependency, no local reads.
        let value = string_value(out, source);
        out.rows.refs.push(Ref {
            line: crate::syntax::line(node),
            kind: "import".to_owned(),
            value,
        });
        return;
    }
    for child in named_children(node) {
        if child.kind() != "export_clause" {
            visit(out, child, depth);
        }
    }
}

fn named_function(out: &mut Out<'_>, node: Node<'_>, kind: &str, depth: usize) {
    let name_node = node.child_by_field_name("name");
    let name = name_node
        .map(|n| out.text(n).to_owned())
        .unwrap_or_default();
    if let Some(name_node) = name_node {
        if name_node.kind() == "computed_property_name" {
            visit(out, name_node, depth);
        } else {
            out.symbol(name_node, node, name.clone(), kind);
        }
    }
    let qualified = if kind == "method" {
        out.qualified(&name)
    } else {
        name
    };
    out.functions.push(qualified);
    function_parts(out, node, depth);
    out.functions.pop();
}

fn function_expression(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let name = node
        .child_by_field_name("name")
        .map(|n| out.text(n).to_owned());
    match name {
        Some(name) => {
            out.functions.push(name);
            function_parts(out, node, depth);
            out.functions.pop();
        }
        None => function_parts(out, node, depth),
    }
}

/// Parameters (their default values) and body of any function-like node.
fn function_parts(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    if let Some(params) = node.child_by_field_name("parameters") {
        parameters(out, params, depth);
    }
    if let Some(body) = node.child_by_field_name("body") {
        visit(out, body, depth);
    }
}

fn parameters(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    for param in named_children(node) {
        match param.kind() {
            "required_parameter" | "optional_parameter" => {
                if let Some(pattern) = param.child_by_field_name("pattern") {
                    pattern_defaults(out, pattern, depth);
                }
                if let Some(value) = param.child_by_field_name("value") {
                    visit(out, value, depth);
                }
            }
            _ => pattern_defaults(out, param, depth),
        }
    }
}

fn class(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let name_node = node.child_by_field_name("name");
    let name = name_node.map(|n| out.text(n).to_owned());
    if let (Some(name_node), Some(name)) = (name_node, &name) {
        out.symbol(name_node, node, name.clone(), "class");
    }
    // `extends Base` reads Base.
    for child in named_children(node) {
        if child.kind() == "class_heritage" {
            visit(out, child, depth);
        }
    }
    out.classes
        .push(name.unwrap_or_else(|| "<anonymous>".to_owned()));
    if let Some(body) = node.child_by_field_name("body") {
        visit(out, body, depth);
    }
    out.classes.pop();
}

fn declared_type(out: &mut Out<'_>, node: Node<'_>, kind: &str) {
    if let Some(name_node) = node.child_by_field_name("name") {
        let name = out.text(name_node).to_owned();
        out.symbol(name_node, node, name, kind);
    }
}

fn field(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let name_node = node
        .child_by_field_name("property")
        .or_else(|| node.child_by_field_name("name"));
    let value = node.child_by_field_name("value");
    let Some(name_node) = name_node else {
        if let Some(value) = value {
            visit(out, value, depth);
        }
        return;
    };
    let name = out.text(name_node).to_owned();
    out.symbol(name_node, node, name.clone(), "property");
    if let Some(value) = value {
        out.assignment(node, name.clone(), out.expr(value));
        if is_function(value) {
            out.functions.push(out.qualified(&name));
            visit(out, value, depth);
            out.functions.pop();
        } else {
            visit(out, value, depth);
        }
    }
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

/// `require('x')`, `await import('x')`, or a member of one (`require('x').y`).
fn is_require(out: &Out<'_>, node: Node<'_>) -> bool {
    match node.kind() {
        "call_expression" => node.child_by_field_name("function").is_some_and(|f| {
            f.kind() == "import" || out.text(f) == "require" || is_require(out, f)
        }),
        "await_expression" | "member_expression" => node
            .named_child(0)
            .is_some_and(|inner| is_require(out, inner)),
        _ => false,
    }
}

fn declarator(out: &mut Out<'_>, node: Node<'_>, kind: &str, depth: usize) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let value = node.child_by_field_name("value");
    let function_value = value.filter(|v| is_function(*v));
    let symbol_kind = match value {
        Some(v) if is_require(out, v) => "import",
        Some(v) if is_function(v) => "function",
        Some(v) if v.kind() == "class" => "class",
        _ => kind,
    };
    let source = value.map(|v| out.expr(v));
    for (bound, text) in pattern_names(out, name) {
        out.symbol(bound, node, text.clone(), symbol_kind);
        out.usage(bound, text.clone(), "write");
        if let Some(source) = &source {
            out.assignment(bound, text, source.clone());
        }
    }
    pattern_defaults(out, name, depth);
    if let Some(value) = value {
        match function_value {
            Some(function) if name.kind() == "identifier" => {
                out.functions.push(out.text(name).to_owned());
                visit(out, function, depth);
                out.functions.pop();
            }
            _ => visit(out, value, depth),
        }
    }
}

/// The names a binding pattern introduces, with their nodes.
fn pattern_names<'t>(out: &Out<'_>, node: Node<'t>) -> Vec<(Node<'t>, String)> {
    let mut names = Vec::new();
    collect_pattern_names(out, node, &mut names, 0);
    names
}

fn collect_pattern_names<'t>(
    out: &Out<'_>,
    node: Node<'t>,
    names: &mut Vec<(Node<'t>, String)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match node.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            names.push((node, out.text(node).to_owned()));
        }
        "pair_pattern" => {
            if let Some(value) = node.child_by_field_name("value") {
                collect_pattern_names(out, value, names, depth + 1);
            }
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(left) = node.child_by_field_name("left") {
                collect_pattern_names(out, left, names, depth + 1);
            }
        }
        "object_pattern" | "array_pattern" | "rest_pattern" => {
            for child in named_children(node) {
                collect_pattern_names(out, child, names, depth + 1);
            }
        }
        _ => {}
    }
}

/// Visits the default values inside a binding pattern (`{a = f()}`), which are reads.
fn pattern_defaults(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node.kind() {
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(left) = node.child_by_field_name("left") {
                pattern_defaults(out, left, depth + 1);
            }
            if let Some(right) = node.child_by_field_name("right") {
                visit(out, right, depth + 1);
            }
        }
        "object_pattern" | "array_pattern" | "rest_pattern" | "pair_pattern" => {
            for child in named_children(node) {
                pattern_defaults(out, child, depth + 1);
            }
        }
        _ => {}
    }
}

fn assignment(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let (Some(left), right) = (
        node.child_by_field_name("left"),
        node.child_by_field_name("right"),
    ) else {
        return;
    };
    let augmented = node.kind() == "augmented_assignment_expression";
    let source = right.map(|r| out.expr(r)).unwrap_or_default();
    match chain(out, left) {
        Some(target) => {
            if augmented {
                out.usage(left, target.clone(), "read");
            }
            out.usage(left, target.clone(), "write");
            out.assignment(left, target, source);
        }
        None => {
            let bound = pattern_names(out, left);
            if bound.is_empty() {
                // `a[i] = x`, `f().y = x`: the target as written; its parts are reads.
                let target = out.expr(left);
                out.assignment(left, target, source);
                visit(out, left, depth);
            } else {
                for (bound_node, name) in bound {
                    out.usage(bound_node, name.clone(), "write");
                    out.assignment(bound_node, name, source.clone());
                }
                pattern_defaults(out, left, depth);
            }
        }
    }
    if let Some(right) = right {
        match chain(out, left) {
            Some(target) if is_function(right) => {
                out.functions.push(target);
                visit(out, right, depth);
                out.functions.pop();
            }
            _ => visit(out, right, depth),
        }
    }
}

fn call(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let func = node
        .child_by_field_name("function")
        .or_else(|| node.child_by_field_name("constructor"));
    let Some(mut func) = func else {
        visit_children(out, node, depth);
        return;
    };
    // tree-sitter-typescript reads `await a.b<T>(x)` as a call of `await a.b`: look through it.
    if func.kind() == "await_expression"
        && let Some(inner) = func.named_child(0)
    {
        func = inner;
    }
    let args_node = node.child_by_field_name("arguments");
    let args: Vec<Node<'_>> = match args_node {
        Some(a) if a.kind() == "arguments" => named_children(a),
        Some(a) => vec![a],
        None => Vec::new(),
    };
    let callee = match func.kind() {
        "import" => "import".to_owned(),
        _ => out.callee_text(func, MEMBER, &chain, 0),
    };
    out.call(node, callee.clone(), &args);

    if (callee == "require" || callee == "import")
        && let Some(module) = args.first().and_then(|a| literal(out, *a))
    {
        out.rows.refs.push(Ref {
            line: crate::syntax::line(node),
            kind: if callee == "require" {
                "require"
            } else {
                "import"
            }
            .to_owned(),
            value: module,
        });
    }
    express_route(out, func, &args);

    // The callee: `jwt.sign` reads `jwt`; `a.b().c` visits the inner call.
    match func.kind() {
        "member_expression" => {
            if let Some(object) = func.child_by_field_name("object") {
                match chain(out, object) {
                    Some(name) => out.usage(object, name, "read"),
                    None => visit(out, object, depth),
                }
            }
        }
        "identifier" | "import" | "super" => {}
        _ => visit(out, func, depth),
    }
    if let Some(args_node) = args_node {
        visit(out, args_node, depth);
    }
}

/// How JavaScript spells `a.b`.
const MEMBER: Member = Member {
    kind: "member_expression",
    object: "object",
    property: "property",
};

fn routerish(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    last == "app"
        || last.ends_with("app")
        || last.contains("router")
        || last.contains("routes")
        || matches!(last.as_str(), "server" | "api" | "route" | "r")
}

/// Express: `app.get('/x', h)`, `router.post(...)`, `app.route('/x').get(h).post(h)`.
fn express_route(out: &mut Out<'_>, func: Node<'_>, args: &[Node<'_>]) {
    if func.kind() != "member_expression" {
        return;
    }
    let (Some(object), Some(property)) = (
        func.child_by_field_name("object"),
        func.child_by_field_name("property"),
    ) else {
        return;
    };
    let method = out.text(property).to_ascii_lowercase();
    if !ROUTE_METHODS.contains(&method.as_str()) {
        return;
    }
    let path = match route_path(out, object, 0) {
        Some(path) => path,
        None => {
            let Some(receiver) = chain(out, object) else {
                return;
            };
            if !routerish(&receiver) || args.len() < 2 {
                return;
            }
            let Some(path) = args.first().and_then(|a| literal(out, *a)) else {
                return;
            };
            if !(path.starts_with('/') || path == "*") {
                return;
            }
            path
        }
    };
    let handler = args.last().and_then(|h| match chain(out, *h) {
        Some(name) => Some(name),
        None => h
            .child_by_field_name("name")
            .map(|n| out.text(n).to_owned()),
    });
    out.rows.api_endpoints.push(Endpoint {
        // In a fluent chain the method's own line, not the chain's first.
        line: crate::syntax::line(property),
        method: method.to_ascii_uppercase(),
        path,
        handler_function: handler,
        framework: "express",
    });
}

/// The path of `x.route('/p')` at the start of a chain of route method calls.
fn route_path(out: &Out<'_>, object: Node<'_>, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH || object.kind() != "call_expression" {
        return None;
    }
    let func = object.child_by_field_name("function")?;
    if func.kind() != "member_expression" {
        return None;
    }
    let property = out.text(func.child_by_field_name("property")?);
    let receiver = func.child_by_field_name("object")?;
    if property == "route" {
        if !chain(out, receiver).is_some_and(|r| routerish(&r)) {
            return None;
        }
        let args = named_children(object.child_by_field_name("arguments")?);
        return args.first().and_then(|a| literal(out, *a));
    }
    if ROUTE_METHODS.contains(&property.to_ascii_lowercase().as_str()) {
        return route_path(out, receiver, depth + 1);
    }
    None
}

fn jsx(out: &mut Out<'_>, node: Node<'_>, depth: usize) {
    let name_node = node.child_by_field_name("name");
    if let Some(name_node) = name_node {
        let name = out.text(name_node).to_owned();
        let kind = if name.contains('.') || name.starts_with(|c: char| c.is_ascii_uppercase()) {
            "component"
        } else {
            "element"
        };
        out.rows.symbols_jsx.push(crate::rows::JsxUse {
            line: crate::syntax::line(name_node),
            col: crate::syntax::col(name_node),
            name,
            kind: kind.to_owned(),
        });
    }
    for child in children(node) {
        if Some(child) == name_node || !child.is_named() {
            continue;
        }
        match child.kind() {
            "jsx_attribute" => {
                // The attribute's name is not a read; its value may hold expressions.
                for part in named_children(child).into_iter().skip(1) {
                    visit(out, part, depth);
                }
            }
            _ => visit(out, child, depth),
        }
    }
}

//! Extraction from Python syntax trees.
//!
//! Besides names, reads, writes, calls and SQL, this module knows the routing conventions of
//! Flask (`@app.route`, blueprints with `url_prefix`), FastAPI (`@router.post` with
//! `APIRouter(prefix=...)` joined in) and Django (`path()`/`re_path()` in `urls.py`).
//! Comments are never visited; bare string statements (docstrings) are not searched for SQL.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::rows::{Endpoint, Ref};
use crate::syntax::{MAX_DEPTH, Out, join_path, line, named_children};

/// Decorator methods that declare a route, and the HTTP method they imply.
const ROUTE_DECORATORS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("head", "HEAD"),
    ("options", "OPTIONS"),
    ("trace", "TRACE"),
];

/// A router or application object created at module level.
#[derive(Debug, Clone)]
struct Router {
    prefix: String,
    framework: &'static str,
}

struct Py<'o, 'a> {
    out: &'o mut Out<'a>,
    routers: HashMap<String, Router>,
    imports_fastapi: bool,
    django_urls: bool,
}

/// Extracts every row of a Python file.
pub fn extract(out: &mut Out<'_>, root: Node<'_>, path: &str) {
    let django_urls = path == "urls.py" || path.ends_with("/urls.py");
    let mut py = Py {
        out,
        routers: HashMap::new(),
        imports_fastapi: false,
        django_urls,
    };
    py.prepass(root);
    py.visit(root, 0);
}

impl Py<'_, '_> {
    /// Finds module-level routers (`router = APIRouter(prefix="/items")`, `bp = Blueprint(...)`)
    /// before the walk, so decorators above their definition still resolve.
    fn prepass(&mut self, root: Node<'_>) {
        for statement in named_children(root) {
            match statement.kind() {
                "import_from_statement" | "import_statement"
                    if self.out.text(statement).contains("fastapi") =>
                {
                    self.imports_fastapi = true;
                }
                "expression_statement" => {
                    let Some(assign) = statement.named_child(0) else {
                        continue;
                    };
                    if assign.kind() != "assignment" {
                        continue;
                    }
                    let (Some(left), Some(right)) = (
                        assign.child_by_field_name("left"),
                        assign.child_by_field_name("right"),
                    ) else {
                        continue;
                    };
                    if left.kind() != "identifier" || right.kind() != "call" {
                        continue;
                    }
                    let Some(func) = right.child_by_field_name("function") else {
                        continue;
                    };
                    let callee = self.out.text(func);
                    let last = callee.rsplit('.').next().unwrap_or(callee);
                    let (framework, prefix_key) = match last {
                        "APIRouter" => ("fastapi", "prefix"),
                        "FastAPI" => ("fastapi", "root_path"),
                        "Blueprint" => ("flask", "url_prefix"),
                        "Flask" => ("flask", ""),
                        _ => continue,
                    };
                    let prefix = self.keyword_string(right, prefix_key).unwrap_or_default();
                    self.routers
                        .insert(self.out.text(left).to_owned(), Router { prefix, framework });
                }
                _ => {}
            }
        }
    }

    /// The string value of keyword argument `key` of a call.
    fn keyword_string(&self, call: Node<'_>, key: &str) -> Option<String> {
        let args = call.child_by_field_name("arguments")?;
        named_children(args)
            .into_iter()
            .filter(|a| a.kind() == "keyword_argument")
            .find(|a| {
                a.child_by_field_name("name")
                    .is_some_and(|n| self.out.text(n) == key)
            })
            .and_then(|a| a.child_by_field_name("value"))
            .and_then(|v| self.literal(v))
    }

    fn visit(&mut self, node: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        match node.kind() {
            "comment"
            | "type"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "none"
            | "ellipsis"
            | "global_statement"
            | "nonlocal_statement"
            | "pass_statement"
            | "future_import_statement" => {}
            "import_statement" => self.import(node),
            "import_from_statement" => self.import_from(node),
            "function_definition" => self.function(node, depth),
            "class_definition" => self.class(node, depth),
            "decorated_definition" => self.decorated(node, depth),
            "expression_statement" => {
                let children = named_children(node);
                if let [only] = children.as_slice()
                    && matches!(only.kind(), "string" | "concatenated_string")
                {
                    // A docstring or a bare string used as a comment: not code.
                    return;
                }
                for child in children {
                    self.visit(child, depth);
                }
            }
            "assignment" => self.assignment(node, depth),
            "augmented_assignment" => self.augmented(node, depth),
            "for_statement" | "for_in_clause" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.write_targets(left, None, depth);
                }
                for child in named_children(node) {
                    if Some(child) != node.child_by_field_name("left") {
                        self.visit(child, depth);
                    }
                }
            }
            "as_pattern" => {
                for child in named_children(node) {
                    if child.kind() == "as_pattern_target" {
                        for target in named_children(child) {
                            self.write_targets(target, None, depth);
                        }
                    } else {
                        self.visit(child, depth);
                    }
                }
            }
            "call" => self.call(node, depth),
            "attribute" => match self.chain(node) {
                Some(name) => self.out.usage(node, name, "read"),
                None => {
                    if let Some(object) = node.child_by_field_name("object") {
                        self.visit(object, depth);
                    }
                }
            },
            "identifier" => {
                let name = self.out.text(node).to_owned();
                self.out.usage(node, name, "read");
            }
            "keyword_argument" => {
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit(value, depth);
                }
            }
            "parameters" | "lambda_parameters" => self.parameters(node, depth),
            "lambda" => {
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.parameters(params, depth);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            "string" => {
                if !self.out.strings_done.contains(&node.id()) {
                    let value = self.string_value(node);
                    self.out.maybe_sql(node, &value);
                }
                for child in named_children(node) {
                    if child.kind() == "interpolation" {
                        self.visit(child, depth);
                    }
                }
            }
            "concatenated_string" | "binary_operator" => {
                self.concatenation(node);
                for child in named_children(node) {
                    self.visit(child, depth);
                }
            }
            _ => {
                for child in named_children(node) {
                    self.visit(child, depth);
                }
            }
        }
    }

    /// An identifier or a dotted chain of names (`self.conn`, `os.environ`).
    fn chain(&self, node: Node<'_>) -> Option<String> {
        let mut parts = Vec::new();
        let mut current = node;
        for _ in 0..MAX_DEPTH {
            match current.kind() {
                "identifier" => {
                    parts.push(self.out.text(current));
                    parts.reverse();
                    return Some(parts.join("."));
                }
                "attribute" => {
                    parts.push(self.out.text(current.child_by_field_name("attribute")?));
                    current = current.child_by_field_name("object")?;
                }
                _ => return None,
            }
        }
        None
    }

    /// A string's value: its contents, interpolations written as `?`.
    fn string_value(&self, node: Node<'_>) -> String {
        let raw = node
            .named_child(0)
            .filter(|start| start.kind() == "string_start")
            .is_some_and(|start| self.out.text(start).contains(['r', 'R']));
        let mut value = String::new();
        for child in named_children(node) {
            match child.kind() {
                "string_content" if raw => value.push_str(self.out.text(child)),
                "string_content" => value.push_str(&crate::syntax::unescape(self.out.text(child))),
                "interpolation" => value.push('?'),
                _ => {}
            }
        }
        value
    }

    /// A plain string literal's value (no interpolation).
    fn literal(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "string"
                if !named_children(node)
                    .iter()
                    .any(|c| c.kind() == "interpolation") =>
            {
                Some(self.string_value(node))
            }
            "concatenated_string" => {
                let mut value = String::new();
                for part in named_children(node) {
                    value.push_str(&self.literal(part)?);
                }
                Some(value)
            }
            _ => None,
        }
    }

    /// Adjacent literals (`"SELECT " "FROM x"`) and `+` chains with a literal in them, as one
    /// candidate query; non-literal parts become placeholders.
    fn concatenation(&mut self, node: Node<'_>) {
        let is_plus = |n: Node<'_>| {
            n.kind() == "binary_operator"
                && n.child_by_field_name("operator")
                    .is_some_and(|op| self.out.text(op) == "+")
        };
        if node.kind() == "binary_operator" && !is_plus(node) {
            return;
        }
        if node
            .parent()
            .is_some_and(|p| is_plus(p) || p.kind() == "concatenated_string")
        {
            return;
        }
        let mut parts = Vec::new();
        let mut stack = vec![node];
        while let Some(current) = stack.pop() {
            if parts.len() > 10_000 {
                break;
            }
            if is_plus(current) || current.kind() == "concatenated_string" {
                let mut children = named_children(current);
                children.retain(|c| c.kind() != "comment");
                if current.kind() == "binary_operator" {
                    children = ["left", "right"]
                        .iter()
                        .filter_map(|f| current.child_by_field_name(f))
                        .collect();
                }
                stack.extend(children.into_iter().rev());
            } else {
                parts.push(current);
            }
        }
        if !parts.iter().any(|p| p.kind() == "string") {
            return;
        }
        let mut text = String::new();
        for part in &parts {
            if part.kind() == "string" {
                text.push_str(&self.string_value(*part));
            } else {
                text.push('?');
            }
        }
        let before = self.out.rows.sql_queries.len();
        self.out.maybe_sql(node, &text);
        if self.out.rows.sql_queries.len() > before || node.kind() == "concatenated_string" {
            for part in parts {
                self.out.strings_done.insert(part.id());
            }
        }
    }

    fn import(&mut self, node: Node<'_>) {
        for name in named_children(node) {
            let (module, bound) = match name.kind() {
                "dotted_name" => (name, name),
                "aliased_import" => match (
                    name.child_by_field_name("name"),
                    name.child_by_field_name("alias"),
                ) {
                    (Some(module), Some(alias)) => (module, alias),
                    _ => continue,
                },
                _ => continue,
            };
            self.out.rows.refs.push(Ref {
                line: line(node),
                kind: "import".to_owned(),
                value: self.out.text(module).to_owned(),
            });
            let bound_name = self.out.text(bound).to_owned();
            self.out.symbol(bound, name, bound_name, "import");
        }
    }

    fn import_from(&mut self, node: Node<'_>) {
        let module = node.child_by_field_name("module_name");
        if let Some(module) = module {
            self.out.rows.refs.push(Ref {
                line: line(node),
                kind: "from".to_owned(),
                value: self.out.text(module).to_owned(),
            });
        }
        for name in named_children(node) {
            if Some(name) == module {
                continue;
            }
            let bound = match name.kind() {
                "dotted_name" => Some(name),
                "aliased_import" => name.child_by_field_name("alias"),
                _ => None,
            };
            if let Some(bound) = bound {
                let bound_name = self.out.text(bound).to_owned();
                self.out.symbol(bound, name, bound_name, "import");
            }
        }
    }

    fn function(&mut self, node: Node<'_>, depth: usize) {
        let in_class = node
            .parent()
            .and_then(|body| body.parent())
            .is_some_and(|p| p.kind() == "class_definition")
            || node
                .parent()
                .and_then(|d| d.parent())
                .and_then(|body| body.parent())
                .is_some_and(|p| p.kind() == "class_definition");
        let name_node = node.child_by_field_name("name");
        let name = name_node
            .map(|n| self.out.text(n).to_owned())
            .unwrap_or_default();
        let kind = if in_class { "method" } else { "function" };
        if let Some(name_node) = name_node {
            self.out.symbol(name_node, node, name.clone(), kind);
        }
        let qualified = if in_class {
            self.out.qualified(&name)
        } else {
            name
        };
        self.out.functions.push(qualified);
        if let Some(params) = node.child_by_field_name("parameters") {
            self.parameters(params, depth);
        }
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body, depth);
        }
        self.out.functions.pop();
    }

    fn parameters(&mut self, node: Node<'_>, depth: usize) {
        for param in named_children(node) {
            if let Some(value) = param.child_by_field_name("value") {
                self.visit(value, depth);
            }
        }
    }

    fn class(&mut self, node: Node<'_>, depth: usize) {
        let name_node = node.child_by_field_name("name");
        let name = name_node
            .map(|n| self.out.text(n).to_owned())
            .unwrap_or_default();
        if let Some(name_node) = name_node {
            self.out.symbol(name_node, node, name.clone(), "class");
        }
        if let Some(bases) = node.child_by_field_name("superclasses") {
            self.visit(bases, depth);
        }
        self.out.classes.push(name);
        // Methods of a class are not nested in an enclosing function's scope.
        let saved = std::mem::take(&mut self.out.functions);
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body, depth);
        }
        self.out.functions = saved;
        self.out.classes.pop();
    }

    fn decorated(&mut self, node: Node<'_>, depth: usize) {
        let definition = node.child_by_field_name("definition");
        let handler = definition
            .and_then(|d| d.child_by_field_name("name"))
            .map(|n| self.out.text(n).to_owned());
        for child in named_children(node) {
            if child.kind() == "decorator"
                && let Some(expr) = child.named_child(0)
            {
                self.route_decorator(expr, handler.clone());
                self.visit(expr, depth);
            }
        }
        if let Some(definition) = definition {
            self.visit(definition, depth);
        }
    }

    /// Flask and FastAPI: `@app.route("/x", methods=["GET", "POST"])`, `@router.get("/x")`.
    fn route_decorator(&mut self, expr: Node<'_>, handler: Option<String>) {
        if expr.kind() != "call" {
            return;
        }
        let Some(func) = expr.child_by_field_name("function") else {
            return;
        };
        if func.kind() != "attribute" {
            return;
        }
        let (Some(object), Some(attribute)) = (
            func.child_by_field_name("object"),
            func.child_by_field_name("attribute"),
        ) else {
            return;
        };
        let Some(receiver) = self.chain(object) else {
            return;
        };
        let decorator = self.out.text(attribute);
        let default_method = match decorator {
            "route" | "api_route" => None,
            other => match ROUTE_DECORATORS.iter().find(|(name, _)| *name == other) {
                Some((_, method)) => Some(*method),
                None => return,
            },
        };
        let Some(args) = expr.child_by_field_name("arguments") else {
            return;
        };
        let args = named_children(args);
        let path = args
            .iter()
            .find(|a| a.kind() != "keyword_argument")
            .and_then(|a| self.literal(*a))
            .or_else(|| self.keyword_string(expr, "path"))
            .or_else(|| self.keyword_string(expr, "rule"));
        let Some(path) = path else {
            return;
        };
        let router = self.routers.get(&receiver).cloned();
        if router.is_none() && !path.starts_with('/') {
            return;
        }
        let methods: Vec<String> = match default_method {
            Some(method) => vec![method.to_owned()],
            None => self.listed_methods(&args),
        };
        let framework = match &router {
            Some(router) => router.framework,
            None if self.imports_fastapi => "fastapi",
            None => "flask",
        };
        let full_path = join_path(router.as_ref().map_or("", |r| r.prefix.as_str()), &path);
        for method in methods {
            self.out.rows.api_endpoints.push(Endpoint {
                line: line(expr),
                method,
                path: full_path.clone(),
                handler_function: handler.clone(),
                framework,
            });
        }
    }

    /// The `methods=[...]` of a Flask route, or `GET`.
    fn listed_methods(&self, args: &[Node<'_>]) -> Vec<String> {
        let listed: Vec<String> = args
            .iter()
            .filter(|a| a.kind() == "keyword_argument")
            .find(|a| {
                a.child_by_field_name("name")
                    .is_some_and(|n| self.out.text(n) == "methods")
            })
            .and_then(|a| a.child_by_field_name("value"))
            .map(|list| {
                named_children(list)
                    .into_iter()
                    .filter_map(|m| self.literal(m))
                    .map(|m| m.to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default();
        if listed.is_empty() {
            vec!["GET".to_owned()]
        } else {
            listed
        }
    }

    /// Flask: `app.add_url_rule("/x", view_func=handler, methods=[...])`.
    fn url_rule(&mut self, node: Node<'_>, callee: &str, args: &[Node<'_>]) {
        let Some(receiver) = callee.strip_suffix(".add_url_rule") else {
            return;
        };
        let Some(path) = args
            .first()
            .filter(|a| a.kind() != "keyword_argument")
            .and_then(|a| self.literal(*a))
        else {
            return;
        };
        let handler = args
            .iter()
            .find(|a| {
                a.kind() == "keyword_argument"
                    && a.child_by_field_name("name")
                        .is_some_and(|n| self.out.text(n) == "view_func")
            })
            .and_then(|a| a.child_by_field_name("value"))
            .or_else(|| {
                args.iter()
                    .filter(|a| a.kind() != "keyword_argument")
                    .nth(2)
                    .copied()
            })
            .map(|h| self.out.expr(h));
        let prefix = self
            .routers
            .get(receiver)
            .map_or(String::new(), |r| r.prefix.clone());
        let full_path = join_path(&prefix, &path);
        for method in self.listed_methods(args) {
            self.out.rows.api_endpoints.push(Endpoint {
                line: line(node),
                method,
                path: full_path.clone(),
                handler_function: handler.clone(),
                framework: "flask",
            });
        }
    }

    fn assignment(&mut self, node: Node<'_>, depth: usize) {
        let left = node.child_by_field_name("left");
        let right = node.child_by_field_name("right");
        let source = right.map(|r| self.out.expr(r));
        if let Some(left) = left {
            // Module- and class-level names are declarations; locals are only assignments.
            let declares = self.out.functions.is_empty();
            if declares {
                self.declare_targets(left, node);
            }
            self.write_targets(left, source.as_deref(), depth);
        }
        if let Some(right) = right {
            self.visit(right, depth);
        }
    }

    fn declare_targets(&mut self, left: Node<'_>, statement: Node<'_>) {
        let mut names = Vec::new();
        self.collect_names(left, &mut names, 0);
        let in_class = !self.out.classes.is_empty();
        for (node, name) in names {
            let kind = if in_class {
                "property"
            } else if name.len() > 1
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                "constant"
            } else {
                "variable"
            };
            self.out.symbol(node, statement, name, kind);
        }
    }

    fn collect_names<'t>(&self, node: Node<'t>, names: &mut Vec<(Node<'t>, String)>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match node.kind() {
            "identifier" => names.push((node, self.out.text(node).to_owned())),
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "list_splat_pattern"
            | "parenthesized_expression"
            | "tuple"
            | "list" => {
                for child in named_children(node) {
                    self.collect_names(child, names, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Records writes (and assignment rows when `source` is given) for each target in `left`.
    fn write_targets(&mut self, left: Node<'_>, source: Option<&str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match left.kind() {
            "identifier" | "attribute" => match self.chain(left) {
                Some(name) => {
                    self.out.usage(left, name.clone(), "write");
                    if let Some(source) = source {
                        self.out.assignment(left, name, source.to_owned());
                    }
                }
                None => {
                    if let Some(source) = source {
                        let target = self.out.expr(left);
                        self.out.assignment(left, target, source.to_owned());
                    }
                    if let Some(object) = left.child_by_field_name("object") {
                        self.visit(object, depth);
                    }
                }
            },
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "list_splat_pattern"
            | "parenthesized_expression"
            | "tuple"
            | "list" => {
                for child in named_children(left) {
                    self.write_targets(child, source, depth + 1);
                }
            }
            _ => {
                // `d[k] = v`: the target as written; its parts are reads.
                if let Some(source) = source {
                    let target = self.out.expr(left);
                    self.out.assignment(left, target, source.to_owned());
                }
                self.visit(left, depth);
            }
        }
    }

    fn augmented(&mut self, node: Node<'_>, depth: usize) {
        let right = node.child_by_field_name("right");
        let source = right.map(|r| self.out.expr(r)).unwrap_or_default();
        if let Some(left) = node.child_by_field_name("left") {
            if let Some(name) = self.chain(left) {
                self.out.usage(left, name, "read");
            }
            self.write_targets(left, Some(&source), depth);
        }
        if let Some(right) = right {
            self.visit(right, depth);
        }
    }

    fn call(&mut self, node: Node<'_>, depth: usize) {
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        let args_node = node.child_by_field_name("arguments");
        let args: Vec<Node<'_>> = match args_node {
            Some(a) if a.kind() == "argument_list" => named_children(a),
            Some(a) => vec![a],
            None => Vec::new(),
        };
        let callee = self.chain(func).unwrap_or_else(|| self.out.expr(func));
        self.out.call(node, callee.clone(), &args);
        if (callee == "__import__" || callee == "importlib.import_module")
            && let Some(module) = args.first().and_then(|a| self.literal(*a))
        {
            self.out.rows.refs.push(Ref {
                line: line(node),
                kind: "import".to_owned(),
                value: module,
            });
        }
        if self.django_urls {
            self.django_route(node, &callee, &args);
        }
        self.url_rule(node, &callee, &args);
        match func.kind() {
            "attribute" => {
                if let Some(object) = func.child_by_field_name("object") {
                    match self.chain(object) {
                        Some(name) => self.out.usage(object, name, "read"),
                        None => self.visit(object, depth),
                    }
                }
            }
            "identifier" => {}
            _ => self.visit(func, depth),
        }
        if let Some(args_node) = args_node {
            self.visit(args_node, depth);
        }
    }

    /// Django: `path("users/<int:id>/", views.user, name="user")` in `urls.py`.
    fn django_route(&mut self, node: Node<'_>, callee: &str, args: &[Node<'_>]) {
        let last = callee.rsplit('.').next().unwrap_or(callee);
        if !matches!(last, "path" | "re_path" | "url") {
            return;
        }
        let positional: Vec<Node<'_>> = args
            .iter()
            .copied()
            .filter(|a| a.kind() != "keyword_argument")
            .collect();
        let Some(route) = positional.first().and_then(|a| self.literal(*a)) else {
            return;
        };
        let handler = positional.get(1).map(|h| self.out.expr(*h));
        self.out.rows.api_endpoints.push(Endpoint {
            line: line(node),
            method: "ALL".to_owned(),
            path: route,
            handler_function: handler,
            framework: "django",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::join_path;

    #[test]
    fn prefixes_join_with_one_slash() {
        assert_eq!(join_path("", "/a"), "/a");
        assert_eq!(join_path("/items", "/"), "/items/");
        assert_eq!(join_path("/items/", "/{id}"), "/items/{id}");
        assert_eq!(join_path("/items", ""), "/items");
    }
}

//! Extraction from Go syntax trees.
//!
//! Besides names, reads, writes, calls and SQL (interpreted and backtick strings, `+`
//! concatenations), this module knows the routing conventions of net/http (`HandleFunc`,
//! `Handle`, Go 1.22 patterns such as `"GET /users/{id}"`), gorilla/mux (`.Methods(...)`,
//! `PathPrefix(...).Subrouter()`), gin and echo (`r.GET`, groups from `r.Group("/v1")`), and
//! chi (`r.Get`, `r.Route("/users", func(r chi.Router) {...})`). Group prefixes are resolved
//! within a file. Comments are never visited, and types never hold reads.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::rows::{Endpoint, Ref};
use crate::syntax::{MAX_DEPTH, Member, Out, join_path, line, named_children, unescape};

/// How Go spells `a.b`.
const MEMBER: Member = Member {
    kind: "selector_expression",
    object: "operand",
    property: "field",
};

/// The HTTP methods, as gin and echo name their route functions.
const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
];

/// The web frameworks a file imports; they decide which calls declare routes.
#[derive(Debug, Default)]
struct Frameworks {
    gin: bool,
    echo: bool,
    chi: bool,
    fiber: bool,
    gorilla: bool,
}

struct Go<'o, 'a> {
    out: &'o mut Out<'a>,
    frameworks: Frameworks,
    /// Route prefixes of router groups (`v1 := r.Group("/v1")`), by variable name.
    prefixes: HashMap<String, String>,
}

/// Extracts every row of a Go file.
pub fn extract(out: &mut Out<'_>, root: Node<'_>) {
    let mut go = Go {
        out,
        frameworks: Frameworks::default(),
        prefixes: HashMap::new(),
    };
    go.visit(root, 0);
}

impl Go<'_, '_> {
    fn visit(&mut self, node: Node<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let depth = depth + 1;
        match node.kind() {
            // Types, labels and constants never hold runtime reads, writes or calls.
            "comment"
            | "package_clause"
            | "parameter_list"
            | "type_identifier"
            | "qualified_type"
            | "pointer_type"
            | "slice_type"
            | "array_type"
            | "map_type"
            | "chan_type"
            | "function_type"
            | "struct_type"
            | "interface_type"
            | "generic_type"
            | "type_arguments"
            | "type_parameter_list"
            | "field_identifier"
            | "package_identifier"
            | "label_name"
            | "int_literal"
            | "float_literal"
            | "imaginary_literal"
            | "rune_literal"
            | "true"
            | "false"
            | "nil"
            | "iota"
            | "blank_identifier" => {}
            "import_declaration" => self.imports(node),
            "function_declaration" => self.function(node, depth),
            "method_declaration" => self.method(node, depth),
            "type_declaration" => {
                for spec in named_children(node) {
                    self.type_spec(spec);
                }
            }
            "const_declaration" | "var_declaration" => self.declaration(node, depth),
            "short_var_declaration" | "assignment_statement" | "receive_statement" => {
                self.assignment(node, depth);
            }
            "inc_statement" | "dec_statement" => {
                if let Some(target) = node.named_child(0) {
                    match self.chain(target) {
                        Some(name) => {
                            self.out.usage(target, name.clone(), "read");
                            self.out.usage(target, name, "write");
                        }
                        None => self.visit(target, depth),
                    }
                }
            }
            "range_clause" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.write_targets(left, depth);
                }
                if let Some(right) = node.child_by_field_name("right") {
                    self.visit(right, depth);
                }
            }
            "type_switch_statement" => {
                let alias = node.child_by_field_name("alias");
                if let Some(alias) = alias {
                    self.write_targets(alias, depth);
                }
                for child in named_children(node) {
                    if Some(child) != alias {
                        self.visit(child, depth);
                    }
                }
            }
            "call_expression" => self.call(node, depth),
            "type_conversion_expression" => {
                // `pkg.Make[int](x)`: a call of a generic function, spelled like a conversion.
                let operand = node.child_by_field_name("operand");
                if let Some(callee) = node.child_by_field_name("type") {
                    let callee = self.out.expr(callee);
                    let args: Vec<Node<'_>> = operand.into_iter().collect();
                    self.out.call(node, callee, &args);
                }
                if let Some(operand) = operand {
                    self.visit(operand, depth);
                }
            }
            "selector_expression" => match self.chain(node) {
                Some(name) => self.out.usage(node, name, "read"),
                None => {
                    if let Some(operand) = node.child_by_field_name("operand") {
                        self.visit(operand, depth);
                    }
                }
            },
            "identifier" => {
                let name = self.out.text(node);
                if name != "_" {
                    self.out.usage(node, name.to_owned(), "read");
                }
            }
            "composite_literal" => {
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            "keyed_element" => {
                // `User{Name: x}`: a field name is not a read; a map key expression is.
                if let Some(key) = node.child_by_field_name("key")
                    && key.named_child(0).is_none_or(|k| k.kind() != "identifier")
                {
                    self.visit(key, depth);
                }
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit(value, depth);
                }
            }
            "type_assertion_expression" => {
                if let Some(operand) = node.child_by_field_name("operand") {
                    self.visit(operand, depth);
                }
            }
            "interpreted_string_literal" | "raw_string_literal" => {
                if !self.out.strings_done.contains(&node.id())
                    && let Some(value) = literal(self.out, node)
                {
                    self.out.maybe_sql(node, &value);
                }
            }
            "binary_expression" => {
                self.out.concatenation(node, literal);
                self.visit_children(node, depth);
            }
            "func_literal" => {
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, depth);
                }
            }
            _ => self.visit_children(node, depth),
        }
    }

    fn visit_children(&mut self, node: Node<'_>, depth: usize) {
        for child in named_children(node) {
            self.visit(child, depth);
        }
    }

    /// An identifier or a selector chain made only of names (`r.URL.Path`); `None` for
    /// anything else (`f().x`, `a[0].b`).
    fn chain(&self, node: Node<'_>) -> Option<String> {
        chain(self.out, node)
    }

    fn imports(&mut self, node: Node<'_>) {
        let mut specs = Vec::new();
        for child in named_children(node) {
            match child.kind() {
                "import_spec" => specs.push(child),
                "import_spec_list" => specs.extend(
                    named_children(child)
                        .into_iter()
                        .filter(|s| s.kind() == "import_spec"),
                ),
                _ => {}
            }
        }
        for spec in specs {
            let Some(path_node) = spec.child_by_field_name("path") else {
                continue;
            };
            let Some(path) = literal(self.out, path_node) else {
                continue;
            };
            self.note_framework(&path);
            self.out.rows.refs.push(Ref {
                line: line(spec),
                kind: "import".to_owned(),
                value: path.clone(),
            });
            match spec.child_by_field_name("name") {
                // `_` and `.` imports bind no name.
                Some(alias) if alias.kind() == "package_identifier" => {
                    let name = self.out.text(alias).to_owned();
                    self.out.symbol(alias, spec, name, "import");
                }
                Some(_) => {}
                None => self
                    .out
                    .symbol(path_node, spec, package_name(&path).to_owned(), "import"),
            }
        }
    }

    fn note_framework(&mut self, path: &str) {
        let f = &mut self.frameworks;
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        f.gin |= under("github.com/gin-gonic/gin");
        f.echo |= under("github.com/labstack/echo");
        f.chi |= under("github.com/go-chi/chi");
        f.fiber |= under("github.com/gofiber/fiber");
        f.gorilla |= under("github.com/gorilla/mux");
    }

    fn function(&mut self, node: Node<'_>, depth: usize) {
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let name = self.out.text(name_node).to_owned();
        self.out.symbol(name_node, node, name.clone(), "function");
        self.body(node, name, depth);
    }

    /// `func (s *Server) Handle(...)`: a method of `Server`, in function `Server.Handle`.
    fn method(&mut self, node: Node<'_>, depth: usize) {
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let receiver = node
            .child_by_field_name("receiver")
            .and_then(|r| {
                named_children(r)
                    .into_iter()
                    .find(|p| p.kind() == "parameter_declaration")
            })
            .and_then(|p| p.child_by_field_name("type"))
            .and_then(|t| self.base_type(t, 0))
            .unwrap_or_default();
        let name = self.out.text(name_node).to_owned();
        self.out.classes.push(receiver);
        self.out.symbol(name_node, node, name.clone(), "method");
        let qualified = self.out.qualified(&name);
        self.out.classes.pop();
        self.body(node, qualified, depth);
    }

    /// The type named by a receiver: `T` for `T`, `*T`, `T[K]` and `*T[K]`.
    fn base_type(&self, node: Node<'_>, depth: usize) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match node.kind() {
            "type_identifier" => Some(self.out.text(node).to_owned()),
            "pointer_type" | "parenthesized_type" => {
                self.base_type(node.named_child(0)?, depth + 1)
            }
            "generic_type" => self.base_type(node.child_by_field_name("type")?, depth + 1),
            _ => None,
        }
    }

    /// Visits a function's body as function `name`.
    fn body(&mut self, node: Node<'_>, name: String, depth: usize) {
        self.out.functions.push(name);
        if let Some(body) = node.child_by_field_name("body") {
            self.visit(body, depth);
        }
        self.out.functions.pop();
    }

    /// `type User struct {...}`, `type Store interface {...}`, `type ID = int`: the type, and
    /// the fields of a struct and methods of an interface as its members.
    fn type_spec(&mut self, spec: Node<'_>) {
        if !matches!(spec.kind(), "type_spec" | "type_alias") {
            return;
        }
        let Some(name_node) = spec.child_by_field_name("name") else {
            return;
        };
        let name = self.out.text(name_node).to_owned();
        let body = spec.child_by_field_name("type");
        let kind = match body.map(|b| b.kind()) {
            Some("struct_type") if spec.kind() == "type_spec" => "struct",
            Some("interface_type") if spec.kind() == "type_spec" => "interface",
            _ => "type",
        };
        self.out.symbol(name_node, spec, name.clone(), kind);
        let Some(body) = body.filter(|_| kind != "type") else {
            return;
        };
        self.out.classes.push(name);
        let members = match body.kind() {
            "struct_type" => body.named_child(0).map(named_children).unwrap_or_default(),
            _ => named_children(body),
        };
        for member in members {
            let kind = match member.kind() {
                "field_declaration" => "property",
                "method_elem" => "method",
                _ => continue,
            };
            let mut cursor = member.walk();
            let names: Vec<Node<'_>> = member.children_by_field_name("name", &mut cursor).collect();
            for name_node in names {
                let name = self.out.text(name_node).to_owned();
                self.out.symbol(name_node, member, name, kind);
            }
        }
        self.out.classes.pop();
    }

    /// `const (...)` and `var (...)`: a symbol per name, a write and an assignment per value.
    fn declaration(&mut self, node: Node<'_>, depth: usize) {
        let kind = if node.kind() == "const_declaration" {
            "constant"
        } else {
            "variable"
        };
        let mut specs = Vec::new();
        for child in named_children(node) {
            match child.kind() {
                "var_spec_list" => specs.extend(named_children(child)),
                _ => specs.push(child),
            }
        }
        for spec in specs {
            if !matches!(spec.kind(), "const_spec" | "var_spec") {
                continue;
            }
            let mut cursor = spec.walk();
            let names: Vec<Node<'_>> = spec.children_by_field_name("name", &mut cursor).collect();
            let value = spec.child_by_field_name("value");
            let values = value.map(named_children).unwrap_or_default();
            for (i, name_node) in names.iter().enumerate() {
                let name = self.out.text(*name_node).to_owned();
                if name == "_" {
                    continue;
                }
                self.out.symbol(*name_node, spec, name.clone(), kind);
                if let Some(value) = value {
                    let source = self.source(value, &values, names.len(), i);
                    self.out.usage(*name_node, name.clone(), "write");
                    self.out.assignment(*name_node, name, source);
                }
            }
            self.values(&names, &values, depth);
        }
    }

    /// The source of the `i`th of `targets` names: its own value when each name has one,
    /// else the whole right-hand side (`a, err := f()`).
    fn source(&self, right: Node<'_>, values: &[Node<'_>], targets: usize, i: usize) -> String {
        match values.get(i) {
            Some(value) if values.len() == targets => self.out.expr(*value),
            _ => self.out.expr(right),
        }
    }

    /// Visits right-hand values; a function literal bound to one name runs as that function.
    fn values(&mut self, names: &[Node<'_>], values: &[Node<'_>], depth: usize) {
        for (i, value) in values.iter().enumerate() {
            let bound = names
                .get(i)
                .filter(|n| n.kind() == "identifier" && values.len() == names.len());
            match bound {
                Some(name) if value.kind() == "func_literal" => {
                    self.out.functions.push(self.out.text(*name).to_owned());
                    self.visit(*value, depth);
                    self.out.functions.pop();
                }
                _ => self.visit(*value, depth),
            }
        }
    }

    /// `x := v`, `a, err = f()`, `s.n += 1`, `case v := <-ch`.
    fn assignment(&mut self, node: Node<'_>, depth: usize) {
        let left = node.child_by_field_name("left");
        let right = node.child_by_field_name("right");
        let augmented = node
            .child_by_field_name("operator")
            .is_some_and(|op| self.out.text(op) != "=");
        let targets = left.map(named_children).unwrap_or_default();
        let values = match right {
            Some(r) if r.kind() == "expression_list" => named_children(r),
            Some(r) => vec![r],
            None => Vec::new(),
        };
        for (i, target) in targets.iter().enumerate() {
            let source = right.map(|r| self.source(r, &values, targets.len(), i));
            match self.chain(*target) {
                Some(name) if name == "_" => {}
                Some(name) => {
                    if augmented {
                        self.out.usage(*target, name.clone(), "read");
                    }
                    self.out.usage(*target, name.clone(), "write");
                    if let Some(source) = source {
                        self.out.assignment(*target, name, source);
                    }
                }
                None => {
                    // `m[k] = v`, `*p = v`: the target as written; its parts are reads.
                    if let Some(source) = source {
                        let text = self.out.expr(*target);
                        self.out.assignment(*target, text, source);
                    }
                    self.visit(*target, depth);
                }
            }
        }
        if let Some(group) = self.group_prefix(&values)
            && let [target] = targets.as_slice()
            && let Some(name) = self.chain(*target)
        {
            self.prefixes.insert(name, group);
        }
        self.values(&targets, &values, depth);
    }

    /// Writes (without assignment rows) to each name in a list: loop and switch variables.
    fn write_targets(&mut self, list: Node<'_>, depth: usize) {
        for target in named_children(list) {
            match self.chain(target) {
                Some(name) if name == "_" => {}
                Some(name) => self.out.usage(target, name, "write"),
                None => self.visit(target, depth),
            }
        }
    }

    fn call(&mut self, node: Node<'_>, depth: usize) {
        let Some(func) = node.child_by_field_name("function") else {
            self.visit_children(node, depth);
            return;
        };
        let args_node = node.child_by_field_name("arguments");
        let args = args_node.map(named_children).unwrap_or_default();
        let callee = self.out.callee_text(func, MEMBER, &chain, 0);
        self.out.call(node, callee, &args);
        self.route(node, func, &args);

        // The callee: `db.Exec` reads `db`; `a.b().c` visits the inner call.
        match func.kind() {
            "selector_expression" => {
                if let Some(operand) = func.child_by_field_name("operand") {
                    match self.chain(operand) {
                        Some(name) => self.out.usage(operand, name, "read"),
                        None => self.visit(operand, depth),
                    }
                }
            }
            "identifier" => {}
            _ => self.visit(func, depth),
        }
        // chi: `r.Route("/users", func(r chi.Router) {...})` prefixes the closure's router.
        let scoped = self.route_closure(func, &args);
        let saved = scoped
            .as_ref()
            .map(|(name, prefix)| self.prefixes.insert(name.clone(), prefix.clone()));
        for arg in &args {
            self.visit(*arg, depth);
        }
        if let (Some((name, _)), Some(saved)) = (scoped, saved) {
            match saved {
                Some(previous) => self.prefixes.insert(name, previous),
                None => self.prefixes.remove(&name),
            };
        }
    }

    /// The receiver and method name of `recv.Method(...)`, with the receiver's route prefix.
    fn receiver<'t>(&self, func: Node<'t>) -> Option<(Node<'t>, String, String)> {
        if func.kind() != "selector_expression" {
            return None;
        }
        let operand = func.child_by_field_name("operand")?;
        let method = self.out.text(func.child_by_field_name("field")?).to_owned();
        let prefix = self
            .chain(operand)
            .and_then(|r| self.prefixes.get(&r).cloned())
            .unwrap_or_default();
        Some((operand, method, prefix))
    }

    /// The prefix a group-creating value gives its variable: `r.Group("/v1")` (gin, echo,
    /// fiber), `r.PathPrefix("/api").Subrouter()` (gorilla).
    fn group_prefix(&self, values: &[Node<'_>]) -> Option<String> {
        let [value] = values else { return None };
        if value.kind() != "call_expression" {
            return None;
        }
        let func = value.child_by_field_name("function")?;
        let (operand, method, prefix) = self.receiver(func)?;
        let args = named_children(value.child_by_field_name("arguments")?);
        match method.as_str() {
            "Group" => {
                let path = literal(self.out, *args.first()?)?;
                Some(join_path(&prefix, &path))
            }
            "Subrouter" if operand.kind() == "call_expression" => {
                let (_, inner, prefix) = self.receiver(operand.child_by_field_name("function")?)?;
                let inner_args = named_children(operand.child_by_field_name("arguments")?);
                let path = literal(self.out, *inner_args.first()?)?;
                (inner == "PathPrefix").then(|| join_path(&prefix, &path))
            }
            _ => None,
        }
    }

    /// chi's `r.Route("/p", func(r chi.Router) {...})`: the closure's router parameter and
    /// the prefix it routes under.
    fn route_closure(&self, func: Node<'_>, args: &[Node<'_>]) -> Option<(String, String)> {
        let (_, method, prefix) = self.receiver(func)?;
        if method != "Route" || !self.frameworks.chi {
            return None;
        }
        let [path, closure] = args else { return None };
        let path = literal(self.out, *path)?;
        let param = named_children(closure.child_by_field_name("parameters")?)
            .into_iter()
            .find(|p| p.kind() == "parameter_declaration")?
            .child_by_field_name("name")?;
        Some((self.out.text(param).to_owned(), join_path(&prefix, &path)))
    }

    /// Records the routes a call declares.
    fn route(&mut self, node: Node<'_>, func: Node<'_>, args: &[Node<'_>]) {
        let Some((_, method, prefix)) = self.receiver(func) else {
            return;
        };
        let first = args.first().and_then(|a| literal(self.out, *a));
        let handler = args.last().and_then(|h| self.chain(*h));
        let f = &self.frameworks;
        let (methods, path, framework): (Vec<String>, String, &'static str) = match method.as_str()
        {
            // gin: `r.Handle("GET", "/x", h)`; chi: `r.Method("GET", "/x", h)`.
            "Handle" | "Method" | "MethodFunc"
                if args.len() >= 3
                    && first.as_deref().is_some_and(|m| {
                        HTTP_METHODS.contains(&m.to_ascii_uppercase().as_str())
                    }) =>
            {
                let Some(path) = literal(self.out, args[1]) else {
                    return;
                };
                let framework = if f.gin { "gin" } else { self.mux_framework() };
                let method = first.unwrap_or_default().to_ascii_uppercase();
                (vec![method], path, framework)
            }
            // net/http, gorilla/mux, chi: `mux.HandleFunc("GET /users/{id}", h)`.
            "HandleFunc" | "Handle" if args.len() >= 2 => {
                let Some(pattern) = first else { return };
                let (method, path) = match pattern.split_once(' ') {
                    Some((method, path)) if HTTP_METHODS.contains(&method) => {
                        (method.to_owned(), path.trim_start().to_owned())
                    }
                    _ => ("ALL".to_owned(), pattern),
                };
                // A Go 1.22 pattern may name a host: `example.com/x`.
                let Some(slash) = path.find('/') else { return };
                let path = path[slash..].to_owned();
                let methods = match self.gorilla_methods(node) {
                    Some(listed) if method == "ALL" => listed,
                    _ => vec![method],
                };
                (methods, path, self.mux_framework())
            }
            // gin, echo: `r.GET("/x", h)`, `r.Any("/x", h)`.
            upper
                if (f.gin || f.echo)
                    && args.len() >= 2
                    && (HTTP_METHODS.contains(&upper) || upper == "Any") =>
            {
                let Some(path) = first else { return };
                let method = if upper == "Any" { "ALL" } else { upper };
                let framework = if f.gin { "gin" } else { "echo" };
                (vec![method.to_owned()], path, framework)
            }
            // chi, fiber: `r.Get("/x", h)`.
            camel if (f.chi || f.fiber) && args.len() >= 2 => {
                let upper = camel.to_ascii_uppercase();
                let method = match upper.as_str() {
                    "ALL" => "ALL",
                    m if HTTP_METHODS.contains(&m) && camel != upper => m,
                    _ => return,
                };
                let Some(path) = first else { return };
                let framework = if f.chi { "chi" } else { "fiber" };
                (vec![method.to_owned()], path, framework)
            }
            _ => return,
        };
        // net/http patterns are absolute; gin, echo and chi join relative ones (`"users"`)
        // to their group, or to `/`.
        let absolute = path.starts_with('/');
        if !absolute && (framework == "net/http" || path.contains(char::is_whitespace)) {
            return;
        }
        let full = join_path(&prefix, &path);
        let full = if full.starts_with('/') {
            full
        } else {
            format!("/{full}")
        };
        for method in methods {
            self.out.rows.api_endpoints.push(Endpoint {
                line: line(node),
                method,
                path: full.clone(),
                handler_function: handler.clone(),
                framework,
            });
        }
    }

    fn mux_framework(&self) -> &'static str {
        if self.frameworks.gorilla {
            "gorilla"
        } else if self.frameworks.chi {
            "chi"
        } else {
            "net/http"
        }
    }

    /// gorilla/mux: the methods of `r.HandleFunc(...).Methods("GET", "POST")`.
    fn gorilla_methods(&self, call: Node<'_>) -> Option<Vec<String>> {
        let selector = call
            .parent()
            .filter(|p| p.kind() == "selector_expression")?;
        let field = selector.child_by_field_name("field")?;
        if self.out.text(field) != "Methods" {
            return None;
        }
        let outer = selector
            .parent()
            .filter(|p| p.kind() == "call_expression")?;
        let listed: Vec<String> = named_children(outer.child_by_field_name("arguments")?)
            .into_iter()
            .filter_map(|a| literal(self.out, a))
            .map(|m| m.to_ascii_uppercase())
            .collect();
        (!listed.is_empty()).then_some(listed)
    }
}

/// An identifier or a selector chain made only of names.
fn chain(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = node;
    for _ in 0..MAX_DEPTH {
        match current.kind() {
            "identifier" => {
                parts.push(out.text(current));
                parts.reverse();
                return Some(parts.join("."));
            }
            "selector_expression" => {
                parts.push(out.text(current.child_by_field_name("field")?));
                current = current.child_by_field_name("operand")?;
            }
            _ => return None,
        }
    }
    None
}

/// The value of a string literal: escapes resolved in `"..."`, verbatim in backticks.
fn literal(out: &Out<'_>, node: Node<'_>) -> Option<String> {
    let text = out.text(node);
    match node.kind() {
        "interpreted_string_literal" => Some(unescape(crate::syntax::strip_quotes(text))),
        // Carriage returns are discarded from raw strings (Go spec).
        "raw_string_literal" => Some(crate::syntax::strip_quotes(text).replace('\r', "")),
        _ => None,
    }
}

/// The name an import binds without an alias: the last element of its path, without a
/// major-version suffix (`github.com/go-chi/chi/v5` -> `chi`, `gopkg.in/yaml.v3` -> `yaml`).
fn package_name(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    let is_version =
        |s: &str| s.len() > 1 && s.starts_with('v') && s[1..].chars().all(|c| c.is_ascii_digit());
    if is_version(last)
        && let Some(previous) = parts.next()
    {
        last = previous;
    }
    if let Some((name, version)) = last.rsplit_once('.')
        && is_version(version)
    {
        last = name;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::package_name;

    #[test]
    fn package_names_drop_versions() {
        assert_eq!(package_name("net/http"), "http");
        assert_eq!(package_name("fmt"), "fmt");
        assert_eq!(package_name("github.com/go-chi/chi/v5"), "chi");
        assert_eq!(package_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(package_name("github.com/labstack/echo/v4"), "echo");
    }
}

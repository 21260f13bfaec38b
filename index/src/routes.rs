//! Route resolution: the full path of every route, across files.
//!
//! A walker only sees its own file: it records each route with the router serving it
//! (`route_sites`), each router it mounts under a prefix (`route_mounts`: `app.use('/api', r)`,
//! `include_router(r, prefix=...)`, `.nest("/api", routes::router())`, `Register(v1)`) and what
//! its names mean (`route_bindings`: imports, aliases such as `module.exports = router`, string
//! constants such as `API_V1_STR: str = "/api/v1"`). This pass, run by the writer inside the
//! indexing transaction whenever one of those tables changed, follows the mounts from every
//! route up to the routers nobody mounts and writes one `api_endpoints` row per way the route
//! is served, with its full path, the path its file declares (`pattern`) and how the path was
//! assembled (`mounts`). A prefix that is not a static string is kept as `{expression}` in the
//! path and explained in `unresolved`: a route is never dropped.
//!
//! The walk is bounded (depth and total steps), so mount cycles and hostile inputs end.

use std::collections::{HashMap, HashSet};

use rusqlite::{Transaction, params};

use crate::syntax::join_path;

/// How many routers deep a chain of mounts is followed.
const MAX_MOUNT_DEPTH: usize = 16;

/// How many names one reference may be followed through (imports, aliases).
const MAX_NAME_STEPS: usize = 32;

/// How many mounts the whole resolution of one route may visit.
const MOUNT_BUDGET: usize = 10_000;

/// A route as its file declares it.
struct Site {
    file: String,
    line: i64,
    method: String,
    pattern: String,
    handler: Option<String>,
    framework: String,
    router: String,
}

/// A router mounted under a prefix.
struct Mount {
    file: String,
    line: i64,
    parent: String,
    prefix: Option<String>,
    prefix_expr: String,
    outer: String,
    child: String,
}

/// An import: `name` is `target` of `module` (the module itself when `target` is empty).
struct Import {
    module: String,
    target: String,
}

/// A router, a constant or any named thing: the scope that defines it (a file, or a Go
/// package directory) and its name there.
type Key = (String, String);

/// Everything the resolution reads, loaded once.
struct Facts {
    files: HashSet<String>,
    /// Directories holding Go files.
    go_dirs: Vec<String>,
    imports: HashMap<(String, String), Import>,
    aliases: HashMap<Key, String>,
    consts: HashMap<Key, String>,
}

/// One way a route is served: the prefix above its own file, and where it came from.
#[derive(Debug, Clone, Default)]
struct Chain {
    prefix: String,
    steps: Vec<String>,
    unresolved: Option<String>,
}

/// Recomputes `api_endpoints` from the route tables; returns how many rows it wrote.
pub fn resolve(tx: &Transaction<'_>) -> rusqlite::Result<usize> {
    let sites: Vec<Site> = tx
        .prepare(
            "SELECT file, line, method, pattern, handler_function, framework, router FROM route_sites",
        )?
        .query_map([], |r| {
            Ok(Site {
                file: r.get(0)?,
                line: r.get(1)?,
                method: r.get(2)?,
                pattern: r.get(3)?,
                handler: r.get(4)?,
                framework: r.get(5)?,
                router: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mounts: Vec<Mount> = tx
        .prepare("SELECT file, line, parent, prefix, prefix_expr, outer, child FROM route_mounts")?
        .query_map([], |r| {
            Ok(Mount {
                file: r.get(0)?,
                line: r.get(1)?,
                parent: r.get(2)?,
                prefix: r.get(3)?,
                prefix_expr: r.get(4)?,
                outer: r.get(5)?,
                child: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut facts = Facts {
        files: HashSet::new(),
        go_dirs: Vec::new(),
        imports: HashMap::new(),
        aliases: HashMap::new(),
        consts: HashMap::new(),
    };
    if !mounts.is_empty() {
        facts.files = tx
            .prepare("SELECT path FROM files")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut dirs: Vec<String> = facts
            .files
            .iter()
            .filter(|f| f.ends_with(".go"))
            .map(|f| dir_of(f).to_owned())
            .collect();
        dirs.sort();
        dirs.dedup();
        facts.go_dirs = dirs;
        let mut stmt = tx.prepare("SELECT file, kind, name, module, target FROM route_bindings")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (file, kind, name, module, target) = row?;
            let scope = scope_of(&file);
            match kind.as_str() {
                "import" => {
                    facts
                        .imports
                        .insert((file, name), Import { module, target });
                }
                "alias" => {
                    facts.aliases.insert((scope, name), target);
                }
                "const" => {
                    facts.consts.insert((scope, name), target);
                }
                _ => {}
            }
        }
    }

    // Which mounts serve each router.
    let mut by_child: HashMap<Key, Vec<usize>> = HashMap::new();
    let mut parents = Vec::with_capacity(mounts.len());
    for (i, mount) in mounts.iter().enumerate() {
        if let Some(child) = facts.resolve(&mount.file, &mount.child) {
            by_child.entry(child).or_default().push(i);
        }
        parents.push(facts.resolve(&mount.file, &mount.parent));
    }
    let resolver = Resolver {
        facts: &facts,
        mounts: &mounts,
        parents: &parents,
        by_child: &by_child,
    };

    tx.execute("DELETE FROM api_endpoints", [])?;
    let mut rows = Vec::new();
    let mut cache: HashMap<Key, Vec<Chain>> = HashMap::new();
    for site in &sites {
        let key = facts
            .resolve(&site.file, &site.router)
            .unwrap_or_else(|| (scope_of(&site.file), site.router.clone()));
        let chains = cache.entry(key.clone()).or_insert_with(|| {
            let mut budget = MOUNT_BUDGET;
            let mut stack = vec![key.clone()];
            let chains = resolver.chains(&key, 0, &mut stack, &mut budget);
            if chains.is_empty() {
                // Never dropped: the route is kept at its own path, and says why.
                return vec![Chain {
                    unresolved: Some(
                        "mounted only through a cycle of routers; no prefix from a root".to_owned(),
                    ),
                    ..Chain::default()
                }];
            }
            chains
        });
        for chain in chains.iter() {
            let status = match (&chain.unresolved, chain.steps.is_empty()) {
                (Some(_), _) => "unresolved",
                (None, true) => "none",
                (None, false) => "resolved",
            };
            let path = join_path(&chain.prefix, &site.pattern);
            let mounts = (!chain.steps.is_empty()).then(|| chain.steps.join(" > "));
            rows.push((
                site.file.clone(),
                site.line,
                site.method.clone(),
                path,
                site.handler.clone(),
                site.framework.clone(),
                site.pattern.clone(),
                status,
                chain.unresolved.clone(),
                mounts,
            ));
        }
    }
    rows.sort();
    rows.dedup();
    let mut stmt = tx.prepare(
        "INSERT INTO api_endpoints (file, line, method, path, handler_function, framework, pattern, prefix_status, unresolved, mounts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for row in &rows {
        stmt.execute(params![
            row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9
        ])?;
    }
    Ok(rows.len())
}

/// Walks mounts from a router up to the routers nobody mounts.
struct Resolver<'f> {
    facts: &'f Facts,
    mounts: &'f [Mount],
    parents: &'f [Option<Key>],
    by_child: &'f HashMap<Key, Vec<usize>>,
}

impl Resolver<'_> {
    /// Every way the router `key` is served: one chain per path of mounts above it, or one
    /// empty chain when nothing mounts it.
    fn chains(
        &self,
        key: &Key,
        depth: usize,
        stack: &mut Vec<Key>,
        budget: &mut usize,
    ) -> Vec<Chain> {
        let Some(mounts) = self.by_child.get(key) else {
            // Nobody mounts it: served as its file declares it.
            return vec![Chain::default()];
        };
        if depth >= MAX_MOUNT_DEPTH {
            return vec![Chain {
                unresolved: Some(format!(
                    "mounted more than {MAX_MOUNT_DEPTH} routers deep; the outer prefixes are not followed"
                )),
                ..Chain::default()
            }];
        }
        let mut found = Vec::new();
        for &i in mounts {
            if *budget == 0 {
                break;
            }
            *budget -= 1;
            let mount = &self.mounts[i];
            let Some(parent) = self.parents.get(i).cloned().flatten() else {
                continue;
            };
            // A cycle (`a` mounts `b` mounts `a`) serves nothing new.
            if stack.contains(&parent) {
                continue;
            }
            let (prefix, shown, unresolved) = self.prefix(mount);
            stack.push(parent.clone());
            for mut chain in self.chains(&parent, depth + 1, stack, budget) {
                chain.prefix = join_path(&chain.prefix, &prefix);
                chain
                    .steps
                    .push(format!("{}:{} {shown}", mount.file, mount.line));
                if chain.unresolved.is_none() {
                    chain.unresolved.clone_from(&unresolved);
                }
                found.push(chain);
            }
            stack.pop();
        }
        // Mounted only inside a cycle (or beyond the budget): no way in from a root.
        found
    }

    /// The prefix a mount adds, how to show it, and why it is unresolved if it is.
    fn prefix(&self, mount: &Mount) -> (String, String, Option<String>) {
        if let Some(prefix) = &mount.prefix {
            let shown = if prefix.is_empty() {
                "(no prefix)"
            } else {
                prefix
            };
            return (prefix.clone(), shown.to_owned(), None);
        }
        let expr = mount.prefix_expr.as_str();
        match self.facts.string(&mount.file, expr) {
            Some(value) => {
                let full = join_path(&mount.outer, &value);
                let shown = format!("{full} ({expr})");
                (full, shown, None)
            }
            None => {
                let full = join_path(&mount.outer, &format!("{{{expr}}}"));
                let reason = format!(
                    "prefix `{expr}` at {}:{} is not a string aud can read statically",
                    mount.file, mount.line
                );
                (full.clone(), format!("{full} (unresolved)"), Some(reason))
            }
        }
    }
}

impl Facts {
    /// The value of a string constant named by `expr` in `file` (`API_PREFIX`,
    /// `settings.API_V1_STR` through an import and `settings = Settings()`).
    fn string(&self, file: &str, expr: &str) -> Option<String> {
        let key = self.resolve(file, expr)?;
        self.consts.get(&key).cloned()
    }

    /// What `reference` (`router`, `items.router`, `routes::router`, `pkg.Register(0)`) names
    /// in `file`, after following imports and aliases: the defining scope and its name there.
    /// `None` when it leads out of the repository (a package).
    fn resolve(&self, file: &str, reference: &str) -> Option<Key> {
        let mut file = Some(file.to_owned());
        let mut scope = scope_of(file.as_deref().unwrap_or_default());
        let mut segments = split(reference);
        'follow: for _ in 0..MAX_NAME_STEPS {
            for k in (1..=segments.len()).rev() {
                let head = segments[..k].join(".");
                if self.consts.contains_key(&(scope.clone(), head.clone())) && k == segments.len() {
                    break 'follow;
                }
                if let Some(target) = self.aliases.get(&(scope.clone(), head.clone())) {
                    let mut next = split(target);
                    next.extend_from_slice(&segments[k..]);
                    if next == segments {
                        break 'follow;
                    }
                    segments = next;
                    continue 'follow;
                }
                let Some(from) = file.as_deref() else {
                    continue;
                };
                let Some(import) = self.imports.get(&(from.to_owned(), head.clone())) else {
                    continue;
                };
                let rest = &segments[k..];
                let (next_scope, next): (String, Vec<String>) = if import.target.is_empty() {
                    (self.module(from, &import.module)?, rest.to_vec())
                } else if let Some(sub) = self
                    .module(from, &submodule(from, &import.module, &import.target))
                    .filter(|_| !is_js(from) && !is_go(from))
                {
                    // `from app.api.routes import items`: a submodule, not a name.
                    (sub, rest.to_vec())
                } else {
                    let mut next = vec![import.target.clone()];
                    next.extend_from_slice(rest);
                    (self.module(from, &import.module)?, next)
                };
                file = (!next_scope.ends_with('/')).then(|| next_scope.clone());
                scope = scope_of(&next_scope);
                segments = next;
                continue 'follow;
            }
            break;
        }
        Some((scope, segments.join(".")))
    }

    /// The file (or Go package directory, ending in `/`) a module reference in `from` names.
    fn module(&self, from: &str, module: &str) -> Option<String> {
        if is_js(from) {
            return self.js_module(from, module);
        }
        if from.ends_with(".py") {
            return self.python_module(from, module);
        }
        if from.ends_with(".rs") {
            return self.rust_module(from, module);
        }
        if is_go(from) {
            return self.go_package(module);
        }
        None
    }

    fn js_module(&self, from: &str, module: &str) -> Option<String> {
        if !module.starts_with('.') {
            return None;
        }
        let base = normalize(&format!("{}/{module}", dir_of(from)))?;
        const EXTS: &[&str] = &[".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", ".mts", ".cts"];
        if self.files.contains(&base) {
            return Some(base);
        }
        let stem = base.strip_suffix(".js").unwrap_or(&base);
        EXTS.iter()
            .map(|ext| format!("{stem}{ext}"))
            .chain(
                EXTS.iter()
                    .map(|ext| format!("{}index{ext}", dir_prefix(&base))),
            )
            .find(|candidate| self.files.contains(candidate))
    }

    fn python_module(&self, from: &str, module: &str) -> Option<String> {
        let dots = module.chars().take_while(|c| *c == '.').count();
        let rest = module[dots..].replace('.', "/");
        let roots: Vec<String> = if dots > 0 {
            let mut dir = dir_of(from).to_owned();
            for _ in 1..dots {
                dir = dir_of(&dir).to_owned();
            }
            vec![dir]
        } else {
            // An absolute import is relative to some source root above the importing file.
            ancestors(from)
        };
        for root in roots {
            let base = format!("{}{rest}", dir_prefix(&root));
            let base = base.trim_end_matches('/');
            for candidate in [format!("{base}.py"), format!("{base}/__init__.py")] {
                if self.files.contains(&candidate) {
                    return Some(candidate);
                }
            }
        }
        None
    }

    fn rust_module(&self, from: &str, module: &str) -> Option<String> {
        let mut segments: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let dir = match segments.first().copied() {
            Some("crate") => {
                segments.remove(0);
                self.rust_crate_root(from)?
            }
            Some("self") => {
                segments.remove(0);
                rust_module_dir(from)
            }
            Some("super") => {
                let mut dir = rust_module_dir(from);
                while segments.first() == Some(&"super") {
                    segments.remove(0);
                    dir = dir_of(&dir).to_owned();
                }
                dir
            }
            // 2018 paths: a module of the crate root, or (`mod x;`) a child of this module.
            _ => {
                return self
                    .rust_crate_root(from)
                    .and_then(|root| self.rust_file(&root, &segments))
                    .or_else(|| self.rust_file(&rust_module_dir(from), &segments));
            }
        };
        if segments.is_empty() {
            return [
                format!("{}main.rs", dir_prefix(&dir)),
                format!("{}lib.rs", dir_prefix(&dir)),
                format!("{}mod.rs", dir_prefix(&dir)),
            ]
            .into_iter()
            .find(|c| self.files.contains(c));
        }
        self.rust_file(&dir, &segments)
    }

    fn rust_file(&self, dir: &str, segments: &[&str]) -> Option<String> {
        if segments.is_empty() {
            return None;
        }
        let base = format!("{}{}", dir_prefix(dir), segments.join("/"));
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|c| self.files.contains(c))
    }

    /// The nearest directory above `from` holding `main.rs` or `lib.rs`.
    fn rust_crate_root(&self, from: &str) -> Option<String> {
        ancestors(from).into_iter().find(|dir| {
            ["main.rs", "lib.rs"]
                .iter()
                .any(|f| self.files.contains(&format!("{}{f}", dir_prefix(dir))))
        })
    }

    /// The directory of the repository's Go package an import path names: the one sharing
    /// the longest tail with it.
    fn go_package(&self, import: &str) -> Option<String> {
        let wanted: Vec<&str> = import.split('/').collect();
        let mut best: Option<(usize, &String)> = None;
        for dir in &self.go_dirs {
            let have: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
            let common = wanted
                .iter()
                .rev()
                .zip(have.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            if common > 0
                && best.is_none_or(|(n, d)| common > n || (common == n && dir.len() < d.len()))
            {
                best = Some((common, dir));
            }
        }
        best.map(|(_, dir)| format!("{dir}/"))
    }
}

/// A reference's segments: `a.b`, `a::b`, `pkg.Register(0)`.
fn split(reference: &str) -> Vec<String> {
    reference
        .replace("::", ".")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The module `name` inside `module`, as the language of `from` writes it.
fn submodule(from: &str, module: &str, name: &str) -> String {
    if from.ends_with(".rs") {
        format!("{module}::{name}")
    } else if module.ends_with('.') {
        format!("{module}{name}")
    } else {
        format!("{module}.{name}")
    }
}

fn is_js(file: &str) -> bool {
    [".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", ".mts", ".cts"]
        .iter()
        .any(|ext| file.ends_with(ext))
}

fn is_go(file: &str) -> bool {
    file.ends_with(".go") || file.ends_with('/')
}

/// Where names of `file` live: the file, or for Go its package directory (ending in `/`).
fn scope_of(file: &str) -> String {
    if file.ends_with(".go") {
        format!("{}/", dir_of(file))
    } else {
        file.to_owned()
    }
}

/// The directory part of a repo-relative path (`""` at the root).
fn dir_of(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
}

/// `dir/`, or nothing for the root.
fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{}/", dir.trim_end_matches('/'))
    }
}

/// Every directory above `path`, nearest first, the root (`""`) last.
fn ancestors(path: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut dir = dir_of(path);
    loop {
        dirs.push(dir.to_owned());
        if dir.is_empty() {
            break;
        }
        dir = dir_of(dir);
    }
    dirs
}

/// The directory holding a Rust file's child modules.
fn rust_module_dir(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    if matches!(name, "main.rs" | "lib.rs" | "mod.rs") {
        dir_of(file).to_owned()
    } else {
        file.strip_suffix(".rs").unwrap_or(file).to_owned()
    }
}

/// Resolves `.` and `..` in a relative path; `None` when it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::{ancestors, normalize, rust_module_dir, split};

    #[test]
    fn paths_and_references_split() {
        assert_eq!(
            normalize("src/routes/../api/./x"),
            Some("src/api/x".to_owned())
        );
        assert_eq!(normalize("../x"), None);
        assert_eq!(ancestors("a/b/c.py"), vec!["a/b", "a", ""]);
        assert_eq!(split("routes::router"), vec!["routes", "router"]);
        assert_eq!(split("pkg.Register(0)"), vec!["pkg", "Register(0)"]);
        assert_eq!(rust_module_dir("src/main.rs"), "src");
        assert_eq!(rust_module_dir("src/api.rs"), "src/api");
    }
}

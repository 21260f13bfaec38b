//! YAML to [`Spec`]: walks the parsed document with positions, validates every key and value,
//! and gathers every problem before giving up.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Marker, Scalar, ScanError, YamlData};

use super::shape::{RULE_KEYS, SCOPE_KEYS, SPEC_KEYS, TERMS_KEYS};
use super::{Rule, Scope, Severity, Spec, SpecError, SpecErrors, Term, TermKind, TermSet};
use crate::matcher::{Pattern, PatternError};

pub(super) fn load(file: &str, yaml: &str) -> Result<Spec, SpecErrors> {
    let mut cx = Cx {
        file,
        source: yaml,
        errors: Vec::new(),
        terms_written: 0,
    };
    let docs = match MarkedYaml::load_from_str(yaml) {
        Ok(docs) => docs,
        Err(e) => {
            cx.scan_error(&e);
            return Err(cx.finish_err());
        }
    };
    let spec = match docs.as_slice() {
        [] => {
            cx.error_at(
                Marker::new(0, 1, 0),
                "the spec is empty",
                Some("a spec needs `refactor_name` and `rules`".into()),
            );
            None
        }
        [doc, rest @ ..] => {
            if let Some(second) = rest.first() {
                cx.error_at(
                    second.span.start,
                    "a spec file holds one YAML document, this is a second one",
                    None,
                );
            }
            cx.spec(doc)
        }
    };
    match spec {
        Some(spec) if cx.errors.is_empty() => Ok(spec),
        _ => Err(cx.finish_err()),
    }
}

struct Cx<'a> {
    file: &'a str,
    source: &'a str,
    errors: Vec<SpecError>,
    /// Terms written in the rule being read, valid or not (to tell "checks nothing" apart
    /// from "its terms are broken").
    terms_written: usize,
}

type Map<'n, 'i> = &'n saphyr::AnnotatedMapping<'i, MarkedYaml<'i>>;

impl<'a> Cx<'a> {
    fn finish_err(mut self) -> SpecErrors {
        self.errors.sort_by_key(|e| (e.line, e.column));
        self.errors.dedup();
        SpecErrors {
            errors: self.errors,
        }
    }

    fn error_at(&mut self, at: Marker, message: impl Into<String>, help: Option<String>) {
        self.errors.push(SpecError {
            file: self.file.to_owned(),
            line: at.line().max(1),
            column: at.col() + 1,
            message: message.into(),
            help,
        });
    }

    fn error(&mut self, node: &MarkedYaml<'_>, message: impl Into<String>) {
        self.error_at(node.span.start, message, None);
    }

    fn scan_error(&mut self, e: &ScanError) {
        let info = e.info();
        let help = info
            .contains("duplicated key")
            .then(|| "each key may appear once per mapping".to_owned());
        self.error_at(*e.marker(), format!("invalid YAML: {info}"), help);
    }

    /// Checks the keys of a mapping, reporting unknown ones with a suggestion, and returns the
    /// known entries by key.
    fn keys<'n, 'i>(
        &mut self,
        map: Map<'n, 'i>,
        allowed: &[&'static str],
        where_: &str,
    ) -> HashMap<&'static str, (&'n MarkedYaml<'i>, &'n MarkedYaml<'i>)> {
        let mut found = HashMap::new();
        for (k, v) in map {
            let Some(name) = scalar_str(k) else {
                self.error(
                    k,
                    format!("keys of {where_} must be names, found {}", describe(k)),
                );
                continue;
            };
            match allowed.iter().find(|a| **a == name) {
                Some(known) => {
                    found.insert(*known, (k, v));
                }
                None => {
                    let help = suggest(name, allowed, where_);
                    self.error_at(
                        k.span.start,
                        format!("unknown key `{name}` in {where_}"),
                        help,
                    );
                }
            }
        }
        found
    }

    fn spec(&mut self, doc: &MarkedYaml<'_>) -> Option<Spec> {
        let YamlData::Mapping(map) = &doc.data else {
            self.error(
                doc,
                format!(
                    "a spec must be a mapping with `refactor_name` and `rules`, found {}",
                    describe(doc)
                ),
            );
            return None;
        };
        let keys = self.keys(map, SPEC_KEYS, "the spec");
        let name = match (keys.get("refactor_name"), keys.get("context_name")) {
            (Some((_, a)), Some((kb, _))) => {
                self.error(
                    kb,
                    "`context_name` is an alias of `refactor_name`: give only one",
                );
                self.string(a)
            }
            (Some((_, v)), None) | (None, Some((_, v))) => self.string(v),
            (None, None) => {
                self.error(doc, "missing `refactor_name` (the spec's name)");
                None
            }
        };
        if let Some(n) = &name
            && n.trim().is_empty()
        {
            let (_, v) = keys
                .get("refactor_name")
                .or_else(|| keys.get("context_name"))
                .copied()
                .unwrap_or((doc, doc));
            self.error(v, "the spec's name is empty");
        }
        let description = keys
            .get("description")
            .and_then(|(_, v)| self.opt_string(v));
        let version = keys.get("version").and_then(|(_, v)| self.version(v));
        let metadata = keys
            .get("metadata")
            .map(|(_, v)| self.metadata(v))
            .unwrap_or(serde_json::Value::Null);
        let rules = match keys.get("rules") {
            None => {
                self.error(doc, "missing `rules` (a list of at least one rule)");
                Vec::new()
            }
            Some((k, v)) => self.rules(k, v),
        };
        Some(Spec {
            name: name?,
            description,
            version,
            metadata,
            rules,
        })
    }

    fn rules(&mut self, key: &MarkedYaml<'_>, node: &MarkedYaml<'_>) -> Vec<Rule> {
        let items = match &node.data {
            YamlData::Sequence(items) => items,
            YamlData::Value(Scalar::Null) => {
                self.error(key, "`rules` is empty: a spec needs at least one rule");
                return Vec::new();
            }
            _ => {
                self.error(
                    node,
                    format!("`rules` must be a list, found {}", describe(node)),
                );
                return Vec::new();
            }
        };
        if items.is_empty() {
            self.error(node, "`rules` is empty: a spec needs at least one rule");
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut rules = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(rule) = self.rule(item, i) {
                if let Some(first_line) = seen.get(&rule.id) {
                    let at = id_marker(item).unwrap_or(item.span.start);
                    self.error_at(
                        at,
                        format!(
                            "duplicate rule id `{}` (first used on line {first_line})",
                            rule.id
                        ),
                        Some("rule ids must be unique within a spec".into()),
                    );
                } else {
                    let line = id_marker(item).unwrap_or(item.span.start).line();
                    seen.insert(rule.id.clone(), line);
                }
                rules.push(rule);
            }
        }
        rules
    }

    fn rule(&mut self, node: &MarkedYaml<'_>, index: usize) -> Option<Rule> {
        let YamlData::Mapping(map) = &node.data else {
            self.error(
                node,
                format!(
                    "rule {} must be a mapping, found {}",
                    index + 1,
                    describe(node)
                ),
            );
            return None;
        };
        let keys = self.keys(map, RULE_KEYS, "a rule");
        self.terms_written = 0;
        let id = match keys.get("id") {
            Some((_, v)) => self.string(v).and_then(|id| {
                if id.trim().is_empty() {
                    self.error(v, "the rule id is empty");
                    None
                } else {
                    Some(id)
                }
            }),
            None => {
                self.error(node, format!("rule {} has no `id`", index + 1));
                None
            }
        };
        let description = match keys.get("description") {
            Some((_, v)) => self.string(v),
            None => {
                let label = id.as_deref().map_or_else(
                    || format!("rule {}", index + 1),
                    |id| format!("rule `{id}`"),
                );
                self.error(node, format!("{label} has no `description`"));
                None
            }
        };
        let severity = keys
            .get("severity")
            .and_then(|(_, v)| self.severity(v))
            .unwrap_or(Severity::Medium);
        let category = keys
            .get("category")
            .and_then(|(_, v)| self.string(v))
            .unwrap_or_else(|| "schema".to_owned());
        let r#match = keys
            .get("match")
            .map(|(_, v)| self.terms(v, "match"))
            .unwrap_or_default();
        let expect = match (keys.get("expect"), keys.get("requires")) {
            (Some((_, v)), Some((k2, _))) => {
                self.error(k2, "`requires` is an alias of `expect`: give only one");
                self.terms(v, "expect")
            }
            (Some((_, v)), None) => self.terms(v, "expect"),
            (None, Some((_, v))) => self.terms(v, "requires"),
            (None, None) => TermSet::default(),
        };
        let expect_not = keys
            .get("expect_not")
            .map(|(_, v)| self.terms(v, "expect_not"))
            .unwrap_or_default();
        let scope = keys
            .get("scope")
            .map(|(_, v)| self.scope(v))
            .unwrap_or_default();
        let guidance = keys.get("guidance").and_then(|(_, v)| self.opt_string(v));
        if self.terms_written == 0 {
            let label = id.as_deref().map_or_else(
                || format!("rule {}", index + 1),
                |id| format!("rule `{id}`"),
            );
            self.error(
                node,
                format!(
                    "{label} checks nothing: give terms under `match`, `expect` or `expect_not`"
                ),
            );
        }
        Some(Rule {
            id: id?,
            description: description?,
            severity,
            category,
            r#match,
            expect,
            expect_not,
            scope,
            guidance,
        })
    }

    fn severity(&mut self, node: &MarkedYaml<'_>) -> Option<Severity> {
        let text = self.string(node)?;
        match Severity::from_name(&text) {
            Some(s) => Some(s),
            None => {
                let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                let help = Severity::from_name(&text.to_lowercase())
                    .map(|s| format!("write `{s}` in lower case"))
                    .or_else(|| closest(&text, &names).map(|s| format!("did you mean `{s}`?")))
                    .or_else(|| Some(format!("one of: {}", names.join(", "))));
                self.error_at(node.span.start, format!("unknown severity `{text}`"), help);
                None
            }
        }
    }

    fn terms(&mut self, node: &MarkedYaml<'_>, block: &str) -> TermSet {
        let map = match &node.data {
            YamlData::Mapping(map) => map,
            YamlData::Value(Scalar::Null) => return TermSet::default(),
            _ => {
                self.error_at(
                    node.span.start,
                    format!(
                        "`{block}` must be a mapping of term kinds, found {}",
                        describe(node)
                    ),
                    Some("e.g. `identifiers: [auth0]`".into()),
                );
                return TermSet::default();
            }
        };
        let keys = self.keys(map, TERMS_KEYS, &format!("`{block}`"));
        if let (Some(_), Some((k, _))) = (keys.get("expressions"), keys.get("strings")) {
            self.error(k, "`strings` is an alias of `expressions`: give only one");
        }
        let mut terms = Vec::new();
        for kind in TermKind::ALL {
            let entry = keys.get(kind.key()).or_else(|| {
                (kind == TermKind::Expressions)
                    .then(|| keys.get("strings"))
                    .flatten()
            });
            if let Some((k, v)) = entry {
                self.term_list(k, v, kind, &mut terms);
            }
        }
        TermSet { terms }
    }

    fn term_list(
        &mut self,
        key: &MarkedYaml<'_>,
        node: &MarkedYaml<'_>,
        kind: TermKind,
        out: &mut Vec<Term>,
    ) {
        let name = scalar_str(key).unwrap_or(kind.key());
        let items = match &node.data {
            YamlData::Sequence(items) => items,
            YamlData::Value(Scalar::Null) => return,
            _ => {
                // Something was written; "checks nothing" would only add noise.
                self.terms_written += 1;
                self.error_at(
                    node.span.start,
                    format!("`{name}` must be a list of terms, found {}", describe(node)),
                    Some(format!("write `{name}: [term]` or a `- term` list")),
                );
                return;
            }
        };
        self.terms_written += items.len();
        for item in items {
            let Some(text) = self.string(item) else {
                continue;
            };
            match Pattern::new(&text) {
                Ok(pattern) => out.push(Term {
                    text,
                    kind,
                    pattern,
                }),
                Err(PatternError::Empty) => self.error(item, format!("empty term in `{name}`")),
                Err(PatternError::Regex(why)) => self.error_at(
                    item.span.start,
                    format!("invalid regular expression `{text}` in `{name}`: {why}"),
                    Some("a term written /.../ is a regular expression; write it without slashes to match it literally".into()),
                ),
            }
        }
    }

    fn scope(&mut self, node: &MarkedYaml<'_>) -> Scope {
        let map = match &node.data {
            YamlData::Mapping(map) => map,
            YamlData::Value(Scalar::Null) => return Scope::default(),
            _ => {
                self.error_at(
                    node.span.start,
                    format!("`scope` must be a mapping, found {}", describe(node)),
                    Some("e.g. `scope: { include: [\"src/**\"] }`".into()),
                );
                return Scope::default();
            }
        };
        let keys = self.keys(map, SCOPE_KEYS, "`scope`");
        let include = keys
            .get("include")
            .map(|(_, v)| self.globs(v, "include"))
            .unwrap_or_default();
        let exclude = keys
            .get("exclude")
            .map(|(_, v)| self.globs(v, "exclude"))
            .unwrap_or_default();
        // Every glob was checked one by one above; building the set cannot fail on them.
        Scope::build(include, exclude).unwrap_or_default()
    }

    fn globs(&mut self, node: &MarkedYaml<'_>, name: &str) -> Vec<String> {
        let items: Vec<&MarkedYaml<'_>> = match &node.data {
            YamlData::Sequence(items) => items.iter().collect(),
            YamlData::Value(Scalar::Null) => return Vec::new(),
            YamlData::Value(Scalar::String(_)) => vec![node],
            _ => {
                self.error(
                    node,
                    format!("`{name}` must be a list of globs, found {}", describe(node)),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            let Some(text) = self.string(item) else {
                continue;
            };
            if text.is_empty() {
                self.error(item, format!("empty glob in `{name}`"));
                continue;
            }
            match super::compile_glob(&text) {
                Ok(_) => out.push(text),
                Err(e) => self.error_at(
                    item.span.start,
                    format!("invalid glob `{text}` in `{name}`: {}", glob_reason(&e)),
                    None,
                ),
            }
        }
        out
    }

    fn version(&mut self, node: &MarkedYaml<'_>) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => {
                Some(self.raw_text(node))
            }
            YamlData::Value(Scalar::Null) => None,
            _ => {
                self.error(
                    node,
                    format!(
                        "`version` must be a number or a string, found {}",
                        describe(node)
                    ),
                );
                None
            }
        }
    }

    /// The scalar exactly as written (so `version: 1.0` stays `1.0`).
    fn raw_text(&self, node: &MarkedYaml<'_>) -> String {
        let start = node.span.start.index();
        let end = node.span.end.index();
        let text: String = self
            .source
            .chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect();
        let text = text.trim();
        if text.is_empty() {
            match &node.data {
                YamlData::Value(s) => scalar_to_string(s),
                _ => String::new(),
            }
        } else {
            text.to_owned()
        }
    }

    fn metadata(&mut self, node: &MarkedYaml<'_>) -> serde_json::Value {
        match &node.data {
            YamlData::Mapping(_) => to_json(node),
            YamlData::Value(Scalar::Null) => serde_json::Value::Null,
            _ => {
                self.error(
                    node,
                    format!("`metadata` must be a mapping, found {}", describe(node)),
                );
                serde_json::Value::Null
            }
        }
    }

    fn string(&mut self, node: &MarkedYaml<'_>) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(
                s @ (Scalar::Integer(_) | Scalar::FloatingPoint(_) | Scalar::Boolean(_)),
            ) => {
                let raw = self.raw_text(node);
                self.error_at(
                    node.span.start,
                    format!("expected text, found {}", describe(node)),
                    Some(format!(
                        "quote it: \"{}\"",
                        if raw.is_empty() {
                            scalar_to_string(s)
                        } else {
                            raw
                        }
                    )),
                );
                None
            }
            _ => {
                self.error(node, format!("expected text, found {}", describe(node)));
                None
            }
        }
    }

    fn opt_string(&mut self, node: &MarkedYaml<'_>) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::Null) => None,
            _ => self.string(node),
        }
    }
}

/// The key's text, when it is a plain string.
fn scalar_str<'n>(node: &'n MarkedYaml<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

fn id_marker(rule: &MarkedYaml<'_>) -> Option<Marker> {
    let YamlData::Mapping(map) = &rule.data else {
        return None;
    };
    map.iter()
        .find(|(k, _)| scalar_str(k) == Some("id"))
        .map(|(_, v)| v.span.start)
}

fn describe(node: &MarkedYaml<'_>) -> &'static str {
    match &node.data {
        YamlData::Value(Scalar::Null) => "nothing (null)",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(Scalar::Integer(_)) => "a number",
        YamlData::Value(Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "text",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        YamlData::Tagged(..) => "a tagged value",
        YamlData::Alias(_) => "an alias",
        YamlData::BadValue => "an invalid value",
    }
}

fn scalar_to_string(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Null => "null".into(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

fn to_json(node: &MarkedYaml<'_>) -> serde_json::Value {
    use serde_json::Value;
    match &node.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => Value::Bool(*b),
        YamlData::Value(Scalar::Integer(i)) => Value::from(*i),
        YamlData::Value(Scalar::FloatingPoint(f)) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        YamlData::Value(Scalar::String(s)) => Value::String(s.to_string()),
        YamlData::Representation(s, ..) => Value::String(s.to_string()),
        YamlData::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        YamlData::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match &k.data {
                        YamlData::Value(s) => scalar_to_string(s),
                        _ => String::new(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => to_json(inner),
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    }
}

/// The closest known name, if it is close enough to be a likely typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = name.to_lowercase();
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn suggest(name: &str, allowed: &[&str], where_: &str) -> Option<String> {
    if let Some(k) = closest(name, allowed) {
        return Some(format!("did you mean `{k}`?"));
    }
    let lower = name.to_lowercase();
    let home = if TERMS_KEYS.contains(&lower.as_str()) && !allowed.contains(&"identifiers") {
        Some("inside `match`, `expect` or `expect_not`")
    } else if SCOPE_KEYS.contains(&lower.as_str()) && !allowed.contains(&"include") {
        Some("inside `scope`")
    } else if RULE_KEYS.contains(&lower.as_str()) && !allowed.contains(&"id") {
        Some("inside a rule, under `rules`")
    } else {
        None
    };
    Some(match home {
        Some(home) => format!("`{name}` belongs {home}"),
        None => format!("keys of {where_}: {}", allowed.join(", ")),
    })
}

fn glob_reason(e: &globset::Error) -> String {
    e.kind().to_string()
}

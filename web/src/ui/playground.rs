//! `/playground`: edit a spec and see it validated live by core's own parser.

use leptos::html::Textarea;
use leptos::prelude::*;

use crate::spec_check::{self, RuleSummary, SpecSummary, Validation};

/// The spec playground.
#[component]
pub fn Playground() -> impl IntoView {
    let (text, set_text) = signal(spec_check::EXAMPLE_SPEC.to_owned());
    let validation = Memo::new(move |_| text.with(|t| spec_check::validate(t)));
    let line_count = Memo::new(move |_| text.with(|t| spec_check::gutter_lines(t)));
    let bad_lines = Memo::new(move |_| match &*validation.read() {
        Validation::Valid(_) => Default::default(),
        Validation::Invalid(errors) => spec_check::error_lines(errors, line_count.get()),
    });
    let editor: NodeRef<Textarea> = NodeRef::new();
    let go_to_line = move |line: usize| {
        if let Some(el) = editor.get() {
            let (start, end) = text.with(|t| spec_check::line_span_utf16(t, line));
            let _ = el.focus();
            let _ = el.set_selection_range(start, end);
        }
    };
    let gutter = move || {
        let bad = bad_lines.get();
        (1..=line_count.get())
            .map(|n| {
                view! {
                    <div class="gutter-line" class:error=bad.contains(&n) data-line=n.to_string()>{n}</div>
                }
            })
            .collect_view()
    };
    let errors = move || {
        match &*validation.read() {
        Validation::Valid(_) => None,
        Validation::Invalid(errors) => Some(
            errors
                .iter()
                .map(|e| {
                    let line = e.line;
                    view! {
                        <li
                            class="spec-error"
                            data-line=line.to_string()
                            title="Go to the line"
                            aria-label=spec_check::error_text(e)
                            on:click=move |_| go_to_line(line)
                        >
                            <span class="pos">{format!("{}:{}", e.line, e.column)}</span>
                            " "
                            <span class="msg">{e.message.clone()}</span>
                            {e.help.clone().map(|h| view! { " " <span class="help">{format!("({h})")}</span> })}
                        </li>
                    }
                })
                .collect_view(),
        ),
    }
    };
    let status = move || match &*validation.read() {
        Validation::Valid(summary) => summary_view(summary).into_any(),
        Validation::Invalid(errors) => {
            let n = errors.len();
            view! {
                <div class="spec-bad">
                    {format!("✖ {n} error{} — the spec would be refused", if n == 1 { "" } else { "s" })}
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="page-head"><h1>"Spec playground"</h1></div>
        <p class="subtitle">
            "Paste or edit a spec. It is checked on every keystroke by aud's own parser, running "
            "in this page: the errors are exactly those "<code>"aud refactor --validate-only"</code>
            " would print."
        </p>
        <div class="playground">
            <div class="editor-wrap">
                <div class="editor">
                    <div class="gutter" aria-hidden="true">{gutter}</div>
                    <textarea
                        id="spec-input"
                        node_ref=editor
                        spellcheck="false"
                        autocomplete="off"
                        wrap="off"
                        rows=move || (line_count.get() + 1).to_string()
                        prop:value=move || text.get()
                        on:input=move |ev| set_text.set(event_target_value(&ev))
                    ></textarea>
                </div>
            </div>
            <aside class="verdict-pane">
                {status}
                <ul id="spec-errors">{errors}</ul>
            </aside>
        </div>
    }
}

fn summary_view(summary: &SpecSummary) -> impl IntoView + use<> {
    let rules = summary.rules.iter().map(rule_card).collect_view();
    let n = summary.rules.len();
    view! {
        <div id="spec-ok" class="spec-ok">
            <div class="ok-head">
                "✔ Valid: "
                <b>{summary.name.clone()}</b>
                {format!(
                    " — {n} rule{}, {} term{}",
                    if n == 1 { "" } else { "s" },
                    summary.term_count(),
                    if summary.term_count() == 1 { "" } else { "s" }
                )}
            </div>
            {summary.description.clone().map(|d| view! { <p class="muted small">{d}</p> })}
            <div class="rule-cards">{rules}</div>
        </div>
    }
}

fn rule_card(rule: &RuleSummary) -> impl IntoView + use<> {
    let block = |label: &'static str, class: &'static str, terms: &[String]| {
        (!terms.is_empty()).then(|| {
            let chips = terms
                .iter()
                .map(|t| view! { <code class="chip">{t.clone()}</code> })
                .collect_view();
            view! {
                <div class=format!("terms {class}")>
                    <span class="terms-label">{format!("{label} ({})", terms.len())}</span>
                    {chips}
                </div>
            }
        })
    };
    let scope = if rule.include.is_empty() && rule.exclude.is_empty() {
        "every file".to_owned()
    } else {
        let mut parts = Vec::new();
        if !rule.include.is_empty() {
            parts.push(format!("in {}", rule.include.join(", ")));
        }
        if !rule.exclude.is_empty() {
            parts.push(format!("not in {}", rule.exclude.join(", ")));
        }
        parts.join("; ")
    };
    let n = rule.term_count();
    view! {
        <div class="rule-card" data-rule=rule.id.clone()>
            <div class="rule-card-head">
                <code>{rule.id.clone()}</code>
                <span class=format!("sev sev-{}", rule.severity)>{rule.severity.clone()}</span>
                <span class="muted small">{format!("{n} term{}", if n == 1 { "" } else { "s" })}</span>
            </div>
            <div class="small">{rule.description.clone()}</div>
            {block("match", "terms-match", &rule.match_terms)}
            {block("expect", "terms-expect", &rule.expect_terms)}
            {block("expect_not", "terms-expect-not", &rule.expect_not_terms)}
            <div class="muted small">"scope: " {scope}</div>
        </div>
    }
}

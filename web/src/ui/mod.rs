//! The Leptos views: the router, the header and the four pages. The logic they show lives in
//! the pure modules of the crate; these only arrange it.

mod plan;
mod plans;
mod playground;
mod task;

use aud_core::api::IndexSummary;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::{api, format};

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Header/>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=plans::PlansPage/>
                    <Route path=path!("/plans/:id") view=plan::PlanPage/>
                    <Route path=path!("/plans/:id/tasks/:n") view=task::TaskPage/>
                    <Route path=path!("/playground") view=playground::Playground/>
                </Routes>
            </main>
        </Router>
    }
}

/// The top bar: navigation and what the index holds.
#[component]
fn Header() -> impl IntoView {
    let location = use_location();
    let on_playground = move || location.pathname.get().starts_with("/playground");
    let index = LocalResource::new(|| api::get::<IndexSummary>("/api/index"));
    view! {
        <header class="top">
            <a class="brand" href="/">"aud"</a>
            <nav>
                <a href="/" class:active=move || !on_playground()>"Plans"</a>
                <a href="/playground" class:active=on_playground>"Playground"</a>
            </nav>
            <div class="index-summary" id="index-summary">
                {move || match index.get() {
                    None => view! { <span class="muted">"index…"</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="muted" title=e>"index unavailable"</span> }.into_any(),
                    Some(Ok(summary)) => index_summary(&summary).into_any(),
                }}
            </div>
        </header>
    }
}

fn index_summary(summary: &IndexSummary) -> impl IntoView + use<> {
    if !summary.exists {
        return view! { <span class="muted">"no index yet (run " <code>"aud index"</code> ")"</span> }
            .into_any();
    }
    let title = summary
        .indexed_at
        .as_deref()
        .map(|t| format!("indexed {}", format::long_time(t)))
        .unwrap_or_default();
    let languages = summary
        .languages
        .iter()
        .map(|l| {
            view! {
                <span class="lang">{l.name.clone()} " " <b>{l.count}</b></span>
            }
        })
        .collect_view();
    view! {
        <span title=title>
            <span class="files"><b>{summary.files}</b> " files indexed"</span>
            {languages}
        </span>
    }
    .into_any()
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <h1>"Not found"</h1>
        <p>"There is no page here. " <a href="/">"Back to the plans"</a></p>
    }
}

/// A resource's three states: loading, an error message, or the page built from its value.
fn resolved<T, V>(
    value: Option<Result<T, String>>,
    what: &'static str,
    page: impl FnOnce(T) -> V,
) -> AnyView
where
    V: IntoView + 'static,
{
    match value {
        None => loading(what).into_any(),
        Some(Err(message)) => error_box(message).into_any(),
        Some(Ok(value)) => page(value).into_any(),
    }
}

fn loading(what: &'static str) -> impl IntoView {
    view! { <div class="loading" role="status"><span class="spinner"></span>"Loading " {what} "…"</div> }
}

fn error_box(message: String) -> impl IntoView {
    view! { <div class="error-box" role="alert"><b>"Error: "</b>{message}</div> }
}

/// A status badge: its text is the status as the API names it.
fn badge(status: &str) -> impl IntoView + use<> {
    let class = format!("badge badge-{status}");
    let status = status.to_owned();
    view! { <span class=class>{status}</span> }
}

/// A progress bar at `percent`.
fn progress_bar(percent: u32, label: String) -> impl IntoView {
    let percent = percent.min(100);
    view! {
        <div class="progress" data-percent=percent.to_string() title=label>
            <div class="progress-fill" style=format!("width: {percent}%")></div>
        </div>
    }
}

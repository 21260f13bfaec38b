//! `/`: every plan with its progress.

use aud_core::api::{PlanList, PlanListItem};
use leptos::prelude::*;

use super::{badge, progress_bar, resolved};
use crate::{api, format};

/// The plans list.
#[component]
pub fn PlansPage() -> impl IntoView {
    let plans = LocalResource::new(|| api::get::<PlanList>("/api/plans"));
    view! {
        <div class="page-head">
            <h1>"Plans"</h1>
        </div>
        {move || resolved(plans.get(), "plans", plans_table)}
    }
}

fn plans_table(list: PlanList) -> impl IntoView {
    let root = list.root.clone();
    if list.plans.is_empty() {
        return view! {
            <p class="subtitle">"in " <code>{root}</code></p>
            <div class="empty">
                <p>"No plans yet."</p>
                <p>"Create one with " <code>"aud planning init --name \"My migration\""</code>
                   ", add tasks with specs, then verify them."</p>
            </div>
        }
        .into_any();
    }
    let rows = list.plans.into_iter().map(plan_row).collect_view();
    view! {
        <p class="subtitle">"in " <code>{root}</code></p>
        <table id="plans" class="grid">
            <thead>
                <tr>
                    <th>"Plan"</th>
                    <th>"Status"</th>
                    <th class="col-progress">"Tasks done"</th>
                    <th class="num">"Violations"</th>
                    <th>"Last run"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn plan_row(item: PlanListItem) -> impl IntoView {
    let s = item.summary;
    let id = s.plan.id;
    let href = format!("/plans/{id}");
    let status = s.plan.status.as_str();
    let label = format!(
        "{} of {} completed{}",
        s.tasks_completed,
        format::count(s.tasks_total, "task", "tasks"),
        if s.tasks_failed > 0 {
            format!(", {} failed", s.tasks_failed)
        } else {
            String::new()
        }
    );
    let failed = (s.tasks_failed > 0).then(|| {
        view! { <span class="failed-count">{format!("{} failed", s.tasks_failed)}</span> }
    });
    let violations = item.total_violations;
    let last_run = item
        .last_run_at
        .as_deref()
        .map_or_else(|| "never".to_owned(), format::short_time);
    view! {
        <tr class="plan-row" data-plan-id=id.to_string()>
            <td>
                <a class="plan-name" href=href>{s.plan.name.clone()}</a>
                <span class="muted id">" #" {id}</span>
                {s.plan.description.clone().map(|d| view! { <div class="desc">{d}</div> })}
            </td>
            <td>{badge(status)}</td>
            <td class="col-progress">
                <div class="progress-cell">
                    {progress_bar(s.progress_percent, label)}
                    <span class="progress-text">
                        {format!("{}/{}", s.tasks_completed, s.tasks_total)}
                    </span>
                    {failed}
                </div>
            </td>
            <td class="num violations" class:zero={violations == 0}>{violations}</td>
            <td class="muted nowrap">{last_run}</td>
        </tr>
    }
}

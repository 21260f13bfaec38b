//! `/plans/{id}`: phases, tasks and jobs, the burn-down chart and the audit-chain verdict.

use aud_core::api::{PlanDetail, TaskItem};
use aud_core::plan::{Phase, PlanStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{badge, progress_bar, resolved};
use crate::chart::{self, Chart};
use crate::{api, format};

/// A plan.
#[component]
pub fn PlanPage() -> impl IntoView {
    let params = use_params_map();
    let plan = LocalResource::new(move || {
        let id = params.read().get("id").unwrap_or_default();
        async move { api::get::<PlanDetail>(&api::plan_url(&id)).await }
    });
    view! { {move || resolved(plan.get(), "the plan", plan_view)} }
}

fn plan_view(detail: PlanDetail) -> impl IntoView {
    let s = &detail.summary;
    let plan = &s.plan;
    let archived = plan.status == PlanStatus::Archived;
    let verdict = format::chain_verdict(&detail.chain);
    let runs = detail.burndown.len();
    let archived_note = archived.then(|| {
        view! {
            <p class="archived-note">
                "Archived"
                {plan.archived_at.as_deref().map(|t| format!(" on {}", format::short_time(t)))}
                {plan.archive_notes.clone().map(|n| format!(": {n}"))}
                ". The plan is frozen; its verification trail is checked below."
            </p>
        }
    });
    let progress_label = format!("{} of {} tasks completed", s.tasks_completed, s.tasks_total);
    let header = view! {
        <nav class="crumbs"><a href="/">"Plans"</a> " / " <span>{plan.name.clone()}</span></nav>
        <div class="page-head">
            <h1>{plan.name.clone()}</h1>
            {badge(plan.status.as_str())}
        </div>
        {plan.description.clone().map(|d| view! { <p class="subtitle">{d}</p> })}
        {archived_note}
        {archived.then(|| verdict_view(&verdict, true))}
        <div class="stats">
            <div class="stat stat-wide">
                <div class="stat-label">"Tasks completed"</div>
                <div class="progress-cell">
                    {progress_bar(s.progress_percent, progress_label)}
                    <span class="progress-text">{format!("{}/{}", s.tasks_completed, s.tasks_total)}</span>
                </div>
            </div>
            <div class="stat">
                <div class="stat-label">"Violations left"</div>
                <div class="stat-value" class:good={detail.total_violations == 0}>{detail.total_violations}</div>
            </div>
            <div class="stat">
                <div class="stat-label">"Failed tasks"</div>
                <div class="stat-value" class:bad={s.tasks_failed != 0}>{s.tasks_failed}</div>
            </div>
            <div class="stat">
                <div class="stat-label">"Verification runs"</div>
                <div class="stat-value">{runs}</div>
            </div>
            <div class="stat">
                <div class="stat-label">"Created"</div>
                <div class="stat-small">{format::short_time(&plan.created_at)}</div>
                {plan.git_commit.as_deref().map(|c| view! {
                    <div class="stat-small mono" title=c.to_owned()>{format::short_hash(c, 10).to_owned()}</div>
                })}
            </div>
        </div>
        {(!archived).then(|| verdict_view(&verdict, false))}
    };
    view! {
        {header}
        <section class="card">
            <h2>"Burn-down"</h2>
            {burndown_view(&detail)}
        </section>
        <section class="card">
            <h2>"Tasks"</h2>
            {tasks_view(detail.phases, detail.tasks, plan.id)}
        </section>
    }
}

fn burndown_view(detail: &PlanDetail) -> AnyView {
    if detail.burndown.is_empty() {
        return view! {
            <p class="empty">"No verification run yet: verify a task ("
                <code>"aud planning verify-task"</code>") to start the chart."</p>
        }
        .into_any();
    }
    let chart = chart::layout(&detail.burndown);
    let (shown, set_shown) = signal(String::from("all"));
    let options = chart
        .tasks
        .iter()
        .map(|line| {
            let n = line.task_number;
            let title = detail
                .tasks
                .iter()
                .find(|t| t.task.task_number == n)
                .map(|t| t.task.title.clone())
                .unwrap_or_default();
            view! { <option value=n.to_string()>{format!("Task {n}: {title}")}</option> }
        })
        .collect_view();
    let legend = chart
        .tasks
        .iter()
        .map(|line| {
            let n = line.task_number;
            let color = chart::task_color(n);
            let visible = move || {
                let s = shown.get();
                s == "all" || s == n.to_string()
            };
            view! {
                <span class="legend-item" class:dim=move || !visible()>
                    <span class="swatch" style=format!("background: {color}")></span>
                    {format!("task {n}")}
                </span>
            }
        })
        .collect_view();
    view! {
        <div class="chart-controls">
            <span class="legend-item"><span class="swatch swatch-plan"></span>"plan total"</span>
            {legend}
            <label class="select">
                "Task lines "
                <select id="task-select" on:change=move |ev| set_shown.set(event_target_value(&ev))>
                    <option value="all" selected>"All tasks"</option>
                    <option value="none">"None"</option>
                    {options}
                </select>
            </label>
        </div>
        {svg_chart(chart, shown)}
    }
    .into_any()
}

fn svg_chart(chart: Chart, shown: ReadSignal<String>) -> impl IntoView {
    let (left, top, right, bottom) = chart.plot;
    let y_ticks = chart
        .y_ticks
        .iter()
        .map(|&(value, y)| {
            view! {
                <line class="grid-line" x1=num(left) x2=num(right) y1=num(y) y2=num(y)></line>
                <text class="tick" x=num(left - 8.0) y=num(y + 4.0) text-anchor="end">{value}</text>
            }
        })
        .collect_view();
    let x_ticks = chart
        .x_ticks
        .iter()
        .map(|&(run, x)| {
            view! {
                <line class="axis" x1=num(x) x2=num(x) y1=num(bottom) y2=num(bottom + 4.0)></line>
                <text class="tick" x=num(x) y=num(bottom + 17.0) text-anchor="middle">{run}</text>
            }
        })
        .collect_view();
    let task_lines = chart
        .tasks
        .into_iter()
        .map(|line| {
            let n = line.task_number;
            let color = chart::task_color(n);
            let hidden = move || {
                let s = shown.get();
                s != "all" && s != n.to_string()
            };
            let markers = line
                .markers
                .into_iter()
                .map(|(p, title)| {
                    view! {
                        <circle class="task-point" cx=num(p.x) cy=num(p.y) r="3.5" fill=color>
                            <title>{title}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <g class="task-series" data-task=n.to_string() class:hidden=hidden>
                    <polyline class="task-line" points=chart::polyline(line.points) stroke=color></polyline>
                    {markers}
                </g>
            }
        })
        .collect_view();
    let plan_points = chart::polyline(chart.plan.iter().map(|m| m.at.clone()));
    let plan_markers = chart
        .plan
        .into_iter()
        .map(|m| {
            view! {
                <circle
                    class="point"
                    data-run=m.run.to_string()
                    data-task=m.task_number.to_string()
                    data-violations=m.plan_violations.to_string()
                    cx=num(m.at.x)
                    cy=num(m.at.y)
                    r="5"
                >
                    <title>{m.title}</title>
                </circle>
            }
        })
        .collect_view();
    let (w, h) = (chart::WIDTH, chart::HEIGHT);
    view! {
        <svg
            id="burndown"
            class="burndown"
            viewBox=format!("0 0 {w} {h}")
            role="img"
            aria-label="Violations per verification run"
        >
            {y_ticks}
            <line class="axis" x1=num(left) x2=num(right) y1=num(bottom) y2=num(bottom)></line>
            <line class="axis" x1=num(left) x2=num(left) y1=num(top) y2=num(bottom)></line>
            {x_ticks}
            <text class="axis-title" x=num((left + right) / 2.0) y=num(h - 6.0) text-anchor="middle">
                "verification run"
            </text>
            <text
                class="axis-title"
                x="0"
                y="0"
                text-anchor="middle"
                transform=format!("translate(14 {}) rotate(-90)", num((top + bottom) / 2.0))
            >
                "violations"
            </text>
            {task_lines}
            <polyline class="plan-line" points=plan_points></polyline>
            {plan_markers}
        </svg>
    }
}

/// The audit-chain verdict: a banner for archived plans, a line otherwise.
fn verdict_view(verdict: &format::Verdict, prominent: bool) -> impl IntoView + use<> {
    let icon = if verdict.word == "intact" {
        "✔"
    } else {
        "✖"
    };
    view! {
        <div
            id="chain-verdict"
            class=format!("verdict verdict-{}", verdict.word)
            class:prominent=prominent
        >
            <span class="verdict-icon">{icon}</span>
            " "
            <span class="verdict-headline">{verdict.headline.clone()}</span>
            " "
            <span class="verdict-detail">{verdict.detail.clone()}</span>
        </div>
    }
}

/// A coordinate as an SVG attribute.
fn num(v: f64) -> String {
    format!("{v:.1}")
}

fn tasks_view(phases: Vec<Phase>, tasks: Vec<TaskItem>, plan_id: i64) -> impl IntoView {
    if tasks.is_empty() {
        return view! {
            <p class="empty">"No tasks yet. Add one with "
                <code>"aud planning add-task PLAN --title … --spec FILE"</code>"."</p>
        }
        .into_any();
    }
    let mut groups: Vec<(Option<Phase>, Vec<TaskItem>)> = phases
        .into_iter()
        .map(|phase| {
            let number = phase.phase_number;
            let members = tasks
                .iter()
                .filter(|t| t.task.phase == Some(number))
                .cloned()
                .collect();
            (Some(phase), members)
        })
        .collect();
    let known: Vec<u32> = groups
        .iter()
        .filter_map(|(p, _)| p.as_ref().map(|p| p.phase_number))
        .collect();
    let loose: Vec<TaskItem> = tasks
        .into_iter()
        .filter(|t| t.task.phase.is_none_or(|p| !known.contains(&p)))
        .collect();
    let any_phase = !groups.is_empty();
    if !loose.is_empty() {
        groups.push((None, loose));
    }
    groups
        .into_iter()
        .map(|(phase, tasks)| {
            let head = match phase {
                Some(p) => view! {
                    <div class="phase-head">
                        <h3>{format!("Phase {} · {}", p.phase_number, p.title)}</h3>
                        {badge(&p.status)}
                    </div>
                    {p.description.map(|d| view! { <p class="desc">{d}</p> })}
                    {p.success_criteria.map(|c| view! {
                        <p class="criteria"><span class="muted">"Done when: "</span>{c}</p>
                    })}
                }
                .into_any(),
                None => view! {
                    <div class="phase-head">
                        <h3>{if any_phase { "Tasks without a phase" } else { "All tasks" }}</h3>
                    </div>
                }
                .into_any(),
            };
            let body = if tasks.is_empty() {
                view! { <p class="muted small">"No task in this phase."</p> }.into_any()
            } else {
                let rows = tasks
                    .into_iter()
                    .map(|t| task_row(t, plan_id))
                    .collect_view();
                view! {
                    <table class="grid tasks">
                        <thead>
                            <tr>
                                <th class="num">"#"</th>
                                <th>"Task"</th>
                                <th>"Status"</th>
                                <th>"Last audit"</th>
                                <th class="num">"Violations"</th>
                                <th class="num">"Runs"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            };
            view! { <div class="phase">{head}{body}</div> }
        })
        .collect_view()
        .into_any()
}

fn task_row(item: TaskItem, plan_id: i64) -> impl IntoView {
    let t = item.task;
    let n = t.task_number;
    let href = format!("/plans/{plan_id}/tasks/{n}");
    let jobs_done = item.jobs.iter().filter(|j| j.completed).count();
    let jobs_total = item.jobs.len();
    let jobs = (!item.jobs.is_empty()).then(|| {
        let items = item
            .jobs
            .into_iter()
            .map(|j| {
                view! {
                    <li class="job" class:done=j.completed>
                        <span class="check">{if j.completed { "☑" } else { "☐" }}</span>
                        {j.description}
                        {j.is_audit_job.then(|| view! { <span class="tag">"audit"</span> })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <ul class="jobs" title=format!("{jobs_done} of {jobs_total} jobs done")>{items}</ul>
        }
    });
    let audit = t.audit_status.map(|a| a.as_str());
    view! {
        <tr class="task-row" data-task=n.to_string()>
            <td class="num muted">{n}</td>
            <td>
                <a class="task-title" href=href>{t.title}</a>
                {(!t.has_spec).then(|| view! { <span class="tag" title="No spec: nothing to verify">"no spec"</span> })}
                {t.assigned_to.map(|a| view! { <span class="muted small">" · " {a}</span> })}
                {jobs}
            </td>
            <td>{badge(t.status.as_str())}</td>
            <td>{match audit {
                Some(a) => view! { <span class=format!("audit audit-{a}")>{a}</span> }.into_any(),
                None => view! { <span class="muted">"—"</span> }.into_any(),
            }}</td>
            <td class="num violations" class:zero={item.violations == Some(0)} class:none={item.violations.is_none()}>
                {item.violations.map_or_else(|| "—".to_owned(), |v| v.to_string())}
            </td>
            <td class="num">{item.runs}</td>
        </tr>
    }
}

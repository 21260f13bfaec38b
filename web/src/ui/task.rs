//! `/plans/{id}/tasks/{n}`: a task's spec, violations, changes since the previous run,
//! coverage, run history and checkpoints with their diffs.

use aud_core::api::{
    CheckpointDiff, CheckpointInfo, FileDiff, FindingView, RuleCoverage, RunDetail, RunSummary,
    TaskDetail,
};
use aud_core::plan::{RunFinding, TaskStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{badge, error_box, loading, resolved};
use crate::format::{self, RuleGroup};
use crate::{api, diff, yaml};

/// A task.
#[component]
pub fn TaskPage() -> impl IntoView {
    let params = use_params_map();
    let task = LocalResource::new(move || {
        let (id, n) = params.with(|p| {
            (
                p.get("id").unwrap_or_default(),
                p.get("n").unwrap_or_default(),
            )
        });
        async move { api::get::<TaskDetail>(&api::task_url(&id, &n)).await }
    });
    view! { {move || resolved(task.get(), "the task", task_view)} }
}

fn task_view(detail: TaskDetail) -> impl IntoView {
    let plan = &detail.plan;
    let t = &detail.task;
    let plan_href = format!("/plans/{}", plan.id);
    let audit = t.audit_status.map(|a| a.as_str());
    let meta = [
        t.phase.map(|p| format!("phase {p}")),
        t.assigned_to.as_ref().map(|a| format!("assigned to {a}")),
        Some(format!("created {}", format::short_time(&t.created_at))),
        t.completed_at
            .as_deref()
            .filter(|_| t.status == TaskStatus::Completed)
            .map(|c| format!("completed {}", format::short_time(c))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let jobs = (!detail.jobs.is_empty()).then(|| {
        let items = detail
            .jobs
            .iter()
            .map(|j| {
                view! {
                    <li class="job" class:done=j.completed>
                        <span class="check">{if j.completed { "☑" } else { "☐" }}</span>
                        {j.description.clone()}
                        {j.is_audit_job.then(|| view! { <span class="tag">"audit"</span> })}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="jobs jobs-large">{items}</ul> }
    });
    let header = view! {
        <nav class="crumbs">
            <a href="/">"Plans"</a> " / " <a href=plan_href>{plan.name.clone()}</a> " / "
            <span>{format!("Task {}", t.task_number)}</span>
        </nav>
        <div class="page-head">
            <h1><span class="muted">{format!("{} · ", t.task_number)}</span>{t.title.clone()}</h1>
            {badge(t.status.as_str())}
            {audit.map(|a| view! { <span class=format!("audit audit-{a}")>{format!("audit: {a}")}</span> })}
        </div>
        {t.description.clone().map(|d| view! { <p class="subtitle">{d}</p> })}
        <p class="meta muted">{meta}</p>
        {jobs}
    };
    let last_run = detail.last_run;
    let summary = last_run.as_ref().map(|r| r.summary.clone());
    view! {
        {header}
        {run_banner(summary.as_ref(), detail.history.len())}
        <section class="card">
            <h2>"Violations" {summary.as_ref().map(|s| view! { <span class="count">{s.total_violations}</span> })}</h2>
            {violations_view(last_run)}
        </section>
        <section class="card">
            <h2>"Since the previous run"</h2>
            <div class="two-col">
                {finding_list("new-findings", "New", "new", detail.diff.new)}
                {finding_list("fixed-findings", "Fixed", "fixed", detail.diff.fixed)}
            </div>
        </section>
        <section class="card" id="coverage">
            <h2>"Coverage"</h2>
            {coverage_view(detail.coverage)}
        </section>
        <section class="card">
            <h2>"Spec"</h2>
            {spec_view(detail.spec_yaml)}
        </section>
        <section class="card">
            <h2>"Run history"</h2>
            {history_view(detail.history)}
        </section>
        <section class="card">
            <h2>"Checkpoints"</h2>
            {checkpoints_view(plan.id, detail.checkpoints)}
        </section>
    }
}

fn run_banner(last: Option<&RunSummary>, runs: usize) -> impl IntoView + use<> {
    match last {
        None => view! {
            <div class="run-banner">"Never verified. Run "
                <code>"aud planning verify-task PLAN TASK"</code>"."</div>
        }
        .into_any(),
        Some(s) => {
            let status = s.audit_status.as_str();
            let commit = s.git_commit.as_deref().map(|c| {
                view! { <span class="mono" title=c.to_owned()>{format!(" · commit {}", format::short_hash(c, 10))}</span> }
            });
            view! {
                <div class=format!("run-banner run-{status}")>
                    <b>{format!("Last run: {}", if status == "pass" { "pass" } else { "fail" })}</b>
                    {format!(
                        " · verification {} of {runs} · {} · {}",
                        s.sequence,
                        format::long_time(&s.created_at),
                        format::count(s.total_violations, "violation", "violations"),
                    )}
                    {commit}
                </div>
            }
            .into_any()
        }
    }
}

fn violations_view(last_run: Option<RunDetail>) -> AnyView {
    let Some(run) = last_run else {
        return view! { <p class="empty">"No run yet."</p> }.into_any();
    };
    let passing: Vec<String> = run
        .summary
        .rules
        .iter()
        .filter(|r| r.violations == 0)
        .map(|r| r.rule_id.clone())
        .collect();
    let totals = run.summary.rules.clone();
    let groups = format::group_by_rule(&run.findings)
        .into_iter()
        .map(|g| {
            let total = totals
                .iter()
                .find(|r| r.rule_id == g.rule_id)
                .map_or(g.findings.len() + g.missing.len(), |r| r.violations);
            rule_group(g, total)
        })
        .collect_view();
    let passing = (!passing.is_empty()).then(|| {
        let items = passing
            .into_iter()
            .map(|id| view! { <li class="rule-pass"><span class="ok">"✔"</span>" " <code>{id}</code> " — no violations"</li> })
            .collect_view();
        view! { <ul class="passing">{items}</ul> }
    });
    let empty = run.findings.is_empty().then(|| {
        view! { <p class="all-clear">"✔ No violations: every rule passes."</p> }
    });
    view! { {empty} {groups} {passing} }.into_any()
}

fn rule_group(group: RuleGroup<'_>, total: usize) -> impl IntoView + use<> {
    let rule_id = group.rule_id.to_owned();
    let rule_attr = rule_id.clone();
    let missing = (!group.missing.is_empty()).then(|| {
        let items = group
            .missing
            .iter()
            .map(|f| {
                view! {
                    <li class="missing-expectation">
                        "Expected " <code class="matched">{f.finding.matched.clone()}</code>
                        " but it is found nowhere in scope"
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="missing">{items}</ul> }
    });
    let findings = group.findings.into_iter().map(finding_view).collect_view();
    view! {
        <div class="rule-group" data-rule=rule_attr>
            <h3 class="rule-head">
                <code>{rule_id}</code>
                <span class="count bad">{format::count(total, "violation", "violations")}</span>
            </h3>
            {missing}
            {findings}
        </div>
    }
}

fn finding_view(f: &FindingView) -> impl IntoView + use<> {
    let r = &f.finding;
    let loc = format::site_location(r);
    let line = r.line;
    let site = r.clone();
    let code = if f.context.is_empty() {
        view! { <div class="code-missing muted">"(the file cannot be read now)"</div> }.into_any()
    } else {
        f.context
            .iter()
            .map(|c| {
                let hit = c.number == line;
                let text = c.text.clone();
                let src = match hit.then(|| format::site_span(&text, &site)).flatten()
                {
                    Some((a, b)) => view! {
                        {text[..a].to_owned()}<mark>{text[a..b].to_owned()}</mark>{text[b..].to_owned()}
                    }
                    .into_any(),
                    None => view! { {text} }.into_any(),
                };
                view! {
                    <div class="code" class:hit=hit>
                        <span class="ln">{c.number}</span>
                        <span class="src">{src}</span>
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let terms: Vec<String> = r
        .all_terms()
        .into_iter()
        .filter(|t| *t != r.matched)
        .map(str::to_owned)
        .collect();
    let term = (!terms.is_empty()).then(|| {
        let label = if terms.len() == 1 { "term " } else { "terms " };
        let codes = terms
            .into_iter()
            .map(|t| view! { <code>{t}</code>" " })
            .collect_view();
        view! { <span class="term muted">{label} {codes}</span> }
    });
    let sources = r.all_sources().join(", ");
    view! {
        <div class="finding">
            <div class="finding-head">
                <span class="loc">{loc}</span>
                <code class="matched" title=r.matched.clone()>{r.matched.clone()}</code>
                <span class="source" title="the index tables that saw this site">{sources}</span>
                {term}
            </div>
            <div class="code-block">{code}</div>
        </div>
    }
}

fn finding_list(
    id: &'static str,
    title: &'static str,
    kind: &'static str,
    findings: Vec<RunFinding>,
) -> impl IntoView {
    let n = findings.len();
    let body = if findings.is_empty() {
        view! { <p class="muted small">"None."</p> }.into_any()
    } else {
        let items = findings
            .into_iter()
            .map(|f| {
                let loc = if f.file.is_empty() {
                    "missing expectation".to_owned()
                } else {
                    format::site_location(&f)
                };
                view! {
                    <li class=format!("change change-{kind}")>
                        <span class="loc">{loc}</span>
                        <code class="matched">{f.matched}</code>
                        <span class="muted small">{f.rule_id}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="changes">{items}</ul> }.into_any()
    };
    view! {
        <div id=id class=format!("changes-box changes-{kind}")>
            <h3>{title} " " <span class="count">{n}</span></h3>
            {body}
        </div>
    }
}

fn coverage_view(coverage: Option<Vec<RuleCoverage>>) -> AnyView {
    let Some(rules) = coverage else {
        return view! { <p class="muted">"No coverage: the task has no spec, or there is no index."</p> }
            .into_any();
    };
    if rules.is_empty() {
        return view! { <p class="muted">"No rule to measure."</p> }.into_any();
    }
    let rows = rules
        .into_iter()
        .map(|r| {
            let total = r.migrated + r.remaining;
            let rule_attr = r.rule_id.clone();
            let pct = r.percent.clamp(0.0, 100.0);
            let label = if total == 0 {
                "nothing to migrate found".to_owned()
            } else {
                format!("{} of {total} sites migrated", r.migrated)
            };
            view! {
                <div class="coverage-row" data-rule=rule_attr>
                    <code class="cov-rule">{r.rule_id}</code>
                    <div class="progress cov-bar" data-percent=format!("{pct:.0}")>
                        <div class="progress-fill" style=format!("width: {pct:.1}%")></div>
                    </div>
                    <span class="cov-pct">{format!("{pct:.0}%")}</span>
                    <span class="cov-label muted">{label}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div class="coverage">{rows}</div> }.into_any()
}

fn spec_view(spec: Option<String>) -> AnyView {
    let Some(spec) = spec else {
        return view! { <p class="muted">"This task has no spec."</p> }.into_any();
    };
    let lines = yaml::tokenize(&spec)
        .into_iter()
        .map(|tokens| {
            let spans = tokens
                .into_iter()
                .map(|t| match t.kind.class() {
                    Some(class) => view! { <span class=class>{t.text}</span> }.into_any(),
                    None => view! { {t.text} }.into_any(),
                })
                .collect_view();
            view! { <span class="line">{spans}"\n"</span> }
        })
        .collect_view();
    view! { <pre id="spec" class="code-view">{lines}</pre> }.into_any()
}

fn history_view(history: Vec<RunSummary>) -> AnyView {
    if history.is_empty() {
        return view! { <p id="history" class="muted">"No run yet."</p> }.into_any();
    }
    let rows = history
        .into_iter()
        .rev()
        .map(|r| {
            let status = r.audit_status.as_str();
            let per_rule = r
                .rules
                .iter()
                .map(|x| format!("{}: {}", x.rule_id, x.violations))
                .collect::<Vec<_>>()
                .join("\n");
            view! {
                <tr class="history-row" data-sequence=r.sequence.to_string()>
                    <td class="num">{r.sequence}</td>
                    <td class="nowrap">{format::long_time(&r.created_at)}</td>
                    <td class="num" title=per_rule>{r.total_violations}</td>
                    <td><span class=format!("audit audit-{status}")>{status}</span></td>
                    <td class="mono muted" title=r.git_commit.clone().unwrap_or_default()>
                        {r.git_commit.as_deref().map(|c| format::short_hash(c, 10).to_owned())}
                    </td>
                    <td class="mono muted" title=r.hash.clone()>{format::short_hash(&r.hash, 12).to_owned()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table id="history" class="grid">
            <thead>
                <tr>
                    <th class="num">"Run"</th>
                    <th>"Time"</th>
                    <th class="num">"Violations"</th>
                    <th>"Status"</th>
                    <th>"Commit"</th>
                    <th>"Chain hash"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn checkpoints_view(plan_id: i64, checkpoints: Vec<CheckpointInfo>) -> AnyView {
    if checkpoints.is_empty() {
        return view! {
            <p class="muted">"No checkpoint. Take one with "
                <code>"aud planning checkpoint PLAN TASK"</code>"."</p>
        }
        .into_any();
    }
    let selected: RwSignal<Option<i64>> = RwSignal::new(None);
    let diff = LocalResource::new(move || {
        let cid = selected.get();
        async move {
            match cid {
                Some(cid) => {
                    Some(api::get::<CheckpointDiff>(&api::checkpoint_url(plan_id, cid)).await)
                }
                None => None,
            }
        }
    });
    let items = checkpoints
        .into_iter()
        .map(|c| {
            let id = c.id;
            let is_selected = move || selected.get() == Some(id);
            let files = c
                .files
                .iter()
                .map(|f| {
                    view! { <li class=format!("cp-file cp-{}", f.status)><span class="cp-status">{f.status.clone()}</span> {f.path.clone()}</li> }
                })
                .collect_view();
            view! {
                <li class="checkpoint" data-checkpoint-id=id.to_string() class:selected=is_selected>
                    <div class="cp-head">
                        <span class="cp-seq">{format!("#{}", c.sequence)}</span>
                        <b class="cp-name">{c.name}</b>
                        <span class="muted">{format::long_time(&c.timestamp)}</span>
                        {c.git_ref.as_deref().map(|g| view! { <span class="mono muted" title=g.to_owned()>{format::short_hash(g, 10).to_owned()}</span> })}
                        <span class="stat-add">{format!("+{}", c.added_lines)}</span>
                        <span class="stat-del">{format!("−{}", c.removed_lines)}</span>
                        <button
                            class="show-diff"
                            on:click=move |_| selected.update(|s| *s = if *s == Some(id) { None } else { Some(id) })
                        >
                            {move || if is_selected() { "Hide diff" } else { "Show diff" }}
                        </button>
                    </div>
                    <ul class="cp-files">{files}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="checkpoints">{items}</ul>
        {move || {
            selected.get()?;
            Some(match diff.get() {
                None | Some(None) => loading("the diff").into_any(),
                Some(Some(Err(e))) => error_box(e).into_any(),
                Some(Some(Ok(d))) => diff_view(d).into_any(),
            })
        }}
    }
    .into_any()
}

fn diff_view(d: CheckpointDiff) -> impl IntoView {
    let c = d.checkpoint;
    let files = if d.files.is_empty() {
        view! { <p class="muted">"No change since the previous checkpoint."</p> }.into_any()
    } else {
        d.files.into_iter().map(file_diff).collect_view().into_any()
    };
    view! {
        <div id="diff" class="diff-viewer" data-checkpoint-id=c.id.to_string()>
            <div class="diff-title">
                {format!("Checkpoint #{} {}", c.sequence, c.name)}
                <span class="muted">" — changes since the previous checkpoint"</span>
            </div>
            {files}
        </div>
    }
}

fn file_diff(f: FileDiff) -> impl IntoView {
    let path_attr = f.path.clone();
    let lines = diff::classify(&f.diff)
        .into_iter()
        .map(|l| {
            view! {
                <div class=format!("diff-line {}", l.kind.class())>
                    <span class="ln">{l.old}</span>
                    <span class="ln">{l.new}</span>
                    <span class="txt">{l.text}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="diff-file" data-path=path_attr>
            <header class="diff-file-head">
                <span class="path">{f.path}</span>
                <span class="stat-add">{format!("+{}", f.added_lines)}</span>
                <span class="stat-del">{format!("−{}", f.removed_lines)}</span>
            </header>
            <div class="diff-body">{lines}</div>
        </section>
    }
}

//! Renders an [`crate::engine::Evaluation`] for people and machines.

pub mod junit;
pub mod sarif;
pub mod text;

/// What an evaluation is about, for the formats that name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The version of aud that produced the report.
    pub tool_version: String,
    /// The plan, when the evaluation verifies a task.
    pub plan_id: Option<i64>,
    /// The task number.
    pub task_number: Option<u32>,
    /// The task's title.
    pub title: Option<String>,
}

impl Subject {
    /// A stable id for the category of run: `aud/plan-1/task-2/`, or `aud/` for a bare spec.
    pub fn automation_id(&self) -> String {
        match (self.plan_id, self.task_number) {
            (Some(p), Some(t)) => format!("aud/plan-{p}/task-{t}/"),
            (Some(p), None) => format!("aud/plan-{p}/"),
            _ => "aud/".to_owned(),
        }
    }
}

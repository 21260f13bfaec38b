//! The storage interface of plans: implemented with SQLite by the CLI (`.pf/planning.db`).
//!
//! Every method either does all of its work or none of it. Methods that change a plan fail
//! with [`PlanError::Archived`] when the plan is archived; lookups fail with the `*NotFound`
//! errors, whose messages name the object. A plan's status follows its tasks
//! ([`super::plan_status`]) after every change of a task. Times are chosen by the store (RFC 3339, UTC), except
//! a run's, which is part of its hashed content and so chosen by the caller.

use super::model::{
    Job, NewPhase, NewRun, NewTask, Phase, Plan, PlanError, PlanStatus, PlanSummary, Run, Task,
    TaskUpdate,
};

/// Where plans live.
pub trait PlanStore {
    /// The backend's error; plan-level problems arrive as [`PlanError`].
    type Error: From<PlanError>;

    /// Creates an active plan and returns it.
    fn create_plan(
        &mut self,
        name: &str,
        description: Option<&str>,
        git_commit: Option<&str>,
    ) -> Result<Plan, Self::Error>;

    /// Plans with their progress, oldest first, optionally only those with `status`.
    fn list_plans(&self, status: Option<PlanStatus>) -> Result<Vec<PlanSummary>, Self::Error>;

    /// One plan.
    fn plan(&self, plan_id: i64) -> Result<Plan, Self::Error>;

    /// The plan's phases by number.
    fn phases(&self, plan_id: i64) -> Result<Vec<Phase>, Self::Error>;

    /// Adds a phase; its number must be new in the plan.
    fn add_phase(&mut self, plan_id: i64, phase: &NewPhase) -> Result<Phase, Self::Error>;

    /// The plan's tasks by number.
    fn tasks(&self, plan_id: i64) -> Result<Vec<Task>, Self::Error>;

    /// One task.
    fn task(&self, plan_id: i64, task_number: u32) -> Result<Task, Self::Error>;

    /// Adds a task (numbered next in the plan) with its spec, if any.
    fn add_task(&mut self, plan_id: i64, task: &NewTask) -> Result<Task, Self::Error>;

    /// Changes a task's status or assignee; completing it sets `completed_at`.
    fn update_task(
        &mut self,
        plan_id: i64,
        task_number: u32,
        update: &TaskUpdate,
    ) -> Result<Task, Self::Error>;

    /// The task's jobs by number.
    fn jobs(&self, plan_id: i64, task_number: u32) -> Result<Vec<Job>, Self::Error>;

    /// Adds a job (numbered next in the task).
    fn add_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        description: &str,
        is_audit_job: bool,
    ) -> Result<Job, Self::Error>;

    /// Ticks a job.
    fn complete_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        job_number: u32,
    ) -> Result<Job, Self::Error>;

    /// The task's spec YAML; [`PlanError::NoSpec`] when it has none.
    fn task_spec(&self, plan_id: i64, task_number: u32) -> Result<String, Self::Error>;

    /// Records a verification run, chained to the plan's last run, and applies its audit status
    /// (and task status, when given) to the task, atomically.
    fn record_run(
        &mut self,
        plan_id: i64,
        task_number: u32,
        run: &NewRun,
    ) -> Result<Run, Self::Error>;

    /// The plan's runs in recording order (all tasks, or one), with their findings.
    fn runs(&self, plan_id: i64, task_number: Option<u32>) -> Result<Vec<Run>, Self::Error>;

    /// The task's latest run, with its findings.
    fn last_run(&self, plan_id: i64, task_number: u32) -> Result<Option<Run>, Self::Error>;

    /// Archives the plan, recording a final snapshot at `git_commit`: from then on it is
    /// immutable.
    fn archive_plan(
        &mut self,
        plan_id: i64,
        notes: Option<&str>,
        git_commit: Option<&str>,
    ) -> Result<Plan, Self::Error>;
}

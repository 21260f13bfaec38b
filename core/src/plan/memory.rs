//! [`MemoryPlanStore`]: plans held in memory, for the browser playground and for tests.
//!
//! It follows the same contract as the SQLite store of the CLI, checked by the shared
//! conformance suite (`plan::conformance`, under the `testing` feature): numbering, not-found
//! and archived errors, run chaining. Core has no clock, so times are whatever
//! [`MemoryPlanStore::set_now`] last set.

use super::chain::{GENESIS_HASH, chained_run};
use super::model::{
    Job, NewPhase, NewRun, NewTask, Phase, Plan, PlanError, PlanStatus, PlanSummary, Run, Task,
    TaskStatus, TaskUpdate,
};
use super::store::PlanStore;
use super::transition::plan_status;

/// A task with what the model type does not carry.
#[derive(Debug, Clone)]
struct TaskRow {
    plan_id: i64,
    task: Task,
    spec_yaml: Option<String>,
    jobs: Vec<Job>,
}

/// Plans in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryPlanStore {
    plans: Vec<Plan>,
    phases: Vec<(i64, Phase)>,
    tasks: Vec<TaskRow>,
    runs: Vec<Run>,
    next_id: i64,
    now: String,
}

impl MemoryPlanStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the time stamped on what is created from now on.
    pub fn set_now(&mut self, now: &str) {
        now.clone_into(&mut self.now);
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn get_plan(&self, plan_id: i64) -> Result<&Plan, PlanError> {
        self.plans
            .iter()
            .find(|p| p.id == plan_id)
            .ok_or(PlanError::PlanNotFound(plan_id))
    }

    fn open_plan(&self, plan_id: i64) -> Result<(), PlanError> {
        match self.get_plan(plan_id)?.status {
            PlanStatus::Archived => Err(PlanError::Archived(plan_id)),
            _ => Ok(()),
        }
    }

    /// Recomputes the plan's status from its tasks'.
    fn settle(&mut self, plan_id: i64) {
        let statuses: Vec<TaskStatus> = self
            .tasks
            .iter()
            .filter(|t| t.plan_id == plan_id)
            .map(|t| t.task.status)
            .collect();
        if let Some(plan) = self.plans.iter_mut().find(|p| p.id == plan_id) {
            plan.status = plan_status(plan.status, statuses);
        }
    }

    fn row(&self, plan_id: i64, task_number: u32) -> Result<&TaskRow, PlanError> {
        self.get_plan(plan_id)?;
        self.tasks
            .iter()
            .find(|t| t.plan_id == plan_id && t.task.task_number == task_number)
            .ok_or(PlanError::TaskNotFound {
                plan_id,
                task_number,
            })
    }

    fn row_mut(&mut self, plan_id: i64, task_number: u32) -> Result<&mut TaskRow, PlanError> {
        self.row(plan_id, task_number)?;
        self.tasks
            .iter_mut()
            .find(|t| t.plan_id == plan_id && t.task.task_number == task_number)
            .ok_or(PlanError::TaskNotFound {
                plan_id,
                task_number,
            })
    }
}

impl PlanStore for MemoryPlanStore {
    type Error = PlanError;

    fn create_plan(
        &mut self,
        name: &str,
        description: Option<&str>,
        git_commit: Option<&str>,
    ) -> Result<Plan, PlanError> {
        let plan = Plan {
            id: self.plans.last().map_or(1, |p| p.id + 1),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            status: PlanStatus::Active,
            created_at: self.now.clone(),
            git_commit: git_commit.map(str::to_owned),
            archived_at: None,
            archive_notes: None,
            chain_head: None,
            chain_runs: 0,
        };
        self.plans.push(plan.clone());
        Ok(plan)
    }

    fn list_plans(&self, status: Option<PlanStatus>) -> Result<Vec<PlanSummary>, PlanError> {
        Ok(self
            .plans
            .iter()
            .filter(|p| status.is_none_or(|s| p.status == s))
            .map(|p| {
                let statuses = self
                    .tasks
                    .iter()
                    .filter(|t| t.plan_id == p.id)
                    .map(|t| t.task.status);
                PlanSummary::new(p.clone(), statuses)
            })
            .collect())
    }

    fn plan(&self, plan_id: i64) -> Result<Plan, PlanError> {
        self.get_plan(plan_id).cloned()
    }

    fn phases(&self, plan_id: i64) -> Result<Vec<Phase>, PlanError> {
        self.get_plan(plan_id)?;
        let mut phases: Vec<Phase> = self
            .phases
            .iter()
            .filter(|(p, _)| *p == plan_id)
            .map(|(_, phase)| phase.clone())
            .collect();
        phases.sort_by_key(|p| p.phase_number);
        Ok(phases)
    }

    fn add_phase(&mut self, plan_id: i64, phase: &NewPhase) -> Result<Phase, PlanError> {
        self.open_plan(plan_id)?;
        if self
            .phases
            .iter()
            .any(|(p, ph)| *p == plan_id && ph.phase_number == phase.phase_number)
        {
            return Err(PlanError::DuplicatePhase {
                plan_id,
                phase_number: phase.phase_number,
            });
        }
        let phase = Phase {
            id: self.id(),
            phase_number: phase.phase_number,
            title: phase.title.clone(),
            description: phase.description.clone(),
            success_criteria: phase.success_criteria.clone(),
            status: "pending".to_owned(),
            created_at: self.now.clone(),
        };
        self.phases.push((plan_id, phase.clone()));
        Ok(phase)
    }

    fn tasks(&self, plan_id: i64) -> Result<Vec<Task>, PlanError> {
        self.get_plan(plan_id)?;
        let mut tasks: Vec<Task> = self
            .tasks
            .iter()
            .filter(|t| t.plan_id == plan_id)
            .map(|t| t.task.clone())
            .collect();
        tasks.sort_by_key(|t| t.task_number);
        Ok(tasks)
    }

    fn task(&self, plan_id: i64, task_number: u32) -> Result<Task, PlanError> {
        self.row(plan_id, task_number).map(|r| r.task.clone())
    }

    fn add_task(&mut self, plan_id: i64, task: &NewTask) -> Result<Task, PlanError> {
        self.open_plan(plan_id)?;
        if let Some(phase_number) = task.phase.filter(|n| {
            !self
                .phases
                .iter()
                .any(|(p, ph)| *p == plan_id && ph.phase_number == *n)
        }) {
            return Err(PlanError::PhaseNotFound {
                plan_id,
                phase_number,
            });
        }
        let task_number = self
            .tasks
            .iter()
            .filter(|t| t.plan_id == plan_id)
            .map(|t| t.task.task_number)
            .max()
            .unwrap_or(0)
            + 1;
        let row = TaskRow {
            plan_id,
            task: Task {
                id: self.id(),
                task_number,
                title: task.title.clone(),
                description: task.description.clone(),
                status: TaskStatus::Pending,
                audit_status: None,
                assigned_to: task.assigned_to.clone(),
                phase: task.phase,
                has_spec: task.spec_yaml.is_some(),
                created_at: self.now.clone(),
                completed_at: None,
            },
            spec_yaml: task.spec_yaml.clone(),
            jobs: Vec::new(),
        };
        let out = row.task.clone();
        self.tasks.push(row);
        self.settle(plan_id);
        Ok(out)
    }

    fn update_task(
        &mut self,
        plan_id: i64,
        task_number: u32,
        update: &TaskUpdate,
    ) -> Result<Task, PlanError> {
        self.open_plan(plan_id)?;
        let now = self.now.clone();
        let row = self.row_mut(plan_id, task_number)?;
        if let Some(status) = update.status {
            row.task.status = status;
            row.task.completed_at = (status == TaskStatus::Completed).then_some(now);
        }
        if let Some(assignee) = &update.assigned_to {
            row.task.assigned_to = Some(assignee.clone());
        }
        if let Some(yaml) = &update.spec_yaml {
            row.spec_yaml = Some(yaml.clone());
            row.task.has_spec = true;
        }
        let task = row.task.clone();
        self.settle(plan_id);
        Ok(task)
    }

    fn jobs(&self, plan_id: i64, task_number: u32) -> Result<Vec<Job>, PlanError> {
        self.row(plan_id, task_number).map(|r| r.jobs.clone())
    }

    fn add_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        description: &str,
        is_audit_job: bool,
    ) -> Result<Job, PlanError> {
        self.open_plan(plan_id)?;
        let now = self.now.clone();
        let row = self.row_mut(plan_id, task_number)?;
        let job = Job {
            job_number: row.jobs.iter().map(|j| j.job_number).max().unwrap_or(0) + 1,
            description: description.to_owned(),
            completed: false,
            is_audit_job,
            created_at: now,
        };
        row.jobs.push(job.clone());
        Ok(job)
    }

    fn complete_job(
        &mut self,
        plan_id: i64,
        task_number: u32,
        job_number: u32,
    ) -> Result<Job, PlanError> {
        self.open_plan(plan_id)?;
        let row = self.row_mut(plan_id, task_number)?;
        let job = row
            .jobs
            .iter_mut()
            .find(|j| j.job_number == job_number)
            .ok_or(PlanError::JobNotFound {
                plan_id,
                task_number,
                job_number,
            })?;
        job.completed = true;
        Ok(job.clone())
    }

    fn task_spec(&self, plan_id: i64, task_number: u32) -> Result<String, PlanError> {
        self.row(plan_id, task_number)?
            .spec_yaml
            .clone()
            .ok_or(PlanError::NoSpec {
                plan_id,
                task_number,
            })
    }

    fn record_run(
        &mut self,
        plan_id: i64,
        task_number: u32,
        new: &NewRun,
    ) -> Result<Run, PlanError> {
        self.open_plan(plan_id)?;
        self.row(plan_id, task_number)?;
        let prev_hash = self
            .runs
            .iter()
            .rev()
            .find(|r| r.plan_id == plan_id)
            .map_or_else(|| GENESIS_HASH.to_owned(), |r| r.hash.clone());
        let sequence = self
            .runs
            .iter()
            .filter(|r| r.plan_id == plan_id && r.task_number == task_number)
            .count() as u32
            + 1;
        let run = chained_run(self.id(), plan_id, task_number, sequence, new, prev_hash);
        let row = self.row_mut(plan_id, task_number)?;
        row.task.audit_status = Some(new.audit_status);
        if let Some(status) = new.task_status.filter(|s| *s != row.task.status) {
            row.task.status = status;
            row.task.completed_at =
                (status == TaskStatus::Completed).then(|| new.created_at.clone());
        }
        self.runs.push(run.clone());
        if let Some(plan) = self.plans.iter_mut().find(|p| p.id == plan_id) {
            plan.chain_head = Some(run.hash.clone());
            plan.chain_runs += 1;
        }
        self.settle(plan_id);
        Ok(run)
    }

    fn runs(&self, plan_id: i64, task_number: Option<u32>) -> Result<Vec<Run>, PlanError> {
        self.get_plan(plan_id)?;
        Ok(self
            .runs
            .iter()
            .filter(|r| r.plan_id == plan_id && task_number.is_none_or(|t| r.task_number == t))
            .cloned()
            .collect())
    }

    fn last_run(&self, plan_id: i64, task_number: u32) -> Result<Option<Run>, PlanError> {
        self.row(plan_id, task_number)?;
        Ok(self
            .runs
            .iter()
            .rev()
            .find(|r| r.plan_id == plan_id && r.task_number == task_number)
            .cloned())
    }

    fn archive_plan(
        &mut self,
        plan_id: i64,
        notes: Option<&str>,
        _git_commit: Option<&str>,
    ) -> Result<Plan, PlanError> {
        self.open_plan(plan_id)?;
        let now = self.now.clone();
        let plan = self
            .plans
            .iter_mut()
            .find(|p| p.id == plan_id)
            .ok_or(PlanError::PlanNotFound(plan_id))?;
        plan.status = PlanStatus::Archived;
        plan.archived_at = Some(now);
        plan.archive_notes = notes.map(str::to_owned);
        Ok(plan.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_meets_the_contract() {
        super::super::conformance::check(MemoryPlanStore::new);
    }
}

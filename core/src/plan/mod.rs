//! Plans, phases, tasks and jobs: the model, its state transitions and the verification trail.
//!
//! Everything here is pure: the CLI stores plans in SQLite behind the [`PlanStore`] trait and
//! does the IO; the decisions (status transitions, fingerprints, diffs, the hash chain) are made
//! here, once, for every front end. The pieces:
//!
//! - [`model`]: plans (active|completed|archived), phases, tasks
//!   (pending|in_progress|completed|failed|blocked), jobs, specs and verification runs;
//! - [`transition`]: what a verification outcome does to a task (`--auto-update`, regressions);
//! - [`reads`]: the line ranges an agent should read to fix the violations (`--emit-reads`);
//! - [`fingerprint`]: finding identities that survive moved lines, and the new/fixed diff;
//! - [`chain`]: the hash chain over verification runs that makes tampering evident;
//! - [`verify`]: what one verification of a task is, over both stores (evaluate, fingerprint,
//!   diff, conclude, record, read ranges), and the [`TaskReport`] it returns;
//! - [`store`]: the storage interface, and [`memory`] its in-memory implementation (the
//!   contract both stores meet is one executable check, `conformance`, under the `testing`
//!   feature).

pub mod chain;
#[cfg(any(test, feature = "testing"))]
pub mod conformance;
pub mod fingerprint;
pub mod memory;
pub mod model;
pub mod reads;
pub mod store;
pub mod transition;
pub mod verify;

pub use chain::{
    ChainStatus, GENESIS_HASH, chained_run, run_hash, verify_chain, verify_plan_chain,
};
pub use fingerprint::{FindingDiff, RunFinding, diff_findings, fingerprint_evaluation};
pub use memory::MemoryPlanStore;
pub use model::{
    AuditStatus, Job, NewPhase, NewRun, NewTask, Phase, Plan, PlanError, PlanStatus, PlanSummary,
    RuleTotal, Run, Task, TaskStatus, TaskUpdate,
};
pub use reads::{FileReads, LineRange, read_ranges};
pub use store::PlanStore;
pub use transition::{Transition, conclude, plan_status};
pub use verify::{Facts, TaskReport, VerifyError, verify_plan, verify_task};

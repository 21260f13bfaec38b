//! Plan storage for the CLI: `.pf/planning.db` (SQLite) behind core's `PlanStore`, plus the
//! little the planning commands need from the outside world (the git commit, the clock).

#[cfg(not(target_os = "wasi"))]
pub mod checkpoint;
pub mod git;
pub mod schema;
pub mod store;
pub mod time;

pub use store::SqlitePlanStore;

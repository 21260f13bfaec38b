//! One module per subcommand.

pub mod index;
pub mod planning;
pub mod query;
pub mod refactor;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;

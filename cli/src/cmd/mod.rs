//! One module per subcommand.

pub mod index;
pub mod planning;
pub mod query;
pub mod refactor;
pub mod schema;
#[cfg(all(feature = "serve", not(target_os = "wasi")))]
pub mod serve;

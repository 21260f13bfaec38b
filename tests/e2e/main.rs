//! End-to-end tests of the real `aud` binary, one module per area, one binary in all.

mod browser;
mod checkpoint;
mod cli;
mod hostile;
mod index;
mod planning;
mod refactor;
mod serve;
mod wasi;

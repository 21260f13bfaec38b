//! End-to-end tests of the real `aud` binary, one module per area, one binary in all.

mod checkpoint;
mod cli;
mod index;
mod planning;
mod refactor;
mod serve;
mod wasi;

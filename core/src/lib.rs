//! `aud-core`: everything aud knows that does not need the outside world.
//!
//! This crate parses and validates refactor specs ([`spec`]), matches their terms
//! ([`matcher`]), evaluates them against an index of the code behind the [`index::IndexStore`]
//! trait ([`engine`]), holds the plan model and its state transitions ([`plan`]) and renders
//! reports ([`report`]). It performs no IO and links no C code, so the same logic runs in the
//! native CLI, in the WASI runner and in the browser (it builds for `wasm32-unknown-unknown`).

pub mod api;
pub mod engine;
pub mod index;
pub mod matcher;
pub mod plan;
pub mod report;

pub mod spec;

//! Renders an [`crate::engine::Evaluation`] for people and machines.

pub mod text;

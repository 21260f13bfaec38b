//! Renders an [`crate::engine::Evaluation`] for people and machines.

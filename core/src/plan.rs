//! Plans, phases, tasks and jobs: the model and its state transitions.

//! The aud web UI. Not built yet: see issue 6. `aud serve` explains how to get the UI.
fn main() {}

//! The `aud` binary: a thin wrapper over [`aud_cli`].
fn main() {}

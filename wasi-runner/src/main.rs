//! `aud-wasi`: aud inside a WASI sandbox. Not built yet: see issue 7.
fn main() {}

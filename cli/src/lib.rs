//! The `aud` command-line tool as a library, so tests can drive it in-process.

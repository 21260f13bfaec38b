//! End-to-end tests of the real `aud` binary.

//! Exit codes, and turning a command's result into one.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; verification passed |
//! | 1 | verification found violations or a regression |
//! | 2 | bad input or an error (the message says which file, line or object) |
//!
//! A closed stdout (`aud ... | head`) is not an error: the command stops quietly with 0.

use std::process::ExitCode;

/// Success, or verification passed.
pub const SUCCESS: u8 = 0;
/// Verification found violations or a regression.
pub const VIOLATIONS: u8 = 1;
/// Bad input or an error.
pub const ERROR: u8 = 2;

/// What a command reports when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; nothing to report.
    Success,
    /// The check ran and found violations (or a regression).
    Violations,
}

/// Prints an error chain to stderr and maps the result to an exit code.
pub fn report(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Success) => ExitCode::from(SUCCESS),
        Ok(Outcome::Violations) => ExitCode::from(VIOLATIONS),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(SUCCESS),
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

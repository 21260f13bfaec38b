//! The command line itself: help, exit codes, errors.

use aud_tests::Repo;

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let repo = Repo::new();
    let run = repo.aud(&["--help"]);
    run.ok();
    for word in ["index", "refactor", "planning", "query", "Exit codes"] {
        assert!(
            run.stdout.contains(word),
            "help lacks {word}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn unknown_command_is_a_usage_error() {
    Repo::new().aud(&["frobnicate"]).code(2);
}

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

/// `docs/spec.schema.json` is what `aud schema` prints: editors pointed at the file get the
/// schema the binary enforces. Regenerate with `aud schema > docs/spec.schema.json`.
#[test]
fn the_published_schema_is_current() {
    let run = Repo::new().aud(&["schema"]);
    run.ok();
    let published = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/spec.schema.json"),
    )
    .unwrap();
    assert_eq!(run.stdout, published, "regenerate docs/spec.schema.json");
}

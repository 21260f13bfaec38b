//! `aud-wasi`: aud for `wasm32-wasip1`, to verify plans inside a sandbox that sees only the
//! repository.
//!
//! The runner is the native CLI's library ([`aud_cli::run`]) built without its native features,
//! behind a gate that admits only the subcommands that make sense in a sandbox: indexing,
//! evaluating a spec, reading plans and verifying their tasks. Everything else (editing plans,
//! and whatever needs git, the network or processes) is refused with exit code 2 and a message
//! pointing to the native `aud`.
//!
//! A WASI program has no working directory of its own, so when `--root DIR` is given the runner
//! makes DIR its working directory: relative paths (`--file specs/x.yaml`, `--output
//! aud.sarif`) are then resolved inside the repository, as if the tool ran there.
//!
//! ```text
//! wasmtime run --dir .::/repo aud-wasi.wasm --root /repo planning verify 1 --format sarif
//! ```

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context as _;

/// Top-level subcommands available in the sandbox (plus clap's `help`).
const SUPPORTED: &[&str] = &["index", "refactor", "query", "schema", "planning", "help"];

/// `aud planning` subcommands available in the sandbox: reading and verifying plans.
const SUPPORTED_PLANNING: &[&str] = &["list", "show", "verify-task", "verify", "audit", "help"];

/// `aud planning` subcommands refused because checkpoints are git objects.
const NEEDS_GIT: &[&str] = &["checkpoint", "show-diff", "rewind", "prune"];

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if let Err(e) = prepare(&mut args) {
        return aud_cli::exit::report(Err(e));
    }
    aud_cli::run(args)
}

/// Refuses subcommands that are not available in the sandbox and enters `--root` (rewriting
/// it to `.`, so that a relative root is not resolved twice).
fn prepare(args: &mut [OsString]) -> anyhow::Result<()> {
    let words = command_words(args);
    if let Some(command) = words.first() {
        let planning = command == "planning";
        let refused = if planning {
            words
                .get(1)
                .filter(|sub| !SUPPORTED_PLANNING.contains(&sub.as_str()))
                .map(|sub| format!("planning {sub}"))
        } else {
            (!SUPPORTED.contains(&command.as_str())).then(|| command.clone())
        };
        if let Some(refused) = refused {
            if planning
                && words
                    .get(1)
                    .is_some_and(|sub| NEEDS_GIT.contains(&sub.as_str()))
            {
                anyhow::bail!(
                    "`aud-wasi {refused}`: checkpoints need git; not available in the sandbox \
                     (use the native `aud`)"
                );
            }
            anyhow::bail!(
                "`aud-wasi {refused}` is not available in the sandbox: aud-wasi indexes, \
                 evaluates specs and reads and verifies plans (index, refactor, query, schema, \
                 planning {}); create and edit plans, and anything that needs git, the network \
                 or processes, with the native `aud`",
                SUPPORTED_PLANNING[..SUPPORTED_PLANNING.len() - 1].join("|")
            );
        }
    }
    if let Some((at, root)) = root_arg(args) {
        // A missing root is reported by the CLI itself, with the message of the native tool.
        if std::path::Path::new(&root).is_dir() {
            std::env::set_current_dir(&root)
                .with_context(|| format!("--root {}", root.to_string_lossy()))?;
            args[at] = if args[at] == root {
                OsString::from(".")
            } else {
                OsString::from("--root=.")
            };
        }
    }
    Ok(())
}

/// The positional words before the first option that takes a value we cannot see through:
/// the subcommand path (`planning verify`), skipping `--root DIR` wherever it appears.
fn command_words(args: &[OsString]) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_string_lossy();
        if arg == "--root" {
            rest.next();
        } else if arg.starts_with('-') {
            // Any other option ends the subcommand path (`--help`, `--version`, or a
            // subcommand's own options, which come after its name).
            break;
        } else {
            words.push(arg.into_owned());
            if words.len() == 2 {
                break;
            }
        }
    }
    words
}

/// The value of the (global) `--root` option, as `--root DIR` or `--root=DIR`, and the index
/// of the argument holding it (the last one wins, as in clap).
fn root_arg(args: &[OsString]) -> Option<(usize, OsString)> {
    let mut found = None;
    let mut at = 1;
    while let Some(arg) = args.get(at) {
        if arg == "--" {
            break;
        }
        if arg == "--root" {
            found = args.get(at + 1).map(|value| (at + 1, value.clone()));
            at += 1;
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--root=")) {
            found = Some((at, OsString::from(value)));
        }
        at += 1;
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<OsString> {
        std::iter::once("aud-wasi")
            .chain(line.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn finds_the_subcommand_path_around_root() {
        let check = |line: &str, expected: &[&str]| {
            assert_eq!(command_words(&args(line)), expected, "{line}");
        };
        check("index", &["index"]);
        check("--root /repo planning verify 1", &["planning", "verify"]);
        check("planning --root /repo show 1", &["planning", "show"]);
        check("refactor --file x.yaml", &["refactor"]);
        check("--help", &[]);
        check("", &[]);
    }

    #[test]
    fn refuses_what_the_sandbox_cannot_do() {
        let refused = |line: &str| prepare(&mut args(line)).is_err();
        assert!(refused("serve"));
        let message = prepare(&mut args("planning checkpoint 1 2")).unwrap_err();
        assert!(
            message.to_string().contains("checkpoints need git"),
            "{message}"
        );
        assert!(refused("planning init --name x"));
        assert!(refused("--root /nowhere planning archive 1"));
        assert!(!refused("planning verify 1"));
        assert!(!refused("planning help"));
        assert!(!refused("index --full"));
        assert!(!refused("--version"));
    }

    #[test]
    fn reads_root_in_both_spellings() {
        assert_eq!(root_arg(&args("--root /a index")), Some((2, "/a".into())));
        assert_eq!(root_arg(&args("index --root=/b")), Some((2, "/b".into())));
        assert_eq!(root_arg(&args("index")), None);
    }
}

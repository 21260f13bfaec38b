//! The `aud` binary: a thin wrapper over [`aud_cli::run`].

fn main() -> std::process::ExitCode {
    aud_cli::run(std::env::args_os())
}

//! Output formats shared by the commands.

use std::io::Write;

/// `--format` for commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// For programs: the JSON contract documented in README.md.
    Json,
}

/// `--format` for commands that print a verification report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people.
    #[default]
    Text,
    /// For programs: the JSON contract documented in README.md.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

/// Writes `value` as pretty JSON and a newline to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes `text` to stdout as is.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

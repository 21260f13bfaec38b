//! The benchmark harness for the indexer: a program, never a timed test.
//!
//! For a generated polyglot corpus and for any real repositories given on the command line it
//! measures, with the release `aud` binary: a full index, an incremental refresh after editing one
//! file, a spec check on the fresh index (in-process, through `SqliteIndex` and the rule
//! engine), peak memory and index size; and, side by side, ripgrep searching the same terms and
//! ast-grep parsing the same files. It prints a Markdown report for `bench/RESULTS.md`.
//!
//! Usage: `cargo build --release -p aud-cli -p aud-bench && target/release/aud-bench
//! [--corpus-kloc 300] [--repo DIR]...`. Tools that are not installed are reported as such.
//! `aud-bench --fidelity --repo DIR...` measures index fidelity instead (see [`fidelity`]).
//! `aud-bench [--corpus-kloc N] --emit-corpus DIR` only writes the corpus (`bench/planning.sh`
//! measures the planning commands on it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

mod fidelity;

/// Terms looked up by the spec check and by ripgrep.
const TERMS: &[&str] = &[
    "legacyClient",
    "AuthenticationClient",
    "session",
    "execute",
    "users",
];

fn main() -> anyhow::Result<()> {
    let mut kloc = 300usize;
    let mut repos: Vec<PathBuf> = Vec::new();
    let mut fidelity = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus-kloc" => {
                kloc = args
                    .next()
                    .context("--corpus-kloc needs a number")?
                    .parse()
                    .context("--corpus-kloc needs a number")?;
            }
            "--fidelity" => fidelity = true,
            "--repo" => repos.push(args.next().context("--repo needs a directory")?.into()),
            "--emit-corpus" => {
                // Only write the generated corpus (for bench/planning.sh) and stop.
                let dir: PathBuf = args
                    .next()
                    .context("--emit-corpus needs a directory")?
                    .into();
                generate_corpus(&dir, kloc * 1000)?;
                println!("{}", dir.display());
                return Ok(());
            }
            other => bail!(
                "unknown argument {other}; usage: aud-bench [--corpus-kloc N] [--repo DIR]... | --fidelity --repo DIR... | [--corpus-kloc N] --emit-corpus DIR"
            ),
        }
    }
    let aud = sibling_binary("aud")?;
    if fidelity {
        return fidelity_report(&aud, &repos);
    }
    let corpus_dir = tempfile::Builder::new().prefix("aud-bench-").tempdir()?;
    let corpus = corpus_dir.path().join(format!("corpus-{kloc}kloc"));
    generate_corpus(&corpus, kloc * 1000)?;

    let mut report = String::new();
    writeln!(
        report,
        "| target | files | kLOC | source MB | full index | refresh after 1 edit | spec check | peak RSS | index MB (x source) | ripgrep | ast-grep |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|---|---|---|")?;
    // `--corpus-kloc 0` measures only the repositories given.
    let mut targets = if kloc == 0 { Vec::new() } else { vec![corpus] };
    targets.extend(repos);
    for target in &targets {
        let row =
            measure(&aud, target).with_context(|| format!("benchmarking {}", target.display()))?;
        writeln!(report, "{row}")?;
        eprintln!("{row}");
    }
    println!("{report}");
    Ok(())
}

/// `--fidelity`: indexes each repository and compares its `identifiers` findings with
/// ast-grep's identifier nodes (see [`fidelity`]); misses go to stderr.
fn fidelity_report(aud: &Path, repos: &[PathBuf]) -> anyhow::Result<()> {
    let mut report = String::new();
    writeln!(
        report,
        "| repository | language | identifier nodes | names sampled | true sites | aud sites | recall | precision |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|")?;
    for repo in repos {
        let root = repo.to_str().context("non-UTF-8 path")?;
        run(
            aud,
            &["index", "--full", "--format", "json", "--root", root],
        )?;
        let mut misses = String::new();
        for row in fidelity::measure(repo, &mut misses)
            .with_context(|| format!("measuring {}", repo.display()))?
        {
            eprintln!("{row}");
            writeln!(report, "{row}")?;
        }
        eprint!("{misses}");
    }
    println!("{report}");
    Ok(())
}

/// A binary built beside this one (`target/release/aud`).
fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no directory for the bench binary")?;
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        bail!(
            "{} not found: build it first (cargo build --release -p aud-cli)",
            bin.display()
        );
    }
    Ok(bin)
}

fn measure(aud: &Path, root: &Path) -> anyhow::Result<String> {
    let root_arg = root.to_str().context("non-UTF-8 path")?;
    // Full index, with peak memory from /usr/bin/time when available.
    let (full, peak_kb) = timed_with_rss(
        aud,
        &["index", "--full", "--format", "json", "--root", root_arg],
    )?;

    // Refresh after editing one file, then put the file back (and refresh again).
    let db = root.join(".pf/repo_index.db");
    let (files, loc, source_bytes, edit_target) = {
        let index = aud_cli::index::SqliteIndex::open(&db)?;
        let conn = index.connection();
        let (files, loc, bytes): (i64, i64, i64) = conn.query_row(
            "SELECT count(*), coalesce(sum(loc), 0), coalesce(sum(bytes), 0) FROM files",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let edit: String = conn.query_row(
            "SELECT path FROM files ORDER BY bytes DESC LIMIT 1",
            [],
            |r| r.get(0),
        )?;
        (files, loc, bytes, root.join(edit))
    };
    let original = std::fs::read(&edit_target)?;
    let mut edit = 0;
    let refresh = best_of(3, || {
        // A different edit each time, so the refresh must hash and re-extract the file.
        edit += 1;
        let mut edited = original.clone();
        edited.extend_from_slice(format!("\nbench_edit = {edit}\n").as_bytes());
        std::fs::write(&edit_target, &edited)?;
        run(aud, &["index", "--format", "json", "--root", root_arg]).map(|_| ())
    })?;
    std::fs::write(&edit_target, &original)?;
    run(aud, &["index", "--format", "json", "--root", root_arg])?;

    // A spec check on the fresh index, in-process.
    let spec_yaml = format!(
        "refactor_name: bench\nrules:\n  - id: bench\n    description: benchmark terms\n    match:\n      identifiers: [{}]\n      expressions: [{}]\n",
        TERMS.join(", "),
        TERMS.join(", ")
    );
    let spec = aud_core::spec::Spec::parse("bench.yaml", &spec_yaml)
        .map_err(|e| anyhow::anyhow!("bench spec: {e:?}"))?;
    let mut violations = 0;
    let check = best_of(3, || {
        let index = aud_cli::index::SqliteIndex::open(&db)?;
        let evaluation = aud_core::engine::evaluate(&spec, &index)?;
        violations = evaluation.total_violations();
        Ok(())
    })?;

    let index_bytes = std::fs::metadata(&db)?.len();
    let ripgrep = tool_time("rg", root, |cmd| {
        cmd.args(["-i", "-w", "-c", "--no-messages", "-g", "!.pf"]);
        for t in TERMS {
            cmd.args(["-e", t]);
        }
        for ext in [
            "js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts", "py", "go", "rs",
        ] {
            cmd.args(["-g", &format!("*.{ext}")]);
        }
        cmd.arg(root);
    });
    let ast_grep = ast_grep_time(root);

    let mb = |b: f64| b / 1_048_576.0;
    Ok(format!(
        "| {} | {} | {:.0} | {:.1} | {} | {} | {} ({} hits) | {} | {:.1} ({:.1}x) | {} | {} |",
        root.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        files,
        loc as f64 / 1000.0,
        mb(source_bytes as f64),
        ms(full),
        ms(refresh),
        ms(check),
        violations,
        peak_kb.map_or("n/a".to_owned(), |kb| format!(
            "{:.0} MB",
            kb as f64 / 1024.0
        )),
        mb(index_bytes as f64),
        index_bytes as f64 / (source_bytes.max(1) as f64),
        ripgrep.map_or("not installed".to_owned(), ms),
        ast_grep.map_or("not installed".to_owned(), ms),
    ))
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn best_of(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..n {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

fn run(bin: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("{} {args:?} failed", bin.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `aud` under `/usr/bin/time -f %M` for its peak resident set (KiB), if available.
fn timed_with_rss(aud: &Path, args: &[&str]) -> anyhow::Result<(Duration, Option<u64>)> {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if time.is_file() {
        let out = Command::new(time)
            .args(["-f", "%M"])
            .arg(aud)
            .args(args)
            .output()?;
        let elapsed = start.elapsed();
        if !out.status.success() {
            bail!(
                "aud {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak = stderr.lines().last().and_then(|l| l.trim().parse().ok());
        return Ok((elapsed, peak));
    }
    run(aud, args)?;
    Ok((start.elapsed(), None))
}

/// The best of three runs of an external tool, or `None` when it is not installed.
fn tool_time(tool: &str, cwd: &Path, configure: impl Fn(&mut Command)) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..3 {
        let mut cmd = Command::new(tool);
        cmd.current_dir(cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        configure(&mut cmd);
        let start = Instant::now();
        cmd.status().ok()?;
        let elapsed = start.elapsed();
        best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
    }
    best
}

/// One ast-grep pass over the same files: every call expression, for each language (ast-grep
/// skips the files of other languages, so a language a repository lacks costs only its walk).
fn ast_grep_time(root: &Path) -> Option<Duration> {
    let bin = std::env::var_os("AST_GREP").map_or_else(|| PathBuf::from("ast-grep"), PathBuf::from);
    let mut total = Duration::ZERO;
    for (lang, pattern) in [
        ("javascript", "$F($$$A)"),
        ("typescript", "$F($$$A)"),
        ("tsx", "$F($$$A)"),
        ("python", "$F($$$A)"),
        ("go", "$F($$$A)"),
        ("rust", "$F($$$A)"),
    ] {
        let time = tool_time(bin.to_str()?, root, |cmd| {
            cmd.args([
                "run",
                "--pattern",
                pattern,
                "--lang",
                lang,
                "--json=compact",
            ]);
            cmd.arg(root);
        })?;
        total += time;
    }
    Some(total)
}

/// Writes a deterministic mix of JavaScript, TypeScript, TSX and Python files totalling about
/// `target_loc` lines: routes, queries, classes, calls and JSX, as in a web application.
fn generate_corpus(dir: &Path, target_loc: usize) -> anyhow::Result<()> {
    let mut loc = 0;
    let mut n = 0usize;
    while loc < target_loc {
        let module = format!("m{n}");
        let (path, text) = match n % 4 {
            0 => (format!("src/api/{module}.js"), js_file(n)),
            1 => (format!("src/services/{module}.ts"), ts_file(n)),
            2 => (format!("src/ui/{module}.tsx"), tsx_file(n)),
            _ => (format!("backend/{module}.py"), py_file(n)),
        };
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        loc += text.lines().count();
        std::fs::write(full, text)?;
        n += 1;
    }
    Ok(())
}

fn js_file(n: usize) -> String {
    let mut s = String::from(
        "const express = require('express');\nconst { AuthenticationClient } = require('auth0');\nconst router = express.Router();\n\n",
    );
    for i in 0..20 {
        let _ = write!(
            s,
            "router.get('/r{n}/{i}/:id', async (req, res) => {{\n  const legacyClient = new AuthenticationClient({{ domain: process.env.AUTH0_DOMAIN }});\n  const user = await db.query('SELECT id, email FROM users WHERE id = $1', [req.params.id]);\n  if (!user) {{\n    return res.status(404).json({{ error: 'missing' }});\n  }}\n  const total = user.items.reduce((a, b) => a + b.price * {i}, 0);\n  await legacyClient.getProfile(user.token);\n  res.json({{ user, total }});\n}});\n\n"
        );
    }
    s.push_str("module.exports = router;\n");
    s
}

fn ts_file(n: usize) -> String {
    let mut s = format!(
        "import {{ Pool }} from 'pg';\n\nexport interface Order{n} {{\n  id: number;\n  total: number;\n}}\n\nexport class OrderService{n} {{\n  constructor(private readonly pool: Pool) {{}}\n\n"
    );
    for i in 0..20 {
        let _ = write!(
            s,
            "  async find{i}(id: number): Promise<Order{n} | undefined> {{\n    const rows = await this.pool.query('SELECT * FROM orders WHERE id = $1 AND kind = {i}', [id]);\n    const session = rows.rows[0];\n    if (session?.total > {i}) {{\n      await this.pool.query('UPDATE orders SET seen = true WHERE id = $1', [id]);\n    }}\n    return session as Order{n};\n  }}\n\n"
        );
    }
    s.push_str("}\n");
    s
}

fn tsx_file(n: usize) -> String {
    let mut s = String::from(
        "import React, { useState } from 'react';\nimport { LegacyButton } from './legacy';\n\n",
    );
    for i in 0..20 {
        let _ = write!(
            s,
            "export function Panel{n}x{i}({{ title, onSave }}: {{ title: string; onSave: () => void }}) {{\n  const [open, setOpen] = useState(false);\n  const label = title.toUpperCase() + ' {i}';\n  return (\n    <div className=\"panel\">\n      <LegacyButton onClick={{() => setOpen(!open)}} label={{label}} />\n      {{open && <span onClick={{onSave}}>{{label}}</span>}}\n    </div>\n  );\n}}\n\n"
        );
    }
    s
}

fn py_file(n: usize) -> String {
    let mut s = String::from(
        "from flask import Blueprint, request\nimport sqlite3\n\nbp = Blueprint('b', __name__, url_prefix='/api')\n\n\n",
    );
    for i in 0..20 {
        let _ = write!(
            s,
            "@bp.route('/items{n}/{i}/<int:item_id>', methods=['GET', 'POST'])\ndef item_{i}(item_id):\n    conn = sqlite3.connect('app.db')\n    cur = conn.cursor()\n    cur.execute(\"SELECT name, price FROM items WHERE id = ?\", (item_id,))\n    row = cur.fetchone()\n    session = request.args.get('session')\n    total = sum(x * {i} for x in range(10))\n    return {{'row': row, 'total': total, 'session': session}}\n\n\n"
        );
    }
    s
}

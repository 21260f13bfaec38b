//! aud's indexer: walks the repository, extracts rows with tree-sitter and writes
//! `.pf/repo_index.db` (its DDL is [`schema`]); and [`SqliteIndex`], the rule engine's read access
//! to it. Used by the `aud` binary, the WASI runner and the bench harness.
//!
//! [`refresh`] is incremental: a file whose size, mtime, ctime and inode are unchanged is not
//! read, unless it is racily clean (changed no earlier than the previous run started, so an
//! edit within the same timestamp tick could hide); one whose content hash is unchanged is not
//! re-extracted; deleted files lose their rows. Extraction runs in parallel (feature
//! `parallel`, rayon) and sends results to the one thread that writes. A run is one SQLite
//! transaction, so an interrupted run leaves the previous index whole.
//!
//! Hostile input never aborts a run: nesting deeper than the extractors descend leaves the
//! file partially indexed (and says so), and a file whose tree and rows would outgrow the
//! per-file memory budget is skipped with a reason.

mod extract;
mod lang;
mod routes;
mod rows;
pub mod schema;
mod sql;
mod store;
mod syntax;
#[cfg(test)]
mod tests;
mod walk;
mod writer;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use schema::INDEX_SCHEMA_VERSION;
use serde::Serialize;

pub use extract::{DEFAULT_MEMORY_BUDGET, Extraction, Language, extract, extract_within};
pub use rows::FileRows;
pub use store::SqliteIndex;
pub use walk::{SkipReason, Skipped};
pub use writer::IndexDbError;

/// How [`refresh`] runs.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Rebuild from scratch instead of refreshing changed files.
    pub full: bool,
    /// Files larger than this are skipped (`too_large`).
    pub max_file_bytes: u64,
    /// Show a progress bar on a terminal for long runs.
    pub progress: bool,
    /// Files whose syntax tree and rows would take more memory than this are skipped
    /// (`over_budget`). Each extraction thread may use this much.
    pub max_file_memory: u64,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            full: false,
            max_file_bytes: 2 * 1024 * 1024,
            progress: false,
            max_file_memory: DEFAULT_MEMORY_BUDGET,
        }
    }
}

/// What one run of the indexer did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// Whether the index was rebuilt from scratch.
    pub full: bool,
    /// Files in the index after the run.
    pub files_indexed: usize,
    /// Files extracted in this run (new or changed).
    pub files_extracted: usize,
    /// Files seen for the first time.
    pub files_new: usize,
    /// Files whose content changed and were re-extracted.
    pub files_reindexed: usize,
    /// Files left as they were.
    pub files_unchanged: usize,
    /// Files removed from the index (deleted, or now skipped).
    pub files_removed: usize,
    /// Source files not indexed, with the reason.
    pub skipped: Vec<Skipped>,
    /// Indexed files with syntax errors (indexed as far as the parser recovered).
    pub parse_errors: Vec<String>,
    /// Indexed files nested deeper than extraction descends: what lies deeper is not indexed.
    pub partial: Vec<String>,
    /// Rows per table after the run.
    pub rows: BTreeMap<String, u64>,
    /// Wall-clock time of the run.
    pub elapsed_ms: u64,
    /// Whether an index written by an older aud (older schema) was rebuilt.
    pub upgraded: bool,
}

/// The work for one file that needs reading.
struct Job {
    candidate: walk::Candidate,
    known_sha: Option<String>,
}

/// The result of reading (and maybe extracting) one file.
enum Outcome {
    /// The content hash is unchanged: only the stat moves.
    Unchanged { path: String, stat: walk::Stat },
    /// New or changed: its rows.
    Extracted {
        record: writer::FileRecord,
        rows: Box<FileRows>,
        is_new: bool,
    },
    /// Not indexable.
    Skipped(Skipped),
}

/// Builds or refreshes the index at `db_path` for the repository at `root`.
///
/// An incremental run updates the index in place, in one transaction. A full rebuild (asked
/// for, or needed because the index has an older schema or, with `full`, is corrupt) writes a
/// fresh file beside it without a journal and renames it over the old one at the end: either
/// way a run killed half-way leaves the previous index whole.
pub fn refresh(root: &Path, db_path: &Path, opts: &IndexOptions) -> anyhow::Result<IndexReport> {
    let started = Instant::now();
    if let Some(dir) = db_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let existing = match writer::open(db_path) {
        Ok((conn, reset)) => Some((conn, reset)),
        Err(IndexDbError::Corrupt { .. }) if opts.full => None,
        Err(e) => return Err(e.into()),
    };
    let upgraded = matches!(existing, Some((_, true)));
    if upgraded {
        // The one-line notice the schema change owes the user: their index is rebuilt, not
        // refused, and a verdict is never computed on the old layout.
        eprintln!(
            "aud: {} was written by an older aud; rebuilding it (index schema {INDEX_SCHEMA_VERSION})",
            db_path.display()
        );
    }
    let mut report = match existing {
        Some((mut conn, false)) if !opts.full => {
            let report = update(&mut conn, db_path, root, opts, false)?;
            finish(&conn, db_path, report)?
        }
        existing => {
            drop(existing);
            rebuild(root, db_path, opts)?
        }
    };
    report.upgraded = upgraded;
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// Builds a complete index in `<db>.tmp` and renames it over `db_path`.
fn rebuild(root: &Path, db_path: &Path, opts: &IndexOptions) -> anyhow::Result<IndexReport> {
    let mut tmp_name = db_path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp_name);
    remove_if_present(&tmp)?;
    let report = {
        let (mut conn, _) = writer::open(&tmp)?;
        // A half-written temporary file is simply deleted by the next run: no journal needed.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            .with_context(|| format!("writing {}", tmp.display()))?;
        update(&mut conn, &tmp, root, opts, true)?
    };
    // A journal left by a crashed writer belongs to the old file; it must not be replayed
    // into the new one.
    let mut journal = db_path.as_os_str().to_owned();
    journal.push("-journal");
    remove_if_present(Path::new(&journal))?;
    std::fs::rename(&tmp, db_path).with_context(|| {
        format!(
            "cannot replace {} with {}",
            db_path.display(),
            tmp.display()
        )
    })?;
    let conn = rusqlite::Connection::open(db_path)
        .with_context(|| format!("reading {}", db_path.display()))?;
    finish(&conn, db_path, report)
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Fills in the totals of a run from the committed index.
fn finish(
    conn: &rusqlite::Connection,
    db_path: &Path,
    mut report: IndexReport,
) -> anyhow::Result<IndexReport> {
    let db = || format!("reading {}", db_path.display());
    report.files_indexed =
        usize::try_from(report.rows.get("files").copied().unwrap_or(0)).unwrap_or(usize::MAX);
    let paths = |sql: &str| -> anyhow::Result<Vec<String>> {
        let mut stmt = conn.prepare(sql).with_context(db)?;
        stmt.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .with_context(db)
    };
    report.parse_errors = paths("SELECT path FROM files WHERE parse_errors > 0 ORDER BY path")?;
    report.partial = paths("SELECT path FROM files WHERE parse_status = 'partial' ORDER BY path")?;
    Ok(report)
}

/// One transaction: walks the repository and brings the index at `conn` up to date (`full`:
/// the index is empty or is emptied first).
fn update(
    conn: &mut rusqlite::Connection,
    db_path: &Path,
    root: &Path,
    opts: &IndexOptions,
    full: bool,
) -> anyhow::Result<IndexReport> {
    let db = || format!("writing {}", db_path.display());
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .with_context(db)?;
    writer::prepare_schema(&tx, full).with_context(db)?;
    if full {
        writer::drop_indexes(&tx).with_context(db)?;
    }
    let known = writer::known_files(&tx).with_context(db)?;
    // Files changed no earlier than the previous run started are racily clean: an edit in the
    // same timestamp tick as that run's read would keep every stat field. They are re-hashed.
    let racy_from = writer::last_started(&tx)
        .with_context(db)?
        .unwrap_or(i64::MIN);
    writer::set_started(&tx, clock_now(db_path)).with_context(db)?;
    let mut counts = if full {
        writer::RowCounts::default()
    } else {
        writer::RowCounts::load(&tx).with_context(db)?
    };
    let mut names = writer::NameIds::default();

    let (candidates, mut skipped) = walk::walk(root, opts.max_file_bytes);
    let mut report = IndexReport {
        full,
        ..IndexReport::default()
    };
    let mut seen: HashSet<String> = HashSet::with_capacity(candidates.len());
    let mut jobs = Vec::new();
    for candidate in candidates {
        seen.insert(candidate.rel.clone());
        match known.get(&candidate.rel) {
            Some(k) if clean(&k.stat, &candidate.stat, racy_from) => {
                report.files_unchanged += 1;
            }
            k => jobs.push(Job {
                known_sha: k.map(|k| k.sha256.clone()),
                candidate,
            }),
        }
    }
    // Route resolution reads every file's route rows (and which files exist): it runs again
    // when any of them changed, since an edit in one file changes full paths in another.
    let mut routes_changed = full;
    // Files gone from the walk, or skipped now, lose their rows.
    for path in known.keys() {
        if !seen.contains(path) || skipped.iter().any(|s| &s.path == path) {
            writer::remove_file(&tx, path, &mut counts).with_context(db)?;
            report.files_removed += 1;
            routes_changed = true;
        }
    }

    let progress = progress::Bar::new(opts.progress, jobs.len());
    let mut write = |outcome: Outcome| -> anyhow::Result<()> {
        progress.inc();
        match outcome {
            Outcome::Unchanged { path, stat } => {
                writer::touch_file(&tx, &path, &stat).with_context(db)?;
                report.files_unchanged += 1;
            }
            Outcome::Extracted {
                record,
                rows,
                is_new,
            } => {
                if is_new {
                    report.files_new += 1;
                    routes_changed = true;
                } else {
                    routes_changed |=
                        writer::remove_file(&tx, &record.path, &mut counts).with_context(db)?;
                    report.files_reindexed += 1;
                }
                routes_changed |= rows.has_route_facts();
                report.files_extracted += 1;
                writer::write_file(&tx, &record, &rows, &mut counts, &mut names)
                    .with_context(db)?;
            }
            Outcome::Skipped(skip) => {
                if known.contains_key(&skip.path) {
                    writer::remove_file(&tx, &skip.path, &mut counts).with_context(db)?;
                    report.files_removed += 1;
                    routes_changed = true;
                }
                skipped.push(skip);
            }
        }
        Ok(())
    };
    let (max_bytes, budget) = (opts.max_file_bytes, opts.max_file_memory);
    for_each_parallel(jobs, |job| process(job, max_bytes, budget), &mut write)?;
    progress.finish();
    if routes_changed {
        let endpoints = routes::resolve(&tx).with_context(db)?;
        counts.set("api_endpoints", endpoints);
    }

    skipped.sort();
    writer::write_skipped(&tx, &skipped, &mut counts).with_context(db)?;
    writer::create_indexes(&tx).with_context(db)?;
    counts.save(&tx).with_context(db)?;
    tx.commit().with_context(db)?;
    report.skipped = skipped;
    report.rows = counts.into_map();
    Ok(report)
}

/// Whether a file the index holds as `known` can be taken as unchanged without reading it:
/// the same size, mtime, ctime and inode, and changed before the previous run started at
/// `racy_from` (as git treats racily clean files).
fn clean(known: &walk::Stat, now: &walk::Stat, racy_from: i64) -> bool {
    known == now && now.mtime_ns < racy_from && now.ctime_ns < racy_from
}

/// The current time by the clock of the file system holding the index (ns since the epoch):
/// the mtime of a file created beside it, so that it compares with the files' mtimes even
/// where the file system's clock is coarse or not this machine's. The system clock, should
/// that file not be creatable.
fn clock_now(db_path: &Path) -> i64 {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".clock");
    let probe = Path::new(&name);
    let stamp = std::fs::File::create(probe)
        .and_then(|file| file.metadata())
        .map(|meta| walk::Stat::of(&meta).mtime_ns);
    let _ = std::fs::remove_file(probe);
    match stamp {
        Ok(ns) if ns > 0 => ns,
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(i64::MAX),
    }
}

/// Reads one file (at most `max_bytes`) and extracts its rows within `budget` bytes of memory
/// unless its content is unchanged.
fn process(job: Job, max_bytes: u64, budget: u64) -> Outcome {
    let candidate = job.candidate;
    let read = match walk::read(&candidate, max_bytes) {
        Ok(read) => read,
        Err(reason) => {
            return Outcome::Skipped(Skipped {
                path: candidate.rel,
                reason,
            });
        }
    };
    if job.known_sha.as_deref() == Some(read.sha256.as_str()) {
        return Outcome::Unchanged {
            path: candidate.rel,
            stat: read.stat,
        };
    }
    let text = read.text;
    // The extractors never panic by design; should one ever do, the file is still recorded
    // (with an error status) and the run goes on.
    let extraction = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract_within(&candidate.rel, candidate.language, &text, budget)
    }))
    .unwrap_or_else(|_| Extraction {
        syntax_errors: 1,
        ..Extraction::default()
    });
    if extraction.over_budget {
        return Outcome::Skipped(Skipped {
            path: candidate.rel,
            reason: SkipReason::OverBudget,
        });
    }
    let loc = text.lines().count() as u64;
    Outcome::Extracted {
        record: writer::FileRecord {
            path: candidate.rel,
            sha256: read.sha256,
            ext: candidate.ext,
            loc,
            language: candidate.language.name(),
            stat: read.stat,
            syntax_errors: extraction.syntax_errors,
            partial: extraction.partial,
        },
        rows: Box::new(extraction.rows),
        is_new: job.known_sha.is_none(),
    }
}

/// The stack of each extraction thread: the extractors descend at most
/// [`syntax::MAX_DEPTH`] levels, which takes well under this even in a debug build.
#[cfg(all(feature = "parallel", not(target_os = "wasi")))]
const EXTRACTION_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Runs `work` on every item on all cores and hands each result to `sink` on this thread.
// WASI has no threads: there the feature is ignored, even when feature unification in a
// workspace build turns it on.
#[cfg(all(feature = "parallel", not(target_os = "wasi")))]
fn for_each_parallel<T, R, F, S>(items: Vec<T>, work: F, sink: &mut S) -> anyhow::Result<()>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync + Send,
    S: FnMut(R) -> anyhow::Result<()>,
{
    use rayon::iter::{IntoParallelIterator, ParallelIterator};
    let (tx, rx) = std::sync::mpsc::sync_channel::<R>(256);
    // Extraction recurses (to a fixed depth); its own threads give it room whatever the build.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(EXTRACTION_STACK_BYTES)
        .build()
        .ok();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let run = move || {
                items.into_par_iter().for_each_with(tx, |tx, item| {
                    // A closed channel means the writer failed; the remaining work is moot.
                    let _ = tx.send(work(item));
                });
            };
            match pool {
                Some(pool) => pool.install(run),
                None => run(),
            }
        });
        // Dropping the receiver on error makes the producers stop quickly.
        rx.into_iter().try_for_each(sink)
    })
}

/// Runs `work` on every item on this thread (no `parallel` feature, or under WASI).
#[cfg(any(not(feature = "parallel"), target_os = "wasi"))]
fn for_each_parallel<T, R, F, S>(items: Vec<T>, work: F, sink: &mut S) -> anyhow::Result<()>
where
    F: Fn(T) -> R,
    S: FnMut(R) -> anyhow::Result<()>,
{
    items.into_iter().try_for_each(|item| sink(work(item)))
}

/// A progress bar on a terminal, or nothing.
mod progress {
    /// Runs shorter than this many files finish too fast for a bar to help.
    #[cfg(feature = "progress")]
    const MIN_FILES: usize = 500;

    /// A progress bar that may be absent.
    pub struct Bar {
        #[cfg(feature = "progress")]
        bar: Option<indicatif::ProgressBar>,
    }

    impl Bar {
        /// A bar for `total` files, shown only when asked for, on a terminal, for long runs.
        #[cfg_attr(not(feature = "progress"), allow(unused_variables))]
        pub fn new(wanted: bool, total: usize) -> Bar {
            #[cfg(feature = "progress")]
            {
                use std::io::IsTerminal as _;
                let show = wanted && total >= MIN_FILES && std::io::stderr().is_terminal();
                let bar = show.then(|| {
                    let bar = indicatif::ProgressBar::new(total as u64);
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "indexing {bar:40} {pos}/{len} files ({eta})",
                    ) {
                        bar.set_style(style);
                    }
                    bar
                });
                Bar { bar }
            }
            #[cfg(not(feature = "progress"))]
            Bar {}
        }

        /// One more file done.
        pub fn inc(&self) {
            #[cfg(feature = "progress")]
            if let Some(bar) = &self.bar {
                bar.inc(1);
            }
        }

        /// Removes the bar.
        pub fn finish(&self) {
            #[cfg(feature = "progress")]
            if let Some(bar) = &self.bar {
                bar.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::{Language, clean, extract_within};
    use crate::walk::Stat;

    const KNOWN: Stat = Stat {
        bytes: 20,
        mtime_ns: 1_000,
        ctime_ns: 1_000,
        inode: 7,
    };

    #[test]
    fn a_file_is_clean_only_with_every_stat_field_equal_and_changed_before_the_last_run() {
        assert!(clean(&KNOWN, &KNOWN, 1_001));
        // Racily clean: changed in the tick the previous run started in, or later.
        assert!(!clean(&KNOWN, &KNOWN, 1_000));
        assert!(!clean(&KNOWN, &KNOWN, 999));
        assert!(!clean(
            &KNOWN,
            &Stat {
                ctime_ns: 1_500,
                ..KNOWN
            },
            1_001
        ));
        // Each field on its own tells a change.
        for changed in [
            Stat { bytes: 21, ..KNOWN },
            Stat {
                mtime_ns: 900,
                ..KNOWN
            },
            Stat {
                ctime_ns: 900,
                ..KNOWN
            },
            Stat { inode: 8, ..KNOWN },
        ] {
            assert!(!clean(&KNOWN, &changed, 2_000), "{changed:?}");
        }
        // The first run after an upgrade has no start time: everything is read.
        assert!(!clean(&KNOWN, &KNOWN, i64::MIN));
    }

    #[test]
    fn rows_outgrowing_the_budget_yield_no_rows_and_over_budget() {
        // Each call's argument is stored as text: 100 levels make rows of ~15 KB per 300 bytes.
        let nest = format!("{}x{};\n", "f(".repeat(100), ")".repeat(100));
        let text = nest.repeat(50);
        let roomy = extract_within("a.js", Language::JavaScript, &text, 1 << 30);
        assert!(!roomy.over_budget && !roomy.partial);
        assert!(roomy.rows.function_call_args.len() >= 5_000);
        // Room for the tree (256 bytes a token) but not for the rows.
        let tight = extract_within("a.js", Language::JavaScript, &text, 16_000_000 / 4);
        assert!(tight.over_budget);
        assert!(tight.rows.is_empty());
        // Not even room for the tree: refused before parsing.
        let tiny = extract_within("a.js", Language::JavaScript, &text, 1_000);
        assert!(tiny.over_budget && tiny.rows.is_empty());
    }

    #[test]
    fn nesting_past_the_bound_marks_the_file_partial_in_every_language() {
        let chain = ".b".repeat(crate::syntax::MAX_DEPTH * 2);
        for (path, language, text) in [
            ("a.js", Language::JavaScript, format!("x = a{chain};")),
            ("a.ts", Language::TypeScript, format!("x = a{chain};")),
            ("a.py", Language::Python, format!("x = a{chain}")),
            ("a.go", Language::Go, format!("package p\nvar x = a{chain}")),
            (
                "a.rs",
                Language::Rust,
                format!("fn f() {{ let x = a{chain}; }}"),
            ),
        ] {
            let deep = extract_within(path, language, &text, 1 << 30);
            assert!(deep.partial, "{path}");
            let shallow = text.replace(&chain, ".b.b");
            assert!(
                !extract_within(path, language, &shallow, 1 << 30).partial,
                "{path}"
            );
        }
    }
}

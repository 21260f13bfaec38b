//! Finding the source files of a repository and reading them safely.
//!
//! The walk honours `.gitignore` (even outside a git checkout), never enters `.git`, `.pf` or
//! `node_modules`, and never follows symbolic links, so a link loop cannot trap it. Reading
//! decides whether a file can be indexed at all: binary, oversized and non-UTF-8 files are
//! skipped with a reason rather than failing the run.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::Serialize;

use crate::extract::Language;

/// Directories never indexed, whatever the ignore files say.
const ALWAYS_SKIPPED_DIRS: &[&str] = &[".git", ".pf", "node_modules"];

/// A source file found by the walk.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Repo-relative path with `/` separators.
    pub rel: String,
    /// Absolute path.
    pub abs: PathBuf,
    /// The file name's extension, as written.
    pub ext: String,
    /// The language, from the extension.
    pub language: Language,
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if unknown).
    pub mtime_ns: i64,
}

/// Why a source file was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The file holds NUL bytes.
    Binary,
    /// The file is larger than the configured limit.
    TooLarge,
    /// The file is not valid UTF-8.
    NotUtf8,
    /// The file could not be read.
    Unreadable,
}

impl SkipReason {
    /// The name stored in `skipped_files.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::NotUtf8 => "not_utf8",
            SkipReason::Unreadable => "unreadable",
        }
    }
}

/// A source file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Skipped {
    /// Repo-relative path.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// Lists every source file under `root` the indexer understands, sorted by path. Files over
/// `max_file_bytes` are returned as skipped without being read.
pub fn walk(root: &Path, max_file_bytes: u64) -> (Vec<Candidate>, Vec<Skipped>) {
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| ALWAYS_SKIPPED_DIRS.contains(&name)))
        })
        .build();
    for entry in walker {
        // Unreadable directories and broken entries are not source files we could index.
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        let Some(language) = Language::from_extension(ext) else {
            continue;
        };
        let Some(rel) = relative(root, path) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            skipped.push(Skipped {
                path: rel,
                reason: SkipReason::Unreadable,
            });
            continue;
        };
        if meta.len() > max_file_bytes {
            skipped.push(Skipped {
                path: rel,
                reason: SkipReason::TooLarge,
            });
            continue;
        }
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        candidates.push(Candidate {
            rel,
            abs: path.to_path_buf(),
            ext: ext.to_owned(),
            language,
            bytes: meta.len(),
            mtime_ns,
        });
    }
    candidates.sort_by(|a, b| a.rel.cmp(&b.rel));
    skipped.sort();
    (candidates, skipped)
}

/// `path` relative to `root`, with `/` separators; `None` if it is not valid UTF-8.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// A file's SHA-256 (hex) and text, or why it cannot be indexed.
pub fn read(candidate: &Candidate) -> Result<(String, String), SkipReason> {
    let bytes = std::fs::read(&candidate.abs).map_err(|_| SkipReason::Unreadable)?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(SkipReason::Binary);
    }
    let sha = sha256_hex(&bytes);
    let mut text = String::from_utf8(bytes).map_err(|_| SkipReason::NotUtf8)?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok((sha, text))
}

/// The SHA-256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

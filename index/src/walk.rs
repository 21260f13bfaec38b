//! Finding the source files of a repository and reading them safely.
//!
//! The walk honours `.gitignore` (even outside a git checkout), never enters `.git`, `.pf` or
//! `node_modules`, and never follows symbolic links, so a link loop cannot trap it. Reading
//! decides whether a file can be indexed at all: binary, oversized and non-UTF-8 files are
//! skipped with a reason rather than failing the run.
//!
//! A file can change between the walk and the read. So reading opens without following a link
//! and without blocking (a FIFO swapped in would otherwise wait forever for a writer), checks
//! on the open handle that it is still a regular file, and reads at most the size limit plus
//! one byte (a link to `/dev/zero` swapped in would otherwise be read forever). What the
//! handle says (size, times, inode) is what the index records.

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
    /// Size, times and inode as the walk saw them.
    pub stat: Stat,
}

/// What the file system says about a file, as far as telling whether it changed needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if unknown).
    pub mtime_ns: i64,
    /// Status change time in nanoseconds since the Unix epoch: changes with every write and
    /// every `touch`, and cannot be set back (`cp -p`, `rsync -t`, `tar` keep the mtime only).
    /// 0 where the platform does not tell (then the mtime and the racy-file rule decide).
    pub ctime_ns: i64,
    /// The inode number (a file replaced by a rename gets a new one); 0 where unknown.
    pub inode: u64,
}

impl Stat {
    /// The stat of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> Stat {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        #[cfg(unix)]
        let (ctime_ns, inode) = {
            use std::os::unix::fs::MetadataExt as _;
            (
                meta.ctime()
                    .saturating_mul(1_000_000_000)
                    .saturating_add(meta.ctime_nsec()),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (ctime_ns, inode) = (0, 0);
        Stat {
            bytes: meta.len(),
            mtime_ns,
            ctime_ns,
            inode,
        }
    }
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
    /// The path is no longer a regular file (a FIFO, a device or a link swapped in after the
    /// walk listed it).
    NotRegular,
    /// Indexing the file would take more memory than the per-file budget
    /// (`--max-file-memory`): a huge or pathologically dense file.
    OverBudget,
}

impl SkipReason {
    /// The name stored in `skipped_files.reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too_large",
            SkipReason::NotUtf8 => "not_utf8",
            SkipReason::Unreadable => "unreadable",
            SkipReason::NotRegular => "not_regular",
            SkipReason::OverBudget => "over_budget",
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
        if !meta.is_file() {
            continue;
        }
        if meta.len() > max_file_bytes {
            skipped.push(Skipped {
                path: rel,
                reason: SkipReason::TooLarge,
            });
            continue;
        }
        candidates.push(Candidate {
            rel,
            abs: path.to_path_buf(),
            ext: ext.to_owned(),
            language,
            stat: Stat::of(&meta),
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

/// A file as read: its hash, its text and what the open handle said about it.
#[derive(Debug)]
pub struct Read {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The text, a leading byte order mark removed.
    pub text: String,
    /// The stat of the open handle.
    pub stat: Stat,
}

/// Reads a file found by the walk, or says why it cannot be indexed: it must still be a
/// regular file (never waiting on a FIFO, never following a link) of at most `max_bytes`.
pub fn read(candidate: &Candidate, max_bytes: u64) -> Result<Read, SkipReason> {
    use std::io::Read as _;
    let file = open_regular(&candidate.abs)?;
    let meta = file.metadata().map_err(|_| SkipReason::Unreadable)?;
    if !meta.is_file() {
        return Err(SkipReason::NotRegular);
    }
    if meta.len() > max_bytes {
        return Err(SkipReason::TooLarge);
    }
    let stat = Stat::of(&meta);
    // The file may grow after the stat: never read more than the limit allows.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|_| SkipReason::Unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(SkipReason::TooLarge);
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(SkipReason::Binary);
    }
    let sha256 = sha256_hex(&bytes);
    let mut text = String::from_utf8(bytes).map_err(|_| SkipReason::NotUtf8)?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(Read { sha256, text, stat })
}

/// Opens `path` for reading if it is (still) a regular file: without following a final
/// symbolic link, and without blocking on a FIFO or a device.
#[cfg(unix)]
fn open_regular(path: &Path) -> Result<std::fs::File, SkipReason> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // A symbolic link where the walk saw a file.
            Some(libc::ELOOP) => SkipReason::NotRegular,
            _ => SkipReason::Unreadable,
        })
}

/// Opens `path` for reading if it is (still) a regular file. Without Unix's open flags (the
/// WASI sandbox) the check is made just before opening: a FIFO swapped in between the two
/// could still block.
#[cfg(not(unix))]
fn open_regular(path: &Path) -> Result<std::fs::File, SkipReason> {
    let meta = std::fs::symlink_metadata(path).map_err(|_| SkipReason::Unreadable)?;
    if !meta.is_file() {
        return Err(SkipReason::NotRegular);
    }
    std::fs::File::open(path).map_err(|_| SkipReason::Unreadable)
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A candidate for `path` as the walk would have listed it.
    fn candidate(path: &Path) -> Candidate {
        Candidate {
            rel: "a.js".to_owned(),
            abs: path.to_path_buf(),
            ext: "js".to_owned(),
            language: Language::JavaScript,
            stat: Stat::default(),
        }
    }

    /// Reads `path` on another thread, failing instead of hanging.
    fn read_guarded(path: &Path, max: u64) -> Result<Read, SkipReason> {
        let (tx, rx) = std::sync::mpsc::channel();
        let candidate = candidate(path);
        std::thread::spawn(move || {
            let _ = tx.send(read(&candidate, max));
        });
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("reading {} hangs", path.display()))
    }

    #[test]
    fn a_regular_file_is_read_with_the_stat_of_its_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.js");
        std::fs::write(&path, "\u{feff}let a = 1;\n").unwrap();
        let read = read_guarded(&path, 100).unwrap();
        assert_eq!(read.text, "let a = 1;\n");
        assert_eq!(read.stat, Stat::of(&std::fs::metadata(&path).unwrap()));
        assert_ne!(read.stat.inode, 0);
        assert_ne!(read.stat.ctime_ns, 0);
    }

    #[test]
    fn a_fifo_a_device_and_links_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.js");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        assert_eq!(
            read_guarded(&fifo, 100).unwrap_err(),
            SkipReason::NotRegular
        );
        assert_eq!(
            read_guarded(Path::new("/dev/zero"), 100).unwrap_err(),
            SkipReason::NotRegular
        );
        let link = dir.path().join("zero.js");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert_eq!(
            read_guarded(&link, 100).unwrap_err(),
            SkipReason::NotRegular
        );
        let file = dir.path().join("file.js");
        std::fs::write(&file, "x").unwrap();
        let link = dir.path().join("link.js");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(
            read_guarded(&link, 100).unwrap_err(),
            SkipReason::NotRegular
        );
    }

    #[test]
    fn a_file_over_the_limit_when_read_is_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.js");
        std::fs::write(&path, "x".repeat(101)).unwrap();
        assert_eq!(read_guarded(&path, 100).unwrap_err(), SkipReason::TooLarge);
        assert!(read_guarded(&path, 101).is_ok());
    }
}

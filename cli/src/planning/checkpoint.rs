//! Checkpoints: numbered copies of the files a task changed, kept in a bare shadow repository
//! `.pf/snapshots.git`, so that the user's own repository is never written to.
//!
//! A checkpoint stores the full content of every file that differs from the plan's *base*: the
//! commit the plan started from (its `git_commit`), the empty tree in a repository that had no
//! commit yet, and nothing at all outside git (every file is stored, and the plan's first
//! checkpoint serves as the base when showing diffs). Deleted files are listed in
//! `code_snapshots.files_json`, the rest is a commit in the shadow repository whose tree holds
//! the changed files. The user's repository is only read (its base tree, and a diff of that tree
//! against the work tree, which reads but never writes the index).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use git2::{DiffOptions, FileMode, ObjectType, Oid, Repository, RepositoryOpenFlags};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::time::now_rfc3339;

/// The shadow repository, relative to the root.
pub const SHADOW_DIR: &str = ".pf/snapshots.git";

/// Git's mode of a regular file.
const MODE_FILE: i32 = 0o100_644;
/// Git's mode of an executable file.
const MODE_EXEC: i32 = 0o100_755;
/// Git's mode of a symbolic link.
const MODE_LINK: i32 = 0o120_000;

/// One file as a state holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The bytes (a link's target for a symbolic link).
    pub bytes: Vec<u8>,
    /// The git file mode.
    pub mode: i32,
}

/// The files of a state that differ from the base: `None` for a file deleted since the base.
pub type Changes = BTreeMap<String, Option<FileContent>>;

/// The user's side: the work tree under the root and the base it is compared with.
pub struct Workspace {
    root: PathBuf,
    repo: Option<Repository>,
    base: Option<Oid>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// Opens the work tree at `root`. `plan_commit` is the commit the plan started from.
    pub fn open(root: &Path, plan_commit: Option<&str>) -> anyhow::Result<Workspace> {
        let repo = match Repository::open_ext(
            root,
            RepositoryOpenFlags::empty(),
            std::iter::empty::<&std::ffi::OsStr>(),
        ) {
            Ok(repo) => Some(repo),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e).context("cannot open the git repository"),
        };
        let Some(repo) = repo else {
            if let Some(commit) = plan_commit {
                bail!(
                    "the plan started at commit {commit}, but {} is no longer in a git repository",
                    root.display()
                );
            }
            return Ok(Workspace {
                root: root.to_path_buf(),
                repo: None,
                base: None,
            });
        };
        let Some(workdir) = repo.workdir() else {
            bail!(
                "{} is a bare git repository; checkpoints need a work tree",
                root.display()
            );
        };
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same(workdir, root) {
            bail!(
                "checkpoints need the root at the top of the git work tree ({}); pass --root {}",
                workdir.display(),
                workdir.display()
            );
        }
        let base = match plan_commit {
            Some(commit) => {
                let oid = Oid::from_str(commit)
                    .with_context(|| format!("the plan's commit {commit} is not a hash"))?;
                repo.find_commit(oid).with_context(|| {
                    format!("the plan's base commit {commit} is not in the repository")
                })?;
                Some(oid)
            }
            None => None,
        };
        Ok(Workspace {
            root: root.to_path_buf(),
            repo: Some(repo),
            base,
        })
    }

    /// Whether the root is inside git.
    pub fn in_git(&self) -> bool {
        self.repo.is_some()
    }

    /// The base commit, if the plan started from one.
    pub fn base_commit(&self) -> Option<String> {
        self.base.map(|o| o.to_string())
    }

    /// The commit checked out now, if any.
    pub fn head_commit(&self) -> Option<String> {
        let repo = self.repo.as_ref()?;
        let head = repo.head().ok()?;
        head.target().map(|o| o.to_string())
    }

    /// The files that differ from the base now, untracked ones included, ignored ones and `.pf/`
    /// excluded.
    pub fn changes(&self) -> anyhow::Result<Changes> {
        let mut changes = Changes::new();
        let Some(repo) = &self.repo else {
            return self.all_files();
        };
        let tree = match self.base {
            Some(oid) => Some(repo.find_commit(oid)?.tree()?),
            None => None,
        };
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_typechange(true)
            .ignore_submodules(true);
        // Reads the work tree and the base tree; the index is neither read for content nor
        // written.
        let diff = repo
            .diff_tree_to_workdir(tree.as_ref(), Some(&mut opts))
            .context("cannot compare the work tree with the plan's base")?;
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                let Some(bytes) = file.path_bytes() else {
                    continue;
                };
                let path = utf8_path(bytes)?;
                if is_ours(&path) || changes.contains_key(&path) {
                    continue;
                }
                let content = read_file(&self.root.join(&path))?;
                changes.insert(path, content);
            }
        }
        Ok(changes)
    }

    /// Every file under the root, outside git (`.gitignore` files still apply).
    fn all_files(&self) -> anyhow::Result<Changes> {
        let mut changes = Changes::new();
        let walk = ignore::WalkBuilder::new(&self.root)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".pf")))
            .build();
        for entry in walk {
            let entry = entry.context("cannot walk the directory")?;
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let Some(path) = relative.to_str() else {
                bail!("{} is not a UTF-8 path", relative.display());
            };
            let path = path.replace(std::path::MAIN_SEPARATOR, "/");
            if let Some(content) = read_file(entry.path())? {
                changes.insert(path, Some(content));
            }
        }
        Ok(changes)
    }

    /// The file at `path` in the base (`None` when absent or outside git).
    pub fn base_file(&self, path: &str) -> anyhow::Result<Option<FileContent>> {
        let (Some(repo), Some(base)) = (&self.repo, self.base) else {
            return Ok(None);
        };
        let tree = repo.find_commit(base)?.tree()?;
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return Ok(None);
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = repo.find_blob(entry.id())?;
        Ok(Some(FileContent {
            bytes: blob.content().to_vec(),
            mode: entry.filemode(),
        }))
    }
}

/// Whether `path` is aud's own (`.pf/`).
fn is_ours(path: &str) -> bool {
    path == ".pf" || path.starts_with(".pf/")
}

fn utf8_path(bytes: &[u8]) -> anyhow::Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a UTF-8 path; checkpoints cannot store it",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// The file at `path` as git would store it, `None` if absent (or a directory, a submodule).
fn read_file(path: &Path) -> anyhow::Result<Option<FileContent>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)
            .with_context(|| format!("cannot read the link {}", path.display()))?;
        return Ok(Some(FileContent {
            bytes: target.to_string_lossy().into_owned().into_bytes(),
            mode: MODE_LINK,
        }));
    }
    if !meta.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some(FileContent {
        bytes,
        mode: if is_executable(&meta) {
            MODE_EXEC
        } else {
            MODE_FILE
        },
    }))
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// Writes `content` at `path` (or removes it when `None`), creating parent directories.
pub fn restore_file(path: &Path, content: Option<&FileContent>) -> anyhow::Result<()> {
    let remove = |p: &Path| match std::fs::symlink_metadata(p) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => std::fs::remove_file(p).with_context(|| format!("cannot remove {}", p.display())),
        Err(_) => Ok(()),
    };
    let Some(content) = content else {
        return remove(path);
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    remove(path)?;
    if content.mode == MODE_LINK {
        #[cfg(unix)]
        {
            let target = String::from_utf8_lossy(&content.bytes).into_owned();
            std::os::unix::fs::symlink(target, path)
                .with_context(|| format!("cannot create the link {}", path.display()))?;
            return Ok(());
        }
    }
    std::fs::write(path, &content.bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if content.mode == MODE_EXEC {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

/// The shadow repository `.pf/snapshots.git`.
pub struct Shadow {
    repo: Repository,
}

impl std::fmt::Debug for Shadow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shadow").finish_non_exhaustive()
    }
}

impl Shadow {
    /// Opens the shadow repository under `root`, creating it if needed.
    pub fn open(root: &Path) -> anyhow::Result<Shadow> {
        let path = root.join(SHADOW_DIR);
        let repo = if path.exists() {
            Repository::open_bare(&path)
        } else {
            Repository::init_bare(&path)
        }
        .with_context(|| format!("cannot open {SHADOW_DIR}"))?;
        Ok(Shadow { repo })
    }

    /// Writes the present files of `changes` as a commit; returns its hash.
    pub fn write(&self, changes: &Changes, message: &str) -> anyhow::Result<String> {
        let repo = &self.repo;
        let empty = repo.find_tree(repo.treebuilder(None)?.write()?)?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, content) in changes {
            let Some(content) = content else { continue };
            let blob = repo.blob(&content.bytes)?;
            let mode = match content.mode {
                MODE_EXEC => FileMode::BlobExecutable,
                MODE_LINK => FileMode::Link,
                _ => FileMode::Blob,
            };
            update.upsert(path.as_str(), blob, mode);
        }
        let tree = repo.find_tree(update.create_updated(repo, &empty)?)?;
        let signature = git2::Signature::now("aud", "aud@localhost")?;
        let commit = repo.commit(None, &signature, &signature, message, &tree, &[])?;
        // A ref keeps the commit reachable for as long as a checkpoint names it.
        repo.reference(
            &format!("refs/aud/snapshots/{commit}"),
            commit,
            true,
            "aud checkpoint",
        )?;
        Ok(commit.to_string())
    }

    /// The files of the commit `sha`.
    pub fn read(&self, sha: &str) -> anyhow::Result<BTreeMap<String, FileContent>> {
        let repo = &self.repo;
        let oid = Oid::from_str(sha)?;
        let tree = repo
            .find_commit(oid)
            .with_context(|| format!("checkpoint commit {sha} is missing from {SHADOW_DIR}"))?
            .tree()?;
        let mut files = BTreeMap::new();
        let mut failure = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() != Some(ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let name = String::from_utf8_lossy(entry.name_bytes());
            match repo.find_blob(entry.id()) {
                Ok(blob) => {
                    files.insert(
                        format!("{dir}{name}"),
                        FileContent {
                            bytes: blob.content().to_vec(),
                            mode: entry.filemode(),
                        },
                    );
                    git2::TreeWalkResult::Ok
                }
                Err(e) => {
                    failure = Some(e);
                    git2::TreeWalkResult::Abort
                }
            }
        })?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        Ok(files)
    }

    /// Drops the ref keeping `sha` alive (its objects stay until the repository is collected).
    pub fn forget(&self, sha: &str) -> anyhow::Result<()> {
        if let Ok(mut reference) = self
            .repo
            .find_reference(&format!("refs/aud/snapshots/{sha}"))
        {
            reference.delete()?;
        }
        Ok(())
    }
}

/// What a checkpoint says about one file, in `files_json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The path, relative to the root.
    pub path: String,
    /// `added`, `modified` or `deleted`, relative to the base.
    pub status: String,
}

/// A checkpoint as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Its row id.
    pub id: i64,
    /// The task number, `None` for a plan-wide checkpoint (archive, rewind without a task).
    pub task_number: Option<u32>,
    /// 1, 2, 3... per task.
    pub sequence: u32,
    /// The name.
    pub name: String,
    /// When it was taken.
    pub timestamp: String,
    /// The commit checked out in the user's repository then.
    pub git_ref: Option<String>,
    /// The commit in the shadow repository.
    pub shadow_sha: Option<String>,
    /// The files that differed from the base.
    pub files: Vec<FileEntry>,
    /// Lines added and removed since the previous checkpoint of the task.
    pub added_lines: i64,
    /// See `added_lines`.
    pub removed_lines: i64,
}

impl Checkpoint {
    /// The full state of the checkpoint as changes from the base.
    pub fn changes(&self, shadow: &Shadow) -> anyhow::Result<Changes> {
        let mut files: Changes = match &self.shadow_sha {
            Some(sha) => shadow
                .read(sha)?
                .into_iter()
                .map(|(p, c)| (p, Some(c)))
                .collect(),
            None => Changes::new(),
        };
        for entry in &self.files {
            if entry.status == "deleted" {
                files.insert(entry.path.clone(), None);
            }
        }
        Ok(files)
    }
}

/// One file's difference between two states.
#[derive(Debug, Clone, Serialize)]
pub struct FileDiff {
    /// The path.
    pub path: String,
    /// A unified diff (or a line saying binary files differ).
    pub diff: String,
    /// Lines added.
    pub added_lines: i64,
    /// Lines removed.
    pub removed_lines: i64,
}

/// The differences from state `old` to state `new`, both given as changes from the base.
pub fn diff_states(
    workspace: &Workspace,
    old: &Changes,
    new: &Changes,
) -> anyhow::Result<Vec<FileDiff>> {
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut diffs = Vec::new();
    for path in paths {
        let side = |state: &Changes| -> anyhow::Result<Option<FileContent>> {
            match state.get(path) {
                Some(content) => Ok(content.clone()),
                None => workspace.base_file(path),
            }
        };
        let (a, b) = (side(old)?, side(new)?);
        if a != b {
            diffs.push(diff_file(path, a.as_ref(), b.as_ref()));
        }
    }
    Ok(diffs)
}

/// A unified diff of one file.
pub fn diff_file(path: &str, old: Option<&FileContent>, new: Option<&FileContent>) -> FileDiff {
    let name = |side: &str, c: Option<&FileContent>| {
        c.map_or_else(|| "/dev/null".to_owned(), |_| format!("{side}/{path}"))
    };
    let (old_name, new_name) = (name("a", old), name("b", new));
    let text = |c: Option<&FileContent>| -> Option<String> {
        let bytes = c.map_or(&[][..], |c| &c.bytes);
        if bytes.iter().take(8000).any(|&b| b == 0) {
            return None;
        }
        String::from_utf8(bytes.to_vec()).ok()
    };
    let (Some(a), Some(b)) = (text(old), text(new)) else {
        return FileDiff {
            path: path.to_owned(),
            diff: format!("Binary files {old_name} and {new_name} differ\n"),
            added_lines: 0,
            removed_lines: 0,
        };
    };
    let diff = similar::TextDiff::from_lines(&a, &b);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let mut text = String::new();
    let modes = (old.map(|c| c.mode), new.map(|c| c.mode));
    if let (Some(a), Some(b)) = modes
        && a != b
    {
        text.push_str(&format!("old mode {a:o}\nnew mode {b:o}\n"));
    }
    text.push_str(
        &diff
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string(),
    );
    FileDiff {
        path: path.to_owned(),
        diff: text,
        added_lines: added,
        removed_lines: removed,
    }
}

/// The status of each changed file relative to the base.
fn entries(workspace: &Workspace, changes: &Changes) -> anyhow::Result<Vec<FileEntry>> {
    changes
        .iter()
        .map(|(path, content)| {
            let status = match content {
                None => "deleted",
                Some(_) if workspace.base_file(path)?.is_some() => "modified",
                Some(_) => "added",
            };
            Ok(FileEntry {
                path: path.clone(),
                status: status.to_owned(),
            })
        })
        .collect()
}

const CHECKPOINT_COLUMNS: &str = "s.id, t.task_number, s.sequence, s.checkpoint_name, s.timestamp, s.git_ref, \
     s.shadow_sha, s.files_json, \
     (SELECT COALESCE(SUM(added_lines), 0) FROM code_diffs d WHERE d.snapshot_id = s.id), \
     (SELECT COALESCE(SUM(removed_lines), 0) FROM code_diffs d WHERE d.snapshot_id = s.id)";

fn checkpoint_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Checkpoint> {
    let files: String = row.get(7)?;
    Ok(Checkpoint {
        id: row.get(0)?,
        task_number: row.get(1)?,
        sequence: row.get(2)?,
        name: row.get(3)?,
        timestamp: row.get(4)?,
        git_ref: row.get(5)?,
        shadow_sha: row.get(6)?,
        files: serde_json::from_str(&files).unwrap_or_default(),
        added_lines: row.get(8)?,
        removed_lines: row.get(9)?,
    })
}

/// The checkpoints of a plan (`task`: `Some(Some(n))` one task, `Some(None)` the plan-wide
/// ones, `None` all), oldest first.
pub fn list(
    conn: &Connection,
    plan_id: i64,
    task: Option<Option<u32>>,
) -> anyhow::Result<Vec<Checkpoint>> {
    let (filter, number) = match task {
        None => ("", None),
        Some(None) => (" AND s.task_id IS NULL", None),
        Some(Some(n)) => (" AND t.task_number = ?2", Some(n)),
    };
    let sql = format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM code_snapshots s LEFT JOIN plan_tasks t ON t.id = s.task_id \
         WHERE s.plan_id = ?1{filter} ORDER BY s.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = match number {
        Some(n) => stmt.query_map(params![plan_id, n], checkpoint_from_row)?,
        None => stmt.query_map(params![plan_id], checkpoint_from_row)?,
    };
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The stored diffs of a checkpoint.
pub fn stored_diffs(conn: &Connection, snapshot_id: i64) -> anyhow::Result<Vec<FileDiff>> {
    let mut stmt = conn.prepare(
        "SELECT file_path, COALESCE(diff_text, ''), added_lines, removed_lines FROM code_diffs \
         WHERE snapshot_id = ?1 ORDER BY file_path",
    )?;
    let rows = stmt.query_map([snapshot_id], |r| {
        Ok(FileDiff {
            path: r.get(0)?,
            diff: r.get(1)?,
            added_lines: r.get(2)?,
            removed_lines: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The state a checkpoint's diff starts from: the previous checkpoint of its task, else the
/// base (outside git: the plan's first checkpoint, or the new state itself when there is none).
fn previous_state(
    conn: &Connection,
    shadow: &Shadow,
    workspace: &Workspace,
    plan_id: i64,
    task: Option<u32>,
    current: &Changes,
) -> anyhow::Result<Changes> {
    if let Some(last) = list(conn, plan_id, Some(task))?.last() {
        return last.changes(shadow);
    }
    base_state(conn, shadow, workspace, plan_id).map(|b| b.unwrap_or_else(|| current.clone()))
}

/// The base as a state: empty in git (the base itself), the plan's first checkpoint outside git
/// (`None` when the plan has none yet).
pub fn base_state(
    conn: &Connection,
    shadow: &Shadow,
    workspace: &Workspace,
    plan_id: i64,
) -> anyhow::Result<Option<Changes>> {
    if workspace.in_git() {
        return Ok(Some(Changes::new()));
    }
    match list(conn, plan_id, None)?.first() {
        Some(first) => first.changes(shadow).map(Some),
        None => Ok(None),
    }
}

/// Takes a checkpoint as [`take`] does, unless `task`'s last checkpoint already holds exactly
/// the current files: an automatic checkpoint (a failed verification) of an unchanged tree would
/// only repeat it. `None` when nothing was taken.
pub fn take_if_changed(
    conn: &mut Connection,
    root: &Path,
    plan_id: i64,
    plan_commit: Option<&str>,
    task: Option<u32>,
    name: Option<&str>,
) -> anyhow::Result<Option<Checkpoint>> {
    if let Some(last) = list(conn, plan_id, Some(task))?.last() {
        let workspace = Workspace::open(root, plan_commit)?;
        let shadow = Shadow::open(root)?;
        if last.changes(&shadow)? == workspace.changes()? {
            return Ok(None);
        }
    }
    take(conn, root, plan_id, plan_commit, task, name).map(Some)
}

/// Takes a checkpoint of the current state for `task` of `plan_id` (a plan-wide one when `None`),
/// named `name` or `edit_N`. The plan must exist and not be archived (checked by the caller).
pub fn take(
    conn: &mut Connection,
    root: &Path,
    plan_id: i64,
    plan_commit: Option<&str>,
    task: Option<u32>,
    name: Option<&str>,
) -> anyhow::Result<Checkpoint> {
    let workspace = Workspace::open(root, plan_commit)?;
    let shadow = Shadow::open(root)?;
    let current = workspace.changes()?;
    let previous = previous_state(conn, &shadow, &workspace, plan_id, task, &current)?;
    let diffs = diff_states(&workspace, &previous, &current)?;
    let files = entries(&workspace, &current)?;
    let message = format!(
        "aud checkpoint: plan {plan_id}{}{}\n",
        task.map(|t| format!(" task {t}")).unwrap_or_default(),
        name.map(|n| format!(" {n}")).unwrap_or_default()
    );
    let sha = shadow.write(&current, &message)?;
    let head = workspace.head_commit();
    let now = now_rfc3339();

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let task_id: Option<i64> = match task {
        Some(n) => Some(
            tx.query_row(
                "SELECT id FROM plan_tasks WHERE plan_id = ?1 AND task_number = ?2",
                params![plan_id, n],
                |r| r.get(0),
            )
            .optional()?
            .with_context(|| format!("plan {plan_id} has no task {n}"))?,
        ),
        None => None,
    };
    let sequence: u32 = tx.query_row(
        "SELECT COALESCE(MAX(sequence), 0) + 1 FROM code_snapshots WHERE plan_id = ?1 AND task_id IS ?2",
        params![plan_id, task_id],
        |r| r.get(0),
    )?;
    let name = name.map_or_else(|| format!("edit_{sequence}"), str::to_owned);
    tx.execute(
        "INSERT INTO code_snapshots (plan_id, task_id, sequence, checkpoint_name, timestamp, git_ref, \
         shadow_sha, files_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            plan_id,
            task_id,
            sequence,
            name,
            now,
            head,
            sha,
            serde_json::to_string(&files)?
        ],
    )?;
    let id = tx.last_insert_rowid();
    for diff in &diffs {
        tx.execute(
            "INSERT INTO code_diffs (snapshot_id, file_path, diff_text, added_lines, removed_lines) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id,
                diff.path,
                diff.diff,
                diff.added_lines,
                diff.removed_lines
            ],
        )?;
    }
    tx.commit()?;
    Ok(Checkpoint {
        id,
        task_number: task,
        sequence,
        name,
        timestamp: now,
        git_ref: head,
        shadow_sha: Some(sha),
        files,
        added_lines: diffs.iter().map(|d| d.added_lines).sum(),
        removed_lines: diffs.iter().map(|d| d.removed_lines).sum(),
    })
}

/// Deletes the checkpoints older than `cutoff` (RFC 3339) of plans that are not archived, in
/// one transaction; returns how many went.
pub fn prune(conn: &mut Connection, root: &Path, cutoff: &str) -> anyhow::Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let doomed: Vec<(i64, Option<String>)> = {
        let mut stmt = tx.prepare(
            "SELECT s.id, s.shadow_sha FROM code_snapshots s JOIN plans p ON p.id = s.plan_id \
             WHERE p.status != 'archived' AND s.timestamp < ?1",
        )?;
        let rows = stmt.query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for (id, _) in &doomed {
        tx.execute("DELETE FROM code_diffs WHERE snapshot_id = ?1", [id])?;
        tx.execute("DELETE FROM code_snapshots WHERE id = ?1", [id])?;
    }
    let mut orphans = Vec::new();
    for sha in doomed.iter().filter_map(|(_, s)| s.as_deref()) {
        let still: i64 = tx.query_row(
            "SELECT count(*) FROM code_snapshots WHERE shadow_sha = ?1",
            [sha],
            |r| r.get(0),
        )?;
        if still == 0 {
            orphans.push(sha.to_owned());
        }
    }
    tx.commit()?;
    if !orphans.is_empty() && root.join(SHADOW_DIR).exists() {
        let shadow = Shadow::open(root)?;
        for sha in orphans {
            shadow.forget(&sha)?;
        }
    }
    Ok(doomed.len())
}

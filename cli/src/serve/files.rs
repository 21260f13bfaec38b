//! Reading a repository file named by a database row, without ever leaving the root.
//!
//! A finding's `file` comes from `.pf/planning.db`, which anyone able to write the repository
//! can edit: it is untrusted. [`read_in_root`] refuses absolute paths, `..`, backslashes and NUL
//! bytes outright, then resolves symbolic links and checks the result is still under the root.

use std::path::{Component, Path, PathBuf};

/// Files larger than this get no context lines (the indexer skips them too by default).
const MAX_CONTEXT_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The file `relative` names under `root` (canonical), or `None` when it is not a plain
/// relative path, does not exist, or resolves outside the root.
pub fn resolve_in_root(root: &Path, relative: &str) -> Option<PathBuf> {
    if relative.is_empty()
        || relative.contains(['\0', '\\'])
        || relative.starts_with('/')
        || !Path::new(relative)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let resolved = root.join(relative).canonicalize().ok()?;
    (resolved.starts_with(root) && resolved.is_file()).then_some(resolved)
}

/// The text of the file `relative` names under `root` (canonical), lossily decoded; `None`
/// when [`resolve_in_root`] refuses it, it is too large, or it cannot be read.
pub fn read_in_root(root: &Path, relative: &str) -> Option<String> {
    let path = resolve_in_root(root, relative)?;
    let meta = std::fs::metadata(&path).ok()?;
    if meta.len() > MAX_CONTEXT_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_inside_the_root_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.js"), "one\ntwo\n").unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        assert_eq!(read_in_root(&root, "src/a.js").unwrap(), "one\ntwo\n");
        for refused in [
            "",
            "../secret.txt",
            "src/../../secret.txt",
            "src/../a.js",
            "./src/a.js",
            "/etc/passwd",
            &base.join("secret.txt").display().to_string(),
            "src\\a.js",
            "..\\secret.txt",
            "src/a.js\0",
            "src",
            "src/missing.js",
        ] {
            assert!(read_in_root(&root, refused).is_none(), "{refused:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_root_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        std::fs::write(root.join("inside.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(&base, root.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join("inside.txt"), root.join("in.txt")).unwrap();
        assert!(read_in_root(&root, "out.txt").is_none());
        assert!(read_in_root(&root, "up/secret.txt").is_none());
        assert_eq!(read_in_root(&root, "in.txt").unwrap(), "inside");
    }
}

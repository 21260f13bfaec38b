//! Reading the commit checked out, without running git: `.git/HEAD`, loose refs, packed refs.

use std::path::{Path, PathBuf};

/// The full hash of the commit checked out at `root`, if `root` is (inside) a git work tree
/// with at least one commit. Anything unexpected yields `None`: the commit is informative only.
pub fn head_commit(root: &Path) -> Option<String> {
    let git_dir = git_dir(root)?;
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:") else {
        return is_hash(head).then(|| head.to_owned());
    };
    let reference = reference.trim();
    // Linked work trees keep branch refs in the common directory.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
    for dir in [&git_dir, &common] {
        if let Ok(hash) = std::fs::read_to_string(dir.join(reference)) {
            let hash = hash.trim();
            if is_hash(hash) {
                return Some(hash.to_owned());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name.trim() == reference && is_hash(hash)).then(|| hash.to_owned())
    })
}

/// `.git` of the work tree holding `root`, following a `gitdir:` file (work trees, submodules).
fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.exists())?;
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    let base = dot_git.parent()?;
    Some(base.join(target))
}

fn is_hash(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn reads_loose_packed_and_detached_heads() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        assert_eq!(head_commit(root), None);
        let git = root.join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        // An unborn branch has no commit.
        assert_eq!(head_commit(root), None);
        let a = "a".repeat(40);
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs\n{a} refs/heads/main\n"),
        )
        .unwrap();
        assert_eq!(head_commit(root), Some(a));
        let b = "b".repeat(40);
        std::fs::write(git.join("refs/heads/main"), format!("{b}\n")).unwrap();
        assert_eq!(head_commit(&root.join("sub")), Some(b.clone()));
        let c = "c".repeat(40);
        std::fs::write(git.join("HEAD"), format!("{c}\n")).unwrap();
        assert_eq!(head_commit(root), Some(c));
    }
}

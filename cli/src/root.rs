//! Finding the repository root and the files aud keeps under `.pf/`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// Where a command works: the repository root and its `.pf/` directory.
#[derive(Debug, Clone)]
pub struct Context {
    /// The repository root (absolute).
    pub root: PathBuf,
}

impl Context {
    /// Resolves the root: `explicit`, else the nearest ancestor of the current directory that
    /// holds `.pf/`, else the git top level, else the current directory.
    pub fn new(explicit: Option<&Path>) -> anyhow::Result<Context> {
        let root = match explicit {
            Some(dir) => {
                if !dir.is_dir() {
                    bail!("--root {}: no such directory", dir.display());
                }
                dir.canonicalize()
                    .with_context(|| format!("--root {}", dir.display()))?
            }
            None => {
                let cwd = std::env::current_dir().context("cannot read the current directory")?;
                discover(&cwd)
            }
        };
        Ok(Context { root })
    }

    /// `.pf/` under the root.
    pub fn pf_dir(&self) -> PathBuf {
        self.root.join(".pf")
    }

    /// `.pf/repo_index.db`.
    pub fn index_db(&self) -> PathBuf {
        self.pf_dir().join("repo_index.db")
    }

    /// `.pf/planning.db`.
    pub fn planning_db(&self) -> PathBuf {
        self.pf_dir().join("planning.db")
    }

    /// Creates `.pf/` if needed.
    pub fn ensure_pf_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = self.pf_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }
}

fn discover(cwd: &Path) -> PathBuf {
    if let Some(dir) = cwd.ancestors().find(|d| d.join(".pf").is_dir()) {
        return dir.to_path_buf();
    }
    if let Some(dir) = cwd.ancestors().find(|d| d.join(".git").exists()) {
        return dir.to_path_buf();
    }
    cwd.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pf_wins_over_git_and_git_over_cwd() {
        let tmp = std::env::temp_dir().join(format!("aud-root-{}", std::process::id()));
        let deep = tmp.join("repo/sub/deeper");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(discover(&deep), deep);
        std::fs::create_dir_all(tmp.join("repo/.git")).unwrap();
        assert_eq!(discover(&deep), tmp.join("repo"));
        std::fs::create_dir_all(tmp.join("repo/sub/.pf")).unwrap();
        assert_eq!(discover(&deep), tmp.join("repo/sub"));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

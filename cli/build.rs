//! Embeds the web UI in `aud` (feature `serve`).
//!
//! When `web/index.html` exists, `AUD_SKIP_WEB` is unset and `trunk` is on `PATH`, this runs
//! `trunk build --release --offline` in `web/` into `$OUT_DIR/web-dist` and writes
//! `$OUT_DIR/web_assets.rs`: a table of `(path, include_bytes!(file))`, one row per file of the
//! dist directory, which `aud serve` looks paths up in (it never reads the file system for
//! assets). Otherwise the table is empty and `aud serve` says how to get the UI. A trunk that
//! fails fails the build, with its output: a release never ships without the UI by accident.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Inputs of the web build, relative to the workspace root.
const WEB_INPUTS: &[&str] = &[
    "web/src",
    "web/index.html",
    "web/style.css",
    "web/Trunk.toml",
    "web/Cargo.toml",
    "core/src",
    "Cargo.lock",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AUD_SKIP_WEB");
    // `aud serve` exists in native builds only (see Cargo.toml).
    let wasi = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "wasi");
    if std::env::var_os("CARGO_FEATURE_SERVE").is_none() || wasi {
        return;
    }
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("the cli crate has no parent directory")?
        .to_path_buf();
    let web = workspace.join("web");
    for input in WEB_INPUTS {
        let path = workspace.join(input);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    // So that a web/index.html (or style.css...) appearing later triggers a rebuild.
    if web.is_dir() {
        println!("cargo:rerun-if-changed={}", web.display());
    }

    let dist = out_dir.join("web-dist");
    let files = if std::env::var_os("AUD_SKIP_WEB").is_some() || !web.join("index.html").is_file() {
        Vec::new()
    } else if let Some(trunk) = find_on_path("trunk") {
        build_ui(&trunk, &workspace, &web, &dist)?;
        let mut files = Vec::new();
        list_files(&dist, &mut files)?;
        files.sort();
        files
    } else {
        // Installing trunk (scripts/setup.sh, into ~/.cargo/bin) must rerun this script.
        println!("cargo:rerun-if-env-changed=PATH");
        if let Some(bin) = cargo_bin() {
            println!("cargo:rerun-if-changed={}", bin.display());
        }
        println!(
            "cargo:warning=aud serve is built without the web UI: trunk is not on PATH; run ./scripts/setup.sh and rebuild"
        );
        Vec::new()
    };
    write_table(&out_dir.join("web_assets.rs"), &dist, &files)
}

fn env(key: &str) -> Result<String, String> {
    std::env::var(key).map_err(|_| format!("cargo did not set {key}"))
}

/// `name` as an executable in one of the `PATH` directories.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
}

/// Where `cargo install` puts binaries.
fn cargo_bin() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    Some(home.join("bin")).filter(|b| b.is_dir())
}

/// Whether the variable `key`, set by the outer cargo for this build script, must not reach the
/// nested cargo that trunk runs: it would build for the wrong target, with the wrong flags, or
/// through clippy (`RUSTC_WORKSPACE_WRAPPER`).
fn leaks_into_nested_cargo(key: &OsStr) -> bool {
    let Some(key) = key.to_str() else {
        return false;
    };
    const OUTER: &[&str] = &[
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "NUM_JOBS",
        "OPT_LEVEL",
        "DEBUG",
        "PROFILE",
    ];
    // The user's cargo set-up (home, network, registries, terminal) still applies.
    const KEPT: &[&str] = &[
        "CARGO_HOME",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
    ];
    OUTER.contains(&key)
        || key.starts_with("__CARGO")
        || key.starts_with("DEP_")
        || (key.starts_with("CARGO_") && !KEPT.iter().any(|k| key.starts_with(k)))
}

/// Runs trunk in `web` with a clean environment and its own target directory (sharing the
/// outer build's would deadlock on its lock).
fn build_ui(trunk: &Path, workspace: &Path, web: &Path, dist: &Path) -> Result<(), String> {
    if dist.exists() {
        std::fs::remove_dir_all(dist)
            .map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from)
        .join("web-build");
    let mut command = Command::new(trunk);
    command
        .current_dir(web)
        .args(["build", "--release", "--offline", "--dist"])
        .arg(dist);
    for (key, _) in std::env::vars_os() {
        if leaks_into_nested_cargo(&key) {
            command.env_remove(key);
        }
    }
    command.env("CARGO_TARGET_DIR", &target_dir);
    let output = command
        .output()
        .map_err(|e| format!("cannot run {}: {e}", trunk.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`trunk build --release --offline` in {} failed ({}); fix the web UI, or set \
             AUD_SKIP_WEB=1 to build aud without it\n--- trunk stdout\n{}\n--- trunk stderr\n{}",
            web.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "trunk succeeded but wrote no index.html into {}",
            dist.display()
        ));
    }
    Ok(())
}

/// Every file under `dir`, as `(path relative to dir with '/', absolute path)`.
fn list_files(dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    fn walk(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if kind.is_dir() {
                walk(base, &path, files)?;
            } else if kind.is_file() {
                let relative = path
                    .strip_prefix(base)
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .components()
                    .map(|c| c.as_os_str().to_str())
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?
                    .join("/");
                files.push((relative, path));
            }
        }
        Ok(())
    }
    walk(dir, dir, files)
}

/// Writes the asset table.
fn write_table(table: &Path, dist: &Path, files: &[(String, PathBuf)]) -> Result<(), String> {
    let mut code = String::new();
    let _ = writeln!(
        code,
        "// Generated by cli/build.rs from {}: the web UI's files.",
        dist.display()
    );
    code.push_str("pub(crate) static ASSETS: &[(&str, &[u8])] = &[\n");
    for (relative, path) in files {
        let path = path
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
        let _ = writeln!(code, "    ({relative:?}, include_bytes!({path:?})),");
    }
    code.push_str("];\n");
    // Rewritten only when it changes, so an unchanged UI does not recompile the crate.
    if std::fs::read_to_string(table).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(table, code)
            .map_err(|e| format!("cannot write {}: {e}", table.display()))?;
    }
    Ok(())
}

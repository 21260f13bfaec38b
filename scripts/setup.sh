#!/usr/bin/env bash
# Installs everything aud's build and tests need, idempotently: run it on a fresh machine,
# run it again any time; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# Rust toolchain and targets (pinned by rust-toolchain.toml).
if ! command -v rustup >/dev/null; then
    echo "rustup is required: https://rustup.rs" >&2
    exit 2
fi
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
rustup toolchain list | grep -q "^${toolchain}" || rustup toolchain install "$toolchain" --profile minimal
installed=$(rustup target list --installed --toolchain "$toolchain")
for target in wasm32-unknown-unknown wasm32-wasip1; do
    if ! grep -qx "$target" <<<"$installed"; then
        log "adding rust target $target"
        rustup target add --toolchain "$toolchain" "$target"
    fi
done
for component in rustfmt clippy; do
    rustup component list --installed --toolchain "$toolchain" | grep -q "^${component}" \
        || rustup component add --toolchain "$toolchain" "$component"
done

# Debian packages: git (tests create repositories); clang, lld, the wasi-libc sysroot and the
# wasm32 compiler runtime build aud-wasi's C code (SQLite, tree-sitter) for wasm32-wasip1
# (see .cargo/config.toml); python3-pip installs the WASI runtime below.
apt_packages=(git clang lld llvm wasi-libc libclang-rt-dev-wasm32 python3-pip)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi
# The WASI runtime the aud-wasi tests run the module under: wasmtime, as its Python package
# (prebuilt; scripts/wasi-run.py drives it like `wasmtime run`).
wasmtime_version=50.0.1
if ! python3 -c "import wasmtime" >/dev/null 2>&1; then
    log "installing the wasmtime Python package $wasmtime_version"
    python3 -m pip install --quiet "wasmtime==$wasmtime_version" \
        || python3 -m pip install --quiet --break-system-packages "wasmtime==$wasmtime_version"
fi
log "ready"

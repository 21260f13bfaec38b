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
# (see .cargo/config.toml); python3-pip installs the WASI runtime below; chromium and
# chromium-driver run the browser tests. (Not binaryen: Debian's wasm-opt 108 corrupts the
# reference-types tables rustc 1.95 emits, so web/index.html turns wasm-opt off.)
apt_packages=(git clang lld llvm wasi-libc libclang-rt-dev-wasm32 python3-pip chromium
    chromium-driver)
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
# Cargo tools that build the web UI: trunk drives the wasm build (cli/build.rs runs it and embeds
# the result in `aud`), wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
# Each is installed once and kept in cargo's bin directory: a machine that has the right version
# skips the 5-15 minute compile.
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"
has_version() { # command version
    command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qw "$2"
}
install_tool() { # crate version command [cargo install flags...]
    local crate=$1 version=$2 cmd=$3; shift 3
    if has_version "$cmd" "$version"; then
        return
    fi
    log "installing $crate $version (compiles once, then cached in $cargo_bin)"
    # Tools need no fat LTO: building them without it takes a fraction of the time.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install "$crate@$version" --force "$@"
}
install_tool trunk 0.21.14 trunk --locked # 0.22 needs a newer rustc
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wasm_bindgen_version" ]; then
    echo "setup: no wasm-bindgen in Cargo.lock" >&2
    exit 2
fi
# Not --locked: the CLI's own lock file pins crates that need a newer rustc.
install_tool wasm-bindgen-cli "$wasm_bindgen_version" wasm-bindgen
# Every crate in Cargo.lock, for every target: cli/build.rs runs trunk offline, and the web UI's
# wasm-only dependencies are not fetched by any host build before it.
cargo fetch --locked --quiet
log "ready"

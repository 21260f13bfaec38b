#!/usr/bin/env bash
# Runs every check CI runs: formatting, lints, the pure core on both wasm targets, docs, and
# all tests (unit, snapshot, property and end-to-end). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# trunk and wasm-bindgen-cli (installed by setup) must be on PATH for cli/build.rs to embed the UI.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Snapshots must match; a stale one fails instead of being rewritten.
export INSTA_UPDATE=no CI=true

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check
step "lints"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
step "core builds without IO or C for the browser and WASI"
cargo build --locked -p aud-core --target wasm32-unknown-unknown
cargo build --locked -p aud-core --target wasm32-wasip1
step "aud-wasi builds for WASI (its tests run the module under wasmtime)"
cargo build --locked --release --target wasm32-wasip1 --bin aud-wasi
step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --document-private-items
step "tests"
cargo test --locked --workspace --all-features
step "the README example runs"
cargo build --locked -p aud-cli --bin aud
AUD_BIN=target/debug/aud ./scripts/demo.sh --no-serve >/dev/null
printf '\nall checks passed\n'

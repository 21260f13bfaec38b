#!/usr/bin/env bash
# Fuzzes the spec loader and every extractor for a while each, with cargo-fuzz (nightly
# Rust and `cargo install cargo-fuzz` needed; not run in CI). Usage:
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 300)
# Record how long each target ran clean in fuzz/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-300}"
for target in spec_parse extract_js extract_ts extract_python extract_go extract_rust; do
    echo "== $target for ${seconds}s"
    # -max_len lets deep nesting through; -rss_limit_mb catches memory blow-ups.
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048
done

#!/usr/bin/env bash
# Runs aud's main job on the built-in example (examples/auth-migration): index the code,
# evaluate the Auth0 -> Cognito spec, and drive a plan through verification.
# The example is copied to a temporary directory; nothing in the repository changes.
set -euo pipefail
cd "$(dirname "$0")/.."

# AUD_BIN lets CI reuse the binary its tests already built.
if [ -n "${AUD_BIN:-}" ]; then
    aud=$(realpath "$AUD_BIN")
else
    cargo build --quiet --release -p aud-cli --bin aud
    aud="$PWD/target/release/aud"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/auth-migration/. "$work/"
cd "$work"

run() { printf '\n$ aud %s\n' "$*"; "$aud" "$@"; }
expect_code() { # expected-code command...
    local want=$1; shift
    set +e; run "$@"; local got=$?; set -e
    if [ "$got" -ne "$want" ]; then
        echo "demo: 'aud $*' exited $got, expected $want" >&2
        exit 1
    fi
}

expect_code 0 index
expect_code 0 refactor --file specs/auth0-to-cognito.yaml --validate-only
expect_code 1 refactor --file specs/auth0-to-cognito.yaml
printf '\nThe example still uses Auth0, so the spec fails (exit 1) and lists every site to migrate.\n'

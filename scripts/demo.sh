#!/usr/bin/env bash
# Runs aud's main job on the built-in example (examples/auth-migration): index the code,
# evaluate the Auth0 -> Cognito spec, drive a plan through verification with a checkpoint,
# then serve the web UI on it (http://127.0.0.1:8717/, Ctrl-C to stop).
# The example is copied to a temporary directory; nothing in the repository changes.
#
#   ./scripts/demo.sh              everything, then the web UI
#   ./scripts/demo.sh --no-serve   everything but the web UI (CI)
#   AUD_PORT=9000 ./scripts/demo.sh   the web UI on another port
set -euo pipefail
cd "$(dirname "$0")/.."

serve=1
for arg in "$@"; do
    case "$arg" in
        --no-serve) serve=0 ;;
        *) echo "demo: unknown argument $arg (expected --no-serve)" >&2; exit 2 ;;
    esac
done

# AUD_BIN lets CI reuse the binary its tests already built.
if [ -n "${AUD_BIN:-}" ]; then
    aud=$(realpath "$AUD_BIN")
else
    ./scripts/setup.sh
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    cargo build --quiet --release -p aud-cli --bin aud
    aud="$PWD/target/release/aud"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/auth-migration/. "$work/"
cd "$work"
# A git repository of its own, so checkpoints diff against a commit.
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com
git init -q && printf '.pf/\n' >.gitignore && git add -A && git commit -q -m "before the migration"

run() { printf '\n$ aud %s\n' "$*"; "$aud" "$@"; }
expect_code() { # expected-code command...
    local want=$1; shift
    set +e; run "$@"; local got=$?; set -e
    if [ "$got" -ne "$want" ]; then
        echo "demo: 'aud $*' exited $got, expected $want" >&2
        exit 1
    fi
}

step() { printf '\n### %s\n' "$*"; }

step "Index the code and check the whole migration at once"
expect_code 0 index
expect_code 0 refactor --file specs/auth0-to-cognito.yaml --validate-only
expect_code 1 refactor --file specs/auth0-to-cognito.yaml

step "Plan the migration as tasks whose specs prove them done"
expect_code 0 planning init --name "Auth0 to Cognito" --description "Replace Auth0 with AWS Cognito"
expect_code 0 planning add-phase 1 --phase-number 1 --title "Backend"
expect_code 0 planning add-task 1 --title "Read Cognito settings" --spec specs/config.yaml --phase 1
expect_code 0 planning add-task 1 --title "Replace the Auth0 SDK" --spec specs/auth0-to-cognito.yaml --phase 1
expect_code 0 planning add-job 1 1 --description "Rename the environment variables in deployment"

step "Verify task 1: it fails and lists what to change"
expect_code 1 planning verify-task 1 1 --auto-update

step "Make the change (no re-index needed), verify again: it passes and is completed"
sed -i 's/process\.env\.AUTH0_DOMAIN/process.env.COGNITO_USER_POOL_ID/; s/process\.env\.AUTH0_CLIENT_ID/process.env.COGNITO_CLIENT_ID/' backend/auth.js
sed -i 's/AUTH0_DOMAIN/COGNITO_USER_POOL_ID/g; s/AUTH0_CLIENT_ID/COGNITO_CLIENT_ID/g' backend/worker.py
expect_code 0 planning checkpoint 1 1 --name cognito-settings
expect_code 0 planning verify-task 1 1 --auto-update
expect_code 0 planning complete-job 1 1 1

step "Task 2 is still open; the plan shows where everything stands"
expect_code 1 planning verify 1
expect_code 0 planning show 1
expect_code 0 planning audit 1
printf '\nTask 1 is proven done; task 2 still lists every Auth0 site left to migrate.\n'

if [ "$serve" = 1 ]; then
    step "Browse the plan in the web UI (Ctrl-C to stop)"
    run serve --port "${AUD_PORT:-8717}"
fi

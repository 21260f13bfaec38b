#!/usr/bin/env bash
# Measures the planning commands' latency (the seed's figures: init < 100 ms, show < 50 ms,
# verify-task < 1 s on a 300 kLOC repository with a fresh index) with hyperfine, on the
# generated corpus, and prints a Markdown table for bench/RESULTS.md. A program, not a test.
#
# Usage: bench/planning.sh [KLOC]   (default 300; needs hyperfine: apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
kloc=${1:-300}
cargo build --quiet --release -p aud-cli -p aud-bench
aud="$PWD/target/release/aud"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/aud-bench --corpus-kloc "$kloc" --emit-corpus "$work/repo" >/dev/null
cd "$work/repo"
# Two specs: "typical" (one old name, one new one) and "heavy" (five terms over every kind,
# tens of thousands of findings) bracket real migrations; verify-task's cost grows with findings.
cat > typical.yaml <<'SPEC'
refactor_name: typical
rules:
  - id: auth-client
    description: The Auth0 client is replaced by Cognito
    severity: high
    match:
      identifiers: [AuthenticationClient]
    expect:
      identifiers: [CognitoClient]
SPEC
cat > heavy.yaml <<'SPEC'
refactor_name: heavy
rules:
  - id: legacy-client
    description: The legacy client is replaced
    severity: high
    match:
      identifiers: [legacyClient, AuthenticationClient]
      expressions: [session]
    expect:
      identifiers: [CognitoClient]
  - id: users-table
    description: The users table is renamed
    match:
      sql_tables: [users]
SPEC
"$aud" index >/dev/null
"$aud" planning init --name bench >/dev/null
"$aud" planning add-task 1 --title typical --spec typical.yaml >/dev/null
"$aud" planning add-task 1 --title heavy --spec heavy.yaml >/dev/null
count() { "$aud" refactor --file "$1" --no-refresh --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["total_violations"])' || true; }
typical=$(count typical.yaml)
heavy=$(count heavy.yaml)
files=$(find . -type f \( -name '*.js' -o -name '*.ts' -o -name '*.tsx' -o -name '*.py' \) | wc -l)
loc=$(find . -type f \( -name '*.js' -o -name '*.ts' -o -name '*.tsx' -o -name '*.py' \) -exec cat {} + | wc -l)
hyperfine -N --style none --warmup 1 --runs 10 -i --export-markdown "$work/h.md" \
    -n "planning init" "$aud planning init --name x" \
    -n "planning show" "$aud planning show 1" \
    -n "verify-task, typical ($typical findings), --no-refresh" "$aud planning verify-task 1 1 --no-refresh" \
    -n "verify-task, typical, with incremental refresh" "$aud planning verify-task 1 1" \
    -n "verify-task, heavy ($heavy findings), --no-refresh" "$aud planning verify-task 1 2 --no-refresh" \
    >/dev/null
echo "Corpus: $files files, $loc lines; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
cat "$work/h.md"

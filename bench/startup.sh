#!/usr/bin/env bash
# Start-up of the msnd command: the compiled dist/ (what bin/msnd.js runs) against the sources
# through tsx (README: "Start-up"). Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/msnd.js --version >/dev/null # builds dist/ if a source changed
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
node bin/msnd.js user add startup@example.com --password startup1 --data "$data" --init >/dev/null
for args in '--help' "user list --data $data" 'chat --help'; do
  hyperfine --warmup 2 --runs "${RUNS:-10}" -N --export-markdown /dev/stdout \
    -n "dist: msnd $args" "node bin/msnd.js $args" \
    -n "tsx: msnd $args" "node bench/startup-tsx.js $args"
done

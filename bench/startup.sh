#!/usr/bin/env bash
# Start-up of the msnd command: the compiled dist/ (what bin/msnd.js runs) against the sources
# through tsx (bench/startup-tsx.js), as a Markdown table (README: "Start-up"). CPU is user +
# system time: on a busy machine it is the steadier figure. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/msnd.js --version >/dev/null # builds dist/ if a source changed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node bin/msnd.js user add startup@example.com --password startup1 --data "$work/data" --init >/dev/null
echo "| command | dist: wall | dist: CPU | tsx: wall | tsx: CPU | CPU ratio tsx ÷ dist |"
echo "|---|---:|---:|---:|---:|---:|"
for args in '--version' '--help' "user list --data $work/data" 'chat --help' 'serve --help'; do
  hyperfine --style none --warmup 2 --runs "${RUNS:-10}" -N --export-json "$work/run.json" \
    "node bin/msnd.js $args" "node bench/startup-tsx.js $args" >/dev/null
  node -e '
    const [dist, tsx] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    const cpu = (r) => r.user + r.system;
    const s = (x) => x.toFixed(2) + " s";
    const name = process.argv[2].replace(/--data \S+/, "--data DIR");
    console.log(`| msnd ${name} | ${s(dist.mean)} | ${s(cpu(dist))} | ${s(tsx.mean)} | ${s(cpu(tsx))} | ${(cpu(tsx) / cpu(dist)).toFixed(1)} |`);
  ' "$work/run.json" "$args"
done
echo
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), Node $(node --version)"

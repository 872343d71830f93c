#!/usr/bin/env bash
# Benchmark: the cost of the process census (on by default) on a large iOS backup. Runs
# `ferret check` REPEAT times each way (the results folder is removed before each run) -- with
# `--no-process-census`, by default (census on) -- and, when BASE is given,
# with an older binary (e.g. one built before the census existed), printing the wall time and the
# peak resident memory of every run (`/usr/bin/time -v`).
# Usage: bench/census.sh BACKUP IOCS [REPEAT]   Env: BIN (default $CARGO_TARGET_DIR or target, /release/ferret),
# BASE (optional binary to compare with), OUT (default /tmp/ferret-census-bench).
# The 1M-record bench backup: bench/census.sh /tmp/bench/s1000000/backup /tmp/bench/s1000000/iocs.stix2 3
set -euo pipefail
cd "$(dirname "$0")/.."
backup="$1"
iocs="$2"
repeat="${3:-3}"
bin="${BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/ferret}"
out="${OUT:-/tmp/ferret-census-bench}"
mkdir -p "$out"
run() { # label binary extra-args...
  local label="$1" b="$2"
  shift 2
  for i in $(seq 1 "$repeat"); do
    rm -rf "$out/r"
    /usr/bin/time -v "$b" -q check --no-default-iocs --iocs "$iocs" -o "$out/r" "$@" "$backup" \
      >/dev/null 2>"$out/time.txt" || true
    wall=$(grep "Elapsed (wall clock)" "$out/time.txt" | awk '{print $NF}')
    user=$(grep "User time" "$out/time.txt" | awk '{print $NF}')
    sys=$(grep "System time" "$out/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$out/time.txt" | awk '{print $NF}')
    status=$(grep -c "^error" "$out/time.txt" || true)
    echo "$label run $i: wall $wall, user ${user}s, sys ${sys}s, max RSS ${rss} KB$([ "$status" = 0 ] || echo ' (FAILED: see time.txt)')"
  done
}
if [ -n "${BASE:-}" ]; then run base "$BASE"; fi
run "no census" "$bin" --no-process-census
run census "$bin"

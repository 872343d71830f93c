#!/usr/bin/env bash
# Regenerates the seed corpus and runs every fuzz target for SECONDS seconds (default 600),
# two at a time, then prints "target runs crashes" per target. Logs: ${LOGDIR:-/tmp/ferret-fuzz}.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it use nightly flags on stable.
set -u
cd "$(dirname "$0")"
SECONDS_PER=${1:-600}
LOGDIR=${LOGDIR:-/tmp/ferret-fuzz}
mkdir -p "$LOGDIR"
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
# The binaries are copied once and run directly (`cargo fuzz run` would rebuild before every
# target, picking up whatever the source tree holds by then).
BIN="$LOGDIR/bin"
rm -rf "$BIN" && mkdir -p "$BIN"
TARGETS=$(cargo fuzz list | grep -v "^make_corpus$")
for t in $TARGETS make_corpus; do cp "target/x86_64-unknown-linux-gnu/release/$t" "$BIN/"; done
git rev-parse --short HEAD >"$LOGDIR/commit" 2>/dev/null || true
"$BIN/make_corpus" corpus
RSS=${RSS_LIMIT_MB:-2048}
run() {
  t=$1
  mkdir -p "artifacts/$t"
  "$BIN/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECONDS_PER" -rss_limit_mb="$RSS" \
    -max_len=65536 -timeout=20 >"$LOGDIR/$t.log" 2>&1
}
set -- $TARGETS
while [ $# -gt 0 ]; do
  run "$1" & p1=$!
  if [ $# -gt 1 ]; then run "$2" & p2=$!; wait "$p2"; shift; fi
  wait "$p1"; shift
done
for t in $TARGETS; do
  runs=$(grep -o 'Done [0-9]* runs' "$LOGDIR/$t.log" | grep -o '[0-9]*' | tail -1)
  crashes=$(ls artifacts/"$t" 2>/dev/null | grep -c -E '^(crash|oom|timeout|leak)-')
  echo "$t ${runs:-?} ${crashes}"
done

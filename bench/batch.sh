#!/usr/bin/env bash
# Benchmark: many small acquisitions against a large indicator set -- `ferret check` once per
# acquisition in a loop, against one batch run (`ferret check A B C ... -o DIR`) that loads the
# indicators once. Prints both wall times, the time per acquisition and the indicator load time.
# Usage: bench/batch.sh [N] [INDICATORS]   (default 200 generated iOS backups of 200 SMS each,
# 100,000 decoy indicators plus the planted ones). Env: BENCH_DIR (default /tmp/ferret-batch).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
decoys="${2:-100000}"
dir="${BENCH_DIR:-/tmp/ferret-batch}"
cargo build --release -q -p ferret
bin="$PWD/target/release/ferret"
mkdir -p "$dir"
if [ ! -f "$dir/ok-$n-$decoys" ]; then
  rm -rf "$dir"/a* "$dir"/iocs.stix2
  for i in $(seq 1 "$n"); do
    "$bin" gen --kind backup --sms 200 --decoys 0 --seed "$i" "$dir/a$i" >/dev/null
  done
  # one bundle: every phone's planted indicators and the decoys
  "$bin" gen --kind backup --sms 200 --decoys "$decoys" --seed 1 "$dir/bundle" >/dev/null
  cp "$dir/bundle/iocs.stix2" "$dir/iocs.stix2"
  touch "$dir/ok-$n-$decoys"
fi
paths=()
for i in $(seq 1 "$n"); do paths+=("$dir/a$i/backup"); done
# warm: the first load writes the prepared copy of the bundle
rm -rf "$dir/warm"; "$bin" -q check --no-default-iocs --iocs "$dir/iocs.stix2" -o "$dir/warm" "${paths[0]}" >/dev/null || true
now() { date +%s.%N; }
rm -rf "$dir/loop"; mkdir -p "$dir/loop"
t0=$(now)
for i in $(seq 1 "$n"); do
  "$bin" -q check --no-default-iocs --iocs "$dir/iocs.stix2" -o "$dir/loop/$i" "$dir/a$i/backup" >/dev/null || true
done
loop=$(echo "$(now) - $t0" | bc)
rm -rf "$dir/batch"
t0=$(now)
"$bin" -q check --no-default-iocs --iocs "$dir/iocs.stix2" -o "$dir/batch" "${paths[@]}" >/dev/null || true
batch=$(echo "$(now) - $t0" | bc)
# the indicator load per check: 20 checks of one acquisition with the bundle, 20 without any
t0=$(now)
for i in $(seq 1 20); do rm -rf "$dir/w"; "$bin" -q check --no-default-iocs --iocs "$dir/iocs.stix2" -o "$dir/w" "${paths[0]}" >/dev/null || true; done
with=$(echo "$(now) - $t0" | bc)
t0=$(now)
for i in $(seq 1 20); do rm -rf "$dir/w"; "$bin" -q check --no-default-iocs -o "$dir/w" "${paths[0]}" >/dev/null || true; done
without=$(echo "$(now) - $t0" | bc)
load=$(echo "($with - $without) / 20" | bc -l)
printf 'acquisitions %s, indicators %s decoys\n' "$n" "$decoys"
printf 'loop of checks  %8.2f s  %6.1f ms per acquisition\n' "$loop" "$(echo "$loop * 1000 / $n" | bc -l)"
printf 'one batch       %8.2f s  %6.1f ms per acquisition\n' "$batch" "$(echo "$batch * 1000 / $n" | bc -l)"
printf 'indicator load  %8.1f ms per check (20 checks with the bundle minus 20 without)\n' "$(echo "$load * 1000" | bc -l)"
printf 'ratio loop/batch %.2fx\n' "$(echo "$loop / $batch" | bc -l)"

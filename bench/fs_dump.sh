#!/usr/bin/env bash
# Benchmark: big generated iOS full-filesystem dumps (phone-shaped: ~100,000 small files per GB
# holding 40 % of the bytes, media files of up to 2 GiB holding the rest, the filesystem
# scenario's artifacts spread among them) as a folder, a tar, a tar.gz and a zip, one shape at a
# time (generated, measured, deleted). Per shape it prints the floor measured in the same run --
# reading and SHA-256-hashing the input once with `openssl dgst -sha256` (CPU SHA instructions),
# and for a tar.gz the larger of that and one single-stream inflate (`pigz -dc`, else
# `gzip -dc`) -- then `ferret check` (release build: wall, peak RSS, alerts found of planted) and
# the ratio ferret / floor. The input is in the page cache for both (the floor runs first).
# Usage: bench/fs_dump.sh [GB] [SHAPE...]   (default 2 GB; shapes folder tar tgz zip)
# Env: BENCH_DIR (default /tmp/ferret-fsbench), KEEP=1 keeps the generated dumps, FERRET=path
# checks with another ferret binary (an older build, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
gb="${1:-2}"
shift || true
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(folder tar tgz zip)
dir="${BENCH_DIR:-/tmp/ferret-fsbench}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
command -v openssl >/dev/null || { echo "needs openssl"; exit 2; }
inflate=pigz
command -v pigz >/dev/null || inflate=gzip
cargo build --release -q -p ferret
cargo build --release -q -p ferret-testdata --example fs_dump
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="${FERRET:-$target/release/ferret}"
gen="$target/release/examples/fs_dump"
now() { date +%s.%N; }
secs() { echo "$(now) - $1" | bc; }

printf '%-7s %-6s %-9s %-9s %-8s %-9s %-9s %-8s %-8s %-7s\n' shape GB bytes files gen_s floor_s ferret_s rss_MiB alerts ratio
for shape in "${shapes[@]}"; do
  d="$dir/$shape-$gb"
  rm -rf "$d"
  g0=$(now)
  acq=$("$gen" --gb "$gb" --shape "$shape" --sms 10000 "$d" | cut -d' ' -f1)
  gen_s=$(secs "$g0")
  bytes=$(du -sb "$acq" | cut -f1)
  if [ -d "$acq" ]; then files=$(find "$acq" -type f | wc -l); else files=1; fi
  floor() {
    local t0 fl
    t0=$(now)
    if [ -d "$acq" ]; then
      find "$acq" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null
    else
      openssl dgst -sha256 "$acq" >/dev/null
    fi
    fl=$(secs "$t0")
    if [ "$shape" = tgz ]; then
      t0=$(now)
      "$inflate" -dc "$acq" >/dev/null
      local inf
      inf=$(secs "$t0")
      fl=$(echo "if ($inf > $fl) $inf else $fl" | bc)
    fi
    echo "$fl"
  }
  f1=$(floor)
  rm -rf "$d/results"
  /usr/bin/time -f '%e %M' -o "$d/time.txt" "$bin" -q check --no-default-iocs --iocs "$d/iocs.stix2" \
    -o "$d/results" "$acq" >/dev/null || true
  read -r fsecs kb < <(tail -n 1 "$d/time.txt")
  f2=$(floor)
  fl=$(echo "if ($f1 < $f2) $f1 else $f2" | bc)
  alerts=$(python3 -c "import json;print(len(json.load(open('$d/results/alerts.json'))))" 2>/dev/null || echo failed)
  planted=$(python3 -c "import json;print(len(json.load(open('$d/truth.json'))['alerts']))")
  ratio=$(echo "scale=2; $fsecs / $fl" | bc)
  printf '%-7s %-6s %-9s %-9s %-8.1f %-9.2f %-9s %-8s %-8s %-7s\n' "$shape" "$gb" "$bytes" "$files" "$gen_s" "$fl" "$fsecs" "$((kb / 1024))" "$alerts/$planted" "${ratio}x"
  [ -n "${KEEP:-}" ] || rm -rf "$d"
done

#!/usr/bin/env bash
# Benchmark: generate iOS backups at several scales, check them with ferret (release build), and
# print wall time and peak RSS per scale; where MVT is installed (`pip install mvt`), run
# `mvt-ios check-backup` on the same data in the same run and print its time, alert count and
# the ratio. Usage: bench/run.sh [SCALE...]   (SMS counts; default 10000 100000 1000000)
# Env: BENCH_DIR (default /tmp/ferret-bench), MVT (path to mvt-ios, default: from PATH),
#      THREADS (ferret --threads, default 0 = all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(10000 100000 1000000)
dir="${BENCH_DIR:-/tmp/ferret-bench}"
mvt="${MVT:-$(command -v mvt-ios || true)}"
mkdir -p "$dir"
cargo build --release -p ferret -q
bin="$PWD/target/release/ferret"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }

printf '%-9s %-10s %-11s %-9s %-9s %-10s %-11s %-9s %-7s\n' scale gen_s ferret_s rss_MiB alerts manifest mvt_s mvt_alrt ratio
for n in "${scales[@]}"; do
  d="$dir/s$n"
  if [ ! -f "$d/truth.json" ]; then
    rm -rf "$d"
    g0=$(date +%s.%N)
    "$bin" gen --sms "$n" --decoys 20000 --seed 1 "$d" >/dev/null
    gen=$(echo "$(date +%s.%N) - $g0" | bc)
  else
    gen=cached
  fi
  rm -rf "$d/results" "$d/mvt"
  /usr/bin/time -f '%e %M' -o "$d/time.txt" "$bin" -q ios check-backup --no-default-iocs \
    --iocs "$d/iocs.stix2" -o "$d/results" --threads "${THREADS:-0}" "$d/backup" >/dev/null || true
  read -r secs kb < <(tail -n 1 "$d/time.txt")
  alerts=$(python3 -c "import json,sys;print(len(json.load(open('$d/results/alerts.json'))))")
  rows=$(python3 -c "import sqlite3;print(sqlite3.connect('file:$d/backup/Manifest.db?immutable=1',uri=True).execute('select count(*) from Files').fetchone()[0])")
  mvt_s=-; mvt_a=-; ratio=-
  if [ -n "$mvt" ]; then
    # MVT only reads single-comparison patterns (it aborts on the OR decoys): give it those.
    python3 - "$d/iocs.stix2" "$d/mvt-iocs.stix2" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["objects"] = [o for o in b["objects"] if o.get("type") != "indicator" or len(o.get("pattern", "").strip("[]").split("=")) == 2]
json.dump(b, open(sys.argv[2], "w"))
PY
    m0=$(date +%s.%N)
    "$mvt" check-backup --iocs "$d/mvt-iocs.stix2" -o "$d/mvt" "$d/backup" >"$d/mvt.log" 2>&1 || true
    mvt_s=$(echo "$(date +%s.%N) - $m0" | bc)
    mvt_a=$(python3 -c "import json,os;p='$d/mvt/alerts.json';print(len(json.load(open(p))) if os.path.exists(p) else 0)")
    ratio=$(echo "scale=1; $mvt_s / $secs" | bc)
  fi
  printf '%-9s %-10s %-11s %-9s %-9s %-10s %-11s %-9s %-7s\n' "$n" "$gen" "$secs" "$((kb / 1024))" "$alerts" "$rows" "$mvt_s" "$mvt_a" "${ratio}x"
done

#!/usr/bin/env bash
# Benchmark of Android intrusion logs: generates an export of EVENTS ordinary events (plus the
# planted cases), checks it with ferret (release build) as a folder and as a zip, and prints wall
# time, events per second and peak RSS (/usr/bin/time -v). Where MVT is installed
# (`pip install mvt`), runs `mvt-android check-intrusion-logs` on the same folder in the same run
# and prints its time and alert count.
# Usage: bench/intrusion.sh [EVENTS...]   (default 1000000)
# Env: BENCH_DIR (default /tmp/ferret-intrusion-bench), MVT (path to mvt-android, default: from
#      PATH), KEEP=1 keeps the exports, CARGO_TARGET_DIR (where the release binary is built).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000000)
dir="${BENCH_DIR:-/tmp/ferret-intrusion-bench}"
mvt="${MVT:-$(command -v mvt-android || true)}"
mkdir -p "$dir"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
cargo build --release -p ferret -q
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ferret"

run() { # label, then the ferret arguments; prints label, seconds, events/s, peak RSS MiB, exit code
  local label=$1; shift
  local t0 t1 code
  t0=$(date +%s.%N)
  code=0
  /usr/bin/time -v "$bin" "$@" >"$d/$label.out" 2>"$d/$label.time" || code=$?
  t1=$(date +%s.%N)
  local secs rss
  secs=$(echo "$t1 - $t0" | bc)
  rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$d/$label.time")
  printf '%-14s %-9s %-8.2f %-12.0f %-8s %s\n' "$label" "$events" "$secs" "$(echo "$events / $secs" | bc -l)" "$rss" "$code"
}

printf '%-14s %-9s %-8s %-12s %-8s %s\n' run events seconds events/s rss_MiB exit
for n in "${counts[@]}"; do
  d="$dir/$n"
  rm -rf "$d"
  mkdir -p "$d"
  "$bin" gen --kind intrusion-logs --sms "$n" --decoys 1000 "$d/gen" >/dev/null
  "$bin" gen --kind intrusion-logs-zip --sms "$n" --decoys 1000 "$d/genzip" >/dev/null
  events=$(cat "$d"/gen/export/intrusion-logs/*.txt | wc -l)
  iocs="$d/gen/iocs.stix2"
  run folder-noout check-intrusion-logs --no-default-iocs --iocs "$iocs" "$d/gen/export"
  run folder-out check-intrusion-logs --no-default-iocs --iocs "$iocs" -o "$d/results" "$d/gen/export"
  run zip-out check-intrusion-logs --no-default-iocs --iocs "$iocs" -o "$d/results-zip" "$d/genzip/intrusion-logs.zip"
  echo "  export: $(du -sm "$d/gen/export" | cut -f1) MiB folder, $(du -m "$d/genzip/intrusion-logs.zip" | cut -f1) MiB zip;" \
    "ferret alerts: $(python3 -c "import json;print(len(json.load(open('$d/results/alerts.json'))))")"
  if [ -n "$mvt" ]; then
    # MVT only reads single-comparison patterns (it aborts on the OR decoys): give it those.
    python3 - "$iocs" "$d/mvt-iocs.stix2" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["objects"] = [o for o in b["objects"] if o.get("type") != "indicator" or len(o.get("pattern", "").strip("[]").split("=")) == 2]
json.dump(b, open(sys.argv[2], "w"))
PY
    t0=$(date +%s.%N)
    /usr/bin/time -v "$mvt" --disable-update-check --disable-indicator-update-check check-intrusion-logs \
      --iocs "$d/mvt-iocs.stix2" -o "$d/mvt" "$d/gen/export" >"$d/mvt.log" 2>"$d/mvt.time" || true
    t1=$(date +%s.%N)
    secs=$(echo "$t1 - $t0" | bc)
    rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$d/mvt.time")
    alerts=$(python3 -c "import json,os;p='$d/mvt/alerts.json';print(len(json.load(open(p))) if os.path.exists(p) else 0)")
    printf '%-14s %-9s %-8.2f %-12.0f %-8s alerts %s\n' mvt "$events" "$secs" "$(echo "$events / $secs" | bc -l)" "$rss" "$alerts"
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$d/gen" "$d/genzip"
done

#!/usr/bin/env bash
# False alarms of indicator-free detection: every alert ferret raises with NO indicator loaded
# (`--no-default-iocs`, nothing else) and the process census on (the default), by level, on
#  * the pieces of three real ordinary iPhones in ../shared/real/ios-fs/ (read as filesystem
#    dumps): any alert above LOW there is a false alarm;
#  * a generated fleet (`ferret gen --fleet N`): its uninvolved devices are ordinary phones with
#    noise, so any alert above LOW on them is a false alarm too (the campaigns' victims, and the
#    uninvolved devices where the fleet plants a "quiet anomaly" -- a deleted DataUsage process
#    record, one HIGH datausage alert on purpose, listed in fleet-truth.json -- are listed apart).
# Prints one markdown table row per dataset and lists every alert above LOW on an ordinary phone.
# Usage: bench/false_alarms.sh [N]   (default 30).
# Env: FERRET (binary to use instead of a fresh release build), BENCH_DIR (default
# /tmp/ferret-false-alarms), KEEP=1 keeps the results.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-30}"
dir="${BENCH_DIR:-/tmp/ferret-false-alarms}"
if [ -z "${FERRET:-}" ]; then
  cargo build --release -q -p ferret
  bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ferret"
else
  bin="$FERRET"
fi
rm -rf "$dir"
mkdir -p "$dir"

# alert counts by level of one results folder, and the alerts above LOW (module: message)
count() { # label, results folder
  python3 - "$1" "$2" <<'PY'
import json, sys, collections, os
label, out = sys.argv[1], sys.argv[2]
alerts = json.load(open(os.path.join(out, "alerts.json"))) if os.path.exists(os.path.join(out, "alerts.json")) else []
c = collections.Counter(a["level"].lower() for a in alerts)
verdict = json.load(open(os.path.join(out, "info.json"))).get("verdict", {}).get("state", "?")
print(f"| {label} | {verdict} | " + " | ".join(str(c.get(l, 0)) for l in ["critical", "high", "medium", "low", "info"]) + " |")
for a in alerts:
    if a["level"].lower() in ("critical", "high", "medium"):
        print(f"|   ↳ {a['level']} `{a['module']}` | {a['message'][:160]} | | | | | |", file=sys.stderr)
PY
}

echo "| dataset | verdict | critical | high | medium | low | info |"
echo "|---|---|---|---|---|---|---|"
for img in ../shared/real/ios-fs/*/; do
  name=$(basename "$img")
  "$bin" -q check --no-default-iocs -o "$dir/real-$name" "$img" >/dev/null 2>"$dir/real-$name.err" || true
  count "real iPhone $name (fs pieces)" "$dir/real-$name"
done 2>"$dir/above-low.txt"

"$bin" gen --fleet "$n" "$dir/fleet" >/dev/null
"$bin" -q check --no-default-iocs -o "$dir/cases" "$dir"/fleet/devices/* >/dev/null 2>&1 || true
python3 - "$dir" <<'PY' 2>>"$dir/above-low.txt"
import json, sys, os, collections
d = sys.argv[1]
truth = json.load(open(os.path.join(d, "fleet", "fleet-truth.json")))
victims = {dev for c in truth["campaigns"] for dev in c["devices"]}
quiet = set(truth.get("quiet_anomalies", []))
groups = {"ordinary": collections.Counter(), "quiet-anomaly": collections.Counter(), "victims": collections.Counter()}
n = {"ordinary": 0, "quiet-anomaly": 0, "victims": 0}
for case in sorted(os.listdir(os.path.join(d, "cases"))):
    p = os.path.join(d, "cases", case, "alerts.json")
    if not os.path.exists(p):
        continue
    g = "victims" if case in victims else "quiet-anomaly" if case in quiet else "ordinary"
    n[g] += 1
    for a in json.load(open(p)):
        groups[g][a["level"].lower()] += 1
        planted = g == "quiet-anomaly" and a["module"] == "datausage" and a["level"] == "HIGH" and "Process record deleted" in a["message"]
        if g != "victims" and not planted and a["level"].lower() in ("critical", "high", "medium"):
            print(f"|   ↳ {case}: {a['level']} `{a['module']}` | {a['message'][:160]} | | | | | |", file=sys.stderr)
for g in ("ordinary", "quiet-anomaly", "victims"):
    c = groups[g]
    print(f"| generated fleet, {n[g]} {g} devices | | " + " | ".join(str(c.get(l, 0)) for l in ["critical", "high", "medium", "low", "info"]) + " |")
PY
echo
echo "Alerts above LOW on ordinary phones (false alarms):"
if [ -s "$dir/above-low.txt" ]; then cat "$dir/above-low.txt"; else echo "none"; fi
[ -n "${KEEP:-}" ] || rm -rf "$dir/fleet"

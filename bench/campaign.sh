#!/usr/bin/env bash
# Benchmark: campaign mode at lab scale.
#  1. a synthetic fleet of N devices (`ferret gen --fleet N`), checked in one batch;
#  2. `ferret correlate` on the N result folders: wall time and peak RSS;
#  3. `ferret hunt` on M result folders (the fleet's folders copied M/N times under new names, so
#     the index holds M cases): index build, then a hunt with the up-to-date index;
#  4. the same correlation on "full" phones: K devices generated at the demo's scale
#     (`gen --kind backup --sms S`, thousands of observables each), to show the cost per value.
# Usage: bench/campaign.sh [N] [M] [K] [S]   (default 1000 10000 100 10000).
# Env: BENCH_DIR (default /tmp/ferret-campaign), FERRET (a binary to measure instead of a fresh
# release build), KEEP=1 keeps the data. Needs GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
m="${2:-10000}"
k="${3:-100}"
s="${4:-10000}"
dir="${BENCH_DIR:-/tmp/ferret-campaign}"
if [ -z "${FERRET:-}" ]; then
  cargo build --release -q -p ferret
  bin="$PWD/target/release/ferret"
else
  bin="$FERRET"
fi
mkdir -p "$dir"
now() { date +%s.%N; }
measure() { # label, command...: prints wall seconds and peak RSS (MiB)
  local label="$1"; shift
  local t0; t0=$(now)
  /usr/bin/time -f "%M" -o "$dir/rss" "$@" >/dev/null 2>"$dir/err" || true
  local wall; wall=$(echo "$(now) - $t0" | bc)
  printf "%-44s %8.2f s %8.0f MiB\n" "$label" "$wall" "$(echo "$(tail -1 "$dir/rss") / 1024" | bc)"
}

# 1. the fleet
if [ ! -f "$dir/ok-fleet-$n" ]; then
  rm -rf "$dir/fleet" "$dir/cases"
  "$bin" gen --fleet "$n" "$dir/fleet" >/dev/null
  measure "batch check of the $n-device fleet" "$bin" -q check --no-default-iocs -o "$dir/cases" "$dir"/fleet/devices/*
  touch "$dir/ok-fleet-$n"
fi
obs=$(cat "$dir"/cases/*/observables.jsonl | wc -l)
echo "fleet: $n devices, $obs observables in all"

# 2. correlate
rm -rf "$dir/campaign"
measure "correlate $n result folders" "$bin" correlate -o "$dir/campaign" "$dir/cases"
python3 - "$dir/campaign/correlation.json" "$dir/fleet/fleet-truth.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
leads = {(l["kind"], l["value"]): sorted(l["devices"]) for l in c["leads"] if l["lead"]}
want = {(x["kind"], x["value"]) for cp in t["campaigns"] for x in cp["traces"]}
print(f"  leads: {len(leads)}, campaign traces: {len(want)}, traces found: {len(want & set(leads))}, other leads: {len(set(leads) - want)}")
EOF

# 3. hunt over M folders
if [ ! -f "$dir/ok-hunt-$m" ]; then
  rm -rf "$dir/many"; mkdir -p "$dir/many"
  copies=$(( (m + n - 1) / n ))
  for c in $(seq 1 "$copies"); do
    for d in "$dir"/cases/*/; do
      name=$(basename "$d")
      cp -r "$d" "$dir/many/c$c-$name"
    done
  done
  touch "$dir/ok-hunt-$m"
fi
cases=$(ls -d "$dir"/many/*/ | wc -l)
python3 - "$dir" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1] + "/campaign/correlation.json"))
with open(sys.argv[1] + "/domains.txt", "w") as f:
    for l in c["leads"]:
        if l["lead"] and l["kind"] == "domain":
            f.write(l["value"] + "\n")
EOF
mkdir -p "$dir/data"; rm -rf "$dir/data/hunt"; export FERRET_DATA_DIR="$dir/data"
measure "hunt $cases folders: build the index" "$bin" hunt --iocs "$dir/domains.txt" "$dir/many"
measure "hunt $cases folders: index up to date" "$bin" hunt --iocs "$dir/domains.txt" "$dir/many"
echo "  index: $(du -ch "$dir"/data/hunt/*.idx | tail -1 | cut -f1), matching: $("$bin" hunt --iocs "$dir/domains.txt" "$dir/many" | head -1)"

# 4. full phones
if [ "$k" -gt 0 ]; then
  if [ ! -f "$dir/ok-full-$k-$s" ]; then
    rm -rf "$dir/full" "$dir/full-cases"; mkdir -p "$dir/full"
    paths=()
    for i in $(seq 1 "$k"); do
      "$bin" gen --kind backup --sms "$s" --decoys 0 --seed "$i" "$dir/full/p$i" >/dev/null
      mv "$dir/full/p$i/backup" "$dir/full/p$i/phone-$i"
      paths+=("$dir/full/p$i/phone-$i")
    done
    measure "batch check of $k phones at $s SMS" "$bin" -q check --no-default-iocs -o "$dir/full-cases" "${paths[@]}"
    touch "$dir/ok-full-$k-$s"
  fi
  fobs=$(cat "$dir"/full-cases/*/observables.jsonl | wc -l)
  echo "full phones: $k devices, $fobs observables in all"
  rm -rf "$dir/full-campaign"
  measure "correlate $k full phones" "$bin" correlate -o "$dir/full-campaign" "$dir/full-cases"
fi
# 5. correlate at scale with full-size observables: L synthetic result folders of V observables
#    each (90 % unique to the device, 10 % drawn from a shared pool with a skewed popularity),
#    info.json and alerts.json taken from a fleet folder. Env: L (default 1000), V (default 10000).
l="${L:-1000}"
v="${V:-10000}"
if [ ! -f "$dir/ok-synth-$l-$v" ]; then
  rm -rf "$dir/synth"; mkdir -p "$dir/synth"
  python3 - "$dir" "$l" "$v" <<'EOF2'
import json, os, random, sys
d, l, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
src = sorted(x for x in os.listdir(d + "/cases") if os.path.isdir(f"{d}/cases/{x}"))[0]
info = open(f"{d}/cases/{src}/info.json").read()
alerts = open(f"{d}/cases/{src}/alerts.json").read()
rng = random.Random(1)
pool = [f"shared-{i}.example.org" for i in range(20000)]
t = "2025-03-01 10:00:00.000000"
for i in range(l):
    out = f"{d}/synth/s{i:05d}"
    os.makedirs(out)
    open(out + "/info.json", "w").write(info)
    open(out + "/alerts.json", "w").write(alerts)
    vals = set()
    for k in range(v * 9 // 10):
        vals.add(("url", f"https://site{k % 997}.example.net/{i}/{k}"))
    while len(vals) < v:
        vals.add(("domain", pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1) if rng.random() < 0.5 else rng.randrange(len(pool))]))
    with open(out + "/observables.jsonl", "w") as f:
        for kind, value in sorted(vals):
            f.write(json.dumps({"kind": kind, "value": value, "first_seen": t, "last_seen": t, "count": 1, "modules": ["safari_history"]}, separators=(",", ":")) + "\n")
EOF2
  touch "$dir/ok-synth-$l-$v"
fi
echo "synthetic: $l folders of $v observables ($(du -sh "$dir/synth" | cut -f1))"
rm -rf "$dir/synth-campaign"
measure "correlate $l folders x $v observables" "$bin" correlate -o "$dir/synth-campaign" "$dir/synth"
if [ -z "${KEEP:-}" ]; then rm -rf "$dir"; fi

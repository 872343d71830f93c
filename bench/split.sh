#!/usr/bin/env bash
# Where a backup check's time goes: the check writing its results, the same check writing none,
# and the floors of what writing needs (the kernel's copy of as many bytes as the results, and
# SHA-256 of the inputs `info.json` lists), measured in turn in one run, with the CPU budget of a
# wall-time target on this machine's cores.
# Usage: bench/split.sh [SCALE] [ROUNDS] [TARGET_S]   (SMS count, default 1000000; 3 rounds; 4 s)
# Env: BENCH_DIR (default /tmp/ferret-bench, shared with bench/run.sh), FERRET (a built binary,
#      default: build the release one).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
rounds="${2:-3}"
target="${3:-4}"
dir="${BENCH_DIR:-/tmp/ferret-bench}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
command -v openssl >/dev/null || { echo "needs openssl"; exit 2; }
if [ -n "${FERRET:-}" ]; then
  bin="$FERRET"
else
  cargo build --release -p ferret -q
  bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ferret"
fi
d="$dir/s$n"
if [ ! -f "$d/truth.json" ]; then
  rm -rf "$d"
  mkdir -p "$dir"
  "$bin" gen --sms "$n" --decoys 20000 --seed 1 "$d" >/dev/null
fi
out="$dir/split-results"
tmp="$dir/split-tmp"
mkdir -p "$tmp"
check=("$bin" -q check --no-default-iocs --iocs "$d/iocs.stix2" "$d/backup")

# one round: with results, without, the write floor, the hash floor; `wall user sys peak_KiB`
for r in $(seq "$rounds"); do
  rm -rf "$out"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/with.$r" "${check[@]}" -o "$out" >/dev/null || true
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/without.$r" "${check[@]}" >/dev/null || true
  if [ "$r" = 1 ]; then
    bytes=$(du -sb "$out" | cut -f1)
    # the inputs as info.json lists them (logical backup paths), on disk
    python3 - "$out/info.json" "$d/backup" >"$tmp/inputs" <<'PY'
import hashlib, json, os, sys
root = sys.argv[2]
for h in json.load(open(sys.argv[1]))["run"]["target"]["hashes"]:
    p = h["path"]
    if os.path.isfile(os.path.join(root, p)):
        print(os.path.join(root, p))
        continue
    dom, _, rel = p.partition("/")
    fid = hashlib.sha1(f"{dom}-{rel}".encode()).hexdigest()
    print(os.path.join(root, fid[:2], fid))
PY
    in_bytes=$(xargs -a "$tmp/inputs" du -cb | tail -n 1 | cut -f1)
  fi
  rm -rf "$out"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/write.$r" \
    dd if=/dev/zero of="$tmp/zeros" bs=1M count=$((bytes / 1048576)) status=none
  rm -f "$tmp/zeros"
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/hash.$r" \
    bash -c "xargs -a '$tmp/inputs' openssl dgst -sha256 >/dev/null"
done

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
col() { for r in $(seq "$rounds"); do tail -n 1 "$tmp/$1.$r" | awk "{print $2}"; done | median; }
cores=$(nproc)
printf 'scale %s, %s rounds in turn, medians; results %s MB, inputs hashed %s MB; %s cores\n' \
  "$n" "$rounds" "$((bytes / 1000000))" "$((in_bytes / 1000000))" "$cores"
printf '%-44s %8s %8s %9s\n' what wall_s cpu_s peak_MiB
for k in with without write hash; do
  case $k in
    with) name="check -o DIR (results written)" ;;
    without) name="check (every module and check, nothing written)" ;;
    write) name="floor: dd of as many bytes as the results" ;;
    hash) name="floor: openssl dgst -sha256 of the inputs" ;;
  esac
  printf '%-44s %8s %8s %9s\n' "$name" "$(col "$k" '$1')" "$(col "$k" '$2 + $3')" "$(($(col "$k" '$4') / 1024))"
done
cpu_with=$(col with '$2 + $3')
cpu_without=$(col without '$2 + $3')
floors=$(echo "$(col write '$2 + $3') + $(col hash '$2 + $3')" | bc)
budget=$(echo "$cores * $target" | bc)
printf '\nCPU budget of a %s s wall target on %s cores: %s s\n' "$target" "$cores" "$budget"
printf '  the check without results uses %s s; the two floors %s s; left for formatting the results: %s s\n' \
  "$cpu_without" "$floors" "$(echo "$budget - $cpu_without - $floors" | bc)"
printf '  writing the results costs %s s of CPU now (with - without)\n' "$(echo "$cpu_with - $cpu_without" | bc)"
rm -rf "$tmp"

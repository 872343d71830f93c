#!/usr/bin/env bash
# Benchmark of network captures (issue 19): generates a pcapng of about SIZE_MB, checks it with
# ferret (release build) and extracts the same DNS and TLS SNI fields with `tshark -T fields` on
# the same file in the same run, then prints read throughput, peak RSS (/usr/bin/time) and the
# ratio, and cross-checks the names both found (DNS response names and SNIs of TLS and QUIC
# ClientHellos, as multisets).
# Usage: bench/pcap.sh [SIZE_MB...]   (default 1024)
# Env: BENCH_DIR (default /tmp/ferret-pcap-bench), KIND (pcapng-full: full-size packets, the
#      default; pcapng: 96-byte snap length, many more flows per GB), KEEP=1 keeps the captures,
#      CARGO_TARGET_DIR (where the release binary is built).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024)
dir="${BENCH_DIR:-/tmp/ferret-pcap-bench}"
kind="${KIND:-pcapng-full}"
mkdir -p "$dir"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
command -v tshark >/dev/null || { echo "needs tshark (apt-get install tshark)"; exit 2; }
cargo build --release -p ferret -q
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/ferret"

# benign sessions per MiB of capture (measured on the generator's output)
case "$kind" in
  pcapng-full) per_mb=8 ;;
  *) per_mb=60 ;;
esac

# read_s/GB/s: `ferret net check-pcap` without -o (one decoding pass, every check, nothing
# written); full_s: with -o (also the SHA-256 of the capture for info.json, records, timeline,
# report); tshark_s: `tshark -T fields` of the same DNS and SNI fields; ratio = tshark_s / read_s.
printf '%-8s %-8s %-8s %-7s %-8s %-8s %-8s %-8s %-8s %-7s %-7s %s\n' \
  MiB gen_s read_s GB/s rss_MiB full_s full_MiB tshark_s tsh_MiB ratio alerts names
for mb in "${sizes[@]}"; do
  d="$dir/$kind-$mb"
  rm -rf "$d"
  g0=$(date +%s.%N)
  "$bin" gen --kind "$kind" --sms $((mb * per_mb)) --decoys 20000 --seed 1 "$d" >/dev/null
  gen=$(echo "$(date +%s.%N) - $g0" | bc)
  cap="$d/capture.pcapng"
  bytes=$(stat -c %s "$cap")
  # warm the page cache the same way for both tools (the disk is not what is measured)
  cat "$cap" >/dev/null
  /usr/bin/time -f '%e %M' -o "$d/read.time" "$bin" -q net check-pcap --no-default-iocs \
    --iocs "$d/iocs.stix2" "$cap" >/dev/null || true
  read -r fs fkb < <(tail -n 1 "$d/read.time")
  /usr/bin/time -f '%e %M' -o "$d/ferret.time" "$bin" -q net check-pcap --no-default-iocs \
    --iocs "$d/iocs.stix2" -o "$d/results" "$cap" >/dev/null || true
  read -r os okb < <(tail -n 1 "$d/ferret.time")
  # out-of-order TCP reassembly is off by default in tshark: the generator reorders segments
  /usr/bin/time -f '%e %M' -o "$d/tshark.time" tshark -o tcp.reassemble_out_of_order:TRUE -n -r "$cap" -T fields \
    -e dns.qry.name -e tls.handshake.extensions_server_name \
    -Y 'dns.flags.response == 1 || tls.handshake.type == 1' > "$d/tshark.tsv" 2>/dev/null || true
  read -r ts tkb < <(tail -n 1 "$d/tshark.time")
  read -r flows alerts names < <(python3 - "$d" <<'PY'
import collections, json, sys
d = sys.argv[1]
flows = len(json.load(open(f"{d}/results/net_flows.json")))
alerts = len(json.load(open(f"{d}/results/alerts.json")))
ours = collections.Counter()
for r in json.load(open(f"{d}/results/net_dns.json")):
    if r["answered"]:
        ours["dns " + r["domain"]] += 1
for m in ("net_tls", "net_quic"):
    try:
        recs = json.load(open(f"{d}/results/{m}.json"))
    except FileNotFoundError:
        recs = []
    for r in recs:
        if r.get("domain"):
            ours["sni " + r["domain"]] += 1
theirs = collections.Counter()
for line in open(f"{d}/tshark.tsv"):
    q, _, sni = line.rstrip("\n").partition("\t")
    if sni:
        theirs["sni " + sni.lower()] += 1
    elif q:
        theirs["dns " + q.lower()] += 1
same = "same" if ours == theirs else f"DIFFER(ours-theirs={sum((ours-theirs).values())},theirs-ours={sum((theirs-ours).values())})"
print(flows, alerts, f"{sum(ours.values())}:{same}")
PY
)
  gbs=$(echo "scale=2; $bytes / $fs / 1000000000" | bc)
  ratio=$(echo "scale=1; $ts / $fs" | bc)
  printf '%-8s %-8.1f %-8s %-7s %-8s %-8s %-8s %-8s %-8s %-7s %-7s %s\n' \
    "$((bytes / 1048576))" "$gen" "$fs" "$gbs" "$((fkb / 1024))" "$os" "$((okb / 1024))" "$ts" "$((tkb / 1024))" "${ratio}x" "$alerts" "flows=$flows names=$names"
  [ "${KEEP:-0}" = 1 ] || rm -rf "$d"
done

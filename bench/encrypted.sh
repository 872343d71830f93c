#!/usr/bin/env bash
# Benchmark: an encrypted iOS backup with a phone's size profile (15,000 small files, the backup
# scenario's databases, and MEDIA_MB of camera-roll videos no module reads), checked in place
# and decrypted with the command line (release build). Prints, measured in the same run:
#  * the backup's size on disk and how much of it `ferret ios check-backup` read (the sum of the
#    sizes in info.json `run.target.hashes`: every input file a module opened, as stored);
#  * `check-backup --key-file` and `decrypt-backup --key-file` (wall, CPU, peak RSS);
#  * the floor of a decryption: every encrypted file read once, AES-256-CBC-decrypted by
#    `openssl enc` (CPU AES instructions) and written to one file on the same disk.
# Every step runs twice and the second run is reported (page cache warm for all of them).
# Disk: the backup plus one output at a time (each output is deleted before the next step);
# the generator's memory does not grow with MEDIA_MB (the videos are streamed to disk).
# Usage: bench/encrypted.sh [MEDIA_MB]   (default 2000)
# Env: BENCH_DIR (default /tmp/ferret-encrypted), KEEP=1 keeps the backup, PROFILE (cargo
# profile, default release; `profiling` is release with line tables).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-2000}"
dir="${BENCH_DIR:-/tmp/ferret-encrypted}"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
command -v openssl >/dev/null || { echo "needs openssl"; exit 2; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
profile="${PROFILE:-release}"
cargo build --profile "$profile" -q -p ferret
cargo build --profile "$profile" -q -p ferret-ios --example encrypted_backup_bench
bin="$target/$profile/ferret"
rm -rf "$dir"
mkdir -p "$dir"
/usr/bin/time -o "$dir/gen-time.txt" -f "%e %M" \
  "$target/$profile/examples/encrypted_backup_bench" --files 15000 --media-mb "$mb" --keep "$dir" --only-write
gen=$(cat "$dir/gen-time.txt")
enc="$dir/encrypted"
export FERRET_BENCH_PW=ferret-bench

# twice, report the second: "wall user sys maxrss_kb"
timed() {
  local out="$dir/time.txt"
  "$@" >/dev/null 2>&1 || true
  /usr/bin/time -o "$out" -f "%e %U %S %M" "$@" >/dev/null 2>"$dir/stderr.txt" || { cat "$dir/stderr.txt"; exit 1; }
  cat "$out"
}

"$bin" ios extract-key --password-env FERRET_BENCH_PW --key-file "$dir/key.txt" "$enc" >/dev/null 2>&1
size=$(du -sb "$enc" | cut -f1)
check=$(timed bash -c "rm -rf '$dir/res' && '$bin' ios check-backup --key-file '$dir/key.txt' -o '$dir/res' '$enc'; test \$? -le 1")
read_bytes=$(python3 -c "
import json,sys
info=json.load(open(sys.argv[1]))
print(sum(h.get('bytes',0) for h in info['run']['target']['hashes']), len(info['run']['target']['hashes']))" "$dir/res/info.json")
# At most the backup and one output on disk at a time (a 20 GB backup needs 40 GB, not 60):
# the decryption is measured and deleted before the floor writes its file.
decrypt=$(timed bash -c "rm -rf '$dir/dec' && '$bin' ios decrypt-backup --key-file '$dir/key.txt' -d '$dir/dec' '$enc'")
dec_bytes=$(du -sb "$dir/dec" | cut -f1)
rm -rf "$dir/dec"
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
floor=$(timed bash -c "find '$enc' -mindepth 2 -type f -print0 | xargs -0 cat | openssl enc -d -aes-256-cbc -nopad -K $key -iv 00000000000000000000000000000000 -out '$dir/floor.bin'")
rm -f "$dir/floor.bin"

python3 - "$size" "$read_bytes" "$check" "$decrypt" "$floor" "$dec_bytes" "$gen" <<'PY'
import sys
size = int(sys.argv[1])
gen = sys.argv[7].split()
rb, nfiles = (int(x) for x in sys.argv[2].split())
check, dec, floor = (list(map(float, a.split())) for a in sys.argv[3:6])
dec_bytes = int(sys.argv[6])
mib = lambda k: k / 1024
print(f"generator: {float(gen[0]):.1f} s, peak RSS {int(gen[1])/1024:.0f} MiB")
print(f"backup on disk: {size/1e6:,.1f} MB; check-backup read {nfiles} files, {rb/1e6:,.1f} MB = {100*rb/size:.2f} % of it")
print("| step | wall | user + sys | peak RSS |")
print("|---|---|---|---|")
print(f"| check-backup --key-file | {check[0]:.2f} s | {check[1]:.2f} + {check[2]:.2f} s | {mib(check[3]):.0f} MiB |")
print(f"| decrypt-backup --key-file ({dec_bytes/1e6:,.0f} MB written) | {dec[0]:.2f} s | {dec[1]:.2f} + {dec[2]:.2f} s | {mib(dec[3]):.0f} MiB |")
print(f"| floor: cat + openssl enc -d -aes-256-cbc > one file | {floor[0]:.2f} s | {floor[1]:.2f} + {floor[2]:.2f} s | |")
print(f"decrypt-backup / floor: {dec[0]/floor[0]:.2f}x")
PY
[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"

#!/usr/bin/env bash
# Benchmark: the process census at its worst, on a sysdiagnose whose `ps.txt` lists N processes
# that are all unknown (random names under /usr/libexec, half of them daemon-like, ending in `d`):
# every one goes through the lookalike search. Prints the census pass's own time (its line in
# command.log) and the whole run's wall time and peak memory (`/usr/bin/time -v`), for BIN and,
# when given, BASE.
# Usage: bench/census_worst.sh [N]  (default 20000, the most one module keeps)
# Env: BIN (default $CARGO_TARGET_DIR or target, /release/ferret), BASE, OUT (default /tmp/ferret-census-worst).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
bin="${BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/ferret}"
out="${OUT:-/tmp/ferret-census-worst}"
rm -rf "$out"
mkdir -p "$out"
acq="$out/sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83"
python3 - "$acq" "$n" <<'PY'
import os, random, sys
acq, n = sys.argv[1], int(sys.argv[2])
os.makedirs(acq)
rng = random.Random(7)
ps = ["USER               UID PRSNA   PID  PPID        F  %CPU %MEM PRI NI      VSZ    RSS WCHAN    TT  STAT STARTED      TIME COMMAND"]
pst = ["USER              PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND"]
for i in range(n):
    name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(6, 14))) + ("d" if i % 2 else "")
    cmd = f"/usr/libexec/{name}"
    pid = i + 2
    ps.append(f"mobile             501  1000 {pid:>5}     1     4004   0.0  0.1  31  0   400000   9000 -        ??  Ss    7:47AM   0:00.01 {cmd}")
    pst.append(f"mobile           {pid:>5}   ??   0.0 S     31T   0:00.01   0:00.02 {cmd}")
open(os.path.join(acq, "ps.txt"), "w").write("\n".join(ps) + "\n")
open(os.path.join(acq, "ps_thread.txt"), "w").write("\n".join(pst) + "\n")
open(os.path.join(acq, "sysdiagnose.log"), "w").write("sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83.tar.gz\n")
PY
run() { # label binary
  rm -rf "$out/r"
  /usr/bin/time -v "$2" -q check --no-default-iocs -o "$out/r" "$acq" >/dev/null 2>"$out/time.txt" || true
  census=$(grep -o "process_census: .*" "$out/r/command.log" | head -1)
  wall=$(grep "Elapsed (wall clock)" "$out/time.txt" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$out/time.txt" | awk '{print $NF}')
  echo "$1: ${census:-no census line}; whole run wall $wall, max RSS ${rss} KB"
}
if [ -n "${BASE:-}" ]; then run base "$BASE"; fi
run now "$bin"

#!/usr/bin/env bash
# Load benchmark of the engine service (figures in BENCHMARKS.md). The five sample journeys are
# live, 5,000 sample profiles are loaded, and wrk (Debian's package) drives three routes in one
# run: GET /healthz as the baseline, single-event POST /v1/events, and batches of 1,000 events.
#
#   bash scripts/load.sh [sqlite|postgres]     (DUR=seconds per phase, default 15;
#                                               TRELLIS_BIN=path: that binary, no build)
#
# PostgreSQL: TRELLIS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres (a fresh database
# is made). Figures are ratios against the baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-sqlite}
DUR=${DUR:-15}
. scripts/load/setup.sh
export TRELLIS_TOKEN=$IN
echo "== $KIND, ${DUR}s per phase"
B=$(run healthz healthz 32)
S=$(run single single 32)
M=$(run batch batch 4)
# The engine applies what was accepted behind the requests: wait until its batches stop, then
# read from /metrics how long its batches (apply and commit) took for the events taken in.
python3 - "$ADDR" > "$WORK/apply.txt" <<'PY'
import sys, time, urllib.request
addr = sys.argv[1]
def metrics():
    m = {}
    for line in urllib.request.urlopen(f"http://{addr}/metrics").read().decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            m[k] = float(v)
    return m
last, still, t0 = None, 0, time.time()
while time.time() - t0 < 600:
    m = metrics()
    n = m.get("trellis_engine_batch_duration_seconds_count{}", 0)
    still = still + 1 if n == last else 0
    if still >= 10:
        break
    last = n
    time.sleep(0.2)
print(m.get("trellis_events_in_total", 0), m.get("trellis_engine_batch_duration_seconds_sum{}", 0), n)
PY
A=$(cat "$WORK/apply.txt")
python3 - "$B" "$S" "$M" "$A" <<'PY'
import sys
b, s, m, a = (x.split() for x in sys.argv[1:])
base = float(b[1])
print(f"baseline GET /healthz     {base:>10.0f} req/s   p99 {b[2]}")
print(f"single event POST         {float(s[1]):>10.0f} req/s   p99 {s[2]}   ({float(s[1])/base:.2f} x baseline)   non-2xx {s[3]}")
print(f"batches of 1,000 events   {float(m[1])*1000:>10.0f} events/s ({float(m[1]):.1f} req/s, p99 {m[2]})   non-2xx {m[3]}")
events, secs, batches = float(a[0]), float(a[1]), float(a[2])
print(f"engine apply (all phases) {events/secs if secs else 0:>10.0f} events/s of batch time ({events:.0f} events in {batches:.0f} batches, {secs:.1f} s)")
PY

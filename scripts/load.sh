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
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }; }
# TRELLIS_BIN=path runs another build (e.g. to compare two builds in one sitting).
if [ -n "${TRELLIS_BIN:-}" ]; then
  T=$TRELLIS_BIN
else
  cargo build --release -q -p trellis-cli
  T=${CARGO_TARGET_DIR:-/var/tmp/trellis-target}/release/trellis
fi
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
case $KIND in
  sqlite) DB="sqlite://$WORK/load.db" ;;
  postgres)
    BASE=${TRELLIS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
    NAME=trellis_load_$$
    psql "$BASE" -qc "CREATE DATABASE $NAME"
    DB="${BASE%/*}/$NAME" ;;
  *) echo "sqlite or postgres" >&2; exit 2 ;;
esac
OP=$($T token create --db "$DB" --role operator --name load-op)
AP=$($T token create --db "$DB" --role approver --name load-ap)
IN=$($T token create --db "$DB" --role ingest --name load-in)
$T serve --db "$DB" --listen 127.0.0.1:0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$WORK/serve.out")
$T sample --users 5000 --days 1 --seed 7 --out "$WORK/data" >/dev/null
python3 - "$ADDR" "$OP" "$AP" "$IN" "$WORK/data/profiles.jsonl" <<'PY'
import json, sys, glob, urllib.request
addr, op, ap, ing, profiles = sys.argv[1:]
def call(tok, method, path, body):
    r = urllib.request.Request(f"http://{addr}{path}", data=json.dumps(body).encode(), method=method,
                               headers={"Authorization": "Bearer " + tok})
    with urllib.request.urlopen(r) as f:
        return json.load(f)
for ws in sorted(glob.glob("samples/*.json")):
    rel = call(op, "POST", "/v1/releases", json.load(open(ws)))["release"]
    call(ap, "POST", f"/v1/releases/{rel}/approve", {"comment": "load test"})
    call(ap, "POST", f"/v1/releases/{rel}/deploy", {"rollout_percent": 100, "mode": "live"})
for line in open(profiles):
    p = json.loads(line)
    call(ing, "PUT", f"/v1/profiles/{p['user_id']}", p)
PY
export TRELLIS_TOKEN=$IN
run() { # name script connections
  wrk -t2 -c"$3" -d"${DUR}s" --latency -s "scripts/load/$2.lua" "http://$ADDR" > "$WORK/$1.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$1.txt")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$1.txt")
  echo "$1 $rps $p99 ${non2xx:-0}"
}
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

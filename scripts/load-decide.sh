#!/usr/bin/env bash
# Load benchmark of decisions on request (issue 19; figures in BENCHMARKS.md). The five sample
# journeys and a placement journey (home_banner → a coupon, one per user; a user asking again
# gets the same coupon back, reused) are live; 5,000 sample profiles are loaded; wrk drives
# GET /healthz as the baseline, then POST /v1/decide with a fresh request_id per call.
#
#   bash scripts/load-decide.sh [sqlite|postgres]   (DUR=seconds per phase, default 15;
#                                                    CONN=connections, default 32;
#                                                    TRELLIS_BIN=path: that binary, no build)
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-sqlite}
DUR=${DUR:-15}
CONN=${CONN:-32}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }; }
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
    NAME=trellis_decide_$$
    psql "$BASE" -qc "CREATE DATABASE $NAME"
    DB="${BASE%/*}/$NAME" ;;
  *) echo "sqlite or postgres" >&2; exit 2 ;;
esac
OP=$($T token create --db "$DB" --role operator --name load-op)
AP=$($T token create --db "$DB" --role approver --name load-ap)
IN=$($T token create --db "$DB" --role ingest --name load-in)
DE=$($T token create --db "$DB" --role decide --name load-page)
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
placement = {"schema": "trellis/workspace@1",
    "offers": [{"id": "banner10", "kind": "coupon", "face_value": 10, "per_user_limit": 1, "valid_for": "7d", "stock": 100000}],
    "journeys": [{"id": "home_banner", "campaign": {"id": "banner", "budget": {"total": 1000000}},
        "entry": {"re_entry": "after_exit"},
        "nodes": [{"id": "t", "type": "trigger.placement", "params": {"placement": "home_banner"}},
                  {"id": "o", "type": "action.offer", "params": {"offer": "banner10"}},
                  {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "x"},
                  {"from": "o", "port": "rejected", "to": "x"}]}]}
for ws in [json.load(open(p)) for p in sorted(glob.glob("samples/*.json"))] + [placement]:
    rel = call(op, "POST", "/v1/releases", ws)["release"]
    call(ap, "POST", f"/v1/releases/{rel}/approve", {"comment": "load test"})
    call(ap, "POST", f"/v1/releases/{rel}/deploy", {"rollout_percent": 100, "mode": "live"})
for line in open(profiles):
    p = json.loads(line)
    call(ing, "PUT", f"/v1/profiles/{p['user_id']}", p)
PY
run() { # name script connections
  wrk -t2 -c"$3" -d"${DUR}s" --latency -s "scripts/load/$2.lua" "http://$ADDR" > "$WORK/$1.txt"
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/$1.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/$1.txt")
  echo "$1 $rps $p99 ${non2xx:-0}"
}
echo "== $KIND, ${DUR}s per phase, $CONN connections"
export TRELLIS_TOKEN=$IN
B=$(run healthz healthz "$CONN")
export TRELLIS_TOKEN=$DE
D=$(run decide decide "$CONN")
python3 - "$B" "$D" <<'PY'
import sys
b, d = (x.split() for x in sys.argv[1:])
base = float(b[1])
print(f"baseline GET /healthz   {base:>8.0f} req/s   p99 {b[2]}")
print(f"POST /v1/decide         {float(d[1]):>8.0f} req/s   p99 {d[2]}   ({float(d[1])/base:.2f} x baseline)   non-2xx {d[3]}")
PY
grep '^answers' "$WORK/decide.txt"

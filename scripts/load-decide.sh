#!/usr/bin/env bash
# Load benchmark of decisions on request (issue 19; figures in BENCHMARKS.md). The five sample
# journeys and a placement journey (scripts/load/placement.json: home_banner → a coupon, one per
# user; a user asking again gets the same coupon back, reused; a fallback banner on a timeout)
# are live; 5,000 sample profiles are loaded; wrk drives GET /healthz as the baseline, then
# POST /v1/decide with a fresh request_id per call (the default timeout_ms, 200).
#
#   bash scripts/load-decide.sh [sqlite|postgres]   (DUR=seconds per phase, default 15;
#                                                    CONN=connections, default 32;
#                                                    TRELLIS_BIN=path: that binary, no build;
#                                                    EXTRA_WS=file: another placement workspace)
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-sqlite}
DUR=${DUR:-15}
CONN=${CONN:-32}
EXTRA_WS=${EXTRA_WS:-scripts/load/placement.json}
. scripts/load/setup.sh
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

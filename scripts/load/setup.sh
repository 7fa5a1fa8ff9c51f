# Shared setup of the load scripts (scripts/load.sh, scripts/load-decide.sh), sourced with
# KIND (sqlite|postgres) set: builds or takes the binary (TRELLIS_BIN), makes a fresh database
# (PostgreSQL: a new database beside TRELLIS_TEST_POSTGRES's, dropped at exit), makes tokens
# (OP, AP, IN, DE), starts `trellis serve` (ADDR, PID), loads 5,000 sample profiles, deploys the
# five sample journeys live plus every workspace file in EXTRA_WS, and defines `run NAME SCRIPT
# CONNECTIONS`, which drives wrk with scripts/load/SCRIPT.lua and prints "NAME req/s p99 non2xx".
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }; }
# TRELLIS_BIN=path runs another build (e.g. to compare two builds in one sitting).
if [ -n "${TRELLIS_BIN:-}" ]; then
  T=$TRELLIS_BIN
else
  cargo build --release -q -p trellis-cli
  T=${CARGO_TARGET_DIR:-/var/tmp/trellis-target}/release/trellis
fi
WORK=$(mktemp -d)
PID=
DROP=
cleanup() {
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [ -n "$DROP" ] && psql "$BASE" -qc "DROP DATABASE IF EXISTS $DROP" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
case $KIND in
  sqlite) DB="sqlite://$WORK/load.db" ;;
  postgres)
    BASE=${TRELLIS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
    DROP=trellis_load_$$
    psql "$BASE" -qc "CREATE DATABASE $DROP"
    DB="${BASE%/*}/$DROP" ;;
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
[ -n "$ADDR" ] || { echo "trellis serve did not start:" >&2; cat "$WORK/serve.err" >&2; exit 1; }
$T sample --users 5000 --days 1 --seed 7 --out "$WORK/data" >/dev/null
python3 - "$ADDR" "$OP" "$AP" "$IN" "$WORK/data/profiles.jsonl" ${EXTRA_WS:-} <<'PY'
import json, sys, glob, urllib.request
addr, op, ap, ing, profiles, *extra = sys.argv[1:]
def call(tok, method, path, body):
    r = urllib.request.Request(f"http://{addr}{path}", data=json.dumps(body).encode(), method=method,
                               headers={"Authorization": "Bearer " + tok})
    with urllib.request.urlopen(r) as f:
        return json.load(f)
for ws in sorted(glob.glob("samples/*.json")) + extra:
    rel = call(op, "POST", "/v1/releases", json.load(open(ws)))["release"]
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

#!/usr/bin/env bash
# Restart time of the engine service after about 1,000,000 ingested events (BENCHMARKS.md,
# "Restart after 1M events"): the five samples live, `trellis sample --users 100000 --days 30`
# posted in batches of 1,000 on the event clock, every input applied; then `kill -9`, and the
# time from starting the process again to the first decision on a new event. Repeated RUNS times
# (default 3) on the same database. Also prints the database's bytes per ingested event.
#
#   bash scripts/restart-bench.sh PATH/TO/trellis [OUT_DIR]
#
# A binary without `--snapshot-every` (before snapshots) replays the whole journal on start.
set -euo pipefail
cd "$(dirname "$0")/.."
T=$1
WORK=${2:-$(mktemp -d)}
RUNS=${RUNS:-3}
mkdir -p "$WORK"
DB="sqlite://$WORK/r.db"
PID=
trap '[ -n "$PID" ] && kill -9 $PID 2>/dev/null || true' EXIT
if [ ! -s "$WORK/data/events.jsonl" ]; then
  $T sample --users 100000 --days 30 --seed 1 --out "$WORK/data" >/dev/null
fi
start() {
  $T serve --db "$DB" --listen 127.0.0.1:0 --clock event > "$WORK/serve.out" 2> "$WORK/serve.err" &
  PID=$!
  for _ in $(seq 600); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
  ADDR=$(sed -n 's/^listening on //p' "$WORK/serve.out")
}
if [ ! -f "$WORK/r.db" ]; then
  OP=$($T token create --db "$DB" --role operator --name op)
  AP=$($T token create --db "$DB" --role approver --name ap)
  IN=$($T token create --db "$DB" --role ingest --name in)
  echo "$OP $AP $IN" > "$WORK/tokens"
  start
  python3 - "$ADDR" "$OP" "$AP" "$IN" "$WORK/data/events.jsonl" <<'PY'
import json, sys, glob, time, http.client
addr, op, ap, ing, events = sys.argv[1:]
host, port = addr.split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=600)
def call(tok, method, path, body):
    conn.request(method, path, body=json.dumps(body), headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    assert r.status < 300, (path, r.status, data[:300])
    return json.loads(data or b"null")
for ws in sorted(glob.glob("samples/*.json")):
    rel = call(op, "POST", "/v1/releases", json.load(open(ws)))["release"]
    call(ap, "POST", f"/v1/releases/{rel}/approve", {"comment": "bench"})
    call(ap, "POST", f"/v1/releases/{rel}/deploy", {"rollout_percent": 100, "mode": "live"})
t0, batch, n = time.time(), [], 0
for line in open(events):
    batch.append(json.loads(line))
    if len(batch) == 1000:
        call(ing, "POST", "/v1/events", batch); n += len(batch); batch = []
if batch:
    call(ing, "POST", "/v1/events", batch); n += len(batch)
print(f"posted {n} events in {time.time() - t0:.1f} s", file=sys.stderr)
PY
  # Every input applied: the journal has an entry for each.
  python3 - "$WORK/r.db" <<'PY'
import sqlite3, sys, time
db = sys.argv[1]
t0 = time.time()
while True:
    c = sqlite3.connect(db, timeout=60)
    c.execute(f"ATTACH DATABASE '{db}-inputs' AS ing")
    (i,), (j,) = c.execute("SELECT COUNT(*) FROM ing.inputs"), c.execute("SELECT COUNT(*) FROM journal")
    c.close()
    if i == j:
        print(f"applied {j} inputs ({time.time() - t0:.1f} s after the last post)", file=sys.stderr)
        break
    time.sleep(1)
PY
  kill $PID; wait $PID 2>/dev/null || true
fi
read -r OP AP IN < "$WORK/tokens"
bytes=$(du -cb "$WORK"/r.db* | tail -1 | cut -f1)
events=$(wc -l < "$WORK/data/events.jsonl")
echo "database: $bytes bytes, $((bytes / events)) bytes per event ($events events)"
for run in $(seq "$RUNS"); do
  start
  t0=$(date +%s.%N)
  # A new user's order: the engine logs a `conversion` for any user, whatever the journeys.
  python3 - "$ADDR" "$IN" "$run" "$t0" <<'PY'
import json, sys, time, http.client
addr, ing, run, t0 = sys.argv[1:]
host, port = addr.split(":")
user = f"restart-{run}-{time.time_ns()}"
ev = [{"event_id": user, "user_id": user, "type": "order_paid", "ts": "2027-01-01T00:00:00Z", "props": {"amount": 10, "order_id": user}}]
def req(method, path, body=None):
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    c.request(method, path, body=None if body is None else json.dumps(body), headers={"Authorization": "Bearer " + ing, "Content-Type": "application/json"})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data
s, d = req("POST", "/v1/events", ev)
assert s == 202, d
while True:
    s, d = req("GET", f"/v1/decisions?user_id={user}")
    if s == 200 and json.loads(d)["decisions"]:
        break
    time.sleep(0.02)
took = time.time() - float(t0)
m = req("GET", "/metrics")[1].decode()
built = [l for l in m.splitlines() if l.startswith(("trellis_engine_restored_from ", "trellis_engine_replayed_entries "))]
print(f"run {run}: first new decision {took:.2f} s after start {built}")
PY
  kill -9 $PID; wait $PID 2>/dev/null || true
done

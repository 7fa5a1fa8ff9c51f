#!/usr/bin/env python3
"""Makes tests/data/journal/: a journal written by a release of `trellis serve`, with the
decision records it committed, for the test that replays it through the current runtime
(crates/trellis-api/tests/journal.rs).

    python3 scripts/journal-fixture.py PATH/TO/trellis OUT_DIR

The fixture in the repository was made with the release before typed inputs (58c1854):
    git worktree add --detach /tmp/old 58c1854 && (cd /tmp/old && cargo build -p trellis-cli)
    python3 scripts/journal-fixture.py /tmp/old/target/debug/trellis tests/data/journal

It drives every kind of input the service journals: deploy (live and shadow), profile, event,
redeem, tick, rollback, and a delivery_failed (a webhook provider that refuses connections).
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

trellis, out = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="trellis-journal-")
db = f"sqlite://{work}/t.db"


def token(role, name):
    return subprocess.check_output(
        [trellis, "token", "create", "--db", db, "--role", role, "--name", name], text=True
    ).strip()


op, ap, ingest = token("operator", "olga"), token("approver", "ann"), token("ingest", "feed")
admin = token("admin", "root")
server = subprocess.Popen(
    [trellis, "serve", "--db", db, "--listen", "127.0.0.1:0", "--clock", "event",
     "--provider", "webhook=http://127.0.0.1:9/hook"],
    stdout=subprocess.PIPE, text=True,
)
addr = server.stdout.readline().strip().removeprefix("listening on ")


def call(method, path, tok, body=None):
    req = urllib.request.Request(
        f"http://{addr}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def publish(ws, percent=100, mode="live"):
    c, r = call("POST", "/v1/releases", op, ws)
    assert c == 201, r
    rid = r["release"]
    assert call("POST", f"/v1/releases/{rid}/approve", ap, {"comment": "ok"})[0] == 200
    c, r = call("POST", f"/v1/releases/{rid}/deploy", ap, {"rollout_percent": percent, "mode": mode})
    assert c == 200, r


def ws(face, delay):
    return {
        "schema": "trellis/workspace@1",
        "policy": {"timezone": "Asia/Shanghai"},
        "offers": [
            {"id": "c10", "kind": "coupon", "face_value": face, "min_spend": 50, "stock": 3,
             "per_user_limit": 1, "valid_for": "2d"},
            {"id": "pts", "kind": "points", "face_value": 1},
        ],
        "journeys": [{
            "id": "welcome", "priority": 1,
            "campaign": {"id": "camp", "budget": {"total": 100, "currency": "CNY"}},
            "nodes": [
                {"id": "t", "type": "trigger.event", "params": {"event": "signup"}},
                {"id": "x", "type": "split.experiment",
                 "params": {"experiment": "exp1", "variants": [{"port": "a", "percent": 50},
                                                               {"port": "b", "percent": 50}],
                            "holdout_percent": 10}},
                {"id": "o", "type": "action.offer", "params": {"offer": "c10"}},
                {"id": "w", "type": "wait.delay", "params": {"duration": delay}},
                {"id": "m", "type": "action.touch",
                 "params": {"channels": ["webhook", "inbox"], "template": "hello"}},
                {"id": "p", "type": "action.points", "params": {"amount": 5}},
                {"id": "u", "type": "action.update", "params": {"set": {"welcomed": True}}},
            ],
            "edges": [
                {"from": "t", "port": "out", "to": "x"},
                {"from": "x", "port": "a", "to": "o"},
                {"from": "x", "port": "b", "to": "p"},
                {"from": "x", "port": "holdout", "to": "u"},
                {"from": "o", "port": "issued", "to": "w"},
                {"from": "w", "port": "out", "to": "m"},
            ],
        }],
    }


publish(ws(10, "1h"))
for i in range(12):
    user = f"u{i}"
    c, r = call("PUT", f"/v1/profiles/{user}", ingest,
                {"user_id": user, "attrs": {"level": i % 3}, "contact": {}, "consent": {}})
    assert c == 202, r
events = [{"event_id": f"s{i}", "user_id": f"u{i}", "type": "signup",
           "ts": f"2026-11-01T0{i % 10}:00:00Z"} for i in range(12)]
events.sort(key=lambda e: e["ts"])
c, r = call("POST", "/v1/events", ingest, events)
assert c == 202, r
# A second version, in shadow, then live at 50%, then rolled back.
publish(ws(12, "30m"), mode="shadow")
publish(ws(15, "2h"), percent=50)
c, r = call("POST", "/v1/events", ingest,
            [{"event_id": f"l{i}", "user_id": f"v{i}", "type": "signup",
              "ts": "2026-11-01T12:00:00Z"} for i in range(8)])
assert c == 202, r
assert call("POST", "/v1/journeys/welcome/rollback", ap, {})[0] == 200
assert call("POST", "/v1/clock/tick", admin, {"until": "2026-11-01T14:00:00Z"})[0] == 200


def decisions():
    c, r = call("GET", "/v1/decisions?limit=10000", op)
    assert c == 200, r
    return r["decisions"]


issued = [d for d in decisions() if d["kind"] == "offer.issued"]
assert issued, "a coupon was issued"
c, r = call("POST", "/v1/offers/redeem", ingest,
            {"instance": issued[0]["instance"], "order": "o-1", "amount": "88.80"})
assert c == 200, r
# The same order again (a duplicate), and one below min_spend (refused).
call("POST", "/v1/offers/redeem", ingest,
     {"instance": issued[0]["instance"], "order": "o-1", "amount": "88.80"})
if len(issued) > 1:
    call("POST", "/v1/offers/redeem", ingest,
         {"instance": issued[1]["instance"], "order": "o-2", "amount": "20"})
# The webhook provider refuses every connection: after its retries the outbox appends a
# delivery_failed input and the touch falls back to the inbox.
deadline = time.time() + 60
while time.time() < deadline:
    if any(d["kind"] == "touch.failed" for d in decisions()):
        break
    time.sleep(0.5)
else:
    sys.exit("no delivery_failed input within 60 s")
assert call("POST", "/v1/clock/tick", admin, {"until": "2026-11-04T00:00:00Z"})[0] == 200
server.terminate()
server.wait()

con = sqlite3.connect(f"{work}/t.db")
con.execute(f"ATTACH DATABASE '{work}/t.db-inputs' AS ing")
os.makedirs(out, exist_ok=True)
with open(f"{out}/journal.jsonl", "w") as f:
    for row in con.execute(
        "SELECT j.proc_seq, j.input_seq, j.kind, j.at, i.body, j.result FROM journal j "
        "LEFT JOIN ing.inputs i ON i.seq = j.input_seq ORDER BY j.proc_seq"
    ):
        keys = ["proc_seq", "input_seq", "kind", "at", "body", "result"]
        f.write(json.dumps(dict(zip(keys, row)), ensure_ascii=False) + "\n")
with open(f"{out}/decisions.jsonl", "w") as f:
    for row in con.execute("SELECT proc_seq, shadow, record FROM decisions ORDER BY id"):
        f.write(json.dumps({"proc_seq": row[0], "shadow": bool(row[1]), "record": row[2]},
                           ensure_ascii=False) + "\n")
kinds = [r[0] for r in con.execute("SELECT DISTINCT kind FROM journal ORDER BY kind")]
print(f"{out}: journal kinds {kinds}")

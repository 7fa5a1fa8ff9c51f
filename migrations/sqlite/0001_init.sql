-- Tokens: only a SHA-256 of each token is kept.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT
);

-- Releases are immutable once submitted; status moves pending_review -> approved|rejected.
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL UNIQUE,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    workspace TEXT NOT NULL,
    journeys TEXT NOT NULL,
    diagnostics TEXT NOT NULL,
    summary TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases(id),
    reviewer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    comment TEXT NOT NULL,
    at TEXT NOT NULL
);

-- Every deploy and rollback, per journey, in order; the newest row of a journey is its state.
CREATE TABLE deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    journey TEXT NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases(id),
    version BIGINT NOT NULL,
    rollout_percent BIGINT NOT NULL,
    mode TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX deployments_journey ON deployments(journey, id);

-- Everything that changes the engine's state arrives here first (events, profiles, redemptions,
-- deployments): a row is durable before the request is acknowledged. `ikey` is the idempotency
-- key (an event's event_id, a redemption's instance and order).
CREATE TABLE inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ikey TEXT UNIQUE,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- The journal: the order in which the engine applied inputs (and clock ticks, which have no
-- input), with the time it applied them at and the answer. The engine's whole state (instances,
-- timers, ledger, counters) is a deterministic fold over the journal; a restarted or new leader
-- replays it.
CREATE TABLE journal (
    proc_seq BIGINT PRIMARY KEY,
    input_seq BIGINT UNIQUE REFERENCES inputs(seq),
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    result TEXT
);

-- The decision log (runtime.md), live and shadow.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proc_seq BIGINT NOT NULL,
    ts TEXT NOT NULL,
    user_id TEXT,
    journey TEXT,
    kind TEXT NOT NULL,
    shadow BIGINT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX decisions_user ON decisions(user_id, id);
CREATE INDEX decisions_journey ON decisions(journey, id);

-- Double-entry offer ledger: every movement is two legs that sum to zero, between a campaign's
-- accounts `budget` (the source), `available`, `reserved` and `spent`.
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proc_seq BIGINT NOT NULL,
    campaign TEXT NOT NULL,
    account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    instance TEXT,
    memo TEXT NOT NULL
);
CREATE INDEX ledger_campaign ON ledger(campaign, account);

CREATE TABLE offer_instances (
    instance TEXT PRIMARY KEY,
    offer TEXT NOT NULL,
    user_id TEXT NOT NULL,
    campaign TEXT,
    amount BIGINT NOT NULL,
    status TEXT NOT NULL,
    expires_at TEXT,
    issued_proc_seq BIGINT NOT NULL
);

CREATE TABLE profiles (
    user_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Touches to deliver. Written in the same transaction as their decision, so a crash neither
-- loses nor doubles one; `dedup` is the idempotency key sent with the delivery.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_at);
CREATE INDEX outbox_user ON outbox(user_id, id);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id BIGINT NOT NULL REFERENCES outbox(id),
    attempt BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);

-- Who runs the engine: one holder at a time, fenced in every journal write.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
INSERT INTO leases (name, holder, until_ms) VALUES ('engine', '', 0);

-- Engine snapshots: the runtime's state after journal entry `proc_seq` (the engine, its shadow
-- mirror, and the runtime's own maps, as JSON). A restart or takeover restores the newest and
-- replays only the journal after it. Only the newest is kept.
CREATE TABLE snapshots (
    proc_seq BIGINT PRIMARY KEY,
    runtime TEXT NOT NULL,
    engine TEXT NOT NULL,
    mirror TEXT,
    created_at TEXT NOT NULL
);

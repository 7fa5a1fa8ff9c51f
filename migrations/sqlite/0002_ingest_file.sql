-- Inputs move to their own database file, attached to every connection as `ing` (see
-- Store::open): ingest commits then take that file's write lock, never the engine's, so a request
-- is not held up behind the engine's batch commits and WAL checkpoints. Unqualified `inputs`
-- resolves to `ing.inputs` once `main.inputs` is gone. A foreign key cannot cross files, so the
-- journal is rebuilt without one (`input_seq` stays unique).
CREATE TABLE ing.inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ikey TEXT UNIQUE,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
INSERT INTO ing.inputs (seq, kind, ikey, body, received_at)
    SELECT seq, kind, ikey, body, received_at FROM main.inputs;

CREATE TABLE main.journal_new (
    proc_seq BIGINT PRIMARY KEY,
    input_seq BIGINT UNIQUE,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    result TEXT
);
INSERT INTO main.journal_new SELECT proc_seq, input_seq, kind, at, result FROM main.journal;
DROP TABLE main.journal;
ALTER TABLE main.journal_new RENAME TO journal;
DROP TABLE main.inputs;

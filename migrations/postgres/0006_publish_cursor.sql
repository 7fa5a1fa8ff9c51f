-- Decisions out (`trellis serve --amqp-publish URL`, docs/publishing.md): the decision log is the
-- outbox. A publisher's cursor is the highest decision seq the broker has confirmed; it moves only
-- after the confirms, so a crash resends from it (the same message ids). `stream` is a random
-- name made with the row: message ids are `<stream>-<seq>`, so a fresh database (whose seqs start
-- again at 1) never reuses an id a consumer has already seen.
CREATE TABLE publish_cursor (
    name TEXT PRIMARY KEY,
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL
);

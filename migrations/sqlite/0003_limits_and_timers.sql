-- Hard limits held by the database as well as by the engine. The engine (one lease holder)
-- refuses what would break a limit; these rows are a second lock on the same door: each batch
-- commit moves them with conditional updates (`... WHERE amount + $d >= 0`, never read then
-- write), and a batch that would take an account or a stock below zero is refused whole.

-- Each campaign's ledger accounts as running balances (the sums of `ledger`, kept up to date in
-- the same transaction as its legs). `budget` is the source account and runs negative by what it
-- funded; the others may not go below zero.
CREATE TABLE balances (
    campaign TEXT NOT NULL,
    account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (campaign, account),
    CHECK (account = 'budget' OR amount >= 0)
);
INSERT INTO balances (campaign, account, amount)
    SELECT campaign, account, SUM(amount) FROM ledger GROUP BY campaign, account;

-- An offer's stock left, split over shards (the seeds' stock_0..stock_9) so that concurrent
-- issues of a hot offer take different rows. Set at each deploy of an offer with a stock.
CREATE TABLE stock (
    offer TEXT NOT NULL,
    shard BIGINT NOT NULL,
    remaining BIGINT NOT NULL,
    PRIMARY KEY (offer, shard),
    CHECK (remaining >= 0)
);

-- Timers as rows with a due time: waits, timeouts, deferrals, expiries, maximum durations and
-- schedule ticks of the live engine and its shadow mirror, written with the batch that set them
-- and deleted with the batch that fired them. Every service process runs a scheduler that claims
-- due rows (PostgreSQL: FOR UPDATE SKIP LOCKED) and turns each claim into one `tick` input, so
-- several processes share the watching and no due time is ticked twice.
CREATE TABLE timers (
    tkey TEXT PRIMARY KEY,
    due_ms BIGINT NOT NULL,
    due_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT,
    journey TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX timers_due ON timers(due_ms);

-- Paging through the decision log by seq (`GET /v1/decisions?after=SEQ`, oldest first): each read
-- is one index range in id order, however many records share one instant. Every read filters on
-- `shadow`, so each index holds it before `id`: a user's records, a journey's, or all of them.
-- With both a user and a journey, the store reads the user's index (the narrower one).
DROP INDEX decisions_user;
DROP INDEX decisions_journey;
CREATE INDEX decisions_user ON decisions(user_id, shadow, id);
CREATE INDEX decisions_journey ON decisions(journey, shadow, id);
CREATE INDEX decisions_shadow ON decisions(shadow, id);

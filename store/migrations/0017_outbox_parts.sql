-- A reply a channel sends in parts (a long text, a card and its text): how
-- many went out before an attempt failed, so that the next attempt sends
-- only the rest and nobody reads a part twice.
ALTER TABLE outbox ADD COLUMN parts_sent int NOT NULL DEFAULT 0;

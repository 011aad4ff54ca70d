-- A reply that quotes someone other than the chat it goes to (an admin's
-- notice of an application, an agent's list of residents) names them here
-- (flows.Reply.About: reg:<ref>, agent:<id>), so their erasure deletes it,
-- delivered or not, instead of leaving it until retention.
ALTER TABLE outbox ADD COLUMN about text[];
CREATE INDEX outbox_about ON outbox USING gin (about) WHERE about IS NOT NULL;

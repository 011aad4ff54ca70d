-- Failed claims are counted where a fresh chat cannot reset them: by the
-- claim code tried, by the client's network address (web chat; IPv6 by
-- /64) and by the sponsor batch of the registration they were after, besides
-- the chat and the NIK. All three are keyed hashes or ids, never in clear.
ALTER TABLE claim_failures ADD COLUMN code_hash bytea;
ALTER TABLE claim_failures ADD COLUMN client_hash bytea;
ALTER TABLE claim_failures ADD COLUMN batch_id bigint;
CREATE INDEX claim_failures_code ON claim_failures (code_hash, at) WHERE code_hash IS NOT NULL;
CREATE INDEX claim_failures_client ON claim_failures (client_hash, at) WHERE client_hash IS NOT NULL;
CREATE INDEX claim_failures_batch ON claim_failures (batch_id, at) WHERE batch_id IS NOT NULL;

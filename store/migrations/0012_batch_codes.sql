-- Claim codes printed for a sponsor's batch, one per worker: made by an
-- admin, not an agent.
ALTER TABLE claim_codes ALTER COLUMN agent_id DROP NOT NULL;
ALTER TABLE claim_codes ADD COLUMN sponsor_batch_id bigint REFERENCES sponsor_batches (id);

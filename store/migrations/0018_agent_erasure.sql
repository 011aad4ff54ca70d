-- An agent may ask, like anyone, for their personal data to be erased
-- (/hapus): the row stays, without NIK, phone, name or address, so that the
-- residents they registered and the statements of consent they made keep
-- saying which (now anonymous) agent did it; the agent can no longer act.
-- A suspended agent's NIK hash (keyed, not reversible) and reason stay, so
-- the same person cannot come back as a new agent unnoticed; erased_from
-- keeps the status the record had.
ALTER TABLE agents ALTER COLUMN nik_sealed DROP NOT NULL, ALTER COLUMN nik_hash DROP NOT NULL;
ALTER TABLE agents ADD COLUMN erased_from text NOT NULL DEFAULT '';
ALTER TABLE agents DROP CONSTRAINT agents_status_check;
ALTER TABLE agents ADD CONSTRAINT agents_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'suspended', 'erased'));
-- Applying again after erasure makes a new record: one live record per user.
ALTER TABLE agents DROP CONSTRAINT agents_channel_user_id_key;
CREATE UNIQUE INDEX agents_user ON agents (channel, user_id) WHERE status <> 'erased';

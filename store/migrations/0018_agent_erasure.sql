-- An agent may ask, like anyone, for their personal data to be erased
-- (/hapus): the row stays, without NIK, phone, name or address, so that the
-- residents they registered and the statements of consent they made keep
-- saying which (now anonymous) agent did it; the agent can no longer act.
ALTER TABLE agents ALTER COLUMN nik_sealed DROP NOT NULL, ALTER COLUMN nik_hash DROP NOT NULL;
ALTER TABLE agents DROP CONSTRAINT agents_status_check;
ALTER TABLE agents ADD CONSTRAINT agents_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'suspended', 'erased'));

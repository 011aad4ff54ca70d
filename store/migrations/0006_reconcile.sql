-- When the provider was last asked about a payment still pending (reconciliation).
ALTER TABLE payments ADD COLUMN checked_at timestamptz;

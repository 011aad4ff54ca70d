-- The public verification page of a membership card: an unguessable token per
-- registration, made when its first payment settles.
ALTER TABLE registrations ADD COLUMN verify_token text UNIQUE;

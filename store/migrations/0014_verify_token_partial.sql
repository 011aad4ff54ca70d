-- Most registrations have no card yet: the verification token's unique
-- index holds only those that do (bulk imports insert none).
ALTER TABLE registrations DROP CONSTRAINT registrations_verify_token_key;
CREATE UNIQUE INDEX registrations_verify_token ON registrations (verify_token) WHERE verify_token IS NOT NULL;

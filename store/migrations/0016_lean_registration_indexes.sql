-- Every registration row pays for every index on every insert, and a
-- sponsor's import inserts tens of thousands at once.
-- No query looks a registration up by its phone hash (a claim reads the
-- phone of the NIK's row), so that index only cost writes.
DROP INDEX registrations_phone;
-- Only linked registrations are looked up by their chat; those not linked
-- yet (imported, or registered by an agent for a resident without a chat)
-- have an empty channel and stay out of the index.
DROP INDEX registrations_chat;
CREATE INDEX registrations_chat ON registrations (channel, chat_id) WHERE channel <> '';

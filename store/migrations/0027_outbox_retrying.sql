-- A chat's replies go in order: one waiting for its retry holds back the
-- chat's later ones. The deliverer's look asks this index, which holds
-- only the replies waiting for a retry (a few).
CREATE INDEX outbox_retrying ON outbox (channel, chat_id, id)
    WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at IS NOT NULL;

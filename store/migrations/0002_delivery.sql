-- Delivery through channels with limits: retries with backoff, replies that can
-- never be sent, chats that blocked the bot.

ALTER TABLE outbox
    ADD COLUMN next_attempt_at timestamptz,   -- a retry waits until then
    ADD COLUMN failed_at       timestamptz;   -- given up: permanent error, or the chat is unreachable

DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (channel, id) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE unreachable_chats (
    channel  text        NOT NULL,
    chat_id  text        NOT NULL,
    since    timestamptz NOT NULL,
    reason   text        NOT NULL DEFAULT '',
    PRIMARY KEY (channel, chat_id)
);

-- WhatsApp: every message Meta accepted (its wamid) and what became of it,
-- from the status webhooks (sent, delivered, read, failed: possibly out of
-- order, possibly before the send's own answer was recorded); the channel's
-- last word on each reply; and when Meta said a chat's 24-hour window had
-- closed (a free-form send refused with 131047).

CREATE TABLE channel_messages (
    channel       text        NOT NULL,
    message_id    text        NOT NULL,   -- the channel's id of the message (WhatsApp: the wamid)
    chat_id       text        NOT NULL,
    outbox_id     bigint,                 -- the reply it carried (no foreign key: the outbox is pruned)
    broadcast_id  bigint,                 -- or the broadcast it carried
    status        text        NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error         text        NOT NULL DEFAULT '',
    error_code    int         NOT NULL DEFAULT 0,   -- Meta's code of a failure (131047, 131026, …)
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX channel_messages_outbox ON channel_messages (outbox_id) WHERE outbox_id IS NOT NULL;
CREATE INDEX channel_messages_broadcast ON channel_messages (broadcast_id, status) WHERE broadcast_id IS NOT NULL;
CREATE INDEX channel_messages_created ON channel_messages (created_at);

-- failed: the channel accepted the reply and then said it failed; resend:
-- it failed and waits to go again ('' otherwise; its messages' deliveries
-- and reads are in channel_messages).
ALTER TABLE outbox ADD COLUMN delivery text NOT NULL DEFAULT '';

CREATE TABLE closed_windows (
    channel    text        NOT NULL,
    chat_id    text        NOT NULL,
    closed_at  timestamptz NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

-- The replies whose choices went out on WhatsApp as a list in pages, for
-- the taps that turn the pages in any process; sealed (a list may name
-- people), kept a week.
CREATE TABLE channel_menus (
    channel     text        NOT NULL,
    chat_id     text        NOT NULL,
    key         text        NOT NULL,
    reply       bytea       NOT NULL,  -- a flows.Reply as JSON, sealed (AES-256-GCM)
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (channel, chat_id, key)
);
CREATE INDEX channel_menus_created ON channel_menus (created_at);

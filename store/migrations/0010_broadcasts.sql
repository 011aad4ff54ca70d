-- Broadcasts: a message to a segment of workers (or agents), one row per
-- recipient fixed when it starts, claimed in batches with FOR UPDATE SKIP
-- LOCKED and marked "sending" before the calls, so nobody gets it twice; and
-- the chats that opted out of broadcasts (/berhenti).

CREATE TABLE broadcasts (
    id              bigserial   PRIMARY KEY,
    segment         jsonb       NOT NULL,              -- a flows.Segment
    text            text        NOT NULL,
    button          text        NOT NULL DEFAULT '',   -- a flows.Button* value
    scheduled_at    timestamptz NOT NULL,
    status          text        NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'cancelled', 'done')),
    created_by      text        NOT NULL,              -- channel:user_id of the admin, or the CLI's actor
    report_channel  text        NOT NULL DEFAULT '',   -- the admin chat told of progress and the end
    report_chat     text        NOT NULL DEFAULT '',
    progress_ref    text        NOT NULL DEFAULT '',   -- the channel's id of the progress message there
    total           int         NOT NULL DEFAULT 0,    -- recipients fixed when it started
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX broadcasts_due ON broadcasts (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX broadcasts_active ON broadcasts (id) WHERE status IN ('running', 'paused');

CREATE TABLE broadcast_recipients (
    broadcast_id  bigint      NOT NULL REFERENCES broadcasts (id),
    channel       text        NOT NULL,
    chat_id       text        NOT NULL,
    lang          text        NOT NULL DEFAULT '',
    state         text        NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'blocked', 'opted_out', 'unknown', 'cancelled')),
    attempts      int         NOT NULL DEFAULT 0,
    retry_at      timestamptz,                         -- a queued row waiting for a retry
    error         text        NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (broadcast_id, channel, chat_id)
) WITH (fillfactor = 70);  -- every row is rewritten two or three times: keep the new version on its page
-- Claiming reads the queued rows of a broadcast in order; finishing a
-- broadcast and recovering after a crash look for the rows in flight. The
-- index holds only those two states, so it stays as small as the work left.
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (broadcast_id, channel)
    WHERE state IN ('queued', 'sending');

CREATE TABLE opt_outs (
    channel  text        NOT NULL,
    chat_id  text        NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

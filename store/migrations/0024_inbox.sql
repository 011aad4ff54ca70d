-- Updates fetched by long polling are stored here before Telegram is told
-- (the getUpdates offset) that they arrived, so the next batch can be
-- fetched while these are handled; the engine deletes an update's row in
-- the transaction that handles it, and a restart handles what is left.
-- The update (it may hold a typed NIK) is sealed with the data key.
CREATE TABLE inbox (
    channel     text        NOT NULL,
    update_id   text        NOT NULL,
    seq         bigserial,
    event       bytea       NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (channel, update_id)
);
CREATE INDEX inbox_order ON inbox (channel, seq);

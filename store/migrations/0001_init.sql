-- Conversation state, exactly-once inbound, the outbox, and self-registration.

CREATE TABLE sessions (
    channel     text        NOT NULL,
    chat_id     text        NOT NULL,
    user_id     text        NOT NULL DEFAULT '',
    flow        text        NOT NULL DEFAULT '',
    state       text        NOT NULL DEFAULT '',
    lang        text        NOT NULL DEFAULT '',
    pending     text        NOT NULL DEFAULT '',
    data        bytea,                      -- answers, sealed (AES-256-GCM)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, chat_id)
) WITH (fillfactor = 70);  -- room for HOT updates: a session is rewritten on every message

CREATE TABLE processed_updates (
    channel    text        NOT NULL,
    update_id  text        NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, update_id)
);
-- Pruned by seen_at with a periodic scan: no index to maintain on every message.

CREATE TABLE outbox (
    id          bigserial   PRIMARY KEY,
    channel     text        NOT NULL,
    chat_id     text        NOT NULL,
    payload     json        NOT NULL,   -- a flows.Reply; json, not jsonb: written once, read whole
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    attempts    int         NOT NULL DEFAULT 0,
    last_error  text        NOT NULL DEFAULT ''
);
CREATE INDEX outbox_unsent ON outbox (channel, id) WHERE sent_at IS NULL;

CREATE TABLE consents (
    id            bigserial   PRIMARY KEY,
    channel       text        NOT NULL,
    chat_id       text        NOT NULL,
    user_id       text        NOT NULL,
    text_version  text        NOT NULL,
    update_id     text        NOT NULL DEFAULT '',
    given_at      timestamptz NOT NULL,
    withdrawn_at  timestamptz
);
CREATE INDEX consents_chat ON consents (channel, chat_id);

CREATE TABLE registrations (
    id                bigserial   PRIMARY KEY,
    ref               text        NOT NULL UNIQUE,
    channel           text        NOT NULL,
    chat_id           text        NOT NULL,
    consent_id        bigint      REFERENCES consents (id),
    nik_sealed        bytea,
    nik_hash          bytea,
    phone_sealed      bytea,
    phone_hash        bytea,
    name              text        NOT NULL DEFAULT '',
    birth_date        date,
    female            boolean,
    province          text        NOT NULL DEFAULT '',
    regency           text        NOT NULL DEFAULT '',
    district          text        NOT NULL DEFAULT '',
    village           text        NOT NULL DEFAULT '',
    occupation        text        NOT NULL DEFAULT '',
    occupation_other  text        NOT NULL DEFAULT '',
    income_bracket    int         NOT NULL DEFAULT 0,
    income_base       bigint      NOT NULL DEFAULT 0,
    jht               boolean     NOT NULL DEFAULT false,
    monthly_iuran     bigint      NOT NULL DEFAULT 0,
    status            text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz
);
CREATE UNIQUE INDEX registrations_nik ON registrations (nik_hash) WHERE nik_hash IS NOT NULL;
CREATE INDEX registrations_phone ON registrations (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX registrations_chat ON registrations (channel, chat_id);

CREATE TABLE audit_log (
    id       bigserial   PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor    text        NOT NULL,   -- "channel:user_id" of whoever acted
    action   text        NOT NULL,
    subject  text        NOT NULL DEFAULT '',
    detail   text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Agents (ketua RT/RW, village staff, Perisai…) who register and pay for
-- residents; admins added in chat; agents' statements of a resident's
-- consent; and the linking of a resident's own chat to a registration an
-- agent made (single-use codes, failed attempts counted against probing).

CREATE TABLE agents (
    id            bigserial   PRIMARY KEY,
    channel       text        NOT NULL,
    user_id       text        NOT NULL,
    chat_id       text        NOT NULL,              -- where the agent is told things
    role          text        NOT NULL,
    nik_sealed    bytea       NOT NULL,
    nik_hash      bytea       NOT NULL UNIQUE,
    phone_sealed  bytea,
    phone_hash    bytea,
    name          text        NOT NULL,
    village       text        NOT NULL DEFAULT '',
    rt            text        NOT NULL DEFAULT '',
    rw            text        NOT NULL DEFAULT '',
    institution   text        NOT NULL DEFAULT '',
    consent_id    bigint      REFERENCES consents (id),
    status        text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    reason        text        NOT NULL DEFAULT '',   -- why rejected or suspended
    decided_by    text        NOT NULL DEFAULT '',   -- channel:user_id of the admin
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (channel, user_id)
);

-- Admins added in chat; the environment's admins are configuration, not rows.
CREATE TABLE admins (
    channel   text        NOT NULL,
    user_id   text        NOT NULL,
    added_by  text        NOT NULL,
    added_at  timestamptz NOT NULL,
    PRIMARY KEY (channel, user_id)
);

-- An agent's statement that a resident agreed to the processing of their data.
CREATE TABLE attestations (
    id            bigserial   PRIMARY KEY,
    agent_id      bigint      NOT NULL REFERENCES agents (id),
    text_version  text        NOT NULL,
    update_id     text        NOT NULL DEFAULT '',
    given_at      timestamptz NOT NULL
);

-- A registration made by an agent has no chat (channel = '', chat_id = '')
-- until the resident links their own.
ALTER TABLE registrations
    ADD COLUMN agent_id           bigint REFERENCES agents (id),
    ADD COLUMN attestation_id     bigint REFERENCES attestations (id),
    ADD COLUMN claimed_at         timestamptz,
    ADD COLUMN agent_reminded_at  timestamptz;
CREATE INDEX registrations_agent ON registrations (agent_id, id) WHERE agent_id IS NOT NULL;

-- The agent who paid (payer_kind 'agent'): what they collected is summed by it.
ALTER TABLE payments ADD COLUMN agent_id bigint REFERENCES agents (id);
CREATE INDEX payments_agent ON payments (agent_id, paid_at) WHERE agent_id IS NOT NULL;

-- Only the keyed hash of a code is kept (vault.Hash("claim", code)).
CREATE TABLE claim_codes (
    code_hash        bytea       PRIMARY KEY,
    registration_id  bigint      NOT NULL REFERENCES registrations (id),
    agent_id         bigint      NOT NULL REFERENCES agents (id),
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    used_by          text        NOT NULL DEFAULT ''   -- channel:chat_id that spent it, or 'replaced'
);
CREATE INDEX claim_codes_unused ON claim_codes (registration_id) WHERE used_at IS NULL;

CREATE TABLE claim_failures (
    id        bigserial   PRIMARY KEY,
    channel   text        NOT NULL,
    chat_id   text        NOT NULL,
    nik_hash  bytea,                      -- NULL when no NIK was given (a bad link)
    reason    text        NOT NULL,
    at        timestamptz NOT NULL
);
CREATE INDEX claim_failures_chat ON claim_failures (channel, chat_id, at);
CREATE INDEX claim_failures_nik ON claim_failures (nik_hash, at);

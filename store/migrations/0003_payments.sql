-- Payments: who pays what for which registrations, every state change as an
-- event, and the coverage a settled payment gives.

CREATE TABLE payments (
    id            bigserial   PRIMARY KEY,
    order_id      text        NOT NULL UNIQUE,
    provider      text        NOT NULL,
    payer_kind    text        NOT NULL CHECK (payer_kind IN ('worker', 'agent', 'sponsor')),
    payer_ref     text        NOT NULL,              -- channel:chat of a worker or agent, a sponsor's name
    method        text        NOT NULL,
    amount        bigint      NOT NULL CHECK (amount > 0),
    status        text        NOT NULL,              -- pending, paid, expired, cancelled, failed, refunded
    flag          text        NOT NULL DEFAULT '',   -- why an admin must look: amount_mismatch, refunded
    va_number     text        NOT NULL DEFAULT '',
    biller_code   text        NOT NULL DEFAULT '',
    provider_ref  text        NOT NULL DEFAULT '',
    expires_at    timestamptz,
    paid_at       timestamptz,
    applied_at    timestamptz,                       -- coverage extended (once)
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';
CREATE INDEX payments_flagged ON payments (updated_at) WHERE flag <> '';

CREATE TABLE payment_items (
    payment_id       bigint NOT NULL REFERENCES payments (id),
    registration_id  bigint NOT NULL REFERENCES registrations (id),
    months           int    NOT NULL CHECK (months IN (1, 3, 6, 12)),
    jkk              bigint NOT NULL,
    jkm              bigint NOT NULL,
    jht              bigint NOT NULL,
    discount         bigint NOT NULL DEFAULT 0,
    amount           bigint NOT NULL,
    PRIMARY KEY (payment_id, registration_id)
);
CREATE INDEX payment_items_registration ON payment_items (registration_id);

-- Append-only: nothing updates or deletes these rows.
CREATE TABLE payment_events (
    id          bigserial   PRIMARY KEY,
    payment_id  bigint      NOT NULL REFERENCES payments (id),
    at          timestamptz NOT NULL,
    kind        text        NOT NULL,   -- created, notification, applied, flagged, ignored
    status      text        NOT NULL DEFAULT '',
    amount      bigint,
    detail      text        NOT NULL DEFAULT '',
    raw         bytea                   -- the provider's body as received
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

ALTER TABLE registrations
    ADD COLUMN covered_from date,
    ADD COLUMN covered_to   date,
    ADD COLUMN kpj          text NOT NULL DEFAULT '';

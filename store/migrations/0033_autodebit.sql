-- 0033: auto-debit (bayar otomatis): a worker's GoPay account linked through
-- Midtrans' GoPay Tokenization and charged monthly by a Midtrans
-- subscription. Each charge is an ordinary row of payments (its order id is
-- Midtrans' own, "SUBS-…"), applied exactly once like every payment.
CREATE TABLE autodebits (
    id               bigserial   PRIMARY KEY,
    registration_id  bigint      NOT NULL REFERENCES registrations (id),
    channel          text        NOT NULL,               -- the worker's own chat, which linked the account and is told
    chat_id          text        NOT NULL,
    provider         text        NOT NULL,
    account_id       text        NOT NULL,
    account_status   text        NOT NULL CHECK (account_status IN ('PENDING', 'ENABLED', 'EXPIRED', 'DISABLED')),
    token            text        NOT NULL DEFAULT '',    -- the GoPay wallet's payment option token, once ENABLED
    subscription_id  text        UNIQUE,                 -- Midtrans', once created
    amount           bigint      NOT NULL DEFAULT 0 CHECK (amount >= 0),
    charge_day       int         CHECK (charge_day BETWEEN 1 AND 28),
    first_charge     timestamptz,
    status           text        NOT NULL CHECK (status IN ('linking', 'confirming', 'active', 'paused', 'stopped')),
    failures         int         NOT NULL DEFAULT 0,     -- failed charges in a row (each order counted once)
    stop_reason      text        NOT NULL DEFAULT '',    -- worker, unbound, expired, erased
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- One auto-debit in force per registration.
CREATE UNIQUE INDEX autodebits_live ON autodebits (registration_id) WHERE status <> 'stopped';
CREATE INDEX autodebits_account ON autodebits (account_id);
CREATE INDEX autodebits_chat ON autodebits (channel, chat_id) WHERE status <> 'stopped';

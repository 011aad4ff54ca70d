-- 0029: how an admin resolved a flagged payment (the dashboard's Pembayaran
-- page). A resolution is a note on the flag: it never changes the payment's
-- status nor anyone's coverage. Every resolution is kept (append-only, like
-- payment_events, which also gets a "resolved" event).

CREATE TABLE payment_resolutions (
    id           bigserial   PRIMARY KEY,
    payment_id   bigint      NOT NULL REFERENCES payments (id),
    flag         text        NOT NULL,   -- the flag resolved: amount_mismatch, paid_twice, erased, refunded
    resolution   text        NOT NULL CHECK (resolution IN ('refunded', 'carried_over', 'other')),
    note         text        NOT NULL CHECK (note <> ''),
    resolved_by  text        NOT NULL,   -- channel:user_id, as the audit log names people
    resolved_at  timestamptz NOT NULL
);
CREATE INDEX payment_resolutions_payment ON payment_resolutions (payment_id, id);
CREATE INDEX payment_resolutions_at ON payment_resolutions (resolved_at);

-- The resolution of the payment's current flag; none while it is open.
ALTER TABLE payments ADD COLUMN resolution_id bigint REFERENCES payment_resolutions (id);

-- The open flagged payments, oldest first, are what the page lists first.
CREATE INDEX payments_flag_open ON payments (updated_at, id) WHERE flag <> '' AND resolution_id IS NULL;

-- A day's settlements (the page, and `lindungi payments report`) by the
-- time the money arrived.
CREATE INDEX payments_settled ON payments (paid_at) WHERE applied_at IS NOT NULL;

-- A flag that changes (raised anew, cleared, replaced by another) is no
-- longer the one resolved: the payment is open again when it has a flag.
CREATE FUNCTION payments_flag_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.flag IS DISTINCT FROM OLD.flag THEN
        NEW.resolution_id := NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER payments_flag_changed BEFORE UPDATE OF flag ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_flag_changed();

-- Tabungan iuran: a registration's savings balance for its contribution.
--
-- A top-up is a payment (a payment code for the amount the worker chose)
-- whose savings_registration_id names the registration it saves for; it has
-- no payment_items, since it buys no months by itself. Its settlement
-- credits the ledger once; a month bought from the balance is an entry of
-- its own. The balance of a registration is the sum of its entries.
ALTER TABLE payments ADD COLUMN savings_registration_id bigint REFERENCES registrations (id);
CREATE INDEX payments_savings ON payments (savings_registration_id) WHERE savings_registration_id IS NOT NULL;

-- Append-only (a trigger refuses UPDATE and DELETE). Amounts in Rupiah:
-- a top-up adds, a month bought or a refund due takes away.
CREATE TABLE savings_entries (
    id               bigserial   PRIMARY KEY,
    registration_id  bigint      NOT NULL REFERENCES registrations (id),
    at               timestamptz NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('topup', 'month', 'refund')),
    amount           bigint      NOT NULL CHECK (amount <> 0),
    -- topup: the top-up credited; month: the top-up whose settlement bought
    -- it (NULL when bought at a reminder); refund: the top-up flagged for
    -- an admin to refund the balance from.
    payment_id       bigint      REFERENCES payments (id),
    -- month: the period bought, and its price's parts.
    covered_from     date,
    covered_to       date,
    jkk              bigint,
    jkm              bigint,
    jht              bigint,
    discount         bigint,
    CHECK ((kind = 'topup') = (amount > 0)),
    CHECK (kind = 'month' OR payment_id IS NOT NULL),
    CHECK (kind <> 'month' OR (covered_from IS NOT NULL AND covered_to IS NOT NULL))
);
CREATE INDEX savings_entries_registration ON savings_entries (registration_id, id);
-- A top-up is credited once; one period is bought once.
CREATE UNIQUE INDEX savings_topup_once ON savings_entries (payment_id) WHERE kind = 'topup';
CREATE UNIQUE INDEX savings_month_once ON savings_entries (registration_id, covered_from) WHERE kind = 'month';

CREATE FUNCTION savings_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'savings_entries is append-only';
END $$;
CREATE TRIGGER savings_entries_append_only BEFORE UPDATE OR DELETE ON savings_entries
    FOR EACH ROW EXECUTE FUNCTION savings_entries_append_only();

-- Coarser rollups for the overview (Ringkasan), so that it reads tens of
-- thousands of rows at a million registrations, not hundreds of thousands:
--
--   registration_areas    live registrations by kabupaten/kota, kecamatan,
--                         status and last covered day;
--   registration_sources  the same by kabupaten/kota and source;
--   registration_hours    registrations made per hour and kabupaten/kota;
--   payment_hours         settled payments per hour and kabupaten/kota.
--
-- A coverage that ended long ago only ever counts as ended, whatever its day,
-- so the folded rows of last covered days before rollup_horizon.ended_before
-- are kept on one day, endedLongAgo ('0001-01-02'). FoldRollups moves the
-- horizon forward with the clock, keeping it a month behind the earliest day
-- still in arrears; an overview of a day whose arrears reach before the
-- horizon counts from the registrations instead. Deltas keep exact days.
--
-- Registrations, payments and their items are locked while the rollups are
-- rebuilt: the deltas appended by a concurrent writer are dropped below, and
-- its rows must then be in the backfill.
LOCK TABLE registrations, payments, payment_items IN SHARE MODE;

DROP TABLE registration_counts, registration_hours, payment_hours;

CREATE TABLE registration_areas (
    regency     text    NOT NULL,
    district    text    NOT NULL,
    status      text    NOT NULL,
    covered_to  date    NOT NULL,   -- '0001-01-01' never covered, '0001-01-02' ended long ago
    n           bigint  NOT NULL,
    PRIMARY KEY (regency, district, status, covered_to)
);

CREATE TABLE registration_sources (
    regency     text    NOT NULL,
    source      text    NOT NULL,
    covered_to  date    NOT NULL,   -- as registration_areas
    n           bigint  NOT NULL,
    PRIMARY KEY (regency, source, covered_to)
);

CREATE TABLE registration_hours (
    hour     timestamptz NOT NULL,
    regency  text        NOT NULL,
    n        bigint      NOT NULL,
    PRIMARY KEY (hour, regency)
);

-- Settled payments (paid, not refunded) by hour paid and kabupaten/kota of
-- the registration paid for.
CREATE TABLE payment_hours (
    hour     timestamptz NOT NULL,
    regency  text        NOT NULL,
    n        bigint      NOT NULL,   -- items (registrations paid for)
    amount   bigint      NOT NULL,   -- Rupiah
    PRIMARY KEY (hour, regency)
);

-- One row: folded last covered days before ended_before (other than never)
-- are kept as '0001-01-02'.
CREATE TABLE rollup_horizon (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    ended_before  date    NOT NULL
);
INSERT INTO rollup_horizon (ended_before) VALUES ('0001-01-02');   -- nothing yet

-- Deltas: 'count' rows keep (regency, district, source, status, covered_to),
-- which FoldRollups splits into areas and sources; 'hour' and 'pay' rows
-- no longer carry a source, provider or method.
CREATE OR REPLACE FUNCTION registrations_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO rollup_deltas (kind, regency, district, source, status, day, n)
        SELECT 'count', regency, district, registration_source(channel, agent_id, sponsor_batch_id), status,
            coalesce(covered_to, '0001-01-01'), -count(*)
        FROM old_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4, 5, 6;
        INSERT INTO rollup_deltas (kind, regency, hour, n)
        SELECT 'hour', regency, date_trunc('hour', created_at, 'UTC'), -count(*)
        FROM old_rows WHERE deleted_at IS NULL GROUP BY 2, 3;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO rollup_deltas (kind, regency, district, source, status, day, n)
        SELECT 'count', regency, district, registration_source(channel, agent_id, sponsor_batch_id), status,
            coalesce(covered_to, '0001-01-01'), count(*)
        FROM new_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4, 5, 6;
        INSERT INTO rollup_deltas (kind, regency, hour, n)
        SELECT 'hour', regency, date_trunc('hour', created_at, 'UTC'), count(*)
        FROM new_rows WHERE deleted_at IS NULL GROUP BY 2, 3;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- A registration moved to another kabupaten/kota (a correction)
        -- takes its settled payments with it.
        INSERT INTO rollup_deltas (kind, regency, hour, n, m)
        SELECT 'pay', x.regency, date_trunc('hour', p.paid_at, 'UTC'), sum(x.sign), sum(x.sign * i.amount)
        FROM old_rows o JOIN new_rows nw ON nw.id = o.id AND nw.regency IS DISTINCT FROM o.regency
            CROSS JOIN LATERAL (VALUES (o.regency, -1), (nw.regency, 1)) AS x (regency, sign)
            JOIN payment_items i ON i.registration_id = o.id JOIN payments p ON p.id = i.payment_id
        WHERE p.status = 'paid' AND p.paid_at IS NOT NULL
        GROUP BY 2, 3;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION payments_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO rollup_deltas (kind, regency, hour, n, m)
        SELECT 'pay', r.regency, date_trunc('hour', o.paid_at, 'UTC'), -count(*), -sum(i.amount)
        FROM old_rows o JOIN new_rows nw ON nw.id = o.id
            JOIN payment_items i ON i.payment_id = o.id JOIN registrations r ON r.id = i.registration_id
        WHERE o.status = 'paid' AND o.paid_at IS NOT NULL
            AND (nw.status IS DISTINCT FROM o.status OR nw.paid_at IS DISTINCT FROM o.paid_at)
        GROUP BY 2, 3;
        INSERT INTO rollup_deltas (kind, regency, hour, n, m)
        SELECT 'pay', r.regency, date_trunc('hour', nw.paid_at, 'UTC'), count(*), sum(i.amount)
        FROM new_rows nw JOIN old_rows o ON o.id = nw.id
            JOIN payment_items i ON i.payment_id = nw.id JOIN registrations r ON r.id = i.registration_id
        WHERE nw.status = 'paid' AND nw.paid_at IS NOT NULL
            AND (nw.status IS DISTINCT FROM o.status OR nw.paid_at IS DISTINCT FROM o.paid_at)
        GROUP BY 2, 3;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION payment_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rollup_deltas (kind, regency, hour, n, m)
    SELECT 'pay', r.regency, date_trunc('hour', p.paid_at, 'UTC'), count(*), sum(i.amount)
    FROM new_rows i JOIN payments p ON p.id = i.payment_id JOIN registrations r ON r.id = i.registration_id
    WHERE p.status = 'paid' AND p.paid_at IS NOT NULL
    GROUP BY 2, 3;
    RETURN NULL;
END $$;

-- What is there already, exactly (the next FoldRollups moves the horizon);
-- the deltas not yet folded are in it, the funnel's stay.
DELETE FROM rollup_deltas WHERE kind IN ('count', 'hour', 'pay');
INSERT INTO registration_areas (regency, district, status, covered_to, n)
SELECT regency, district, status, coalesce(covered_to, '0001-01-01'), count(*)
FROM registrations WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4;
INSERT INTO registration_sources (regency, source, covered_to, n)
SELECT regency, registration_source(channel, agent_id, sponsor_batch_id), coalesce(covered_to, '0001-01-01'), count(*)
FROM registrations WHERE deleted_at IS NULL GROUP BY 1, 2, 3;
INSERT INTO registration_hours (hour, regency, n)
SELECT date_trunc('hour', created_at, 'UTC'), regency, count(*)
FROM registrations WHERE deleted_at IS NULL GROUP BY 1, 2;
INSERT INTO payment_hours (hour, regency, n, amount)
SELECT date_trunc('hour', p.paid_at, 'UTC'), r.regency, count(*), sum(i.amount)
FROM payments p JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id
WHERE p.status = 'paid' AND p.paid_at IS NOT NULL GROUP BY 1, 2;

-- The staff dashboard (/admin/): sign-in links, sessions and roles, and the
-- rollups its overview reads instead of scanning registrations.

CREATE TABLE staff_links (
    token_hash  bytea       PRIMARY KEY,          -- sha256 of the link's secret
    actor       text        NOT NULL,             -- channel:user_id of the staff member
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX staff_links_created ON staff_links (created_at);

CREATE TABLE staff_sessions (
    id_hash     bytea       PRIMARY KEY,          -- sha256 of the cookie's secret
    actor       text        NOT NULL,
    csrf        text        NOT NULL,
    lang        text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX staff_sessions_seen ON staff_sessions (seen_at);

-- Roles given on the dashboard; LINDUNGI_ADMINS and chat admins are admins.
CREATE TABLE staff_roles (
    actor       text        PRIMARY KEY,
    role        text        NOT NULL CHECK (role IN ('admin', 'staf', 'supervisor', 'sponsor')),
    regencies   text[]      NOT NULL DEFAULT '{}', -- supervisor: dotted kabupaten/kota codes
    batches     bigint[]    NOT NULL DEFAULT '{}', -- sponsor: sponsor_batches ids
    note        text        NOT NULL DEFAULT '',
    granted_by  text        NOT NULL,
    granted_at  timestamptz NOT NULL
);

CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_subject ON audit_log (subject, at) WHERE subject <> '';

-- Where a registration came from, as the overview splits them.
CREATE FUNCTION registration_source(channel text, agent_id bigint, sponsor_batch_id bigint) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN sponsor_batch_id IS NOT NULL THEN 'import' WHEN agent_id IS NOT NULL THEN 'agent'
        WHEN channel = '' THEN 'agent' ELSE channel END $$;

-- registration_counts: live registrations by region, source, status and
-- last covered day; registration_hours: registrations made per hour. Both
-- are sums of their rows plus the rows of rollup_deltas, which triggers
-- append (never update, so concurrent registrations never wait on each
-- other) and a job folds in (FoldRollups).
CREATE TABLE registration_counts (
    regency     text    NOT NULL,
    district    text    NOT NULL,
    source      text    NOT NULL,
    status      text    NOT NULL,
    covered_to  date    NOT NULL DEFAULT '0001-01-01',   -- never covered
    n           bigint  NOT NULL,
    PRIMARY KEY (regency, district, source, status, covered_to)
);

CREATE TABLE registration_hours (
    hour     timestamptz NOT NULL,
    regency  text        NOT NULL,
    source   text        NOT NULL,
    n        bigint      NOT NULL,
    PRIMARY KEY (hour, regency, source)
);

-- Settled payments (paid, not refunded) by hour paid, kabupaten/kota of the
-- registration paid for, and channel (the payment's provider and method).
CREATE TABLE payment_hours (
    hour      timestamptz NOT NULL,
    regency   text        NOT NULL,
    provider  text        NOT NULL,
    method    text        NOT NULL,
    n         bigint      NOT NULL,   -- items (registrations paid for)
    amount    bigint      NOT NULL,   -- Rupiah
    PRIMARY KEY (hour, regency, provider, method)
);

-- The registration funnel: by the week a conversation started (Monday, in
-- the deployment's zone), how many reached each step, how many stopped
-- there (their furthest step so far), and the errors at it.
CREATE TABLE funnel_counts (
    week     date    NOT NULL,
    step     text    NOT NULL,
    error    text    NOT NULL DEFAULT '',   -- '' for the reached/stopped row
    reached  bigint  NOT NULL DEFAULT 0,
    stopped  bigint  NOT NULL DEFAULT 0,
    errors   bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (week, step, error)
);

CREATE TABLE rollup_deltas (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL,   -- count, hour, pay, funnel
    regency     text        NOT NULL DEFAULT '',
    district    text        NOT NULL DEFAULT '',
    source      text        NOT NULL DEFAULT '',   -- count, hour; provider for pay; step for funnel
    status      text        NOT NULL DEFAULT '',   -- count; method for pay; error for funnel
    day         date,                              -- covered_to for count; week for funnel
    hour        timestamptz,
    n           bigint      NOT NULL DEFAULT 0,    -- funnel: reached
    m           bigint      NOT NULL DEFAULT 0,    -- pay: amount; funnel: stopped
    e           bigint      NOT NULL DEFAULT 0     -- funnel: errors
);

CREATE FUNCTION registrations_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO rollup_deltas (kind, regency, district, source, status, day, n)
        SELECT 'count', regency, district, registration_source(channel, agent_id, sponsor_batch_id), status,
            coalesce(covered_to, '0001-01-01'), -count(*)
        FROM old_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4, 5, 6;
        INSERT INTO rollup_deltas (kind, regency, source, hour, n)
        SELECT 'hour', regency, registration_source(channel, agent_id, sponsor_batch_id), date_trunc('hour', created_at, 'UTC'), -count(*)
        FROM old_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO rollup_deltas (kind, regency, district, source, status, day, n)
        SELECT 'count', regency, district, registration_source(channel, agent_id, sponsor_batch_id), status,
            coalesce(covered_to, '0001-01-01'), count(*)
        FROM new_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4, 5, 6;
        INSERT INTO rollup_deltas (kind, regency, source, hour, n)
        SELECT 'hour', regency, registration_source(channel, agent_id, sponsor_batch_id), date_trunc('hour', created_at, 'UTC'), count(*)
        FROM new_rows WHERE deleted_at IS NULL GROUP BY 2, 3, 4;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- A registration moved to another kabupaten/kota (a correction)
        -- takes its settled payments with it.
        INSERT INTO rollup_deltas (kind, regency, source, status, hour, n, m)
        SELECT 'pay', x.regency, p.provider, p.method, date_trunc('hour', p.paid_at, 'UTC'), sum(x.sign), sum(x.sign * i.amount)
        FROM old_rows o JOIN new_rows nw ON nw.id = o.id AND nw.regency IS DISTINCT FROM o.regency
            CROSS JOIN LATERAL (VALUES (o.regency, -1), (nw.regency, 1)) AS x (regency, sign)
            JOIN payment_items i ON i.registration_id = o.id JOIN payments p ON p.id = i.payment_id
        WHERE p.status = 'paid' AND p.paid_at IS NOT NULL
        GROUP BY 2, 3, 4, 5;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER registrations_rollup_insert AFTER INSERT ON registrations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION registrations_rollup();
CREATE TRIGGER registrations_rollup_update AFTER UPDATE ON registrations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION registrations_rollup();
CREATE TRIGGER registrations_rollup_delete AFTER DELETE ON registrations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION registrations_rollup();

-- A payment counts while its status is paid, at its paid_at hour, split
-- over its items' registrations.
CREATE FUNCTION payments_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO rollup_deltas (kind, regency, source, status, hour, n, m)
        SELECT 'pay', r.regency, o.provider, o.method, date_trunc('hour', o.paid_at, 'UTC'), -count(*), -sum(i.amount)
        FROM old_rows o JOIN new_rows nw ON nw.id = o.id
            JOIN payment_items i ON i.payment_id = o.id JOIN registrations r ON r.id = i.registration_id
        WHERE o.status = 'paid' AND o.paid_at IS NOT NULL
            AND (nw.status IS DISTINCT FROM o.status OR nw.paid_at IS DISTINCT FROM o.paid_at)
        GROUP BY 2, 3, 4, 5;
        INSERT INTO rollup_deltas (kind, regency, source, status, hour, n, m)
        SELECT 'pay', r.regency, nw.provider, nw.method, date_trunc('hour', nw.paid_at, 'UTC'), count(*), sum(i.amount)
        FROM new_rows nw JOIN old_rows o ON o.id = nw.id
            JOIN payment_items i ON i.payment_id = nw.id JOIN registrations r ON r.id = i.registration_id
        WHERE nw.status = 'paid' AND nw.paid_at IS NOT NULL
            AND (nw.status IS DISTINCT FROM o.status OR nw.paid_at IS DISTINCT FROM o.paid_at)
        GROUP BY 2, 3, 4, 5;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER payments_rollup_update AFTER UPDATE ON payments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payments_rollup();

-- Items added to a payment settled already (a sponsor's transfer is stored
-- paid, its items after it) count at once.
CREATE FUNCTION payment_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rollup_deltas (kind, regency, source, status, hour, n, m)
    SELECT 'pay', r.regency, p.provider, p.method, date_trunc('hour', p.paid_at, 'UTC'), count(*), sum(i.amount)
    FROM new_rows i JOIN payments p ON p.id = i.payment_id JOIN registrations r ON r.id = i.registration_id
    WHERE p.status = 'paid' AND p.paid_at IS NOT NULL
    GROUP BY 2, 3, 4, 5;
    RETURN NULL;
END $$;

CREATE TRIGGER payment_items_rollup_insert AFTER INSERT ON payment_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_items_rollup();

-- What is there already.
INSERT INTO registration_counts (regency, district, source, status, covered_to, n)
SELECT regency, district, registration_source(channel, agent_id, sponsor_batch_id), status, coalesce(covered_to, '0001-01-01'), count(*)
FROM registrations WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5;
INSERT INTO registration_hours (hour, regency, source, n)
SELECT date_trunc('hour', created_at, 'UTC'), regency, registration_source(channel, agent_id, sponsor_batch_id), count(*)
FROM registrations WHERE deleted_at IS NULL GROUP BY 1, 2, 3;
INSERT INTO payment_hours (hour, regency, provider, method, n, amount)
SELECT date_trunc('hour', p.paid_at, 'UTC'), r.regency, p.provider, p.method, count(*), sum(i.amount)
FROM payments p JOIN payment_items i ON i.payment_id = p.id JOIN registrations r ON r.id = i.registration_id
WHERE p.status = 'paid' AND p.paid_at IS NOT NULL GROUP BY 1, 2, 3, 4;

-- A registration's page lists its reminders.
CREATE INDEX jobs_remind_ref ON jobs ((payload->>'ref'), run_at) WHERE kind = 'remind';

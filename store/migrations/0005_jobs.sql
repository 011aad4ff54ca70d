-- Scheduled work (reminders now; invoice expiry, reconciliation and nudges
-- later): polled with FOR UPDATE SKIP LOCKED, so it survives restarts and runs
-- once with several processes; the key makes a job unique (never two
-- reminders for one due date).
CREATE TABLE jobs (
    id          bigserial   PRIMARY KEY,
    kind        text        NOT NULL,
    key         text        NOT NULL UNIQUE,
    run_at      timestamptz NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}',
    attempts    int         NOT NULL DEFAULT 0,
    last_error  text        NOT NULL DEFAULT '',
    done_at     timestamptz,
    outcome     text        NOT NULL DEFAULT ''
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;

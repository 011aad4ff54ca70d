-- 0031: sponsors' lists uploaded on the dashboard (Impor): the file (sealed
-- with the data key: it holds NIKs and phone numbers), the batch it is
-- for, its dry run's report and, once an admin confirmed it, its import's
-- progress and result. The file goes when the import is done.
CREATE TABLE dashboard_imports (
    id             bigserial   PRIMARY KEY,
    created_by     text        NOT NULL,             -- channel:user_id of the admin who uploaded it
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    file_name      text        NOT NULL,
    file_sha256    text        NOT NULL,             -- hex, of the file as uploaded
    file_size      bigint      NOT NULL CHECK (file_size BETWEEN 1 AND 20971520),
    file_sealed    bytea,                            -- the file, sealed; NULL once imported
    lang           text        NOT NULL,             -- the reports' language
    -- The batch it fills (sponsor_batches is keyed by sponsor and file_sha256).
    sponsor        text        NOT NULL,
    public_funds   boolean     NOT NULL,             -- APBN/APBD pay JKK and JKM: full price
    jht            boolean     NOT NULL,
    months         int         NOT NULL CHECK (months IN (1, 3, 6, 12)),
    start_date     date,                             -- NULL: the day after payment
    status         text        NOT NULL CHECK (status IN ('checked', 'running', 'done', 'failed')),
    -- The dry run.
    rows_read      int         NOT NULL,
    rows_valid     int         NOT NULL,
    report         bytea       NOT NULL,             -- CSV: line, column, reason of each row refused
    -- The import.
    started_by     text        NOT NULL DEFAULT '',
    started_at     timestamptz,
    runs           int         NOT NULL DEFAULT 0,   -- a resume after a crash adds one
    rows_done      int         NOT NULL DEFAULT 0,   -- rows read by the running import
    batch_id       bigint      REFERENCES sponsor_batches (id),
    imported       int         NOT NULL DEFAULT 0,
    attached       int         NOT NULL DEFAULT 0,
    active         int         NOT NULL DEFAULT 0,
    other          int         NOT NULL DEFAULT 0,
    rejected       int         NOT NULL DEFAULT 0,
    result_report  bytea,                            -- CSV of the rows not imported, after the import
    finished_at    timestamptz,
    error          text        NOT NULL DEFAULT '',
    CHECK (status <> 'done' OR (batch_id IS NOT NULL AND file_sealed IS NULL)),
    CHECK (status = 'done' OR file_sealed IS NOT NULL)
);
CREATE INDEX dashboard_imports_running ON dashboard_imports (id) WHERE status = 'running';
CREATE INDEX dashboard_imports_batch ON dashboard_imports (batch_id) WHERE batch_id IS NOT NULL;

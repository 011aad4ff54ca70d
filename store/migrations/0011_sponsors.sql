-- Sponsored enrolment: a sponsor's list of vulnerable workers (a local
-- government under a cooperation agreement, a village fund, a company's CSR)
-- imported in one batch, paid by the sponsor, claimed by each worker in chat.

CREATE TABLE sponsor_batches (
    id           bigserial   PRIMARY KEY,
    sponsor      text        NOT NULL,
    file_name    text        NOT NULL,
    file_sha256  text        NOT NULL,              -- the same file again is the same batch
    jht          boolean     NOT NULL DEFAULT false,
    months       int         NOT NULL CHECK (months IN (1, 3, 6, 12)),
    start_date   date,                              -- the agreement's start; NULL: the day after payment
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz,                       -- the import ran to the end of the file
    rows_read    int         NOT NULL DEFAULT 0,
    imported     int         NOT NULL DEFAULT 0,
    attached     int         NOT NULL DEFAULT 0,    -- registered earlier, unpaid: the sponsorship was attached
    rejected     int         NOT NULL DEFAULT 0,
    payment_ref  text        NOT NULL DEFAULT '',   -- an external payment (APBD transfer reference)
    paid_at      timestamptz,
    claim_token  text        UNIQUE,                -- the poster's link: t.me/<bot>?start=sponsor-<token>
    UNIQUE (sponsor, file_sha256)
);

ALTER TABLE registrations ADD COLUMN sponsor_batch_id bigint REFERENCES sponsor_batches (id);
CREATE INDEX registrations_sponsor ON registrations (sponsor_batch_id, id) WHERE sponsor_batch_id IS NOT NULL;

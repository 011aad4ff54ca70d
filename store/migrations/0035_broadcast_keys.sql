-- 0035: a broadcast composed on the dashboard carries its form's key: the
-- same form sent twice (a double click, a resent request) is one broadcast.
ALTER TABLE broadcasts ADD COLUMN draft_key text;
CREATE UNIQUE INDEX broadcasts_draft_key ON broadcasts (created_by, draft_key) WHERE draft_key IS NOT NULL;

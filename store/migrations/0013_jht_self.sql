-- A sponsored worker may add JHT (old-age savings) at their own cost: the
-- sponsor keeps paying JKK and JKM only.
ALTER TABLE registrations ADD COLUMN jht_self boolean NOT NULL DEFAULT false;

-- A sponsored worker's own JHT lasts for the months they paid.
ALTER TABLE registrations ADD COLUMN jht_self_to date;

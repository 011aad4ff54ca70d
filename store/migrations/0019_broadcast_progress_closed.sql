-- A cancelled broadcast's progress message is edited once more (cancelled,
-- its buttons gone); this says it was, so it is done once, whenever the
-- cancel committed and whatever a round skipped.
ALTER TABLE broadcasts ADD COLUMN progress_closed_at timestamptz;
UPDATE broadcasts SET progress_closed_at = updated_at WHERE status = 'cancelled';

-- Who pays a sponsor's batch: APBN or APBD (public funds: JKK and JKM at
-- full price, PP 50/2025's discount does not apply) or anyone else. A batch
-- imported before the import asked keeps full price (NULL reads as public).
ALTER TABLE sponsor_batches ADD COLUMN public_funds boolean;

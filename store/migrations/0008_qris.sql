-- QRIS: the payload to draw as a QR code for the worker to scan.
ALTER TABLE payments ADD COLUMN qr_string text NOT NULL DEFAULT '';

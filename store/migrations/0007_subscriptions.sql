-- Langganan: the next invoice is made by itself a week before coverage ends.
ALTER TABLE registrations
    ADD COLUMN subscription_months int CHECK (subscription_months IN (1, 3, 6, 12)),
    ADD COLUMN subscription_method text;

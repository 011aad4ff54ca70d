-- A reply queued for a chat of a remote channel, by whatever process or
-- path (the chat itself, a payment, a reminder, a webhook process), is
-- announced by NOTIFY (sent on commit): the web chat's event streams of that
-- chat wake in every serve process, instead of every stream asking the
-- database twice a second, and the delivering process sends it at once.
-- The terminal delivers its own replies in-process.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lindungi_outbox', NEW.channel || ':' || NEW.chat_id);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH ROW WHEN (NEW.channel IN ('web', 'telegram', 'whatsapp')) EXECUTE FUNCTION outbox_notify();

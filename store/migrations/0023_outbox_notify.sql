-- A reply queued for a web chat, by whatever process or path (the chat
-- itself, a payment, a reminder, a broadcast), wakes that chat's event
-- streams in every serve process through NOTIFY (sent on commit), instead
-- of every stream asking the database twice a second. (Replies for the
-- channels a deliverer sends are announced by the statements that queue
-- them, and only by processes that do not deliver: store.AnnounceReplies.)
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lindungi_outbox', NEW.channel || ':' || NEW.chat_id);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH ROW WHEN (NEW.channel = 'web') EXECUTE FUNCTION outbox_notify();

-- The web chat's sessions: a cookie's secret is accepted only when the
-- server issued it, and is replaced when its chat takes over or erases a
-- record or gives its consent, so a planted cookie (session fixation)
-- leads nowhere. key is the hex of the first 16 bytes of SHA-256 of the
-- secret; the secret itself is never stored. A chat made from now on has a
-- random id, unrelated to its secret.
CREATE TABLE web_sessions (
    key        text        PRIMARY KEY,
    chat_id    text        NOT NULL,
    created_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_seen ON web_sessions (seen_at);
-- The chats of cookies issued before: their id was that key.
INSERT INTO web_sessions (key, chat_id, created_at, seen_at)
SELECT chat_id, chat_id, created_at, updated_at FROM sessions WHERE channel = 'web'
ON CONFLICT DO NOTHING;

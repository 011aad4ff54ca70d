package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"

	"github.com/lindungi/lindungi/origin"
)

// The cookie holds a secret of 32 bytes: 16 random ones and their HMAC with
// the session key, so the server knows the secrets it issued without
// storing them. The database keeps only a hash of the secret (the session
// key, sessionKey), mapped to the chat; a chat's id is random, unrelated to
// the secret, so a new secret can take a chat over (rotation) and the old
// one then leads nowhere.

// session is what a request's cookie resolved to.
type session struct {
	secret string
	chat   string
}

func (s *server) newSecret() string {
	var b [32]byte
	rand.Read(b[:16]) // never fails (crypto/rand panics instead)
	copy(b[16:], s.seal(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *server) seal(random []byte) []byte {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte("web-session\x00"))
	m.Write(random)
	return m.Sum(nil)[:16]
}

// issued reports a secret this server (or another process with the same
// key) made.
func (s *server) issued(secret string) bool {
	b, err := base64.RawURLEncoding.DecodeString(secret)
	return err == nil && len(b) == 32 && hmac.Equal(b[16:], s.seal(b[:16]))
}

func validSecret(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// sessionKey is what the database keeps of a secret: 32 hex digits of its
// SHA-256 (the id of the chats made before sessions were kept).
func sessionKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:16])
}

func newChatID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// transcriptTag names this browser's transcript in localStorage. It is
// derived apart from the chat id, so the page never shows the id the
// database and logs use.
func transcriptTag(secret string) string {
	sum := sha256.Sum256([]byte("transcript\x00" + secret))
	return hex.EncodeToString(sum[:8])
}

// secretOf returns the request's cookie secret, if it carries a well-formed one.
func (s *server) secretOf(r *http.Request) (string, bool) {
	c, err := r.Cookie(s.cookieName)
	if err != nil || !validSecret(c.Value) {
		return "", false
	}
	return c.Value, true
}

// resolve finds the chat of a secret: a live session's, or a new chat for a
// secret this server issued and nobody used yet. false for a secret it
// never issued (planted) or one replaced since (rotated away).
func (s *server) resolve(ctx context.Context, secret string) (string, bool, error) {
	key := sessionKey(secret)
	chat, ok, err := s.o.Sessions.WebChat(ctx, key)
	if err != nil || ok {
		return chat, ok, err
	}
	if !s.issued(secret) {
		return "", false, nil
	}
	chat, err = s.o.Sessions.OpenWebSession(ctx, key, newChatID())
	return chat, err == nil, err
}

// ensureCookie returns the browser's secret when this server issued it,
// else a new one, and (re)sets the cookie so it lives cookieMaxAge after
// the last visit. An unknown value is replaced, never adopted.
func (s *server) ensureCookie(w http.ResponseWriter, r *http.Request) (string, error) {
	secret, ok := s.secretOf(r)
	if ok && !s.issued(secret) {
		// A secret of the time before sessions were kept is known by its
		// session; anything else was not made here.
		_, known, err := s.o.Sessions.WebChat(r.Context(), sessionKey(secret))
		if err != nil {
			return "", err
		}
		ok = known
	}
	if !ok {
		secret = s.newSecret()
	}
	s.setCookie(w, secret)
	return secret, nil
}

func (s *server) setCookie(w http.ResponseWriter, secret string) {
	c := &http.Cookie{
		Name: s.cookieName, Value: secret, Path: "/",
		MaxAge: int(cookieMaxAge.Seconds()), Expires: s.o.Now().Add(cookieMaxAge),
		HttpOnly: true, Secure: s.o.SecureCookie, SameSite: http.SameSiteLaxMode,
	}
	if s.partition {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
}

// rotate gives the chat a new secret (the answer's cookie) and retires the
// old one; it returns the new transcript tag for the page.
func (s *server) rotate(ctx context.Context, w http.ResponseWriter, old session) (string, error) {
	secret := s.newSecret()
	if err := s.o.Sessions.RotateWebSession(ctx, sessionKey(old.secret), sessionKey(secret)); err != nil {
		return "", err
	}
	s.setCookie(w, secret)
	return transcriptTag(secret), nil
}

// sameOrigin reports whether the request comes from the page itself or an
// allowed origin (origin.Same).
func (s *server) sameOrigin(r *http.Request) bool { return origin.Same(r, s.origins, s.publicScheme) }

// crossSiteRead reports a GET the browser says another site made (an
// EventSource opened by a foreign page would otherwise consume replies).
func (s *server) crossSiteRead(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return !s.sameOrigin(r)
	}
	return r.Header.Get("Sec-Fetch-Site") == "cross-site"
}

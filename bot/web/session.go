package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The cookie holds 32 random bytes; the database only ever sees their hash.

func newSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validSecret(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// chatID is the id stored with the session and the outbox: 32 hex digits of
// SHA-256 of the secret.
func chatID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:16])
}

// transcriptTag names this browser's transcript in localStorage. It is
// derived apart from the chat id, so the page never shows the id the
// database and logs use.
func transcriptTag(secret string) string {
	sum := sha256.Sum256([]byte("transcript\x00" + secret))
	return hex.EncodeToString(sum[:8])
}

// secretOf returns the request's cookie secret, if it carries a valid one.
func (s *server) secretOf(r *http.Request) (string, bool) {
	c, err := r.Cookie(s.cookieName)
	if err != nil || !validSecret(c.Value) {
		return "", false
	}
	return c.Value, true
}

// ensureCookie returns the browser's secret, making one when it has none,
// and (re)sets the cookie so it lives cookieMaxAge after the last visit.
func (s *server) ensureCookie(w http.ResponseWriter, r *http.Request) (secret string, fresh bool) {
	secret, ok := s.secretOf(r)
	if !ok {
		secret, fresh = newSecret(), true
	}
	c := &http.Cookie{
		Name: s.cookieName, Value: secret, Path: "/",
		MaxAge: int(cookieMaxAge.Seconds()), Expires: s.o.Now().Add(cookieMaxAge),
		HttpOnly: true, Secure: s.o.SecureCookie, SameSite: http.SameSiteLaxMode,
	}
	if s.partition {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
	return secret, fresh
}

// normalOrigin lower-cases scheme://host[:port] and drops default ports.
func normalOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if h, p, err := net.SplitHostPort(host); err == nil && ((u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443")) {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return u.Scheme + "://" + host, true
}

// sameOrigin reports whether the request comes from the page itself or an
// allowed origin, judged by Origin, else Referer. The own origin is matched
// by host only: behind a TLS-terminating proxy the server sees http while
// the browser says https.
func (s *server) sameOrigin(r *http.Request) bool { return sameOrigin(r, s.origins) }

func sameOrigin(r *http.Request, allowed map[string]bool) bool {
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host == "" {
			return false
		}
		from = ref.Scheme + "://" + ref.Host
	}
	n, ok := normalOrigin(from)
	if !ok {
		return false
	}
	if allowed[n] {
		return true
	}
	u, _ := url.Parse(n)
	host := strings.ToLower(r.Host)
	return u.Host == host || u.Host == strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443")
}

// crossSiteRead reports a GET the browser says another site made (an
// EventSource opened by a foreign page would otherwise consume replies).
func (s *server) crossSiteRead(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return !s.sameOrigin(r)
	}
	return r.Header.Get("Sec-Fetch-Site") == "cross-site"
}

// clientKey is the rate-limit key: the remote host, an IPv6 address by its
// /64 (one subscriber gets a whole /64).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

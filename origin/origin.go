// Package origin judges where a browser's request comes from, for the
// server's own pages that take a post (a form, the web chat's JSON): the
// Origin header, else the Referer, against the host the request was sent
// to. Another site's page can make a browser send a request, but not make
// it name the server's own origin.
package origin

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Normal is the origin o in its normal form: scheme and host in lower
// case, the scheme's default port dropped ("https://Example.org:443/" is
// "https://example.org"); false when o is not an http or https origin (a
// path, a query, a user or no host).
func Normal(o string) (string, bool) {
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

// Same reports whether r comes from a page of the host it was sent to, or
// from one of the allowed origins (in their Normal form; nil for none),
// judged by Origin, else Referer; a request naming neither is not. The
// page's own origin must have the request's host and a scheme the page is
// served with: the connection's, what a TLS-terminating proxy says it was
// (X-Forwarded-Proto), or publicScheme (the public address's; "" for none).
func Same(r *http.Request, allowed map[string]bool, publicScheme string) bool {
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host == "" {
			return false
		}
		from = ref.Scheme + "://" + ref.Host
	}
	n, ok := Normal(from)
	if !ok {
		return false
	}
	if allowed[n] {
		return true
	}
	u, _ := url.Parse(n)
	host := strings.ToLower(r.Host)
	if u.Host != host && u.Host != strings.TrimSuffix(strings.TrimSuffix(host, ":80"), ":443") {
		return false
	}
	own := "http"
	if r.TLS != nil {
		own = "https"
	}
	if u.Scheme == own || u.Scheme == publicScheme {
		return true
	}
	for _, p := range strings.Split(r.Header.Get("X-Forwarded-Proto"), ",") {
		if strings.EqualFold(strings.TrimSpace(p), u.Scheme) {
			return true
		}
	}
	return false
}

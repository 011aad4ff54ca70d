package web

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// setCookie puts a cookie value into a client's jar, as a planted cookie.
func (c *client) setCookie(value string) {
	u, _ := url.Parse(c.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lindungi", Value: value, Path: "/"}})
}

func (c *client) cookie() string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == "lindungi" {
			return k.Value
		}
	}
	return ""
}

// Security review M2, replayed: a cookie value the server never issued is
// replaced, never adopted; and one it issued, copied by someone else before
// the victim starts, stops working once the victim gives consent.
func TestPlantedCookieLeadsNowhere(t *testing.T) {
	srv := start(t, testOptions(), nil)
	planted := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("A", 32)))
	victim := newClient(t, srv)
	victim.setCookie(planted)
	victim.get("/").Body.Close()
	if victim.cookie() == planted {
		t.Fatal("the page kept a cookie value it never issued")
	}
	// A POST with the planted value is a new chat with a new cookie.
	attacker := newClient(t, srv)
	attacker.setCookie(planted)
	attacker.say("/start", "")
	if attacker.cookie() == planted {
		t.Fatal("a message kept a planted cookie")
	}

	// Fixation with an issued value: the attacker opens the page, then
	// plants their cookie in the victim's browser.
	attacker = newClient(t, srv)
	attacker.get("/").Body.Close()
	issued := attacker.cookie()
	victim = newClient(t, srv)
	victim.setCookie(issued)
	victim.get("/").Body.Close()
	if victim.cookie() != issued {
		t.Fatal("an issued cookie was not kept")
	}
	victim.say("/start", "")
	got := victim.say("", "cs:yes")
	if !strings.Contains(got, "NIK") {
		t.Fatalf("after consent: %q", got)
	}
	if victim.cookie() == issued {
		t.Fatal("the cookie was not replaced after consent")
	}
	victim.say("6171054508900433", "")
	victim.say("Dewi Lestari", "")
	if got := attacker.say("/dataku", ""); strings.Contains(got, "Dewi") || strings.Contains(got, "0433") {
		t.Fatalf("the attacker's copy of the cookie reads the victim's draft: %q", got)
	}
	if got := victim.say("/dataku", ""); !strings.Contains(got, "Dewi Lestari") {
		t.Errorf("the victim lost their own draft: %q", got)
	}
}

// The cookie is __Host- and Secure whenever the page is served over HTTPS.
func TestCookieSecureForHTTPSPublicURL(t *testing.T) {
	o := testOptions()
	o.PublicURL = "https://lindungi.example.go.id"
	srv := start(t, o, nil)
	resp := newClient(t, srv).get("/")
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(sc, "__Host-lindungi=") || !strings.Contains(sc, "Secure") {
		t.Errorf("cookie over HTTPS: %q", sc)
	}
}

// Security review L5: only JSON is taken, and the origin's scheme counts.
func TestMessagesNeedJSONAndTheOwnScheme(t *testing.T) {
	srv := start(t, testOptions(), nil)
	c := newClient(t, srv)
	c.get("/").Body.Close()
	body := `{"id":"x1","text":"halo"}`
	for _, tt := range []struct {
		ctype, origin string
		want          int
	}{
		{"text/plain", srv.URL, http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", srv.URL, http.StatusUnsupportedMediaType},
		{"", srv.URL, http.StatusUnsupportedMediaType},
		{"application/json", strings.Replace(srv.URL, "http://", "https://", 1), http.StatusForbidden},
		{"application/json; charset=utf-8", srv.URL, http.StatusAccepted},
	} {
		hdr := map[string]string{"Origin": tt.origin}
		if tt.ctype != "" {
			hdr["Content-Type"] = tt.ctype
		}
		resp := c.do("POST", "/api/messages", body, hdr)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%q from %s: %d, want %d", tt.ctype, tt.origin, resp.StatusCode, tt.want)
		}
	}
	// Behind a TLS proxy that says so, the https origin is the page's own.
	resp := c.do("POST", "/api/messages", `{"id":"x2","text":"halo"}`, map[string]string{"Origin": strings.Replace(srv.URL, "http://", "https://", 1),
		"Content-Type": "application/json", "X-Forwarded-Proto": "https"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("https origin behind a proxy: %d", resp.StatusCode)
	}
}

package origin_test

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/lindungi/lindungi/origin"
)

func TestNormal(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://Example.org", "https://example.org", true},
		{"https://example.org:443/", "https://example.org", true},
		{"http://example.org:80", "http://example.org", true},
		{"http://example.org:8080", "http://example.org:8080", true},
		{"https://[::1]:443", "https://[::1]", true},
		{" http://localhost:8080 ", "http://localhost:8080", true},
		{"ftp://example.org", "", false},
		{"https://example.org/chat", "", false},
		{"https://example.org?x=1", "", false},
		{"https://user@example.org", "", false},
		{"example.org", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := origin.Normal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Normal(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSame(t *testing.T) {
	tests := []struct {
		name         string
		host         string
		tls          bool
		header       map[string]string
		allowed      map[string]bool
		publicScheme string
		want         bool
	}{
		{"its own page", "bank.test:8080", false, map[string]string{"Origin": "http://bank.test:8080"}, nil, "", true},
		{"another site", "bank.test:8080", false, map[string]string{"Origin": "http://evil.example"}, nil, "", false},
		{"no Origin, no Referer", "bank.test:8080", false, nil, nil, "", false},
		{"Origin null, its own Referer", "bank.test", false, map[string]string{"Origin": "null", "Referer": "http://bank.test/sandbox/pay/1"}, nil, "", true},
		{"another site's Referer", "bank.test", false, map[string]string{"Referer": "http://evil.example/pay"}, nil, "", false},
		{"the default port in the Host", "bank.test:443", true, map[string]string{"Origin": "https://bank.test"}, nil, "", true},
		{"https page, http origin", "bank.test", true, map[string]string{"Origin": "http://bank.test"}, nil, "", false},
		{"behind a TLS proxy", "bank.test", false, map[string]string{"Origin": "https://bank.test", "X-Forwarded-Proto": "https"}, nil, "", true},
		{"the public scheme", "bank.test", false, map[string]string{"Origin": "https://bank.test"}, nil, "https", true},
		{"an allowed origin", "bank.test", false, map[string]string{"Origin": "https://Chat.Example:443"}, map[string]bool{"https://chat.example": true}, "", true},
		{"not an origin", "bank.test", false, map[string]string{"Origin": "javascript:alert(1)"}, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://"+tt.host+"/sandbox/pay/1", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := origin.Same(r, tt.allowed, tt.publicScheme); got != tt.want {
				t.Errorf("Same = %v, want %v", got, tt.want)
			}
		})
	}
}

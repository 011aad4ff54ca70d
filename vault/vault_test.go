package vault

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testVault(t *testing.T) *Vault {
	t.Helper()
	v, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSealOpen(t *testing.T) {
	v := testVault(t)
	for _, s := range []string{"6171054508900001", "+6281234567890", "x", strings.Repeat("ab", 1000)} {
		sealed, err := v.SealString(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) > 4 && bytes.Contains(sealed, []byte(s)) {
			t.Fatalf("sealed value contains the clear text")
		}
		again, _ := v.SealString(s)
		if bytes.Equal(sealed, again) {
			t.Fatalf("two seals of one value are equal: nonce reused")
		}
		got, err := v.OpenString(sealed)
		if err != nil || got != s {
			t.Fatalf("Open = %q, %v; want %q", got, err, s)
		}
	}
	if got, err := v.Seal(nil); got != nil || err != nil {
		t.Fatalf("Seal(nil) = %v, %v", got, err)
	}
}

func TestOpenRejectsTamperingAndWrongKey(t *testing.T) {
	v := testVault(t)
	sealed, _ := v.SealString("6171054508900001")
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-1] ^= 1
	if _, err := v.Open(bad); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered: err = %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, err := v.Open([]byte{9, 1, 2}); !errors.Is(err, ErrOpen) {
		t.Fatalf("unknown version: err = %v", err)
	}
}

func TestHash(t *testing.T) {
	v := testVault(t)
	a, b := v.Hash("nik", "6171054508900001"), v.Hash("nik", "6171054508900001")
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatalf("hash not stable")
	}
	if bytes.Equal(a, v.Hash("phone", "6171054508900001")) {
		t.Fatalf("purposes share hashes")
	}
	if len(v.LogID("x")) != 12 {
		t.Fatalf("LogID length")
	}
}

// The lookup hashes are stored: they must stay HMAC-SHA256(lookup key,
// purpose || 0 || value) whatever the code that computes them, and reusing
// hashers (concurrently too) must not leak one value into the next.
func TestHashFormatIsStable(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, KeySize)
	v := testVault(t)
	want := func(info string, parts ...string) []byte {
		key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(strings.Join(parts, "\x00")))
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				value := fmt.Sprintf("617105450890%04d", i*1000+j)
				if got := v.Hash("nik", value); !bytes.Equal(got, want("lindungi/lookup/v1", "nik", value)) {
					t.Errorf("Hash(nik, %s) = %x", value, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, w := v.LogID("6171054508900001"), hex.EncodeToString(want("lindungi/log/v1", "6171054508900001")[:6]); got != w {
		t.Fatalf("LogID = %s, want %s", got, w)
	}
}

func TestFromEnv(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte(good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"key", map[string]string{"LINDUNGI_DATA_KEY": good}, ""},
		{"file", map[string]string{"LINDUNGI_DATA_KEY_FILE": file}, ""},
		{"none", nil, "no data key"},
		{"both", map[string]string{"LINDUNGI_DATA_KEY": good, "LINDUNGI_DATA_KEY_FILE": file}, "only one"},
		{"not base64", map[string]string{"LINDUNGI_DATA_KEY": "not base64!"}, "not valid base64"},
		{"short", map[string]string{"LINDUNGI_DATA_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, "32 bytes, got 5"},
		{"missing file", map[string]string{"LINDUNGI_DATA_KEY_FILE": filepath.Join(dir, "nope")}, "LINDUNGI_DATA_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// Help works on a machine with nothing set up: no key, no database, no
// configuration at all.
func TestHelpNeedsNoConfiguration(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range []string{
		"help", "-h", "--help",
		"serve --help", "chat -h", "migrate -help",
		"payments --help", "payments report -h",
		"audit --help", "export -h",
		"broadcast --help", "broadcast send --help", "broadcast status -h",
		"kpj -h", "kpj import list.csv --help",
		"import --help", "import list.csv -h",
		"sponsor --help", "sponsor list -h", "sponsor show -h", "sponsor pay -h", "sponsor invoice -h", "sponsor codes -h",
		"dev --help", "dev gen-workers -h",
		"admin --help", "admin link -h", "whatsapp --help", "whatsapp templates -h",
	} {
		t.Run(args, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"lindungi"}, strings.Fields(args)...), none, strings.NewReader(""), &out)
			if err != nil && !errors.Is(err, flag.ErrHelp) { // main exits 0 on ErrHelp
				t.Fatalf("lindungi %s: %v\n%s", args, err, out.String())
			}
			if !strings.Contains(strings.ToLower(out.String()), "usage") {
				t.Errorf("lindungi %s printed no usage:\n%s", args, out.String())
			}
			if c := strings.Fields(args)[0]; (c == "serve" || c == "migrate") && strings.Contains(out.String(), "-user int") {
				t.Errorf("lindungi %s offers the terminal chat's flags:\n%s", args, out.String())
			}
		})
	}
}

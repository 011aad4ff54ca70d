package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/iuran"
)

// option is one configuration variable: its default, what it means, and how
// it is checked.
type option struct {
	key, def, help string
	secret         bool
}

var options = []option{
	{key: "DATABASE_URL", def: "postgres://postgres@127.0.0.1:5432/lindungi?sslmode=disable", help: "PostgreSQL connection URL"},
	{key: "LINDUNGI_DATA_KEY", help: "32 random bytes, base64 (openssl rand -base64 32): encrypts NIK and phone numbers", secret: true},
	{key: "LINDUNGI_DATA_KEY_FILE", help: "a file holding LINDUNGI_DATA_KEY instead"},
	{key: "LINDUNGI_HTTP_ADDR", def: "127.0.0.1:8080", help: "address of the HTTP server (serve): /healthz, /readyz"},
	{key: "LINDUNGI_PROVINCE", def: "61", help: "province code offered first for the domicile (61 = Kalimantan Barat)"},
	{key: "LINDUNGI_DRAFT_TTL", def: "168h", help: "an unfinished registration older than this is discarded"},
	{key: "LINDUNGI_MIN_AGE", def: "15", help: "youngest age accepted at registration"},
	{key: "LINDUNGI_MAX_AGE", def: "65", help: "oldest age accepted at registration"},
	{key: "LINDUNGI_TIMEZONE", def: "Asia/Jakarta", help: "the deployment's time zone (Asia/Pontianak is the same offset)"},
	{key: "LINDUNGI_IURAN_TABLE", help: "CSV file replacing the built-in contribution brackets"},
	{key: "LINDUNGI_LOG_LEVEL", def: "info", help: "debug, info, warn or error"},
}

// config is the parsed configuration.
type config struct {
	DatabaseURL string
	HTTPAddr    string
	LogLevel    string
	Flow        flows.Config
	Tariffs     *iuran.Table
}

func lookup(getenv func(string) string, key string) string {
	if v := getenv(key); v != "" {
		return v
	}
	for _, o := range options {
		if o.key == key {
			return o.def
		}
	}
	return ""
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: lookup(getenv, "DATABASE_URL"),
		HTTPAddr:    lookup(getenv, "LINDUNGI_HTTP_ADDR"),
		LogLevel:    lookup(getenv, "LINDUNGI_LOG_LEVEL"),
		Flow:        flows.DefaultConfig(),
	}
	c.Flow.Province = lookup(getenv, "LINDUNGI_PROVINCE")
	ttl, err := time.ParseDuration(lookup(getenv, "LINDUNGI_DRAFT_TTL"))
	if err != nil || ttl <= 0 {
		return c, fmt.Errorf("LINDUNGI_DRAFT_TTL: %q is not a positive duration such as 168h", getenv("LINDUNGI_DRAFT_TTL"))
	}
	c.Flow.DraftTTL = ttl
	for _, a := range []struct {
		key string
		dst *int
	}{{"LINDUNGI_MIN_AGE", &c.Flow.MinAge}, {"LINDUNGI_MAX_AGE", &c.Flow.MaxAge}} {
		n, err := strconv.Atoi(lookup(getenv, a.key))
		if err != nil || n < 0 || n > 120 {
			return c, fmt.Errorf("%s: %q is not an age", a.key, getenv(a.key))
		}
		*a.dst = n
	}
	if c.Flow.MinAge > c.Flow.MaxAge {
		return c, fmt.Errorf("LINDUNGI_MIN_AGE (%d) is above LINDUNGI_MAX_AGE (%d)", c.Flow.MinAge, c.Flow.MaxAge)
	}
	loc, err := time.LoadLocation(lookup(getenv, "LINDUNGI_TIMEZONE"))
	if err != nil {
		return c, fmt.Errorf("LINDUNGI_TIMEZONE: %w", err)
	}
	c.Flow.Location = loc
	c.Tariffs = iuran.Default()
	if path := getenv("LINDUNGI_IURAN_TABLE"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return c, fmt.Errorf("LINDUNGI_IURAN_TABLE: %w", err)
		}
		defer f.Close()
		if c.Tariffs, err = iuran.Parse(f); err != nil {
			return c, fmt.Errorf("LINDUNGI_IURAN_TABLE %s: %w", path, err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LINDUNGI_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	return c, nil
}

// printOptions writes the configuration table for --help.
func printOptions(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "variable\tdefault\tmeaning")
	for _, o := range options {
		def := o.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", o.key, def, o.help)
	}
	tw.Flush()
}

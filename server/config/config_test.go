package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func siteDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("title = 'x'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFlagBeatsEnvironment: a variable fills a flag only when the flag was
// not given (issue 2: flags with environment overrides).
func TestFlagBeatsEnvironment(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Bind(fs, "addr", "data", "db")
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9000"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"POLIS_ADDR": "127.0.0.1:7000", "POLIS_DATA": "/srv/polis", "POLIS_DB": "/srv/x.db"}
	if err := ApplyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.Data != "/srv/polis" || c.DB != "/srv/x.db" {
		t.Errorf("got addr %q data %q db %q", c.Addr, c.Data, c.DB)
	}
}

// TestEnvironmentIgnoredForAbsentFlags: build has no --addr; POLIS_ADDR must
// not make it fail.
func TestEnvironmentIgnoredForAbsentFlags(t *testing.T) {
	c := Default()
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	c.Bind(fs, "site")
	fs.Parse(nil)
	if err := ApplyEnv(fs, func(k string) string { return map[string]string{"POLIS_ADDR": "x"}[k] }); err != nil {
		t.Errorf("ApplyEnv: %v", err)
	}
}

// TestValidateNamesTheSetting: each mistake is reported with the flag name.
func TestValidateNamesTheSetting(t *testing.T) {
	tests := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Addr = "no-port" }, "--addr"},
		{func(c *Config) { c.DB = "mysql://somewhere" }, "--db"},
		{func(c *Config) { c.Site = filepath.Join(c.Site, "missing") }, "--site"},
		{func(c *Config) { c.MaxBodyBytes = 0 }, "body limit"},
	}
	for _, tt := range tests {
		c := Default()
		c.Site = siteDir(t)
		tt.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want an error naming %s", err, tt.want)
		}
	}
	c := Default()
	c.Site = siteDir(t)
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if !filepath.IsAbs(c.Data) || c.Public != filepath.Join(c.Site, "public") {
		t.Errorf("paths not resolved: data %q public %q", c.Data, c.Public)
	}
}

func TestBindPanicsOnUnknownField(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for an unknown field")
		}
	}()
	c := Default()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Bind(fs, "nope")
}

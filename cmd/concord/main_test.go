package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"concord/models"
)

func TestParseServeFlags(t *testing.T) {
	vars := []string{"CONCORD_ADDR", "CONCORD_DB", "CONCORD_MEMBERS", "CONCORD_DEMO", "CONCORD_SECURE_COOKIES",
		"CONCORD_SESSION_IDLE", "CONCORD_SESSION_MAX", "CONCORD_LOG_JSON", "CONCORD_TLS_CERT", "CONCORD_TLS_KEY",
		"CONCORD_TRUSTED_PROXIES", "CONCORD_BASE_URL"}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c config)
		err   string
	}{
		{"defaults", nil, nil, func(t *testing.T, c config) {
			if c.addr != "127.0.0.1:8080" || c.db != "concord.db" || c.demo || c.secureCookies ||
				c.idle != 30*time.Minute || c.absolute != 12*time.Hour || c.logJSON || len(c.trustedProxies) != 0 {
				t.Errorf("config %+v", c)
			}
		}, ""},
		{"environment", map[string]string{"CONCORD_ADDR": "0.0.0.0:9000", "CONCORD_DB": "/data/c.db",
			"CONCORD_SECURE_COOKIES": "true", "CONCORD_DEMO": "1", "CONCORD_SESSION_IDLE": "45m",
			"CONCORD_SESSION_MAX": "8h", "CONCORD_LOG_JSON": "TRUE", "CONCORD_TRUSTED_PROXIES": "10.0.0.1",
			"CONCORD_BASE_URL": "https://concord.example.org/"}, nil,
			func(t *testing.T, c config) {
				if c.addr != "0.0.0.0:9000" || c.db != "/data/c.db" || !c.secureCookies || !c.demo ||
					c.idle != 45*time.Minute || c.absolute != 8*time.Hour || !c.logJSON || len(c.trustedProxies) != 1 ||
					c.baseURL != "https://concord.example.org" {
					t.Errorf("config %+v", c)
				}
			}, ""},
		{"a flag wins over the environment", map[string]string{"CONCORD_ADDR": "10.0.0.5:9000", "CONCORD_SECURE_COOKIES": "true"},
			[]string{"-addr", "127.0.0.1:1", "-secure-cookies=false"}, func(t *testing.T, c config) {
				if c.addr != "127.0.0.1:1" || c.secureCookies {
					t.Errorf("config %+v", c)
				}
			}, ""},
		{"an empty variable is unset", map[string]string{"CONCORD_ADDR": "", "CONCORD_SESSION_IDLE": ""}, nil,
			func(t *testing.T, c config) {
				if c.addr != "127.0.0.1:8080" || c.idle != 30*time.Minute {
					t.Errorf("config %+v", c)
				}
			}, ""},
		{"a boolean variable that does not parse", map[string]string{"CONCORD_SECURE_COOKIES": "yes"}, nil, nil,
			"CONCORD_SECURE_COOKIES=yes is not valid: use true or false"},
		{"a duration variable without a unit", map[string]string{"CONCORD_SESSION_IDLE": "30"}, nil, nil,
			"CONCORD_SESSION_IDLE=30 is not valid: use a duration such as 45m or 12h"},
		{"a zero idle time", nil, []string{"-session-idle", "0s"}, nil, "-session-idle must be at least 5m0s"},
		{"an idle time under five minutes", nil, []string{"-session-idle", "4m59s"}, nil, "-session-idle must be at least 5m0s"},
		{"five minutes idle", nil, []string{"-session-idle", "5m"}, func(t *testing.T, c config) {
			if c.idle != 5*time.Minute {
				t.Errorf("idle %v", c.idle)
			}
		}, ""},
		{"a negative session length", map[string]string{"CONCORD_SESSION_MAX": "-1h"}, nil, nil,
			"-session-max at least as long"},
		{"all interfaces without a base URL", nil, []string{"-addr", "0.0.0.0:8080"}, nil, "-base-url is required"},
		{"an empty host without a base URL", nil, []string{"-addr", ":8080"}, nil, "-base-url is required"},
		{"a LAN address without a base URL", nil, []string{"-addr", "10.0.0.5:8080"}, nil, "-base-url is required"},
		{"trusted proxies without a base URL", nil, []string{"-trusted-proxies", "10.0.0.1"}, nil, "-base-url is required"},
		{"loopback needs no base URL", nil, []string{"-addr", "[::1]:8080"}, func(t *testing.T, c config) {
			if c.baseURL != "" {
				t.Errorf("base URL %q", c.baseURL)
			}
		}, ""},
		{"localhost needs no base URL", nil, []string{"-addr", "localhost:8080"}, nil, ""},
		{"all interfaces with a base URL", nil, []string{"-addr", "0.0.0.0:8080", "-base-url", "https://concord.example.org/prep/"},
			func(t *testing.T, c config) {
				if c.baseURL != "https://concord.example.org/prep" {
					t.Errorf("base URL %q", c.baseURL)
				}
			}, ""},
		{"a base URL without a scheme", nil, []string{"-base-url", "concord.example.org"}, nil, "-base-url:"},
		{"a base URL with another scheme", nil, []string{"-base-url", "ftp://concord.example.org"}, nil, "-base-url:"},
		{"a base URL with a query", nil, []string{"-base-url", "https://concord.example.org/?x=1"}, nil, "-base-url:"},
		{"a certificate without its key", nil, []string{"-tls-cert", "c.pem"}, nil, "-tls-cert and -tls-key go together"},
		{"a stray argument", nil, []string{"now"}, nil, "unexpected arguments: [now]"},
		{"a bad proxy", nil, []string{"-trusted-proxies", "not-an-address"}, nil, "-trusted-proxies:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tc.env[v])
			}
			var stderr bytes.Buffer
			c, err := parseServeFlags(tc.args, &stderr)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.check != nil:
				tc.check(t, c)
			}
		})
	}
}

// TestHelp checks that asking for help succeeds and prints the usage of
// the command asked about.
func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"help", []string{"help"}, "usage:\n  concord [serve] [flags]"},
		{"bare -h is the server's", []string{"-h"}, "usage: concord [serve] [flags]"},
		{"serve", []string{"serve", "-h"}, "usage: concord [serve] [flags]"},
		{"export", []string{"export", "-h"}, "usage: concord export -consultation KEY"},
		{"import", []string{"import", "-help"}, "usage: concord import -consultation KEY"},
		{"consultation", []string{"consultation", "-h"}, "usage:\n  concord consultation export -consultation KEY"},
		{"consultation export", []string{"consultation", "export", "-h"}, "usage: concord consultation export -consultation KEY"},
		{"consultation import", []string{"consultation", "import", "-h"}, "usage: concord consultation import [-open]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), tc.args, &stdout, &stderr); err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			if out := stdout.String() + stderr.String(); !strings.HasPrefix(out, tc.want) {
				t.Errorf("printed\n%s\nwant it to start with %q", out, tc.want)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for a server goroutine writing while
// the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "concord serve" with the arguments until the test ends
// and returns what it printed once it serves.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, args, &out, io.Discard) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Concord is serving") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve stopped before serving: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return out.String()
}

// TestFirstStartPrintsSetupLink: a first start prints a one-time setup link
// built on -base-url, never from a request; once a facilitator exists,
// starts print none.
func TestFirstStartPrintsSetupLink(t *testing.T) {
	db := filepath.Join(t.TempDir(), "concord.db")
	link := regexp.MustCompile(`https://concord\.example\.org/prep/invite/([A-Za-z0-9_-]{20,})`)
	out := startServe(t, "-db", db, "-addr", "127.0.0.1:0", "-base-url", "https://concord.example.org/prep/")
	if !strings.Contains(out, "No facilitator account exists yet") {
		t.Fatalf("no setup link printed on the first start:\n%s", out)
	}
	m := link.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the setup link is not built on the base URL:\n%s", out)
	}
	store, err := openMigrated(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	inv, err := store.InvitationByToken(context.Background(), m[1])
	if err != nil || inv.Role != models.RoleFacilitator {
		t.Fatalf("the printed link does not open a facilitator invitation: %+v, %v", inv, err)
	}
	if _, err := store.AcceptInvitation(context.Background(), m[1], models.AccountInput{Username: "chair",
		Name: "Chair", Password: "amber lantern over quiet fjords", Confirm: "amber lantern over quiet fjords"}); err != nil {
		t.Fatal(err)
	}
	if out := startServe(t, "-db", db, "-addr", "127.0.0.1:0"); strings.Contains(out, "/invite/") {
		t.Fatalf("a setup link was printed although a facilitator exists:\n%s", out)
	}
}

func TestWarnPasswordInURL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dsn     string
		fromEnv bool
		warns   bool
	}{
		{"password on the command line", "postgres://concord:pw@db/concord", false, true},
		{"password in CONCORD_DB", "postgres://concord:pw@db/concord", true, false},
		{"no password", "postgres://concord@db/concord", false, false},
		{"SQLite file", "concord.db", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			warnPasswordInURL(tc.dsn, tc.fromEnv, &out)
			if got := out.Len() > 0; got != tc.warns {
				t.Errorf("warned %v (%q), want %v", got, out.String(), tc.warns)
			}
			if strings.Contains(out.String(), ":pw@") {
				t.Errorf("the warning shows the password: %q", out.String())
			}
		})
	}
}

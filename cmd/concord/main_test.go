package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseServeFlags(t *testing.T) {
	vars := []string{"CONCORD_ADDR", "CONCORD_DB", "CONCORD_MEMBERS", "CONCORD_DEMO", "CONCORD_SECURE_COOKIES",
		"CONCORD_SESSION_IDLE", "CONCORD_SESSION_MAX", "CONCORD_LOG_JSON", "CONCORD_TLS_CERT", "CONCORD_TLS_KEY",
		"CONCORD_TRUSTED_PROXIES"}
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
			"CONCORD_SESSION_MAX": "8h", "CONCORD_LOG_JSON": "TRUE", "CONCORD_TRUSTED_PROXIES": "10.0.0.1"}, nil,
			func(t *testing.T, c config) {
				if c.addr != "0.0.0.0:9000" || c.db != "/data/c.db" || !c.secureCookies || !c.demo ||
					c.idle != 45*time.Minute || c.absolute != 8*time.Hour || !c.logJSON || len(c.trustedProxies) != 1 {
					t.Errorf("config %+v", c)
				}
			}, ""},
		{"a flag wins over the environment", map[string]string{"CONCORD_ADDR": "0.0.0.0:9000", "CONCORD_SECURE_COOKIES": "true"},
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
		{"a zero idle time", nil, []string{"-session-idle", "0s"}, nil, "-session-idle and -session-max must be longer than zero"},
		{"a negative session length", map[string]string{"CONCORD_SESSION_MAX": "-1h"}, nil, nil,
			"-session-idle and -session-max must be longer than zero"},
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

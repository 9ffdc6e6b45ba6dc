package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLoadtestSmoke builds the program and runs "concord loadtest -smoke
// -kill9" with it as the server: the delegates sign in through the form,
// save, the server is killed and restarted, and every acknowledged save
// must be stored.
func TestLoadtestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and serves for seconds")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the server this test starts")
	}
	bin := filepath.Join(t.TempDir(), "concord")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the program: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"loadtest", "-smoke", "-kill9", "-duration", "2s", "-exec", bin}, &stdout, &stderr); err != nil {
		t.Fatalf("loadtest: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	checks := []struct {
		name string
		re   string
	}{
		{"heading", `Concord load test: 4 delegates saving the whole form \(7 questions, one changed\) for 2s`},
		{"throughput", `acknowledged saves +[1-9]\d* in \d+\.\ds: \d+ saves/s`},
		{"percentiles", `latency p50 / p95 / p99 +\S+ / \S+ / \S+`},
		{"commits", `commits per save +\d\.\d{3} \(\d+ saves in \d+ commits`},
		{"durable baseline", `HTTP one-row handler, synchronous=FULL +[1-9]\d* req/s: saves are \d+\.\d\d× it`},
		{"non-durable baseline", `HTTP one-row handler, synchronous=NORMAL +[1-9]\d* req/s: saves are \d+\.\d\d× it`},
		{"in-process baselines", `in-process one-row insert, FULL / NORMAL +[1-9]\d* / [1-9]\d* rows/s: saves are \d+\.\d\d× / \d+\.\d\d× them`},
		{"kill -9", `kill -9 after \d\.\ds with \d+ save\(s\) in flight: every save acknowledged before it is in the database`},
		{"durability", `durability +every acknowledged save is stored \(4 delegates checked\)`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(c.re).MatchString(out) {
			t.Errorf("%s: no line matches %q in\n%s", c.name, c.re, out)
		}
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("the run reports a failure:\n%s", out)
	}
}

// TestLoadtestFlags checks the refusals of bad flags.
func TestLoadtestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no delegates", []string{"-delegates", "0"}, "-delegates must be between 1 and 500"},
		{"too many delegates", []string{"-delegates", "501"}, "-delegates must be between 1 and 500"},
		{"no duration", []string{"-duration", "0s"}, "-duration must be positive"},
		{"a stray argument", []string{"now"}, "unexpected arguments: [now]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"loadtest"}, tc.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

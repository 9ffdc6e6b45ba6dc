package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"concord/models"
)

func TestRoundOpenCommand(t *testing.T) {
	db, store := cliDB(t)
	ctx := context.Background()
	// A draft consultation, from the demo's definition under another key.
	stdout, stderr, err := cliRun(t, "consultation", "export", "-db", db, "-consultation", models.DemoKey)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var def models.Definition
	if err := json.Unmarshal([]byte(stdout), &def); err != nil {
		t.Fatal(err)
	}
	def.Key = "draft-copy"
	b, _ := json.Marshal(def)
	defFile := filepath.Join(t.TempDir(), "def.json")
	if err := os.WriteFile(defFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := cliRun(t, "consultation", "import", "-db", db, defFile); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}

	tests := []struct {
		name   string
		args   []string
		stdout string
		err    string
		round  int // the demo's round afterwards
	}{
		{"no consultation", []string{"round", "open", "-db", db}, "", "name the consultation with -consultation KEY", 2},
		{"unknown consultation", []string{"round", "open", "-db", db, "-consultation", "nope"}, "", `no consultation with the key "nope"`, 2},
		{"malformed deadline", []string{"round", "open", "-db", db, "-consultation", models.DemoKey, "-deadline", "15/12/2099"}, "",
			`-deadline "15/12/2099": give a date and time such as 2026-12-15T17:00 (UTC)`, 2},
		{"deadline in the past", []string{"round", "open", "-db", db, "-consultation", models.DemoKey, "-deadline", "2020-01-01T00:00"}, "",
			"Give a deadline in the future, or none.", 2},
		{"draft consultation", []string{"round", "open", "-db", db, "-consultation", "draft-copy"}, "",
			"still a draft: open it for positions before starting another round", 2},
		{"unknown user", []string{"round", "open", "-db", db, "-consultation", models.DemoKey, "-user", "demo-est"}, "",
			"demo-est is not an active facilitator account", 2},
		{"stray argument", []string{"round", "open", "-db", db, "-consultation", models.DemoKey, "now"}, "", "unexpected arguments: now", 2},
		{"opened with a deadline", []string{"round", "open", "-db", db, "-consultation", models.DemoKey, "-deadline", "2099-12-15T17:00"},
			"Closed round 2 of " + models.DemoKey + " and opened round 3 (deadline 2099-12-15T17:00:00Z) as demo-facilitator.\n", "", 3},
		{"opened without a deadline, flags after", []string{"round", "open", "-consultation", models.DemoKey, "-db", db, "-user", "demo-facilitator"},
			"Closed round 3 of " + models.DemoKey + " and opened round 4 (no deadline) as demo-facilitator.\n", "", 4},
		{"unknown round command", []string{"round", "close", "-db", db}, "", `unknown round command "close"`, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := cliRun(t, tc.args...)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v\n%s", err, stderr)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want it to say %q", err, tc.err)
			}
			if stdout != tc.stdout {
				t.Errorf("printed %q, want %q", stdout, tc.stdout)
			}
			demo, err := store.ConsultationByKey(ctx, models.DemoKey)
			if err != nil {
				t.Fatal(err)
			}
			if demo.Round != tc.round {
				t.Errorf("demo in round %d, want %d", demo.Round, tc.round)
			}
		})
	}
	rounds, err := store.Rounds(ctx, mustDemoID(t, store))
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 4 || rounds[2].Deadline == nil || rounds[2].ClosedAt == nil || rounds[3].Deadline != nil {
		t.Errorf("rounds %+v, want 4, round 3 closed with its deadline, round 4 without one", rounds)
	}
}

func mustDemoID(t *testing.T, store *models.Store) uint {
	t.Helper()
	demo, err := store.ConsultationByKey(context.Background(), models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	return demo.ID
}

func TestRoundHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"round", []string{"round", "help"}, "usage:\n  concord round open -consultation KEY"},
		{"round open", []string{"round", "open", "-h"}, "usage: concord round open -consultation KEY"},
		{"listed in the general help", []string{"help"}, "usage:\n  concord [serve] [flags]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := cliRun(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			out := stdout + stderr
			if !strings.HasPrefix(out, tc.want) || !strings.Contains(out, "round open") {
				t.Errorf("printed\n%s\nwant it to start with %q and name round open", out, tc.want)
			}
		})
	}
}

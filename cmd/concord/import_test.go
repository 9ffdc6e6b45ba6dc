package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"concord/models"
)

func TestImportCommand(t *testing.T) {
	db, store := cliDB(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const header = "member_code,question_key,preferred,acceptable_min,acceptable_max,importance,choice,answer_text,rationale\n"
	demo, err := store.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdout   string
		err      string
		problems []string
		written  int
	}{
		{"valid file", []string{"import", "-db", db, "-consultation", models.DemoKey,
			write("ok.csv", header+"EST,stance,3,3,4,low,,,Changed our mind\nLVA,founding-act,,,,,keep it as it stands,,\nPOL,notes,,,,,,,\n")},
			"Imported 2 line(s) for 2 member(s) into " + models.DemoKey + " as demo-facilitator: 2 position(s) revised, 0 already as in the file, 1 line(s) without any answer left out.",
			"", nil, 2},
		{"bad lines listed by number", []string{"import", "-db", db, "-consultation", models.DemoKey,
			write("bad.csv", header+"EST,stance,3,,,,,,\nXXX,stance,3,,,,,,\nEST,stance,9,,,,,,\nLVA,founding-act,,,,,Abolish,,\n")},
			"", "has 3 problem(s); nothing was imported", []string{
				"bad.csv: line 3, member_code: No member has the code \"XXX\"",
				"bad.csv: line 4: EST already has a line for question stance (line 2)",
				"bad.csv: line 5, choice: No option of question founding-act reads \"Abolish\"",
			}, 0},
		{"acceptable options and a withdrawal", []string{"import", "-db", db, "-consultation", models.DemoKey,
			write("more.csv", "member_code,question_key,choice,acceptable_options,withdrawn\n"+
				"LVA,founding-act,Keep it as it stands,1 3,\nEST,stance,,,yes\n")},
			"Imported 2 line(s) for 2 member(s) into " + models.DemoKey + " as demo-facilitator: 2 position(s) revised, 0 already as in the file",
			"", nil, 2},
		{"bad acceptable options and withdrawal", []string{"import", "-db", db, "-consultation", models.DemoKey,
			write("badmore.csv", "member_code,question_key,choice,acceptable_options,withdrawn\n"+
				"LVA,founding-act,Keep it as it stands,1 9,\nEST,stance,,,maybe\n")},
			"", "has 2 problem(s); nothing was imported", []string{
				"badmore.csv: line 2, acceptable_options: Write the numbers of the acceptable options, from 1 to 3",
				"badmore.csv: line 3, withdrawn: Write yes to withdraw the answer",
			}, 0},
		{"not a positions file", []string{"import", "-db", db, "-consultation", models.DemoKey, write("x.csv", "a,b\n1,2\n")},
			"", "has 1 problem(s)", []string{"x.csv: line 1: The first line must be a header"}, 0},
		{"no consultation", []string{"import", "-db", db, write("y.csv", header)}, "", "name the consultation", nil, 0},
		{"unknown consultation", []string{"import", "-db", db, "-consultation", "nope", write("z.csv", header+"EST,stance,3,,,,,,\n")},
			"", `no consultation with the key "nope"`, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := store.History(ctx, demo.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := cliRun(t, tt.args...)
			if tt.err == "" && err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want one saying %q", err, tt.err)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("output = %q, want %q", stdout, tt.stdout)
			}
			for _, p := range tt.problems {
				if !strings.Contains(stderr, filepath.Join(dir, p)) {
					t.Errorf("printed problems:\n%s\nwant a line %q", stderr, p)
				}
			}
			after, err := store.History(ctx, demo.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(after) - len(before); got != tt.written {
				t.Errorf("%d revisions written, want %d", got, tt.written)
			}
		})
	}
	t.Run("closed consultation", func(t *testing.T) {
		if err := store.SetStatus(ctx, demo.ID, models.StatusClosed, 1); err != nil {
			t.Fatal(err)
		}
		_, _, err := cliRun(t, "import", "-db", db, "-consultation", models.DemoKey, write("late.csv", header+"EST,stance,2,,,,,,\n"))
		if err == nil || !strings.Contains(err.Error(), "only into a draft or open consultation") {
			t.Fatalf("err = %v, want the window explained", err)
		}
	})
}

// TestCommandLineRoundTrip exports the demo's positions, copies its
// definition under a new key, imports the positions into the copy and
// exports again: the positions must be the same (all columns but revision,
// submitted_by and submitted_at), all through the command line and beside
// an open Store.
func TestCommandLineRoundTrip(t *testing.T) {
	db, _ := cliDB(t)
	dir := t.TempDir()
	must := func(args ...string) string {
		t.Helper()
		stdout, stderr, err := cliRun(t, args...)
		if err != nil {
			t.Fatalf("concord %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return stdout
	}
	must("export", "-db", db, "-consultation", models.DemoKey, "-out", filepath.Join(dir, "before"))
	var def models.Definition
	if err := json.Unmarshal([]byte(must("consultation", "export", "-db", db, "-consultation", models.DemoKey)), &def); err != nil {
		t.Fatal(err)
	}
	def.Key = "demo-copy"
	b, _ := json.Marshal(def)
	defFile := filepath.Join(dir, "def.json")
	if err := os.WriteFile(defFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	must("consultation", "import", "-db", db, "-open", defFile)
	must("import", "-db", db, "-consultation", "demo-copy", filepath.Join(dir, "before", models.DemoKey+"-positions.csv"))
	must("export", "-db", db, "-consultation", "demo-copy", "-out", filepath.Join(dir, "after"))

	before := readCSVFile(t, filepath.Join(dir, "before", models.DemoKey+"-positions.csv"))
	after := readCSVFile(t, filepath.Join(dir, "after", "demo-copy-positions.csv"))
	if len(before) != len(after) {
		t.Fatalf("%d lines before, %d after", len(before), len(after))
	}
	// An import writes into the copy's current round (1), whatever round
	// the file came from (the demo's round 2).
	skip := map[string]bool{"revision": true, "submitted_by": true, "submitted_at": true, "round": true}
	for i := range before {
		for j, col := range before[0] {
			if !skip[col] && before[i][j] != after[i][j] {
				t.Errorf("line %d, %s: %q before, %q after", i+1, col, before[i][j], after[i][j])
			}
		}
	}
	// The demo's round 2 attaches conditions to answers on the Founding
	// Act: they are exported, and came through.
	col := slices.Index(before[0], "conditions")
	if col < 0 {
		t.Fatalf("positions.csv has no conditions column: %v", before[0])
	}
	withConditions := 0
	for i := 1; i < len(after); i++ {
		if after[i][col] != "" {
			withConditions++
		}
	}
	if withConditions == 0 {
		t.Error("no position carries conditions after the round trip; the demo's round 2 has some")
	}
}

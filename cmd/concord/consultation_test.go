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

func TestConsultationExportImport(t *testing.T) {
	db, store := cliDB(t)
	ctx := context.Background()
	stdout, stderr, err := cliRun(t, "consultation", "export", "-consultation", models.DemoKey, "-db", db)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var def models.Definition
	if err := json.Unmarshal([]byte(stdout), &def); err != nil {
		t.Fatalf("output is not a definition: %v\n%s", err, stdout)
	}
	if def.Key != models.DemoKey || len(def.Questions) != 7 {
		t.Fatalf("definition = %+v, want the demo's 7 questions", def)
	}
	def.Key = "demo-copy"
	file := filepath.Join(t.TempDir(), "def.json")
	b, _ := json.Marshal(def)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Flags may follow the file name.
	stdout, stderr, err = cliRun(t, "consultation", "import", "-db", db, file, "-open")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "Created consultation demo-copy with 7 question(s); it is open") {
		t.Errorf("output = %q", stdout)
	}
	c, err := store.ConsultationByKey(ctx, "demo-copy")
	if err != nil || c.Status != models.StatusOpen {
		t.Fatalf("copy = %+v, %v; want it open", c, err)
	}
	events, err := store.Audit(ctx, models.AuditFilter{Action: models.AuditConsultationEdit})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Username != "demo-facilitator" {
		t.Errorf("latest consultation event = %+v, want one by the only facilitator", events)
	}
}

func TestConsultationImportErrors(t *testing.T) {
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
	bad := write("bad.json", `{"key":"`+models.DemoKey+`","title":"","questions":[
		{"key":"a","section":"S","text":"A?","kind":"scale","points":["x","y"]},
		{"key":"a","section":"S","text":"B?","kind":"choice","options":["only"]}]}`)
	good := write("good.json", `{"key":"fresh","title":"Fresh","questions":[{"key":"a","section":"S","text":"A?","kind":"text"}]}`)
	tests := []struct {
		name     string
		setup    func(t *testing.T)
		args     []string
		want     string
		problems []string
	}{
		{"every problem with its path", nil, []string{"consultation", "import", "-db", db, bad}, "has 5 problem(s); nothing was created",
			[]string{"bad.json: key: Another consultation already uses this key", "bad.json: title: This field is required",
				"bad.json: questions[0].points: A scale needs 3 to 11 points", "bad.json: questions[1].key: questions[0] already uses the key",
				"bad.json: questions[1].options: A choice needs 2 to 20 options"}},
		{"not JSON", nil, []string{"consultation", "import", "-db", db, write("broken.json", "{")}, "has 1 problem(s)",
			[]string{"broken.json: The file is not valid JSON"}},
		{"no file", nil, []string{"consultation", "import", "-db", db}, "give one definition file", nil},
		{"missing file", nil, []string{"consultation", "import", "-db", db, filepath.Join(dir, "none.json")}, "open definition", nil},
		{"unknown sub-command", nil, []string{"consultation", "delete"}, `unknown consultation command "delete"`, nil},
		{"export without a key", nil, []string{"consultation", "export", "-db", db}, "name the consultation", nil},
		{"several facilitators and no -user", func(t *testing.T) {
			if _, err := store.CreateUser(ctx, models.NewUser{Username: "second", Name: "Second", Role: models.RoleFacilitator,
				Password: "a long unusual passphrase 42"}); err != nil {
				t.Fatal(err)
			}
		}, []string{"consultation", "import", "-db", db, good}, "several facilitator accounts exist (demo-facilitator, second)", nil},
		{"-user naming an observer", nil, []string{"consultation", "import", "-db", db, "-user", "demo-observer", good},
			"demo-observer is not an active facilitator account", nil},
		{"-user naming nobody", nil, []string{"consultation", "import", "-db", db, "-user", "ghost", good}, `there is no account "ghost"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			before, _ := store.Consultations(ctx)
			_, stderr, err := cliRun(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if tt.problems != nil && len(lines) != len(tt.problems) {
				t.Fatalf("printed problems:\n%s\nwant %d", stderr, len(tt.problems))
			}
			for i, p := range tt.problems {
				if !strings.HasPrefix(lines[i], filepath.Join(dir, p)) {
					t.Errorf("problem %d = %q, want %q", i, lines[i], p)
				}
			}
			after, _ := store.Consultations(ctx)
			if len(after) != len(before) {
				t.Errorf("%d consultations before, %d after", len(before), len(after))
			}
		})
	}
	t.Run("-user picks the facilitator", func(t *testing.T) {
		stdout, stderr, err := cliRun(t, "consultation", "import", "-db", db, "-user", "Second", good)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.Contains(stdout, "it is a draft") {
			t.Errorf("output = %q", stdout)
		}
	})
}

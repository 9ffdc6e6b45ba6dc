package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"concord/export"
	"concord/models"
)

// cliDB creates a database with the demo consultation and returns its path
// and a Store that holds it open for the whole test, as a running server
// would: every command under test opens the same file beside it.
func cliDB(t *testing.T) (string, *models.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concord.db")
	store, err := openStore(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetPasswordCost(bcrypt.MinCost)
	if _, err := store.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONCORD_DB", "")
	t.Setenv("CONCORD_USER", "")
	return path, store
}

// cliRun runs the command line with args and returns what it printed.
func cliRun(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte(export.BOM)))).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return recs
}

func TestExportCommand(t *testing.T) {
	db, store := cliDB(t)
	key := models.DemoKey
	csvFiles := []string{key + "-questions.csv", key + "-positions.csv", key + "-matrix.csv", key + "-members.csv", key + "-history.csv",
		key + "-rounds.csv", key + "-movement.csv", key + "-silence.csv"}
	tests := []struct {
		name  string
		args  []string
		files []string
		bom   bool
	}{
		{"csv files", []string{"-format", "csv"}, csvFiles, false},
		{"csv files with a BOM, flags in any order", []string{"-bom"}, csvFiles, true},
		{"zip", []string{"-format", "zip"}, []string{key + "-pack.zip"}, false},
		{"xlsx", []string{"-format", "xlsx"}, []string{key + "-pack.xlsx"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pack")
			before := len(cliAudit(t, store))
			args := append([]string{"export", "-consultation", key, "-db", db, "-out", out}, tt.args...)
			stdout, stderr, err := cliRun(t, args...)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if want := slices.Sorted(slices.Values(tt.files)); !slices.Equal(names, want) {
				t.Fatalf("folder holds %v, want %v", names, want)
			}
			for _, f := range tt.files {
				if !strings.Contains(stdout, filepath.Join(out, f)) {
					t.Errorf("output does not name %s:\n%s", f, stdout)
				}
				path := filepath.Join(out, f)
				switch filepath.Ext(f) {
				case ".csv":
					b, _ := os.ReadFile(path)
					if got := bytes.HasPrefix(b, []byte(export.BOM)); got != tt.bom {
						t.Errorf("%s starts with a BOM: %t, want %t", f, got, tt.bom)
					}
					// The demo has one round: nobody has moved yet.
					minLines := 2
					if strings.HasSuffix(f, "-movement.csv") {
						minLines = 1
					}
					recs := readCSVFile(t, path)
					if len(recs) < minLines {
						t.Errorf("%s has %d lines", f, len(recs))
					}
					// The demo's silence procedure: five actions.
					if strings.HasSuffix(f, "-silence.csv") && len(recs) != 6 {
						t.Errorf("%s has %d lines, want a header and 5 actions", f, len(recs))
					}
				case ".zip":
					zr, err := zip.OpenReader(path)
					if err != nil {
						t.Fatal(err)
					}
					if len(zr.File) != 8 {
						t.Errorf("archive holds %d files, want 8", len(zr.File))
					}
					zr.Close()
				case ".xlsx":
					x, err := excelize.OpenFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if got := x.GetSheetList(); !slices.Equal(got, []string{"questions", "positions", "matrix", "members", "history", "rounds", "movement", "silence"}) {
						t.Errorf("sheets = %v", got)
					}
					x.Close()
				}
			}
			if n := len(cliAudit(t, store)) - before; n != len(tt.files) {
				t.Errorf("%d export events recorded, want %d", n, len(tt.files))
			}
		})
	}
	t.Run("positions match the demo", func(t *testing.T) {
		out := t.TempDir()
		if _, stderr, err := cliRun(t, "export", "-db", db, "-consultation", key, "-out", out); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		recs := readCSVFile(t, filepath.Join(out, key+"-positions.csv"))
		if !slices.Equal(recs[0], export.PositionColumns) {
			t.Errorf("header = %v", recs[0])
		}
		if len(recs) < 200 {
			t.Errorf("%d lines, want the ~220 demo positions", len(recs))
		}
	})
}

func cliAudit(t *testing.T, store *models.Store) []models.AuditRecord {
	t.Helper()
	evs, err := store.Audit(context.Background(), models.AuditFilter{Action: models.AuditExportDownload, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if !strings.Contains(ev.Detail, "command line") {
			t.Errorf("event %+v does not say it came from the command line", ev)
		}
	}
	return evs
}

func TestExportCommandErrors(t *testing.T) {
	db, _ := cliDB(t)
	missing := filepath.Join(t.TempDir(), "nothing-here.db")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no consultation", []string{"export", "-db", db}, "name the consultation with -consultation KEY"},
		{"unknown consultation", []string{"export", "-db", db, "-consultation", "nope", "-out", t.TempDir()}, `no consultation with the key "nope"`},
		{"bad format", []string{"export", "-db", db, "-consultation", models.DemoKey, "-format", "pdf"}, "-format must be csv, zip or xlsx"},
		{"bom with xlsx", []string{"export", "-db", db, "-consultation", models.DemoKey, "-format", "xlsx", "-bom"}, "-bom applies to CSV files"},
		{"stray argument", []string{"export", "-db", db, "-consultation", models.DemoKey, "out"}, "unexpected arguments: out"},
		{"no database", []string{"export", "-db", missing, "-consultation", models.DemoKey}, "there is no database at"},
		{"round beyond the current one", []string{"export", "-db", db, "-consultation", models.DemoKey, "-round", "3", "-out", t.TempDir()},
			"there is no round 3 in this consultation: its rounds are 1 to 2"},
		{"negative round", []string{"export", "-db", db, "-consultation", models.DemoKey, "-round", "-1"}, "-round must be a round number from 1"},
		{"round not a number", []string{"export", "-db", db, "-consultation", models.DemoKey, "-round", "last"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := cliRun(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a command created a database that did not exist")
	}
}

// demoSecondRound opens round 2 of the demo and gives it positions: the
// members whose code sorts before "H" answer every scale question again,
// one point nearer the middle of the scale (their acceptable range moved
// with it, clamped to the scale), and keep their choice and text answers;
// the others do not answer round 2.
func demoSecondRound(t *testing.T, path string, store *models.Store) {
	t.Helper()
	ctx := context.Background()
	cons, err := store.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	qn, err := store.Questionnaire(ctx, cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	questions := map[uint]*models.Question{}
	for i := range qn.Questions {
		questions[qn.Questions[i].ID] = &qn.Questions[i]
	}
	first, err := store.CurrentPositions(ctx, cons.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cons.Round != 2 {
		t.Fatalf("the demo is in round %d, want 2", cons.Round)
	}
	inputs := map[uint][]models.PositionInput{}
	var order []uint
	for _, r := range first {
		if r.MemberCode >= "H" {
			continue
		}
		q := questions[r.QuestionID]
		in := models.PositionInput{QuestionKey: q.Key, Rationale: r.Rationale}
		switch q.Kind {
		case models.KindScale:
			k := len(q.Points())
			step := 0
			switch mid := float64(k+1) / 2; {
			case float64(r.Preferred) < mid:
				step = 1
			case float64(r.Preferred) > mid:
				step = -1
			}
			clamp := func(v int) int { return min(max(v, 1), k) }
			in.Preferred, in.Importance = r.Preferred+step, r.Importance
			in.AcceptMin, in.AcceptMax = min(clamp(r.AcceptMin+step), in.Preferred), max(clamp(r.AcceptMax+step), in.Preferred)
		case models.KindChoice:
			in.Option = r.Choice
			for _, o := range r.AcceptedOptions() {
				if o != r.Choice {
					in.AcceptOptions = append(in.AcceptOptions, o)
				}
			}
		case models.KindText:
			in.Answer = r.Answer
		}
		if _, seen := inputs[r.MemberID]; !seen {
			order = append(order, r.MemberID)
		}
		inputs[r.MemberID] = append(inputs[r.MemberID], in)
	}
	by, err := actingFacilitator(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range order {
		if _, err := store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: m, UserID: by.ID,
			Source: models.SourceForm, OnBehalf: true, Inputs: inputs[m], IgnoreWindow: true}); err != nil {
			t.Fatalf("round 2 positions of member %d: %v", m, err)
		}
	}
}

// TestCommandLineRoundTripRounds exports round 1 and round 2 of a
// consultation, copies its definition under a new key, imports round 1's
// positions into the copy, opens its round 2, imports round 2's positions
// and exports both rounds again: every file of each round is the same, but
// for the columns an import rewrites (revision, submitted_by,
// submitted_at) and the consultation's key. history.csv is left out: it
// records how each position was saved, which an import does not replay.
func TestCommandLineRoundTripRounds(t *testing.T) {
	db, store := cliDB(t)
	must := func(args ...string) string {
		t.Helper()
		stdout, stderr, err := cliRun(t, args...)
		if err != nil {
			t.Fatalf("concord %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return stdout
	}
	demoSecondRound(t, db, store)
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	must("export", "-db", db, "-consultation", models.DemoKey, "-round", "1", "-out", out("before1"))
	must("export", "-db", db, "-consultation", models.DemoKey, "-round", "2", "-out", out("before2"))

	var def models.Definition
	if err := json.Unmarshal([]byte(must("consultation", "export", "-db", db, "-consultation", models.DemoKey)), &def); err != nil {
		t.Fatal(err)
	}
	def.Key = "demo-copy"
	b, _ := json.Marshal(def)
	if err := os.WriteFile(out("def.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	must("consultation", "import", "-db", db, "-open", out("def.json"))
	must("import", "-db", db, "-consultation", "demo-copy", filepath.Join(out("before1"), models.DemoKey+"-positions.csv"))
	must("round", "open", "-db", db, "-consultation", "demo-copy")
	must("import", "-db", db, "-consultation", "demo-copy", filepath.Join(out("before2"), models.DemoKey+"-positions.csv"))
	must("export", "-db", db, "-consultation", "demo-copy", "-round", "1", "-out", out("after1"))
	must("export", "-db", db, "-consultation", "demo-copy", "-out", out("after2")) // the current round

	skip := map[string]bool{"consultation": true, "revision": true, "submitted_by": true, "submitted_at": true}
	for _, round := range []string{"1", "2"} {
		for _, f := range []string{"questions.csv", "positions.csv", "matrix.csv", "members.csv", "rounds.csv", "movement.csv"} {
			t.Run("round "+round+" "+f, func(t *testing.T) {
				before := readCSVFile(t, filepath.Join(out("before"+round), models.DemoKey+"-"+f))
				after := readCSVFile(t, filepath.Join(out("after"+round), "demo-copy-"+f))
				if len(before) != len(after) {
					t.Fatalf("%d lines before, %d after", len(before), len(after))
				}
				for i := range before {
					for j, col := range before[0] {
						if !skip[col] && before[i][j] != after[i][j] {
							t.Errorf("line %d, %s: %q before, %q after", i+1, col, before[i][j], after[i][j])
						}
					}
				}
			})
		}
	}

	// The files hold what the round trip is about: two rounds, movement.
	rounds := readCSVFile(t, filepath.Join(out("after2"), "demo-copy-rounds.csv"))
	perRound := map[string]int{}
	for _, r := range rounds[1:] {
		perRound[r[2]]++
	}
	if perRound["1"] == 0 || perRound["2"] == 0 {
		t.Errorf("rounds.csv has %v rows per round, want rows for rounds 1 and 2", perRound)
	}
	movement := readCSVFile(t, filepath.Join(out("after2"), "demo-copy-movement.csv"))
	directions := map[string]int{}
	for _, r := range movement[1:] {
		directions[r[7]]++
	}
	if directions["toward"] == 0 || len(movement) < 20 {
		t.Errorf("movement.csv has %d lines, directions %v; want members moving toward the median", len(movement), directions)
	}
	positions := readCSVFile(t, filepath.Join(out("after1"), "demo-copy-positions.csv"))
	if col := slices.Index(positions[0], "round"); col < 0 || positions[1][col] != "1" {
		t.Errorf("positions.csv of round 1: header %v, first row %v; want round 1", positions[0], positions[1])
	}
}

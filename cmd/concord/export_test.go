package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
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
	csvFiles := []string{key + "-questions.csv", key + "-positions.csv", key + "-matrix.csv", key + "-members.csv", key + "-history.csv"}
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
					if recs := readCSVFile(t, path); len(recs) < 2 {
						t.Errorf("%s has %d lines", f, len(recs))
					}
				case ".zip":
					zr, err := zip.OpenReader(path)
					if err != nil {
						t.Fatal(err)
					}
					if len(zr.File) != 5 {
						t.Errorf("archive holds %d files, want 5", len(zr.File))
					}
					zr.Close()
				case ".xlsx":
					x, err := excelize.OpenFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if got := x.GetSheetList(); len(got) != 5 {
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

package export_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"concord/export"
)

// TestWorkbookInLibreOffice opens the workbook as a spreadsheet user would,
// in LibreOffice Calc, and has it save every sheet as CSV with the cells as
// shown: each must read exactly as the CSV export of the same table (the
// decimals of the number formats, the protected text, the empty cells).
// It needs soffice (Debian: libreoffice-calc-nogui); without it the test
// is skipped, unless CONCORD_REQUIRE_LIBREOFFICE=1 (CI) makes that a
// failure.
func TestWorkbookInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CONCORD_REQUIRE_LIBREOFFICE") == "1" {
			t.Fatal("soffice not found and CONCORD_REQUIRE_LIBREOFFICE=1: install libreoffice-calc-nogui")
		}
		t.Skip("soffice not found: install libreoffice-calc-nogui to open the workbook as a spreadsheet user would")
	}
	p := fixture(t)
	dir := t.TempDir()
	var book bytes.Buffer
	if err := export.WriteXLSX(&book, p.Tables()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pack.xlsx"), book.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// CSV filter options: comma, double quote, UTF-8, from line 1, …,
	// cells saved as shown (9th), every sheet to its own file (12th: -1).
	const filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore",
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", filter, "--outdir", filepath.Join(dir, "csv"), filepath.Join(dir, "pack.xlsx"))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	for _, tbl := range p.Tables() {
		t.Run(tbl.Sheet(), func(t *testing.T) {
			shown, err := os.ReadFile(filepath.Join(dir, "csv", "pack-"+tbl.Sheet()+".csv"))
			if err != nil {
				t.Fatalf("LibreOffice wrote no sheet %s: %v", tbl.Sheet(), err)
			}
			var want bytes.Buffer
			if err := export.WriteCSV(&want, tbl, false); err != nil {
				t.Fatal(err)
			}
			got, exp := lines(string(shown)), lines(want.String())
			if len(got) != len(exp) {
				t.Fatalf("LibreOffice shows %d lines, the CSV export has %d", len(got), len(exp))
			}
			for i := range exp {
				if got[i] != exp[i] {
					t.Errorf("line %d:\nLibreOffice %s\nCSV export  %s", i+1, got[i], exp[i])
				}
			}
		})
	}
}

// lines splits a CSV file into lines, whatever its line ends.
func lines(s string) []string {
	return strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
}

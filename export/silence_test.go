package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"concord/export"
	"concord/models"
)

func TestSilenceCSV(t *testing.T) {
	p := fixture(t)
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.FixedZone("CEST", 7200))
	rec := func(id uint, code, action string, paragraph int, text, amendment, by string, onBehalf bool, minutes int) models.SilenceRecord {
		return models.SilenceRecord{ActionRecord: models.ActionRecord{ProcedureAction: models.ProcedureAction{ID: id, ProcedureID: 3,
			Action: action, Paragraph: paragraph, Text: text, Amendment: amendment, OnBehalf: onBehalf, At: at.Add(time.Duration(minutes) * time.Minute)},
			MemberCode: code, ByUsername: by}, DraftNumber: 1, Version: 2}
	}
	p.Silence = []models.SilenceRecord{
		rec(1, "HUN", models.ActionBroke, 2, "The Council must resume.", "=The Council resumes.", "hun-head", false, 0),
		rec(2, "TUR", models.ActionFootnote, 2, "Türkiye recalls its position.", "", "tur", false, 5),
		rec(3, "EST", models.ActionConfirmed, 0, "Received by telegram", "", "anna", true, 6),
		rec(4, "HUN", models.ActionWithdrew, 2, "", "", "hun-head", false, 7),
	}
	var buf bytes.Buffer
	tbl, ok := p.Table("silence.csv")
	if !ok {
		t.Fatal("the pack has no silence.csv")
	}
	if err := export.WriteCSV(&buf, tbl, false); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"consultation", "version", "procedure", "member_code", "action", "paragraph", "text", "by", "on_behalf", "at"},
		// The amendment follows the objection in the same cell; the cell
		// starts with the objection, so nothing needs escaping.
		{"review-2026", "d1v2", "3", "HUN", "broke", "2", "The Council must resume.\n\nProposed amendment: =The Council resumes.", "hun-head", "", "2026-05-04T08:00:00Z"},
		{"review-2026", "d1v2", "3", "TUR", "footnote", "2", "Türkiye recalls its position.", "tur", "", "2026-05-04T08:05:00Z"},
		{"review-2026", "d1v2", "3", "EST", "confirmed", "", "Received by telegram", "anna", "yes", "2026-05-04T08:06:00Z"},
		{"review-2026", "d1v2", "3", "HUN", "withdrew", "2", "", "hun-head", "", "2026-05-04T08:07:00Z"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %d, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, got[i], want[i])
		}
	}

	// A text that starts like a formula is neutralised, as in every table.
	p.Silence = []models.SilenceRecord{rec(5, "HUN", models.ActionFootnote, 1, "=HYPERLINK(\"x\")", "", "hun-head", false, 0)}
	buf.Reset()
	if err := export.WriteCSV(&buf, p.SilenceTable(), false); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if cell := rows[1][6]; cell != "'=HYPERLINK(\"x\")" {
		t.Errorf("formula-like footnote written as %q, want it prefixed with '", cell)
	}

	// The workbook has the sheet, after movement.
	buf.Reset()
	if err := export.WriteXLSX(&buf, p.Tables()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); got[len(got)-1] != "silence" {
		t.Errorf("sheets = %v, want silence last", got)
	}
	if v, _ := f.GetCellValue("silence", "E2"); v != "footnote" {
		t.Errorf("silence!E2 = %q, want footnote", v)
	}
}

// TestLoadSilence loads the pack of the demonstration from the Store: its
// silence.csv is the demo procedure's record, oldest first.
func TestLoadSilence(t *testing.T) {
	ctx := context.Background()
	store, err := models.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetPasswordCost(bcrypt.MinCost)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := models.DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := store.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	p, err := export.Load(ctx, store, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := p.SilenceTable().Collect()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range tbl.Rows {
		got = append(got, row[1].String()+" "+row[3].String()+" "+row[4].String()+" "+row[5].String()+" "+row[8].String())
	}
	want := []string{"d1v2 EST confirmed  ", "d1v2 HUN broke 3 ", "d1v2 TUR footnote 6 ", "d1v2 GRC footnote 5 yes", "d1v2 LVA confirmed  "}
	if !slices.Equal(got, want) {
		t.Errorf("silence.csv rows = %q, want %q", got, want)
	}
}

package export_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"concord/export"
	"concord/models"
)

// TestStreamedPackSameFiles checks that the pack loaded from the Store,
// whose positions.csv and history.csv read their rows from the database in
// batches as they are written, writes the same files as the pack built in
// memory from the same analysis and history — also after new positions
// are saved between loading and writing (positions.csv holds the
// positions analysed).
func TestStreamedPackSameFiles(t *testing.T) {
	ctx := context.Background()
	store, cons := seedSized(t, filepath.Join(t.TempDir(), "stream.db"), 32, 30)
	a, err := store.LoadAnalysis(ctx, cons, 1)
	if err != nil {
		t.Fatal(err)
	}
	history, err := store.History(ctx, cons.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	inMemory := export.New(a, history)
	streamed, err := export.Load(ctx, store, cons, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A save after loading: not in the analysis, so not in positions.csv;
	// history.csv, read as it is written, has it (the in-memory pack is
	// given it too).
	est, err := store.MemberByCode(ctx, "EST")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SubmitPositions(ctx, models.Submission{ConsultationID: cons.ID, MemberID: est.ID, UserID: 1,
		Source: models.SourceForm, OnBehalf: true, IgnoreWindow: true,
		Inputs: []models.PositionInput{{QuestionKey: "q001", Preferred: 5, Rationale: "changed after the export began"}}}); err != nil {
		t.Fatal(err)
	}
	if inMemory.History, err = store.History(ctx, cons.ID, 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range export.Files {
		if f.Name == "silence.csv" {
			continue // not streamed, and empty here: see TestSilenceCSV and the export command's test
		}
		t.Run(f.Name, func(t *testing.T) {
			want, _ := inMemory.Table(f.Name)
			got, _ := streamed.Table(f.Name)
			var wb, gb bytes.Buffer
			if err := export.WriteCSV(&wb, want, false); err != nil {
				t.Fatal(err)
			}
			if err := export.WriteCSV(&gb, got, false); err != nil {
				t.Fatal(err)
			}
			if wb.Len() < 100 {
				t.Fatalf("%s is nearly empty: %q", f.Name, wb.String())
			}
			if !bytes.Equal(gb.Bytes(), wb.Bytes()) {
				t.Errorf("streamed %s differs (%d bytes, want %d)", f.Name, gb.Len(), wb.Len())
			}
		})
	}
	t.Run("workbook", func(t *testing.T) {
		var buf bytes.Buffer
		if err := export.WriteXLSX(&buf, streamed.Tables()); err != nil {
			t.Fatal(err)
		}
		if buf.Len() < 1000 {
			t.Errorf("workbook of %d bytes", buf.Len())
		}
	})
}

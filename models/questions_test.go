package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"concord/models"
)

func TestRenameSection(t *testing.T) {
	tests := []struct {
		name      string
		title     string
		missing   bool
		wantTitle string
		wantErr   string // "" when accepted; "not found" for ErrNotFound, else the title message
		wantAudit int
	}{
		{"renamed and recorded", "  Deterrence and defence ", false, "Deterrence and defence", "", 1},
		{"same title: nothing to record", "Posture", false, "Posture", "", 0},
		{"empty", "   ", false, "Posture", "Give a title of 1 to 200 characters.", 0},
		{"too long", strings.Repeat("x", 201), false, "Posture", "Give a title of 1 to 200 characters.", 0},
		{"not text", "Pos\x00ture", false, "Posture", "Give a title of 1 to 200 characters.", 0},
		{"no such section", "Anything", true, "Posture", "not found", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := freshStore(t)
			ctx := context.Background()
			fac := mustUser(t, s, "fran", models.RoleFacilitator, "")
			c := openConsultation(t, s, "review", fac.ID, scale("posture", "1", "2", "3"))
			qn, err := s.Questionnaire(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			id := qn.Sections[0].ID
			if tc.missing {
				id += 100
			}
			before := countAuditEvents(t, s, models.AuditConsultationEdit)
			err = s.RenameSection(ctx, id, tc.title, fac.ID)
			var verr *models.ValidationError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr == "not found" && !errors.Is(err, models.ErrNotFound):
				t.Fatalf("err = %v, want ErrNotFound", err)
			case tc.wantErr != "" && tc.wantErr != "not found" && (!errors.As(err, &verr) || verr.Fields["title"] != tc.wantErr):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			sec, err := s.SectionByID(ctx, qn.Sections[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if sec.Title != tc.wantTitle {
				t.Errorf("title %q, want %q", sec.Title, tc.wantTitle)
			}
			if n := countAuditEvents(t, s, models.AuditConsultationEdit) - before; n != tc.wantAudit {
				t.Errorf("%d audit event(s), want %d", n, tc.wantAudit)
			}
		})
	}
}

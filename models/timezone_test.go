package models_test

import (
	"context"
	"testing"

	"concord/models"
)

func TestConsultationTimezone(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	tests := []struct {
		name, zone, want, wantLoc string
		bad                       bool
	}{
		{"default", "", "UTC", "UTC", false},
		{"Brussels", "Europe/Brussels", "Europe/Brussels", "Europe/Brussels", false},
		{"spaces trimmed", " Europe/Istanbul ", "Europe/Istanbul", "Europe/Istanbul", false},
		{"unknown", "Europe/Atlantis", "", "", true},
		{"the server's zone", "Local", "", "", true},
		{"offset, not a zone", "+01:00", "", "", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: "tz-" + string(rune('a'+i)), Title: "T", Timezone: tt.zone}, fac.ID)
			if tt.bad {
				if !isValidationOn("timezone")(err) {
					t.Errorf("err = %v, want a ValidationError on timezone", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Timezone != tt.want || c.Location().String() != tt.wantLoc {
				t.Errorf("zone %q, location %s; want %q, %s", c.Timezone, c.Location(), tt.want, tt.wantLoc)
			}
		})
	}
	// Updating without a zone keeps it; naming one changes it.
	c, err := s.CreateConsultation(ctx, models.ConsultationInput{Key: "keep", Title: "T", Timezone: "Europe/Brussels"}, fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateConsultation(ctx, c.ID, models.ConsultationInput{Title: "T2"}, fac.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ConsultationByID(ctx, c.ID); got.Timezone != "Europe/Brussels" || got.Title != "T2" {
		t.Errorf("after an update without a zone: %q %q, want Europe/Brussels T2", got.Timezone, got.Title)
	}
	if err := s.UpdateConsultation(ctx, c.ID, models.ConsultationInput{Title: "T2", Timezone: "UTC"}, fac.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ConsultationByID(ctx, c.ID); got.Timezone != "UTC" {
		t.Errorf("after setting UTC: %q", got.Timezone)
	}
}

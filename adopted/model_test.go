package adopted_test

import (
	"testing"
	"time"

	"concord/adopted"
	"concord/models"
)

func TestFromModel(t *testing.T) {
	closed := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	at := closed.Add(-time.Hour)
	a := &models.AdoptedText{
		Consultation: models.Consultation{Title: "Review", Marking: "Restricted", Timezone: "Europe/Brussels"},
		Draft:        models.Draft{Title: "Strategy"},
		Version:      models.DraftVersion{Version: 2, Hash: "abc"},
		Procedure:    models.Procedure{ClosedAt: &closed},
		Paragraphs: []models.AdoptedParagraph{
			{Paragraph: models.Paragraph{Number: 1, Text: "First."}, Footnotes: []models.Footnote{}},
			{Paragraph: models.Paragraph{Number: 2, Text: "Second."},
				Footnotes: []models.Footnote{{MemberCode: "TUR", MemberName: "Türkiye", Text: "A national position.", At: at}}},
		},
	}
	got := adopted.FromModel(a)
	if got.Consultation != "Review" || got.Marking != "Restricted" || got.Title != "Strategy" || got.Version != 2 ||
		got.Hash != "abc" || !got.AdoptedAt.Equal(closed) || got.Timezone == nil || got.Timezone.String() != "Europe/Brussels" {
		t.Errorf("text %+v", got)
	}
	if len(got.Paragraphs) != 2 || got.Paragraphs[1].Number != 2 || len(got.Paragraphs[1].Footnotes) != 1 ||
		got.Paragraphs[1].Footnotes[0] != (adopted.Footnote{MemberCode: "TUR", MemberName: "Türkiye", Text: "A national position.", At: at}) {
		t.Errorf("paragraphs %+v", got.Paragraphs)
	}
}

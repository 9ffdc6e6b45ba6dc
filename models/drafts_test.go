package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"concord/models"
)

// The hash's encoding is fixed: these values were computed outside Go with
// printf '…' | sha256sum over the documented canonical bytes.
func TestVersionHashGolden(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		want  string
	}{
		{"no paragraph", nil, "2a808be1327a69e4d762662060f3ebd8afd4aed459aa12ef62342410557a3f5b"},
		{"one paragraph", []string{"Hello"}, "f9ef6f36c3f30c49a68fd03005f11366fbafe2d9e0ed13729ba8e5c100153aa3"},
		// "Türkiye." is 9 bytes: ü takes two.
		{"two paragraphs, non-ASCII", []string{"Allies agree.", "Türkiye."}, "c1995b75a7843abd719dcb7f759a1669242ab0b4b1279b9275e9c57f7aaf6214"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.VersionHash(tt.texts); got != tt.want {
				t.Errorf("VersionHash(%q) = %s, want %s", tt.texts, got, tt.want)
			}
		})
	}
	// Lengths keep paragraph boundaries apart.
	if models.VersionHash([]string{"ab", "c"}) == models.VersionHash([]string{"a", "bc"}) {
		t.Error("moving a boundary between paragraphs does not change the hash")
	}
}

func TestSaveDraftVersion(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "strategy", fac.ID, scale("nrc", "a", "b", "c"), scale("deterrence", "a", "b", "c"))

	d, err := s.CreateDraft(ctx, c.ID, "  Strategy   text ", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Number != 1 || d.Title != "Strategy text" {
		t.Errorf("draft = number %d title %q, want 1 %q", d.Number, d.Title, "Strategy text")
	}
	d2, err := s.CreateDraft(ctx, c.ID, "Communiqué", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Number != 2 {
		t.Errorf("second draft number = %d, want 2", d2.Number)
	}

	first := []models.ParagraphInput{
		{Text: "  Allies agree.\r\nOn two lines. ", Questions: []string{"nrc", "nrc"}},
		{Text: "Deterrence holds.", Questions: []string{"deterrence", "nrc"}},
	}
	v1, created, err := s.SaveDraftVersion(ctx, d.ID, first, "first text", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !created || v1.Version != 1 {
		t.Fatalf("first save: created %t version %d, want true 1", created, v1.Version)
	}
	if got := v1.Paragraphs[0].Text; got != "Allies agree.\nOn two lines." {
		t.Errorf("paragraph 1 = %q, want trimmed with a line feed", got)
	}
	if want := models.VersionHash([]string{"Allies agree.\nOn two lines.", "Deterrence holds."}); v1.Hash != want {
		t.Errorf("hash = %s, want %s", v1.Hash, want)
	}

	// Same texts and links (after normalisation): no new version.
	same := []models.ParagraphInput{
		{Text: "Allies agree.\nOn two lines.", Questions: []string{"nrc"}},
		{Text: "Deterrence holds.", Questions: []string{"deterrence", "nrc"}},
	}
	again, created, err := s.SaveDraftVersion(ctx, d.ID, same, "no change", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if created || again.Version != 1 {
		t.Errorf("identical save: created %t version %d, want false 1", created, again.Version)
	}

	// A change of links alone is a change: a new version, same hash.
	relinked := []models.ParagraphInput{same[0], {Text: "Deterrence holds.", Questions: []string{"deterrence"}}}
	v2, created, err := s.SaveDraftVersion(ctx, d.ID, relinked, "", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !created || v2.Version != 2 || v2.Hash != v1.Hash {
		t.Errorf("relinked: created %t version %d hash equal %t, want true 2 true", created, v2.Version, v2.Hash == v1.Hash)
	}

	loaded, err := s.Version(ctx, d.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.Paragraphs[1].QuestionKeys; !slices.Equal(got, []string{"deterrence", "nrc"}) {
		t.Errorf("version 1 paragraph 2 links = %v, want [deterrence nrc]", got)
	}
	if got := loaded.Paragraphs[0].QuestionKeys; !slices.Equal(got, []string{"nrc"}) {
		t.Errorf("version 1 paragraph 1 links = %v, want [nrc] (duplicate dropped)", got)
	}
	vs, err := s.Versions(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Note != "first text" {
		t.Errorf("versions = %d, first note %q; want 2, %q", len(vs), vs[0].Note, "first text")
	}
	latest, err := s.LatestVersion(ctx, d.ID)
	if err != nil || latest.Version != 2 {
		t.Errorf("latest = %v, %v; want version 2", latest, err)
	}
	if _, err := s.LatestVersion(ctx, d2.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("latest of a draft without versions: err = %v, want ErrNotFound", err)
	}
	list, err := s.Drafts(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || len(list[0].Versions) != 2 || len(list[1].Versions) != 0 || list[0].Circulated() {
		t.Errorf("drafts = %d (versions %d, %d; circulated %t), want 2 (2, 0; false)", len(list), len(list[0].Versions), len(list[1].Versions), list[0].Circulated())
	}
	if got := countAuditEvents(t, s, models.AuditDraftVersion); got != 2 {
		t.Errorf("version audit events = %d, want 2", got)
	}
}

func TestSaveDraftVersionRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := freshStore(t)
	fac := mustUser(t, s, "fac", models.RoleFacilitator, "")
	c := openConsultation(t, s, "strategy", fac.ID, scale("nrc", "a", "b", "c"))
	d, err := s.CreateDraft(ctx, c.ID, "Text", fac.ID)
	if err != nil {
		t.Fatal(err)
	}
	long := make([]rune, models.MaxParagraphText+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name  string
		in    []models.ParagraphInput
		note  string
		field string
	}{
		{"no paragraph", nil, "", "paragraphs"},
		{"empty paragraph", []models.ParagraphInput{{Text: "One."}, {Text: "  "}}, "", "paragraph.2"},
		{"too long", []models.ParagraphInput{{Text: string(long)}}, "", "paragraph.1"},
		{"control character", []models.ParagraphInput{{Text: "bell \a"}}, "", "paragraph.1"},
		{"unknown question", []models.ParagraphInput{{Text: "One.", Questions: []string{"nrc", "missing"}}}, "", "paragraph.1.questions"},
		{"bad note", []models.ParagraphInput{{Text: "One."}}, "bell \a", "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.SaveDraftVersion(ctx, d.ID, tt.in, tt.note, fac.ID)
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			if _, ok := ve.Fields[tt.field]; !ok {
				t.Errorf("fields = %v, want one on %q", ve.Fields, tt.field)
			}
		})
	}
	if _, err := s.CreateDraft(ctx, c.ID, " ", fac.ID); err == nil {
		t.Error("a draft without a title was created")
	}
	if vs, _ := s.Versions(ctx, d.ID); len(vs) != 0 {
		t.Errorf("refused saves left %d versions", len(vs))
	}
}

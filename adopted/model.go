package adopted

import "concord/models"

// FromModel is the Text of a version adopted by a silence procedure, as the
// Store loads it: the consultation's title, marking and timezone, the
// draft's title, the version's number and hash, the adoption time (the
// procedure's deadline) and each paragraph with its members' footnotes.
func FromModel(a *models.AdoptedText) Text {
	t := Text{
		Consultation: a.Consultation.Title,
		Marking:      a.Consultation.Marking,
		Title:        a.Draft.Title,
		Version:      a.Version.Version,
		Hash:         a.Version.Hash,
		AdoptedAt:    a.AdoptedAt(),
		Timezone:     a.Consultation.Location(),
		Paragraphs:   make([]Paragraph, 0, len(a.Paragraphs)),
	}
	for _, p := range a.Paragraphs {
		para := Paragraph{Number: p.Number, Text: p.Text, Footnotes: make([]Footnote, 0, len(p.Footnotes))}
		for _, f := range p.Footnotes {
			para.Footnotes = append(para.Footnotes, Footnote{MemberCode: f.MemberCode, MemberName: f.MemberName, Text: f.Text, At: f.At})
		}
		t.Paragraphs = append(t.Paragraphs, para)
	}
	return t
}

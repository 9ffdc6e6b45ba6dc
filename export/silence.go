package export

import (
	"context"
	"fmt"
	"slices"

	"concord/models"
)

// SilenceSource is a [Source] that can also read the record of the
// consultation's silence procedures (the Store is one); [Load] fills
// silence.csv from it, and leaves the table with its header alone for a
// source that cannot.
type SilenceSource interface {
	SilenceRecords(ctx context.Context, consultationID uint) ([]models.SilenceRecord, error)
}

// SilenceColumns is the header of silence.csv.
var SilenceColumns = []string{"consultation", "version", "procedure", "member_code", "action", "paragraph", "text",
	"by", "on_behalf", "at"}

// AmendmentLabel starts the amendment in the text cell of a "broke" row
// that proposes one: the objection, a blank line, this label, the text.
const AmendmentLabel = "Proposed amendment: "

// loadSilence reads the procedure record into p when src can give it.
func (p *Pack) loadSilence(ctx context.Context, src Source, c *models.Consultation) error {
	ss, ok := src.(SilenceSource)
	if !ok {
		return nil
	}
	recs, err := ss.SilenceRecords(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load silence procedures of %s: %w", c.Key, err)
	}
	p.Silence = recs
	return nil
}

// SilenceTable is silence.csv: every action of every silence procedure of
// the consultation, oldest first — version is "d1v2" for version 2 of
// draft 1, procedure the procedure's number, paragraph empty for a
// confirmation, text the objection (with the proposed amendment after
// [AmendmentLabel]), the footnote or the remark, by the account's
// username, on_behalf "yes" for an action a facilitator recorded for the
// member.
func (p *Pack) SilenceTable() Table {
	t := Table{Name: "silence.csv", Header: slices.Clone(SilenceColumns)}
	for _, r := range p.Silence {
		paragraph := Empty
		if r.Paragraph > 0 {
			paragraph = Int(r.Paragraph)
		}
		text := r.Text
		if r.Amendment != "" {
			text += "\n\n" + AmendmentLabel + r.Amendment
		}
		onBehalf := Empty
		if r.OnBehalf {
			onBehalf = Text("yes")
		}
		t.Rows = append(t.Rows, []Cell{Text(p.Key()), Text(fmt.Sprintf("d%dv%d", r.DraftNumber, r.Version)),
			Int(int(r.ProcedureID)), Text(r.MemberCode), Text(r.Action), paragraph, Text(text),
			Text(r.ByUsername), onBehalf, timestamp(r.At)})
	}
	return t
}

package handlers

import (
	"strconv"

	"concord/consensus"
	"concord/models"
)

// MinOthersForDistribution is the small-count protection of the anonymised
// distribution that delegates may see once a consultation is closed: a
// question's distribution is shown only when at least this many members
// other than the viewer's own answered it. With fewer, a delegate who
// knows their own answer could work out another member's from the counts
// (with one other answer, exactly), so the page says only
// withheldDistribution instead.
const MinOthersForDistribution = 5

// withheldDistribution is what a delegate reads instead of a distribution
// that would reveal positions.
const withheldDistribution = "Too few answers to show without revealing positions."

// sharedDistribution is the anonymised distribution of a scale or choice
// question that delegates may see once the consultation is closed: how
// many members chose each point or option, and nothing about who did.
// Withheld is set (and Rows empty) when too few other members answered.
type sharedDistribution struct {
	Responses int
	Rows      []sharedRow
	Withheld  string
}

type sharedRow struct {
	Label string
	Count int
	Mine  bool // the point or option of the member whose form this is
}

// shareDistribution reads the report of a question into its anonymised
// distribution; nil for text questions (their answers are attributed).
// cur is the viewing member's current answer (nil when it has not
// answered): the others who answered are the responses without it.
func shareDistribution(qr *consensus.QuestionReport, cur *models.RevisionRecord) *sharedDistribution {
	if qr.Scale == nil && qr.Choice == nil {
		return nil
	}
	d := &sharedDistribution{Responses: qr.Coverage.Responses}
	others := qr.Coverage.Responses
	if cur != nil {
		others--
	}
	if others < MinOthersForDistribution {
		d.Withheld = withheldDistribution
		return d
	}
	switch {
	case qr.Scale != nil:
		for i, n := range qr.Scale.Counts {
			label := strconv.Itoa(i + 1)
			if i < len(qr.Points) {
				label += " — " + qr.Points[i]
			}
			d.Rows = append(d.Rows, sharedRow{Label: label, Count: n, Mine: cur != nil && cur.Preferred == i+1})
		}
	case qr.Choice != nil:
		for i, o := range qr.Choice.Options {
			d.Rows = append(d.Rows, sharedRow{Label: o.Option, Count: o.Count, Mine: cur != nil && cur.Choice == i+1})
		}
	}
	return d
}

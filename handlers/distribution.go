package handlers

import (
	"fmt"
	"strconv"
	"strings"

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

// roundFeedback is the anonymised result of the previous round of a scale
// or choice question, shown beside it in the next round (a Delphi round):
// how many members chose each point or option, the median (scale), the
// common ground, the viewing member's own previous answer, and the
// previous round's rationales without attribution when the facilitators
// show them. The counts, median, common ground and rationales are
// withheld under the same small-count rule as the shared distribution
// (MinOthersForDistribution other members), since with few answers each
// of them would reveal another member's position; the member's own
// previous answer is always shown.
type roundFeedback struct {
	Round     int  // the previous round
	Scale     bool // a scale question (points), else a choice (options)
	Responses int
	Rows      []sharedRow // Mine marks the member's own previous answer
	Median    string      // scale: "3" or "3.5 (between …)"; "" for choice
	// Common is the common ground in words ("points 3 to 4", "“Suspend”"):
	// what every member who answered could accept; "" when there is none.
	Common   string
	Withheld string
	// Own describes the member's own previous answer; "" when it did not
	// answer in the previous round.
	Own string
	// Rationales are the previous round's rationales, unattributed; shown
	// only when RationalesShown (the facilitators enabled them).
	Rationales      []string
	RationalesShown bool
}

// previousRoundFeedback reads the Store's feedback on one question into
// what the form shows; nil when there is none (round 1, a text question).
func previousRoundFeedback(f *models.QuestionFeedback, q *models.Question, round int, rationales bool) *roundFeedback {
	if f == nil {
		return nil
	}
	d := &roundFeedback{Round: round, Scale: f.Kind == models.KindScale, Responses: f.Responses, RationalesShown: rationales}
	if f.Own != nil {
		d.Own = describe(&f.Own.Revision, q)
	}
	others := f.Responses
	if f.Own != nil {
		others--
	}
	if others < MinOthersForDistribution {
		d.Withheld = withheldDistribution
		return d
	}
	label := func(p int) string {
		if p >= 1 && p <= len(f.Labels) {
			return f.Labels[p-1]
		}
		return ""
	}
	for i, n := range f.Counts {
		row := sharedRow{Label: label(i + 1), Count: n}
		if f.Kind == models.KindScale {
			row.Label = strconv.Itoa(i+1) + " — " + row.Label
			row.Mine = f.Own != nil && f.Own.Preferred == i+1
		} else {
			row.Mine = f.Own != nil && f.Own.Choice == i+1
		}
		d.Rows = append(d.Rows, row)
	}
	switch f.Kind {
	case models.KindScale:
		if f.Responses > 0 {
			d.Median = strconv.FormatFloat(f.Median, 'f', -1, 64)
			if p := int(f.Median); float64(p) == f.Median && label(p) != "" {
				d.Median += " — " + label(p)
			}
		}
		if g := f.CommonGround; g != nil {
			if g.Lo == g.Hi {
				d.Common = fmt.Sprintf("point %d", g.Lo)
			} else {
				d.Common = fmt.Sprintf("points %d to %d", g.Lo, g.Hi)
			}
		}
	case models.KindChoice:
		var names []string
		for _, o := range f.CommonOptions {
			names = append(names, "“"+label(o)+"”")
		}
		if len(names) > 0 {
			d.Common = strings.Join(names, ", ")
		}
	}
	d.Rationales = f.Rationales
	return d
}

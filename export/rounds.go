package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"concord/consensus"
	"concord/models"
)

// RoundColumns is the header of rounds.csv.
var RoundColumns = []string{"consultation", "question_key", "round", "responses", "median", "iqr", "consensus_cns",
	"agreement_pct", "classification", "common_ground", "holdouts", "unchanged_pct", "stable"}

// MovementColumns is the header of movement.csv.
var MovementColumns = []string{"member_code", "question_key", "from_round", "to_round", "preferred_before",
	"preferred_after", "shift", "direction", "acceptable_before", "acceptable_after"}

// rounds returns the reports of every round, oldest first: Rounds when the
// pack was loaded with them, else the pack's own round alone.
func (p *Pack) rounds() []RoundReport {
	if len(p.Rounds) > 0 {
		return p.Rounds
	}
	round := 1
	if p.Analysis != nil && p.Analysis.Round > 0 {
		round = p.Analysis.Round
	}
	return []RoundReport{{Round: round, Report: p.Report}}
}

// lastRound is the latest round of the pack (the consultation's current
// round when the pack holds every round).
func (p *Pack) lastRound() int {
	r := p.rounds()
	return r[len(r)-1].Round
}

// roundQuestions is the question order of rounds.csv and movement.csv: the
// questionnaire's order, which every round's report shares (the latest
// round's report is the reference).
func (p *Pack) roundQuestions() []*consensus.QuestionReport {
	r := p.rounds()
	rep := r[len(r)-1].Report
	out := make([]*consensus.QuestionReport, len(rep.Questions))
	for i := range rep.Questions {
		out[i] = &rep.Questions[i]
	}
	return out
}

// RoundsTable is rounds.csv: for every question in questionnaire order,
// one row per round, oldest first, in which the question had at least one
// response, and always one for the latest round. The figures are those of
// questions.csv for that round; from round 2, unchanged_pct and stable
// compare the round with the one before it (the stop rule).
func (p *Pack) RoundsTable() Table {
	t := Table{Name: "rounds.csv", Header: slices.Clone(RoundColumns)}
	rounds := p.rounds()
	last := p.lastRound()
	for _, ref := range p.roundQuestions() {
		for _, rr := range rounds {
			qr, ok := rr.Report.Question(ref.Key)
			if !ok || qr.Coverage.Responses == 0 && rr.Round != last {
				continue
			}
			t.Rows = append(t.Rows, p.roundRow(rr.Round, qr))
		}
	}
	return t
}

// roundRow is one row of rounds.csv.
func (p *Pack) roundRow(round int, qr *consensus.QuestionReport) []Cell {
	row := []Cell{Text(p.Key()), Text(qr.Key), Int(round), Int(qr.Coverage.Responses),
		Empty, Empty, Empty, Empty, // median, iqr, consensus_cns, agreement_pct
		Text(string(qr.Classification)),
		Empty, Empty, // common_ground, holdouts
		Empty, Empty, // unchanged_pct, stable
	}
	if qr.Kind != consensus.KindScale && qr.Kind != consensus.KindChoice {
		return row
	}
	if st := qr.Scale; st != nil {
		if qr.Coverage.Responses > 0 {
			row[4], row[5], row[6], row[7] = Decimal(st.Median, 4), Decimal(st.IQR, 4), Decimal(st.Cns, 4), Decimal(st.AgreementPct, 2)
		}
		if st.CommonGround != nil {
			row[9] = Text(pointRange(*st.CommonGround, true))
		}
	}
	if ch := qr.Choice; ch != nil {
		row[9] = Text(models.FormatOptionList(ch.CommonGround))
	}
	row[10] = codes(qr.Holdouts)
	if round > 1 {
		// Without a trend (no response in one of the two rounds) or without
		// a member who answered both, nothing was kept or changed: the
		// share is empty and the question is not stable.
		row[12] = Text("no")
		if tr := qr.Trend; tr != nil {
			if tr.Both > 0 {
				row[11] = Decimal(tr.UnchangedPct, 2)
			}
			row[12] = yesNo(tr.Stable)
		}
	}
	return row
}

// pointRange writes a range of scale points as "lo-hi"; with short, a range
// of one point is written as that point alone.
func pointRange(r consensus.Range, short bool) string {
	if short && r.Lo == r.Hi {
		return strconv.Itoa(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// MovementTable is movement.csv: for every pair of consecutive rounds and
// every scale question, one row per member who answered the question in
// both rounds, ordered by question (questionnaire order), then round, then
// member code. The direction is relative to the median of the earlier
// round; the acceptable ranges are always written "lo-hi".
func (p *Pack) MovementTable() Table {
	t := Table{Name: "movement.csv", Header: slices.Clone(MovementColumns)}
	rounds := p.rounds()
	for _, ref := range p.roundQuestions() {
		if ref.Kind != consensus.KindScale {
			continue
		}
		for _, rr := range rounds {
			// A round's trend compares it with the round before it.
			qr, ok := rr.Report.Question(ref.Key)
			if rr.Round < 2 || !ok || qr.Trend == nil {
				continue
			}
			moves := slices.Clone(qr.Trend.Movement)
			slices.SortStableFunc(moves, func(a, b consensus.Movement) int { return strings.Compare(a.Member, b.Member) })
			for _, mv := range moves {
				t.Rows = append(t.Rows, []Cell{Text(mv.Member), Text(qr.Key), Int(rr.Round - 1), Int(rr.Round),
					Int(mv.Before), Int(mv.After), Int(mv.Shift), Text(mv.Direction),
					Text(pointRange(mv.AcceptBefore, false)), Text(pointRange(mv.AcceptAfter, false))})
			}
		}
	}
	return t
}

package models

// CoverageGrid is the members × questions grid of who has answered what in
// a round, with counts per member and per question.
type CoverageGrid struct {
	Questions   []Question
	Rows        []CoverageRow
	PerQuestion []int // answers per question, in question order
	Answered    int   // cells answered
	Cells       int   // members × questions
	Complete    int   // members who answered every question
	Silent      int   // members who answered nothing
}

// CoverageRow is one member's line of the grid.
type CoverageRow struct {
	Member   Member
	Answered []bool // per question, in question order
	Count    int
}

// BuildCoverage assembles the grid from current positions.
func BuildCoverage(members []Member, questions []Question, current []RevisionRecord) CoverageGrid {
	type cell struct{ member, question uint }
	seen := make(map[cell]bool, len(current))
	for _, r := range current {
		seen[cell{r.MemberID, r.QuestionID}] = true
	}
	g := CoverageGrid{Questions: questions, PerQuestion: make([]int, len(questions)), Cells: len(members) * len(questions)}
	for _, m := range members {
		row := CoverageRow{Member: m, Answered: make([]bool, len(questions))}
		for i, q := range questions {
			if seen[cell{m.ID, q.ID}] {
				row.Answered[i] = true
				row.Count++
				g.PerQuestion[i]++
			}
		}
		g.Answered += row.Count
		switch row.Count {
		case len(questions):
			g.Complete++
		case 0:
			g.Silent++
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

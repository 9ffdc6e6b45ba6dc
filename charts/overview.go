package charts

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"concord/consensus"
)

// MemberRef names a member.
type MemberRef struct {
	Code, Name string
}

// Badge is a classification as the pages show it: its words and the CSS
// class that colours it.
type Badge struct {
	Label string
	Class string
}

// classOrder lists the classifications from most agreement to least — the
// report's ranking read backwards, so polarized (two camps at the ends of
// the scale) is the most divided — then insufficient.
var classOrder = []consensus.Classification{
	consensus.Unanimous, consensus.Consensus, consensus.BroadAgreement,
	consensus.Divided, consensus.Polarized, consensus.Insufficient,
}

// classColors colour the classifications: ColorBrewer RdBu (safe for the
// common colour-vision deficiencies), blue for agreement, red for division
// (darkest for the most divided), grey for too few answers. report.css uses
// the same colours for badges.
var classColors = map[consensus.Classification]string{
	consensus.Unanimous:      "#2166ac",
	consensus.Consensus:      "#67a9cf",
	consensus.BroadAgreement: "#d1e5f0",
	consensus.Divided:        "#ef8a62",
	consensus.Polarized:      "#b2182b",
	consensus.Insufficient:   "#d9d9d9",
}

// classDark tells which classification colours need white text.
var classDark = map[consensus.Classification]bool{consensus.Unanimous: true, consensus.Polarized: true}

// BadgeOf returns the badge of a classification ("" for text questions).
func BadgeOf(c consensus.Classification) Badge {
	if c == "" {
		return Badge{Label: "open question", Class: "class-none"}
	}
	return Badge{Label: string(c), Class: "class-" + strings.ReplaceAll(string(c), " ", "-")}
}

// ClassCount is the number of questions of one classification.
type ClassCount struct {
	Badge Badge
	Count int
}

// Blockers describes who stands outside when a scale question has no
// common ground.
type Blockers struct {
	Members    []string
	Minus      int // consensus minus N: N = number of blockers
	Point      int
	PointLabel string
}

// Statement writes the blocking in words: "consensus minus 2 at point 3:
// Technical talks".
func (b *Blockers) Statement() string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf("consensus minus %d at point %d: %s", b.Minus, b.Point, b.PointLabel)
}

// RankRow is one question of the ranking, most divided first.
type RankRow struct {
	Rank               int
	Key, Text, Section string
	Kind               consensus.Kind
	Badge              Badge
	Responses, Total   int
	Scale              bool
	Cns, AgreementPct  float64
	Median             float64
	CommonGround       string // "points 3–4: Exploratory talks – Structured negotiations"; "" when none
	Blockers           *Blockers
	Plurality          []string
	PluralitySharePct  float64
	OutlierCount       int
	RedLineCount       int
}

// TextRow is a text question of the overview.
type TextRow struct {
	Key, Text, Section string
	Answers, Total     int
}

// Overview is the first report page: coverage, classification counts, the
// thresholds, and the ranking of questions from most divided to least.
type Overview struct {
	Responding, Total int
	CoveragePct       float64
	Missing           []MemberRef
	Classes           []ClassCount
	ClassChart        template.HTML
	Thresholds        consensus.Thresholds
	Ranked            []RankRow
	Texts             []TextRow
	Questions         int
	// PolarizedPct is Thresholds.PolarizedShare as a percentage ("33%").
	PolarizedPct string
}

// Badge returns the badge of a classification named in words, for the
// legend of the overview.
func (Overview) Badge(class string) Badge { return BadgeOf(consensus.Classification(class)) }

// Responding returns how many members answered at least one question.
func Responding(r *consensus.Report) int {
	n := 0
	for _, m := range r.Members {
		if m.Answered > 0 {
			n++
		}
	}
	return n
}

// NewOverview builds the overview of a report.
func NewOverview(r *consensus.Report) Overview {
	o := Overview{Total: r.MembersTotal, Thresholds: r.Thresholds, Questions: len(r.Questions),
		PolarizedPct: fmtPct(100 * r.Thresholds.PolarizedShare)}
	for _, m := range sortedMembers(r) {
		if m.Answered > 0 {
			o.Responding++
		} else {
			o.Missing = append(o.Missing, MemberRef{m.Code, m.Name})
		}
	}
	if o.Total > 0 {
		o.CoveragePct = 100 * float64(o.Responding) / float64(o.Total)
	}
	for _, c := range classOrder {
		o.Classes = append(o.Classes, ClassCount{Badge: BadgeOf(c), Count: r.ClassCounts[c]})
	}
	o.ClassChart = ClassChart(r, "class-chart")
	for i, key := range r.Ranking {
		q, ok := r.Question(key)
		if !ok {
			continue
		}
		o.Ranked = append(o.Ranked, rankRow(i+1, q))
	}
	for i := range r.Questions {
		q := &r.Questions[i]
		if q.Kind == consensus.KindText {
			n := 0
			if q.TextStats != nil {
				n = len(q.TextStats.Answers)
			}
			o.Texts = append(o.Texts, TextRow{Key: q.Key, Text: q.Text, Section: q.Section, Answers: n, Total: q.Coverage.MembersTotal})
		}
	}
	return o
}

func rankRow(rank int, q *consensus.QuestionReport) RankRow {
	row := RankRow{Rank: rank, Key: q.Key, Text: q.Text, Section: q.Section, Kind: q.Kind,
		Badge: BadgeOf(q.Classification), Responses: q.Coverage.Responses, Total: q.Coverage.MembersTotal}
	switch {
	case q.Scale != nil:
		st := q.Scale
		row.Scale = true
		row.Cns, row.AgreementPct, row.Median = st.Cns, st.AgreementPct, st.Median
		row.OutlierCount, row.RedLineCount = len(st.Outliers), len(st.RedLines)
		if st.CommonGround != nil {
			row.CommonGround = commonGroundText(q, *st.CommonGround)
		}
		row.Blockers = blockersOf(q)
	case q.Choice != nil:
		row.Plurality = q.Choice.Plurality
		row.PluralitySharePct = 100 * q.Choice.PluralityShare
	}
	return row
}

// commonGroundText names a common ground by its points and labels.
func commonGroundText(q *consensus.QuestionReport, cg consensus.Range) string {
	if cg.Lo == cg.Hi {
		return fmt.Sprintf("point %d: %s", cg.Lo, pointLabel(q, cg.Lo))
	}
	return fmt.Sprintf("points %d–%d: %s – %s", cg.Lo, cg.Hi, pointLabel(q, cg.Lo), pointLabel(q, cg.Hi))
}

// blockersOf returns who blocks a scale question without common ground.
func blockersOf(q *consensus.QuestionReport) *Blockers {
	if q.Scale == nil || q.Scale.Blocking == nil {
		return nil
	}
	b := q.Scale.Blocking
	return &Blockers{Members: b.Members, Minus: len(b.Members), Point: b.Point, PointLabel: pointLabel(q, b.Point)}
}

// sortedMembers returns the member profiles sorted by code.
func sortedMembers(r *consensus.Report) []consensus.MemberProfile {
	out := slices.Clone(r.Members)
	slices.SortStableFunc(out, func(a, b consensus.MemberProfile) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// ClassChart draws the number of ranked questions per classification as
// one stacked horizontal bar, from most agreement to least. It returns ""
// when no question is ranked.
func ClassChart(r *consensus.Report, id string) template.HTML {
	total := 0
	for _, c := range classOrder {
		total += r.ClassCounts[c]
	}
	if total == 0 {
		return ""
	}
	const w, h, barY, barH = 820.0, 64.0, 6.0, 30.0
	var desc strings.Builder
	for _, c := range classOrder {
		if n := r.ClassCounts[c]; n > 0 {
			fmt.Fprintf(&desc, "%s: %d. ", c, n)
		}
	}
	s := newSVG(id, w, h, "chart-classes", fmt.Sprintf("Classification of the %d ranked questions", total), strings.TrimSpace(desc.String()))
	x := 0.0
	for _, c := range classOrder {
		n := r.ClassCounts[c]
		if n == 0 {
			continue
		}
		sw := float64(n) / float64(total) * w
		s.raw(`<g>`)
		s.tooltip(fmt.Sprintf("%s: %d", c, n))
		s.rect(x, barY, sw, barH, fmt.Sprintf(`class="segment" fill="%s" stroke="%s" stroke-width="1" data-count="%d"`, classColors[c], colPaper, n))
		s.raw(`</g>`)
		fill := colInk
		if classDark[c] {
			fill = colPaper
		}
		if label := fmt.Sprintf("%d", n); sw > 18 {
			s.text(x+sw/2, barY+barH/2+5, label, fmt.Sprintf(`text-anchor="middle" font-size="13" font-weight="700" fill="%s"`, fill))
		}
		if name := string(c); sw > float64(len(name))*charWidth(11)+6 {
			s.text(x+sw/2, barY+barH+16, name, fmt.Sprintf(`text-anchor="middle" font-size="11" fill="%s"`, colMuted))
		}
		x += sw
	}
	return s.html()
}

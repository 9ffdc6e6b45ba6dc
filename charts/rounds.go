package charts

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"concord/consensus"
)

// The views of a round compared with the one before it: the trend of a
// question, the movement of its members, what converged on the overview,
// who moved most, and how each bloc moved. They display the figures of
// consensus/trend.go and compute none of their own.

// Direction glyphs beside the words toward, away and unchanged: arrows
// that meet (closer to the previous median), arrows that part (further
// from it), an equals sign (the same distance). Decorative: the page
// always prints the word.
const (
	glyphToward    = "→←"
	glyphAway      = "←→"
	glyphUnchanged = "="
)

// Convergence glyphs of the ranking: agreement up, down or level.
const (
	glyphConverging = "↑"
	glyphDiverging  = "↓"
	glyphSteady     = "→"
)

// moversShown is how many members the "moved most" table lists.
const moversShown = 10

// Change is one figure before and after, with the signed change.
type Change struct {
	Label, Before, After, Delta string
	Abbr, AbbrTitle             string // the figure's short name ("Cns"), explained on hover
}

// MoveRow is one member's movement on a scale question between two rounds.
type MoveRow struct {
	Member                    MemberRef
	Before, After, Shift      int
	BeforeLabel, AfterLabel   string
	ShiftText                 string // "+2", "−1", "0"
	Direction                 string // toward, away, unchanged
	Glyph                     string // decorative arrow of the direction
	AcceptBefore, AcceptAfter string // "points 1–2"
}

// TrendView is the "since the previous round" panel of a question.
type TrendView struct {
	Scale           bool
	PrevResponses   int
	Changes         []Change // median, IQR, Cns (scale); the plurality share (choice)
	ClassBefore     Badge
	ClassAfter      Badge
	ClassChanged    bool
	GroundBefore    string // "" when there was none
	GroundAfter     string
	GroundChanged   bool
	Both, Unchanged int
	UnchangedPct    string // "88%"
	Stable          bool
	StableText      string // the stop rule applied, in words
	Convergence     string // converging, diverging, steady
	ConvergenceText string // the change of agreement, in words
	Movement        []MoveRow
	Moved           int // members of Movement whose preferred point changed
	Chart           template.HTML
}

// NewTrendView builds the trend panel of a question; nil when the
// question has no trend (first round, a text question, or no answer in
// one of the two rounds).
func NewTrendView(q *consensus.QuestionReport, names map[string]string) *TrendView {
	t := q.Trend
	if t == nil {
		return nil
	}
	v := &TrendView{PrevResponses: t.PreviousResponses,
		ClassBefore: BadgeOf(t.PreviousClassification), ClassAfter: BadgeOf(q.Classification), ClassChanged: t.ClassificationChanged,
		GroundChanged: t.CommonGroundChanged, Both: t.Both, Unchanged: t.Unchanged, UnchangedPct: fmtPct(t.UnchangedPct),
		Stable: t.Stable, Convergence: t.Convergence}
	switch {
	case q.Scale != nil:
		st := q.Scale
		v.Scale = true
		v.Changes = []Change{
			{Label: "Median", Before: fmtPoint(t.PreviousMedian), After: fmtPoint(st.Median), Delta: signedFloat(t.MedianDelta, 1)},
			{Label: "Interquartile range", Abbr: "IQR", AbbrTitle: GlossIQR, Before: num(t.PreviousIQR), After: num(st.IQR), Delta: signedFloat(t.IQRDelta, 2)},
			{Label: "Consensus score", Abbr: "Cns", AbbrTitle: GlossCns, Before: fmt.Sprintf("%.2f", t.PreviousCns), After: fmt.Sprintf("%.2f", st.Cns), Delta: signedFloat(t.CnsDelta, 2)},
		}
		if t.PreviousCommonGround != nil {
			v.GroundBefore = commonGroundText(q, *t.PreviousCommonGround)
		}
		if st.CommonGround != nil {
			v.GroundAfter = commonGroundText(q, *st.CommonGround)
		}
		for _, m := range t.Movement {
			v.Movement = append(v.Movement, moveRow(q, m, names))
			if m.Shift != 0 {
				v.Moved++
			}
		}
		slices.SortStableFunc(v.Movement, func(a, b MoveRow) int {
			if c := cmp.Compare(abs(b.Shift), abs(a.Shift)); c != 0 {
				return c
			}
			return strings.Compare(a.Member.Code, b.Member.Code)
		})
		v.Chart = MovementChart(q, v.Movement, "movement-"+q.Key)
	case q.Choice != nil:
		v.Changes = []Change{{Label: "Share of the most chosen option", Before: fmtPct(100 * t.PreviousPluralityShare),
			After: fmtPct(100 * q.Choice.PluralityShare), Delta: signedFloat(100*(q.Choice.PluralityShare-t.PreviousPluralityShare), 0) + " points"}}
		v.GroundBefore = optionsText(q, t.PreviousCommonOptions)
		v.GroundAfter = optionsText(q, q.Choice.CommonGround)
	}
	v.StableText = stableText(q, t)
	v.ConvergenceText = convergenceText(v.Scale, t.Convergence)
	return v
}

// moveRow describes one member's movement.
func moveRow(q *consensus.QuestionReport, m consensus.Movement, names map[string]string) MoveRow {
	return MoveRow{Member: MemberRef{m.Member, names[m.Member]}, Before: m.Before, After: m.After, Shift: m.Shift,
		BeforeLabel: pointLabel(q, m.Before), AfterLabel: pointLabel(q, m.After), ShiftText: signedInt(m.Shift),
		Direction: m.Direction, Glyph: DirectionGlyph(m.Direction),
		AcceptBefore: rangeText(m.AcceptBefore), AcceptAfter: rangeText(m.AcceptAfter)}
}

// DirectionGlyph returns the decorative arrow of a direction (toward,
// away, unchanged); "" for anything else.
func DirectionGlyph(direction string) string {
	switch direction {
	case consensus.MovedToward:
		return glyphToward
	case consensus.MovedAway:
		return glyphAway
	case consensus.MovedUnchanged:
		return glyphUnchanged
	}
	return ""
}

// stableText applies the stop rule in words: why the question is stable,
// or what keeps it from being so.
func stableText(q *consensus.QuestionReport, t *consensus.Trend) string {
	if t.Both == 0 {
		return "Not stable: no member answered both rounds."
	}
	kept := fmt.Sprintf("%d of the %s who answered both rounds (%s) kept their %s", t.Unchanged, plural(t.Both, "member"), fmtPct(t.UnchangedPct), keptWhat(q))
	if t.Both == 1 {
		kept = fmt.Sprintf("%d of the 1 member who answered both rounds (%s) kept its %s", t.Unchanged, fmtPct(t.UnchangedPct), keptWhat(q))
	}
	scale := q.Kind == consensus.KindScale
	cns := math.Abs(t.CnsDelta)
	if t.Stable {
		if scale {
			return fmt.Sprintf("Stable: %s, and the consensus score moved by %.2f, less than %.2f.", kept, cns, consensus.StableMaxCnsDelta)
		}
		return fmt.Sprintf("Stable: %s.", kept)
	}
	var why []string
	if t.UnchangedPct < consensus.StableUnchangedPct-1e-9 {
		why = append(why, fmt.Sprintf("only %s (stability needs %s)", kept, fmtPct(consensus.StableUnchangedPct)))
	}
	if scale && cns >= consensus.StableMaxCnsDelta-1e-9 {
		why = append(why, fmt.Sprintf("the consensus score moved by %.2f (stability needs less than %.2f)", cns, consensus.StableMaxCnsDelta))
	}
	if len(why) == 0 { // cannot happen with the report's own figures
		return "Not yet stable."
	}
	return "Not yet stable: " + strings.Join(why, ", and ") + "."
}

// keptWhat names what a member keeps: a preferred point or a chosen option.
func keptWhat(q *consensus.QuestionReport) string {
	if q.Kind == consensus.KindChoice {
		return "option"
	}
	return "preferred point"
}

// convergenceText says in words how agreement changed.
func convergenceText(scale bool, c string) string {
	figure := "the consensus score"
	if !scale {
		figure = "the share of the most chosen option"
	}
	switch c {
	case consensus.Converging:
		return fmt.Sprintf("Converging: %s rose by %.2f or more; the members came closer together.", figure, consensus.StableMaxCnsDelta)
	case consensus.Diverging:
		return fmt.Sprintf("Diverging: %s fell by %.2f or more; the members moved further apart.", figure, consensus.StableMaxCnsDelta)
	}
	return fmt.Sprintf("Steady: %s changed by less than %.2f.", figure, consensus.StableMaxCnsDelta)
}

// RankTrend is the small trend of a question in the ranking.
type RankTrend struct {
	Delta       string // ΔCns ("+0.12"); "" for choice questions
	Glyph       string // decorative arrow of the convergence
	Convergence string
	Stable      bool
}

// rankTrend is a question's trend for the ranking; nil without one.
func rankTrend(q *consensus.QuestionReport) *RankTrend {
	t := q.Trend
	if t == nil {
		return nil
	}
	rt := &RankTrend{Convergence: t.Convergence, Stable: t.Stable}
	if q.Scale != nil {
		rt.Delta = signedFloat(t.CnsDelta, 2)
	}
	switch t.Convergence {
	case consensus.Converging:
		rt.Glyph = glyphConverging
	case consensus.Diverging:
		rt.Glyph = glyphDiverging
	default:
		rt.Glyph = glyphSteady
	}
	return rt
}

// Mover is a member and how much it moved since the previous round.
type Mover struct {
	Member                           MemberRef
	Questions, Changed, Toward, Away int
	// MeanShiftPct is the mean |shift| as a share of the scale, in percent.
	MeanShiftPct float64
}

// SinceView sums up, on the overview, what changed since the previous
// round.
type SinceView struct {
	Converging, Diverging, Steady []QuestionRef
	// NotCompared are ranked questions without a trend: unanswered in one
	// of the two rounds.
	NotCompared []QuestionRef
	// Stable counts the ranked questions (insufficient aside) that are
	// stable, NotStable the others; AllStable is the report's stop rule.
	Stable, NotStable int
	AllStable         bool
	Movers            []Mover
}

// NewSinceView builds the overview's summary of the change since the
// previous round; nil when the report has no previous round.
func NewSinceView(r *consensus.Report) *SinceView {
	if !HasPreviousRound(r) {
		return nil
	}
	v := &SinceView{AllStable: r.AllStable, Movers: Movers(r, moversShown)}
	byKey := make(map[string]int, len(r.Questions))
	for i := range r.Questions {
		byKey[r.Questions[i].Key] = i
	}
	for _, key := range r.Ranking {
		i, ok := byKey[key]
		if !ok {
			continue
		}
		q := &r.Questions[i]
		ref := QuestionRef{Number: QuestionNumber(r, i), Key: key, Text: q.Text}
		if t := q.Trend; t != nil {
			switch t.Convergence {
			case consensus.Converging:
				v.Converging = append(v.Converging, ref)
			case consensus.Diverging:
				v.Diverging = append(v.Diverging, ref)
			default:
				v.Steady = append(v.Steady, ref)
			}
		} else {
			v.NotCompared = append(v.NotCompared, ref)
		}
		if q.Classification == consensus.Insufficient {
			continue
		}
		if q.Trend != nil && q.Trend.Stable {
			v.Stable++
		} else {
			v.NotStable++
		}
	}
	for _, list := range [][]QuestionRef{v.Converging, v.Diverging, v.Steady, v.NotCompared} {
		slices.SortStableFunc(list, func(a, b QuestionRef) int { return cmp.Compare(a.Number, b.Number) })
	}
	return v
}

// SinceShown is how many questions each list of the overview's "since
// the previous round" names; the rest are counted ("and 40 more"), and
// every question's trend is in the ranking.
const SinceShown = 20

// Shown returns the first [SinceShown] questions of a list.
func (SinceView) Shown(list []QuestionRef) []QuestionRef { return list[:min(len(list), SinceShown)] }

// More counts the questions of a list beyond the first [SinceShown].
func (SinceView) More(list []QuestionRef) int { return max(len(list)-SinceShown, 0) }

// HasPreviousRound tells whether the report compares its round with a
// previous one (the analysis had Input.Previous): every member then
// carries its movement.
func HasPreviousRound(r *consensus.Report) bool {
	for i := range r.Members {
		if r.Members[i].Movement != nil {
			return true
		}
	}
	for i := range r.Questions {
		if r.Questions[i].Trend != nil {
			return true
		}
	}
	return false
}

// Movers returns the members who moved most since the previous round:
// those that changed at least one preferred point, by mean shift
// (largest first), ties by code; at most n.
func Movers(r *consensus.Report, n int) []Mover {
	var out []Mover
	for _, m := range r.Members {
		mv := m.Movement
		if mv == nil || mv.Changed == 0 {
			continue
		}
		out = append(out, Mover{Member: MemberRef{m.Code, m.Name}, Questions: mv.Questions, Changed: mv.Changed,
			Toward: mv.Toward, Away: mv.Away, MeanShiftPct: 100 * mv.MeanShift})
	}
	slices.SortStableFunc(out, func(a, b Mover) int {
		if c := cmp.Compare(b.MeanShiftPct, a.MeanShiftPct); c != 0 {
			return c
		}
		return strings.Compare(a.Member.Code, b.Member.Code)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// MemberMoveView is a member's movement since the previous round.
type MemberMoveView struct {
	Questions, Changed, Toward, Away, Kept int
	MeanShiftPct                           float64
}

// memberMove describes a member's movement; nil without a previous round.
func memberMove(mv *consensus.MemberMovement) *MemberMoveView {
	if mv == nil {
		return nil
	}
	return &MemberMoveView{Questions: mv.Questions, Changed: mv.Changed, Toward: mv.Toward, Away: mv.Away,
		Kept: mv.Questions - mv.Toward - mv.Away, MeanShiftPct: 100 * mv.MeanShift}
}

// BlocMoveView is how the members of a bloc moved since the previous round.
type BlocMoveView struct {
	Members, Toward, Away, Unchanged int
	MeanShiftPct                     float64
}

// blocMove describes a bloc's movement; nil without a previous round.
func blocMove(bm *consensus.BlocMovement) *BlocMoveView {
	if bm == nil {
		return nil
	}
	return &BlocMoveView{Members: bm.Members, Toward: bm.Toward, Away: bm.Away, Unchanged: bm.Unchanged, MeanShiftPct: 100 * bm.MeanShift}
}

// signedFloat formats a change with its sign (a true minus sign) and the
// given decimals; a change that rounds to zero has no sign.
func signedFloat(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, math.Abs(v))
	if strings.Trim(s, "0.") == "" {
		return s
	}
	if v < 0 {
		return "−" + s
	}
	return "+" + s
}

// signedInt formats a shift of points: "+2", "−1", "0".
func signedInt(n int) string {
	switch {
	case n > 0:
		return fmt.Sprintf("+%d", n)
	case n < 0:
		return fmt.Sprintf("−%d", -n)
	}
	return "0"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Geometry of the movement chart.
const (
	moveW     = 560.0
	moveLeft  = 48.0
	moveRight = 8.0
	moveTop   = 30.0
	moveRowH  = 24.0
	moveFoot  = 26.0 // room under the rows for the median's label
)

// MovementChart draws, for every member whose preferred point changed,
// an arrow from its previous point to its new one on the question's
// scale, with the previous round's median as a dashed line. rows are the
// movement rows in the order to draw them. It returns "" when no member
// moved.
func MovementChart(q *consensus.QuestionReport, rows []MoveRow, id string) template.HTML {
	if q == nil || q.Scale == nil || q.Trend == nil {
		return ""
	}
	var moved []MoveRow
	for _, m := range rows {
		if m.Shift != 0 {
			moved = append(moved, m)
		}
	}
	if len(moved) == 0 {
		return ""
	}
	k := q.Scale.K
	band := (moveW - moveLeft - moveRight) / float64(max(k, 1))
	x := func(p float64) float64 { return moveLeft + (p-0.5)*band }
	rowsEnd := moveTop + float64(len(moved))*moveRowH
	h := rowsEnd + moveFoot
	var desc strings.Builder
	fmt.Fprintf(&desc, "Previous median %s. ", fmtPoint(q.Trend.PreviousMedian))
	for _, m := range moved {
		fmt.Fprintf(&desc, "%s from %d to %d (%s). ", m.Member.Code, m.Before, m.After, m.Direction)
	}
	s := newSVG(id, moveW, h, "chart-movement", fmt.Sprintf("How %s moved since the previous round", plural(len(moved), "member")), strings.TrimSpace(desc.String()))
	for p := 1; p <= k; p++ {
		s.line(x(float64(p)), moveTop-6, x(float64(p)), rowsEnd, fmt.Sprintf(`stroke="%s" stroke-width="1"`, colGrid))
		s.text(x(float64(p)), 16, fmt.Sprintf("%d", p), fmt.Sprintf(`text-anchor="middle" font-size="12" font-weight="700" fill="%s"`, colMuted))
	}
	mx := x(q.Trend.PreviousMedian)
	s.line(mx, moveTop-6, mx, rowsEnd+6, fmt.Sprintf(`stroke="%s" stroke-width="2" stroke-dasharray="5 3"`, colGold))
	s.text(mx, rowsEnd+20, "previous median", fmt.Sprintf(`text-anchor="middle" font-size="12" fill="%s"%s`, colGoldText, halo))
	for i, m := range moved {
		y := moveTop + float64(i)*moveRowH + moveRowH/2
		x1, x2 := x(float64(m.Before)), x(float64(m.After))
		colour := colNavy
		if m.Direction == consensus.MovedAway {
			colour = colBad
		}
		s.raw(`<g>`)
		s.tooltip(fmt.Sprintf("%s: point %d → %d, %s", m.Member.Code, m.Before, m.After, m.Direction))
		s.text(8, y+4, m.Member.Code, `font-size="12" font-weight="700"`)
		dir := 1.0
		if x2 < x1 {
			dir = -1
		}
		s.line(x1, y, x2-dir*8, y, fmt.Sprintf(`stroke="%s" stroke-width="2.5"`, colour))
		s.raw(`<polygon points="%s,%s %s,%s %s,%s" fill="%s"/>`, num(x2), num(y), num(x2-dir*9), num(y-5), num(x2-dir*9), num(y+5), colour)
		s.raw(`<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="%s" stroke-width="2"/>`, num(x1), num(y), colPaper, colour)
		s.raw(`</g>`)
	}
	return s.html()
}

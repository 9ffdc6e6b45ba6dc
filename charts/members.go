package charts

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strings"

	"concord/consensus"
)

// Distinct is a question on which a bloc stands apart from the other
// placed members, with both means translated back to points of the scale.
type Distinct struct {
	Number    int // the question's stable number (Q3)
	Key, Text string
	K         int
	BlocPoint float64 // the bloc's mean position, 1..K
	RestPoint float64 // the other members' mean position, 1..K
	Diff      float64 // BlocMean − RestMean on the 0..1 scale
	Direction string  // "higher" or "lower"
}

// BlocRow is one bloc of the opinion map.
type BlocRow struct {
	ID          int
	Label       string // "Bloc 1 (blue circles)"
	Swatch      template.HTML
	Members     []MemberRef
	Distinctive []Distinct
	Movement    *BlocMoveView // since the previous round; nil in the first round
}

// MapPointRow is a member's place on the map, for the table that stands
// in for the chart.
type MapPointRow struct {
	Member MemberRef
	X, Y   float64
	Bloc   int
}

// MapView is the opinion map page.
type MapView struct {
	Chart        template.HTML
	ExplainedPct [2]float64
	Silhouette   float64
	Separation   string // the silhouette in words
	Blocs        []BlocRow
	Unplaced     []MemberRef
	Points       []MapPointRow
}

// NewMapView builds the opinion map page.
func NewMapView(r *consensus.Report) MapView {
	m := r.Map
	names := memberNames(r)
	v := MapView{Chart: OpinionMapChart(r, "opinion-map"), Silhouette: m.Silhouette,
		ExplainedPct: [2]float64{100 * m.Explained[0], 100 * m.Explained[1]}}
	switch {
	case len(m.Blocs) == 0:
		v.Separation = "no blocs could be formed"
	case m.Silhouette >= 0.5:
		v.Separation = "the blocs are clearly separated"
	case m.Silhouette >= 0.25:
		v.Separation = "the blocs are weakly separated; read them as tendencies"
	default:
		v.Separation = "the blocs are barely separated; there is no real bloc structure"
	}
	for _, b := range m.Blocs {
		_, cname, shape := blocStyle(b.ID)
		row := BlocRow{ID: b.ID, Label: fmt.Sprintf("Bloc %d (%s %s)", b.ID, cname, shapeName(shape)), Swatch: BlocSwatch(b.ID),
			Movement: blocMove(b.Movement)}
		for _, code := range b.Members {
			row.Members = append(row.Members, MemberRef{code, names[code]})
		}
		for _, d := range b.Distinctive {
			q, ok := r.Question(d.QuestionKey)
			if !ok || q.Scale == nil {
				continue
			}
			k := float64(q.Scale.K - 1)
			dir := "higher"
			if d.Diff < 0 {
				dir = "lower"
			}
			row.Distinctive = append(row.Distinctive, Distinct{Number: numberOf(r, q.Key), Key: q.Key, Text: q.Text, K: q.Scale.K,
				BlocPoint: 1 + d.BlocMean*k, RestPoint: 1 + d.RestMean*k, Diff: d.Diff, Direction: dir})
		}
		v.Blocs = append(v.Blocs, row)
	}
	placed := map[string]bool{}
	for _, p := range m.Points {
		placed[p.Member] = true
		v.Points = append(v.Points, MapPointRow{Member: MemberRef{p.Member, names[p.Member]}, X: p.X, Y: p.Y, Bloc: p.Bloc})
	}
	for _, mp := range sortedMembers(r) {
		if !placed[mp.Code] {
			v.Unplaced = append(v.Unplaced, MemberRef{mp.Code, mp.Name})
		}
	}
	return v
}

// MemberRow is one scale question on a member's page.
type MemberRow struct {
	Number                    int // the question's stable number (Q3)
	Key, Text                 string
	Answered                  bool
	Preferred                 int
	PreferredLabel            string
	Acceptable                string
	Median                    float64
	MedianLabel               string
	Deviation                 float64
	DeviationText             string // "+0.25", "−0.50", "0" on the median
	CSS                       string
	Outlier, RedLine, Holdout bool
	NotAccepting              bool // does not accept the best point
	Importance                string
	Rationale                 string
	CommonGround              string
	// Move is the member's movement on the question since the previous
	// round; nil when it did not answer both rounds.
	Move *MoveRow
}

// MemberChoice is a member's answer to a choice question.
type MemberChoice struct {
	Number                       int
	Key, Text, Option, Rationale string
	WithPlurality                bool
}

// MemberText is a member's answer to a text question.
type MemberText struct {
	Number            int
	Key, Text, Answer string
}

// Peer is another member and how alike the two answered.
type Peer struct {
	Member        MemberRef
	SimilarityPct float64
	Common        int
}

// MemberView is the report page of one member.
type MemberView struct {
	Profile        *consensus.MemberProfile
	Member         MemberRef
	Total          int // members of the alliance
	ScaleQuestions int
	// MeanDistancePct is Profile.MeanDistance as a percentage of the scale.
	MeanDistancePct float64
	BlocLabel       string
	BlocSwatch      template.HTML
	BlocMates       []MemberRef
	Chart           template.HTML
	Rows            []MemberRow
	Choices         []MemberChoice
	Texts           []MemberText
	Similar         []Peer
	Dissimilar      []Peer
	Prev, Next      *MemberRef
	// Movement sums up how the member moved since the previous round;
	// nil in the first round.
	Movement *MemberMoveView
	// Pager says which page of the questions (in questionnaire order) the
	// chart and the lists of answers show.
	Pager Pager
}

// peersShown is how many most and least similar members a page lists.
const peersShown = 5

// NewMemberView builds the page of the member with the given code; false
// when the report has no such member.
func NewMemberView(r *consensus.Report, code string, positions []consensus.Position) (*MemberView, bool) {
	return NewMemberViewPage(r, code, positions, 1, len(r.Questions)+1, "", nil)
}

// NewMemberViewPage builds the page of a member with its answers to one
// page of the questions: page `page`, shown size at a time in
// questionnaire order. The key figures, bloc, movement and peers cover
// every question. positions need hold only the member's own. base and
// query are the page's address and query parameters, for the pager.
func NewMemberViewPage(r *consensus.Report, code string, positions []consensus.Position, page, size int, base string, query url.Values) (*MemberView, bool) {
	prof, ok := r.Member(code)
	if !ok {
		return nil, false
	}
	names := memberNames(r)
	idx := positionIndex(positions)
	pager := NewPager(len(r.Questions), size, page, func(from, to int) string {
		return fmt.Sprintf("Q%d–Q%d", QuestionNumber(r, from), QuestionNumber(r, to-1))
	}, base, query)
	v := &MemberView{Profile: prof, Member: MemberRef{prof.Code, prof.Name}, Total: r.MembersTotal, MeanDistancePct: 100 * prof.MeanDistance,
		Chart: memberChart(r, code, positions, "member-chart", pager.From, pager.To), Movement: memberMove(prof.Movement), Pager: pager}
	for i := range r.Questions {
		if r.Questions[i].Scale != nil {
			v.ScaleQuestions++
		}
	}
	sorted := sortedMembers(r)
	for i, m := range sorted {
		if m.Code != code {
			continue
		}
		if i > 0 {
			v.Prev = &MemberRef{sorted[i-1].Code, sorted[i-1].Name}
		}
		if i+1 < len(sorted) {
			v.Next = &MemberRef{sorted[i+1].Code, sorted[i+1].Name}
		}
	}
	if prof.Bloc > 0 {
		_, cname, shape := blocStyle(prof.Bloc)
		v.BlocLabel = fmt.Sprintf("Bloc %d (%s %s)", prof.Bloc, cname, shapeName(shape))
		v.BlocSwatch = BlocSwatch(prof.Bloc)
		for _, b := range r.Map.Blocs {
			if b.ID != prof.Bloc {
				continue
			}
			for _, m := range b.Members {
				if m != code {
					v.BlocMates = append(v.BlocMates, MemberRef{m, names[m]})
				}
			}
		}
	}
	mine := map[string]consensus.MemberPosition{}
	for _, p := range prof.Positions {
		mine[p.QuestionKey] = p
	}
	for i := pager.From; i < pager.To; i++ {
		q := &r.Questions[i]
		in, has := idx[posKey{code, q.Key}]
		switch {
		case q.Scale != nil:
			row := MemberRow{Number: QuestionNumber(r, i), Key: q.Key, Text: q.Text}
			if q.Scale.CommonGround != nil {
				row.CommonGround = rangeText(*q.Scale.CommonGround)
			}
			if q.Trend != nil {
				for _, m := range q.Trend.Movement {
					if m.Member == code {
						mr := moveRow(q, m, names)
						row.Move = &mr
					}
				}
			}
			if p, ok := mine[q.Key]; ok {
				acc := consensus.Range{Lo: p.Preferred, Hi: p.Preferred}
				if has {
					acc = consensus.AcceptRange(&in, q.Scale.K)
				}
				row.Answered, row.Preferred, row.PreferredLabel = true, p.Preferred, pointLabel(q, p.Preferred)
				row.Acceptable = rangeText(acc)
				row.Median, row.Deviation = p.Median, p.Deviation
				row.MedianLabel = medianLabel(q, p.Median)
				row.CSS = deviationCSS(DeviationClass(p.Deviation))
				row.DeviationText = signed(p.Deviation)
				row.Outlier, row.RedLine, row.Holdout, row.NotAccepting = p.Outlier, p.RedLine, p.Holdout, p.Blocking
				row.Importance, row.Rationale = string(in.Importance), in.Rationale
			} else if q.Coverage.Responses > 0 {
				row.Median = q.Scale.Median
				row.MedianLabel = medianLabel(q, q.Scale.Median)
			}
			v.Rows = append(v.Rows, row)
		case q.Choice != nil:
			if !has || !slices.ContainsFunc(q.Choice.Options, func(o consensus.OptionCount) bool { return o.Option == in.Option }) {
				continue
			}
			v.Choices = append(v.Choices, MemberChoice{Number: QuestionNumber(r, i), Key: q.Key, Text: q.Text, Option: in.Option, Rationale: in.Rationale,
				WithPlurality: slices.Contains(q.Choice.Plurality, in.Option)})
		case q.TextStats != nil:
			for _, a := range q.TextStats.Answers {
				if a.Member == code {
					v.Texts = append(v.Texts, MemberText{Number: QuestionNumber(r, i), Key: q.Key, Text: q.Text, Answer: a.Answer})
				}
			}
		}
	}
	v.Similar, v.Dissimilar = peers(r, code, names)
	return v, true
}

// signed formats a deviation with its sign (a true minus sign), or "0".
func signed(d float64) string {
	switch c := DeviationClass(d); {
	case c == 0:
		return "0"
	case d < 0:
		return fmt.Sprintf("−%.2f", -d)
	}
	return fmt.Sprintf("+%.2f", d)
}

// medianLabel names the point a median falls on, or the two it falls
// between.
func medianLabel(q *consensus.QuestionReport, median float64) string {
	lo, hi := int(math.Floor(median)), int(math.Ceil(median))
	if lo == hi {
		return pointLabel(q, lo)
	}
	return "between " + pointLabel(q, lo) + " and " + pointLabel(q, hi)
}

// peers returns the members most and least similar to code (at most
// peersShown each, never the same member twice).
func peers(r *consensus.Report, code string, names map[string]string) (similar, dissimilar []Peer) {
	var all []Peer
	for _, p := range r.Similarity {
		other := ""
		switch code {
		case p.A:
			other = p.B
		case p.B:
			other = p.A
		default:
			continue
		}
		all = append(all, Peer{Member: MemberRef{other, names[other]}, SimilarityPct: 100 * p.Similarity, Common: p.Common})
	}
	slices.SortStableFunc(all, func(a, b Peer) int {
		if c := cmp.Compare(b.SimilarityPct, a.SimilarityPct); c != 0 {
			return c
		}
		return strings.Compare(a.Member.Code, b.Member.Code)
	})
	n := min(peersShown, len(all))
	similar = all[:n]
	rest := all[n:]
	for i := len(rest) - 1; i >= 0 && len(dissimilar) < peersShown; i-- {
		dissimilar = append(dissimilar, rest[i])
	}
	return similar, dissimilar
}

// numberOf returns the stable number of the question with the given key
// (0 when there is none).
func numberOf(r *consensus.Report, key string) int {
	for i := range r.Questions {
		if r.Questions[i].Key == key {
			return QuestionNumber(r, i)
		}
	}
	return 0
}

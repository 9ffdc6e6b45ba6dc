package charts

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"concord/consensus"
)

// QuestionRef names a question for navigation.
type QuestionRef struct {
	Key, Text string
}

// Stat is one key figure of a question, with a plain-language hint.
type Stat struct {
	Label, Value, Hint string
}

// MemberMark is a member as listed under a point or an option, with what
// sets its position apart.
type MemberMark struct {
	Code, Name                 string
	Outlier, RedLine, Blocking bool
}

// Flagged tells whether anything sets the position apart.
func (m MemberMark) Flagged() bool { return m.Outlier || m.RedLine || m.Blocking }

// PointRow is one point of a scale question with the members on it.
type PointRow struct {
	Point          int
	Label          string
	Count          int
	SharePct       float64
	Median         bool // the median falls on this point
	InCommonGround bool
	BlockingPoint  bool // without common ground: acceptable to all but the blockers
	Members        []MemberMark
}

// OptionRow is one option of a choice question with its supporters.
type OptionRow struct {
	Option    string
	Count     int
	SharePct  float64
	Plurality bool
	Members   []MemberMark
}

// Voice is one member's position on the question with its rationale.
type Voice struct {
	Member     MemberRef
	Position   string // "point 1 · Keep it frozen", the option, or the answer
	Acceptable string // scale: "points 1–2"
	Importance string
	Tags       []string // "outlier", "red line", "blocking"
	Rationale  string
}

// QuestionView is the report page of one question.
type QuestionView struct {
	Q              *consensus.QuestionReport
	Number, Count  int // place in the consultation, 1-based, and number of questions
	Prev, Next     *QuestionRef
	Badge          Badge
	Chart          template.HTML
	Stats          []Stat
	CommonGround   string // "points 3–4: …"; "" when none
	NoCommonGround string // "No common ground — blocked by HUN, SVK (consensus minus 2 at point 3)"
	Blockers       *Blockers
	Trend          string
	Points         []PointRow
	Options        []OptionRow
	Highlighted    []Voice // outliers, blockers and red lines, with their rationales
	Others         []Voice // every other answer that gives a rationale
	Answers        []Voice // text questions
	Missing        []MemberRef
}

// NewQuestionView builds the page of the question with the given key;
// false when the report has no such question. positions are the analysed
// positions (for rationales and acceptable ranges).
func NewQuestionView(r *consensus.Report, key string, positions []consensus.Position) (*QuestionView, bool) {
	q, ok := r.Question(key)
	if !ok {
		return nil, false
	}
	names := memberNames(r)
	idx := positionIndex(positions)
	v := &QuestionView{Q: q, Count: len(r.Questions), Badge: BadgeOf(q.Classification)}
	for i := range r.Questions {
		if r.Questions[i].Key == key {
			v.Number = i + 1
			if i > 0 {
				v.Prev = &QuestionRef{r.Questions[i-1].Key, r.Questions[i-1].Text}
			}
			if i+1 < len(r.Questions) {
				v.Next = &QuestionRef{r.Questions[i+1].Key, r.Questions[i+1].Text}
			}
		}
	}
	for _, code := range q.Coverage.Missing {
		v.Missing = append(v.Missing, MemberRef{code, names[code]})
	}
	chartID := "chart-" + q.Key
	switch {
	case q.Scale != nil:
		v.scale(q, names, idx)
		v.Chart = ScaleChart(q, chartID)
	case q.Choice != nil:
		v.choice(q, names, idx)
		v.Chart = ChoiceChart(q, chartID)
	case q.TextStats != nil:
		v.Stats = []Stat{responsesStat(q)}
		for _, a := range q.TextStats.Answers {
			v.Answers = append(v.Answers, Voice{Member: MemberRef{a.Member, names[a.Member]}, Position: a.Answer,
				Rationale: idx[posKey{a.Member, q.Key}].Rationale})
		}
	}
	return v, true
}

func responsesStat(q *consensus.QuestionReport) Stat {
	return Stat{Label: "Responses", Value: fmt.Sprintf("%d of %d (%s)", q.Coverage.Responses, q.Coverage.MembersTotal, fmtPct(q.Coverage.CoveragePct)),
		Hint: "members who answered"}
}

func (v *QuestionView) scale(q *consensus.QuestionReport, names map[string]string, idx map[posKey]consensus.Position) {
	st := q.Scale
	n := q.Coverage.Responses
	v.Stats = []Stat{responsesStat(q)}
	if n > 0 {
		modes := make([]string, len(st.Modes))
		for i, m := range st.Modes {
			modes[i] = fmt.Sprintf("%d", m)
		}
		v.Stats = append(v.Stats,
			Stat{"Median", fmtPoint(st.Median), "the middle position"},
			Stat{"Mean", fmt.Sprintf("%.2f", st.Mean), "the average point"},
			Stat{"Interquartile range", fmt.Sprintf("%s (Q1 %s, Q3 %s)", num(st.IQR), num(st.Q1), num(st.Q3)), "spread of the middle half"},
			Stat{"Consensus (Cns)", fmt.Sprintf("%.2f", st.Cns), "1 = all on one point, 0 = split between the ends"},
			Stat{"Agreement", fmtPct(st.AgreementPct), "within one point of the median"},
			Stat{"Most chosen", strings.Join(modes, ", "), "the mode(s)"},
		)
	}
	if t := q.Trend; t != nil {
		v.Trend = fmt.Sprintf("Since the previous round (%s): Cns %.2f → %.2f (%+.2f); median %s → %s (%+.1f).",
			plural(t.PreviousResponses, "response"), t.PreviousCns, st.Cns, t.CnsDelta, fmtPoint(t.PreviousMedian), fmtPoint(st.Median), t.MedianDelta)
		v.Stats = append(v.Stats, Stat{"Trend", fmt.Sprintf("Cns %+.2f, median %+.1f", t.CnsDelta, t.MedianDelta), "change since the previous round"})
	}
	if st.CommonGround != nil {
		v.CommonGround = commonGroundText(q, *st.CommonGround)
	}
	v.Blockers = blockersOf(q)
	if b := v.Blockers; b != nil {
		v.NoCommonGround = fmt.Sprintf("No common ground — blocked by %s (%s)", strings.Join(b.Members, ", "), b.Statement())
	}

	red := map[string]bool{}
	for _, rl := range st.RedLines {
		red[rl.Member] = true
	}
	blocking := map[string]bool{}
	if st.Blocking != nil {
		for _, m := range st.Blocking.Members {
			blocking[m] = true
		}
	}
	mark := func(code string) MemberMark {
		return MemberMark{Code: code, Name: names[code], Outlier: slices.Contains(st.Outliers, code), RedLine: red[code], Blocking: blocking[code]}
	}
	for i, members := range st.ByPoint {
		p := i + 1
		row := PointRow{Point: p, Label: pointLabel(q, p), Count: st.Counts[i],
			Median:         n > 0 && st.Median == float64(p),
			InCommonGround: st.CommonGround != nil && p >= st.CommonGround.Lo && p <= st.CommonGround.Hi,
			BlockingPoint:  st.Blocking != nil && st.Blocking.Point == p}
		if n > 0 {
			row.SharePct = 100 * float64(st.Counts[i]) / float64(n)
		}
		for _, code := range members {
			row.Members = append(row.Members, mark(code))
		}
		v.Points = append(v.Points, row)
	}

	// Voices: the flagged members first (blockers, outliers, red lines),
	// ordered by point and code; then everyone else with a rationale.
	for i, members := range st.ByPoint {
		p := i + 1
		for _, code := range members {
			m := mark(code)
			in := idx[posKey{code, q.Key}]
			acc := consensus.Range{Lo: p, Hi: p}
			if in.Preferred != 0 {
				acc = consensus.AcceptRange(&in, st.K)
			}
			voice := Voice{Member: MemberRef{code, names[code]}, Position: fmt.Sprintf("point %d · %s", p, pointLabel(q, p)),
				Acceptable: rangeText(acc), Importance: string(in.Importance), Rationale: in.Rationale}
			if m.Blocking {
				voice.Tags = append(voice.Tags, "blocking")
			}
			if m.Outlier {
				voice.Tags = append(voice.Tags, "outlier")
			}
			if m.RedLine {
				voice.Tags = append(voice.Tags, "red line")
			}
			switch {
			case m.Flagged():
				v.Highlighted = append(v.Highlighted, voice)
			case strings.TrimSpace(in.Rationale) != "":
				v.Others = append(v.Others, voice)
			}
		}
	}
}

func (v *QuestionView) choice(q *consensus.QuestionReport, names map[string]string, idx map[posKey]consensus.Position) {
	st := q.Choice
	v.Stats = []Stat{responsesStat(q)}
	if q.Coverage.Responses > 0 {
		v.Stats = append(v.Stats, Stat{"Plurality", fmt.Sprintf("%s (%s)", strings.Join(st.Plurality, "; "), fmtPct(100*st.PluralityShare)),
			"the most supported option"})
	}
	for _, o := range st.Options {
		row := OptionRow{Option: o.Option, Count: o.Count, SharePct: 100 * o.Share,
			Plurality: o.Count > 0 && slices.Contains(st.Plurality, o.Option)}
		for _, code := range o.Members {
			row.Members = append(row.Members, MemberMark{Code: code, Name: names[code]})
			if in := idx[posKey{code, q.Key}]; strings.TrimSpace(in.Rationale) != "" {
				v.Others = append(v.Others, Voice{Member: MemberRef{code, names[code]}, Position: o.Option, Rationale: in.Rationale})
			}
		}
		v.Options = append(v.Options, row)
	}
	// A minority position (an option chosen by fewer than a plurality)
	// is what a facilitator reads first.
	if q.Coverage.Responses > 0 {
		var minority, rest []Voice
		for _, voice := range v.Others {
			if slices.Contains(st.Plurality, voice.Position) {
				rest = append(rest, voice)
			} else {
				voice.Tags = []string{"minority"}
				minority = append(minority, voice)
			}
		}
		v.Highlighted, v.Others = minority, rest
	}
}

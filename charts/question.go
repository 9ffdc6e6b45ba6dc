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
	Number    int
	Key, Text string
}

// Stat is one key figure of a question, with a plain-language hint.
type Stat struct {
	Label, Value, Hint string
	Abbr               string // the figure's short name ("Cns"), explained on hover by AbbrTitle
	AbbrTitle          string
}

// MemberMark is a member as listed under a point or an option, with what
// sets its position apart. Holdout: one of the few members who do not
// accept the best point (see consensus.QuestionReport.Holdouts).
type MemberMark struct {
	Code, Name                string
	Outlier, RedLine, Holdout bool
}

// Flagged tells whether anything sets the position apart.
func (m MemberMark) Flagged() bool { return m.Outlier || m.RedLine || m.Holdout }

// PointRow is one point of a scale question with the members on it.
type PointRow struct {
	Point          int
	Label          string
	Count          int
	SharePct       float64
	Median         bool // the median falls on this point
	InCommonGround bool
	Best           bool // the best point: accepted by the most members
	StatusQuo      bool
	Members        []MemberMark
}

// OptionRow is one option of a choice question with its supporters.
type OptionRow struct {
	Number         int // 1-based
	Option         string
	Count          int
	SharePct       float64
	Accepting      int // members who accept the option (chose it or marked it acceptable)
	Plurality      bool
	InCommonGround bool
	Best           bool
	Members        []MemberMark
}

// Voice is one member's position on the question with its rationale and
// the conditions of its acceptance.
type Voice struct {
	Member     MemberRef
	Position   string // "point 1 · Keep it frozen", the option, or the answer
	Acceptable string // scale: "points 1–2"; choice: the other acceptable options
	Importance string
	Tags       []string // "holdout", "outlier", "red line", "minority"
	Rationale  string
	Conditions string // scale and choice: the conditions of the member's acceptance
}

// Condition is the conditions a member attaches to its acceptance.
type Condition struct {
	Member MemberRef
	Text   string
}

// QuestionView is the report page of one question.
type QuestionView struct {
	Q             *consensus.QuestionReport
	Number, Count int // the question's stable number (Q3) and the number of questions
	Prev, Next    *QuestionRef
	Badge         Badge
	// Verdict is the report's verdict sentence; the page shows no other
	// wording of the classification, so the two cannot disagree.
	Verdict      string
	Chart        template.HTML
	Stats        []Stat
	CommonGround string // "points 3–4: …" or the common-ground options; "" when none
	BestPoint    string // "point 2: …" or "option 1: …"; "" without responses
	Holdouts     []MemberRef
	// Conditions are those stated by the members who accept the best point
	// or option, by member code: what the common ground (or the best
	// point) holds only on. None without a best point.
	Conditions []Condition
	// NotAccepting counts the members who do not accept the best point;
	// when they are more than the holdouts allow, the question is split
	// and the page gives the count, not a list of names.
	NotAccepting int
	Split        bool
	StatusQuo    int // scale point marked as the status quo; 0 for none
	// Since compares the question with the previous round: nil in the
	// first round or when it was unanswered in one of the two rounds.
	Since       *TrendView
	Points      []PointRow
	Options     []OptionRow
	Highlighted []Voice // holdouts, outliers and red lines (choice: minorities), with their rationales
	Others      []Voice // every other answer that gives a rationale or conditions
	Answers     []Voice // text questions
	Missing     []MemberRef
}

// NewQuestionView builds the page of the question with the given key;
// false when the report has no such question. positions are the analysed
// positions (for rationales and acceptable ranges); statusQuo is the scale
// point marked as the status quo in the questionnaire (0 for none).
func NewQuestionView(r *consensus.Report, key string, positions []consensus.Position, statusQuo int) (*QuestionView, bool) {
	q, ok := r.Question(key)
	if !ok {
		return nil, false
	}
	names := memberNames(r)
	idx := positionIndex(positions)
	v := &QuestionView{Q: q, Count: len(r.Questions), Badge: BadgeFor(q), Verdict: q.Verdict, BestPoint: bestText(q),
		Holdouts: refs(q.Holdouts, names), NotAccepting: len(q.NotAccepting)}
	v.Split = v.NotAccepting > 0 && len(q.Holdouts) == 0
	if q.Scale != nil && statusQuo >= 1 && statusQuo <= q.Scale.K {
		v.StatusQuo = statusQuo
	}
	for i := range r.Questions {
		if r.Questions[i].Key == key {
			v.Number = QuestionNumber(r, i)
			if i > 0 {
				v.Prev = &QuestionRef{QuestionNumber(r, i-1), r.Questions[i-1].Key, r.Questions[i-1].Text}
			}
			if i+1 < len(r.Questions) {
				v.Next = &QuestionRef{QuestionNumber(r, i+1), r.Questions[i+1].Key, r.Questions[i+1].Text}
			}
		}
	}
	for _, code := range q.Coverage.Missing {
		v.Missing = append(v.Missing, MemberRef{code, names[code]})
	}
	v.Since = NewTrendView(q, names)
	chartID := "chart-" + q.Key
	switch {
	case q.Scale != nil:
		v.scale(q, names, idx)
		v.Chart = ScaleChart(q, chartID, v.StatusQuo)
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

// acceptingStat is the count of members accepting the best point.
func acceptingStat(q *consensus.QuestionReport, what string) Stat {
	return Stat{Label: "Accepting the best " + what, Value: fmt.Sprintf("%d of %d", q.Accepting, q.Coverage.Responses),
		Hint: fmt.Sprintf("members whose acceptable range includes %s %d", what, q.BestPoint)}
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
		if q.BestPoint > 0 {
			v.Stats = append(v.Stats, acceptingStat(q, "point"))
		}
		v.Stats = append(v.Stats,
			Stat{Label: "Median", Value: fmtPoint(st.Median), Hint: "the middle position"},
			Stat{Label: "Consensus score", Abbr: "Cns", AbbrTitle: GlossCns, Value: fmt.Sprintf("%.2f", st.Cns), Hint: "1 = all on one point, 0 = split between the two ends"},
			Stat{Label: "Agreement", Value: fmtPct(st.AgreementPct), Hint: "within one point of the median"},
			Stat{Label: "Interquartile range", Abbr: "IQR", AbbrTitle: GlossIQR, Value: fmt.Sprintf("%s (Q1 %s, Q3 %s)", num(st.IQR), num(st.Q1), num(st.Q3)), Hint: "spread of the middle half"},
			Stat{Label: "Mean", Value: fmt.Sprintf("%.2f", st.Mean), Hint: "the average point"},
			Stat{Label: "Most chosen", Value: strings.Join(modes, ", "), Hint: "the mode(s)"},
		)
	}
	if st.CommonGround != nil {
		v.CommonGround = commonGroundText(q, *st.CommonGround)
	}

	red := map[string]bool{}
	for _, rl := range st.RedLines {
		red[rl.Member] = true
	}
	mark := func(code string) MemberMark {
		return MemberMark{Code: code, Name: names[code], Outlier: slices.Contains(st.Outliers, code), RedLine: red[code],
			Holdout: slices.Contains(q.Holdouts, code)}
	}
	for i, members := range st.ByPoint {
		p := i + 1
		row := PointRow{Point: p, Label: pointLabel(q, p), Count: st.Counts[i],
			Median:         n > 0 && st.Median == float64(p),
			InCommonGround: st.CommonGround != nil && p >= st.CommonGround.Lo && p <= st.CommonGround.Hi,
			Best:           n > 0 && q.BestPoint == p,
			StatusQuo:      v.StatusQuo == p}
		if n > 0 {
			row.SharePct = 100 * float64(st.Counts[i]) / float64(n)
		}
		for _, code := range members {
			row.Members = append(row.Members, mark(code))
		}
		v.Points = append(v.Points, row)
	}

	// Voices: the flagged members first (holdouts, outliers, red lines),
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
				Acceptable: rangeText(acc), Importance: string(in.Importance), Rationale: in.Rationale, Conditions: in.Conditions}
			if m.Holdout {
				voice.Tags = append(voice.Tags, "holdout")
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
			case hasWords(in.Rationale) || hasWords(in.Conditions):
				v.Others = append(v.Others, voice)
			}
		}
	}
	v.Conditions = acceptedConditions(q, slices.Concat(st.ByPoint...), names, idx)
}

func (v *QuestionView) choice(q *consensus.QuestionReport, names map[string]string, idx map[posKey]consensus.Position) {
	st := q.Choice
	v.Stats = []Stat{responsesStat(q)}
	if q.Coverage.Responses > 0 {
		if q.BestPoint > 0 {
			v.Stats = append(v.Stats, acceptingStat(q, "option"))
		}
		v.Stats = append(v.Stats, Stat{Label: "Plurality", Value: fmt.Sprintf("%s (%s)", strings.Join(st.Plurality, "; "), fmtPct(100*st.PluralityShare)),
			Hint: "the most chosen option"})
	}
	v.CommonGround = optionsText(q, st.CommonGround)
	var respondents []string
	for i, o := range st.Options {
		n := i + 1
		row := OptionRow{Number: n, Option: o.Option, Count: o.Count, SharePct: 100 * o.Share, Accepting: o.Accepting,
			Plurality:      o.Count > 0 && slices.Contains(st.Plurality, o.Option),
			InCommonGround: slices.Contains(st.CommonGround, n),
			Best:           q.Coverage.Responses > 0 && q.BestPoint == n}
		for _, code := range o.Members {
			holdout := slices.Contains(q.Holdouts, code)
			row.Members = append(row.Members, MemberMark{Code: code, Name: names[code], Holdout: holdout})
			in := idx[posKey{code, q.Key}]
			voice := Voice{Member: MemberRef{code, names[code]}, Position: o.Option, Rationale: in.Rationale, Conditions: in.Conditions}
			if len(in.AcceptOptions) > 0 {
				voice.Acceptable = strings.Join(in.AcceptOptions, "; ")
			}
			if holdout {
				voice.Tags = []string{"holdout"}
			}
			if holdout || hasWords(in.Rationale) || hasWords(in.Conditions) {
				v.Others = append(v.Others, voice)
			}
			respondents = append(respondents, code)
		}
		v.Options = append(v.Options, row)
	}
	v.Conditions = acceptedConditions(q, respondents, names, idx)
	// Holdouts, and a minority position (an option chosen by fewer than a
	// plurality), are what a facilitator reads first.
	if q.Coverage.Responses > 0 {
		var first, rest []Voice
		for _, voice := range v.Others {
			switch {
			case len(voice.Tags) > 0:
				first = append(first, voice)
			case !slices.Contains(st.Plurality, voice.Position):
				voice.Tags = []string{"minority"}
				first = append(first, voice)
			default:
				rest = append(rest, voice)
			}
		}
		v.Highlighted, v.Others = first, rest
	}
}

func hasWords(s string) bool { return strings.TrimSpace(s) != "" }

// acceptedConditions lists, by member code, the conditions stated by the
// respondents who accept the question's best point (or option): every
// respondent not in NotAccepting. Nil when there is no best point.
func acceptedConditions(q *consensus.QuestionReport, respondents []string, names map[string]string,
	idx map[posKey]consensus.Position) []Condition {
	if q.BestPoint == 0 || q.Coverage.Responses == 0 {
		return nil
	}
	codes := slices.Clone(respondents)
	slices.Sort(codes)
	var out []Condition
	for _, code := range slices.Compact(codes) {
		text := strings.TrimSpace(idx[posKey{code, q.Key}].Conditions)
		if text == "" || slices.Contains(q.NotAccepting, code) {
			continue
		}
		out = append(out, Condition{Member: MemberRef{code, names[code]}, Text: text})
	}
	return out
}

package charts

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"

	"concord/consensus"
)

// MemberRef names a member.
type MemberRef struct {
	Code, Name string
}

// Badge is a classification as the pages show it: its words, the CSS
// class that colours it, a one-line explanation for the hover text and,
// when the verdict is provisional (the answers are below the quorum), the
// word "provisional" beside it — never colour alone.
type Badge struct {
	Label       string
	Class       string
	Title       string
	Provisional bool
}

// classOrder lists the classifications from most agreement to least — the
// report's ranking read backwards, so polarized (two camps at the ends of
// the scale) is the most divided — then insufficient.
var classOrder = []consensus.Classification{
	consensus.Unanimous, consensus.Consensus, consensus.NearConsensus, consensus.BroadAgreement,
	consensus.Divided, consensus.Polarized, consensus.Insufficient,
}

// classColors colour the classifications: ColorBrewer RdBu (safe for the
// common colour-vision deficiencies), blue for agreement (darkest for the
// most agreed; near consensus takes RdBu's #92c5de between consensus and
// broad agreement), red for division (darkest for the most divided), grey
// for too few answers. report.css uses the same colours for badges, with
// text colours of at least 4.5:1 contrast.
var classColors = map[consensus.Classification]string{
	consensus.Unanimous:      "#2166ac",
	consensus.Consensus:      "#67a9cf",
	consensus.NearConsensus:  "#92c5de",
	consensus.BroadAgreement: "#d1e5f0",
	consensus.Divided:        "#ef8a62",
	consensus.Polarized:      "#b2182b",
	consensus.Insufficient:   "#d9d9d9",
}

// classDark tells which classification colours need white text.
var classDark = map[consensus.Classification]bool{consensus.Unanimous: true, consensus.Polarized: true}

// classMeaning explains each classification in one line (badge hover text
// and the glossary).
var classMeaning = map[consensus.Classification]string{
	consensus.Unanimous:      "Every member who answered prefers the same point or option.",
	consensus.Consensus:      "At least one point or option is acceptable to every member who answered (the common ground).",
	consensus.NearConsensus:  "No common ground, but only a few members (the holdouts) do not accept the best point.",
	consensus.BroadAgreement: "No common ground, but most members stand close together.",
	consensus.Polarized:      "Two camps at the opposite ends of the scale.",
	consensus.Divided:        "No common ground and no clear majority.",
	consensus.Insufficient:   "Fewer than two members answered: too few to say.",
}

// ClassMeaning returns the one-line explanation of a classification.
func ClassMeaning(c consensus.Classification) string { return classMeaning[c] }

// BadgeOf returns the badge of a classification ("" for text questions).
func BadgeOf(c consensus.Classification) Badge {
	if c == "" {
		return Badge{Label: "open question", Class: "class-none", Title: "An open question: answers in words, not classified."}
	}
	return Badge{Label: string(c), Class: "class-" + strings.ReplaceAll(string(c), " ", "-"), Title: classMeaning[c]}
}

// BadgeFor returns the badge of a question: its classification, marked
// provisional when the question is below the quorum.
func BadgeFor(q *consensus.QuestionReport) Badge {
	b := BadgeOf(q.Classification)
	if q.Provisional {
		b.Provisional = true
		b.Title += " Provisional: fewer members answered than the quorum."
	}
	return b
}

// ClassCount is the number of questions of one classification.
type ClassCount struct {
	Badge Badge
	Count int
}

// RankRow is one question of the ranking, most divided first.
type RankRow struct {
	Rank               int
	Number             int // the question's stable number (Q3)
	Key, Text, Section string
	Kind               consensus.Kind
	Badge              Badge
	Verdict            string
	Responses, Total   int
	Scale              bool
	Cns, AgreementPct  float64
	Median             float64
	CommonGround       string // scale: "points 3–4: Exploratory talks – Structured negotiations"; choice: the options; "" when none
	BestPoint          string // "point 2: Hotline only" or "option 1: Keep it"; "" without responses
	Accepting          int
	Holdouts           []MemberRef
	NotAccepting       int // members who do not accept the best point (a count: more than a few is a split)
	Plurality          []string
	PluralitySharePct  float64
	OutlierCount       int
	RedLineCount       int
	Trend              *RankTrend // nil without a previous round to compare with
}

// TextRow is a text question of the overview.
type TextRow struct {
	Number             int
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
	// Ranked is the ranking's page shown (all of it below a page);
	// RankedCount counts every ranked question, Pager says which page.
	Ranked      []RankRow
	RankedCount int
	Pager       Pager
	Texts       []TextRow
	Questions   int
	// Quorum is the number of answers a verdict needs to speak for the
	// alliance; Provisional counts the ranked questions below it.
	Quorum, Provisional int
	// PolarizedPct is Thresholds.PolarizedShare as a percentage ("33%").
	PolarizedPct string
	// Since sums up the change since the previous round; nil in the
	// first round.
	Since *SinceView
}

// CnsHint explains the consensus score in one line (hover text).
func (Overview) CnsHint() string { return GlossCns }

// AgreementHint explains the agreement share in one line (hover text).
func (Overview) AgreementHint() string { return GlossAgreement }

// ProvisionalNote says how many verdicts are provisional, in words: "3
// verdicts are provisional: fewer than the quorum of 32 answered"; "" when
// none is.
func (o Overview) ProvisionalNote() string {
	switch o.Provisional {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("1 verdict is provisional: fewer than the quorum of %d answered.", o.Quorum)
	}
	return fmt.Sprintf("%d verdicts are provisional: fewer than the quorum of %d answered.", o.Provisional, o.Quorum)
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

// QuestionNumber returns the stable number of the i-th question of the
// report (Q-number); a report without numbers counts by position.
func QuestionNumber(r *consensus.Report, i int) int {
	if n := r.Questions[i].Number; n > 0 {
		return n
	}
	return i + 1
}

// NewOverview builds the overview of a report, with the whole ranking.
func NewOverview(r *consensus.Report) Overview {
	return NewOverviewPage(r, 1, len(r.Ranking)+1, "", nil)
}

// NewOverviewPage builds the overview of a report with one page of its
// ranking: page `page` of the ranked questions shown size at a time, most
// divided first across the pages (the rank numbers run on from page to
// page). The summary (coverage, classifications, provisional verdicts,
// the change since the previous round) covers every question. base and
// query are the page's address and query parameters, for the pager's
// links.
func NewOverviewPage(r *consensus.Report, page, size int, base string, query url.Values) Overview {
	o := Overview{Total: r.MembersTotal, Thresholds: r.Thresholds, Questions: len(r.Questions),
		Quorum: r.Quorum, Provisional: r.Provisional,
		PolarizedPct: fmtPct(100 * r.Thresholds.PolarizedShare)}
	if o.Quorum == 0 {
		o.Quorum = r.MembersTotal
	}
	names := memberNames(r)
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
	o.Since = NewSinceView(r)
	number := make(map[string]int, len(r.Questions))
	byKey := make(map[string]*consensus.QuestionReport, len(r.Questions))
	for i := range r.Questions {
		number[r.Questions[i].Key] = QuestionNumber(r, i)
		byKey[r.Questions[i].Key] = &r.Questions[i]
	}
	type ranked struct {
		rank int
		q    *consensus.QuestionReport
	}
	all := make([]ranked, 0, len(r.Ranking))
	for i, key := range r.Ranking {
		if q, ok := byKey[key]; ok {
			all = append(all, ranked{i + 1, q})
		}
	}
	o.RankedCount = len(all)
	o.Pager = NewPager(len(all), size, page, func(from, to int) string { return fmt.Sprintf("%d–%d", from+1, to) }, base, query)
	for _, x := range all[o.Pager.From:o.Pager.To] {
		o.Ranked = append(o.Ranked, rankRow(x.rank, number[x.q.Key], x.q, names))
	}
	for i := range r.Questions {
		q := &r.Questions[i]
		if q.Kind == consensus.KindText {
			n := 0
			if q.TextStats != nil {
				n = len(q.TextStats.Answers)
			}
			o.Texts = append(o.Texts, TextRow{Number: number[q.Key], Key: q.Key, Text: q.Text, Section: q.Section, Answers: n, Total: q.Coverage.MembersTotal})
		}
	}
	return o
}

func rankRow(rank, number int, q *consensus.QuestionReport, names map[string]string) RankRow {
	row := RankRow{Rank: rank, Number: number, Key: q.Key, Text: q.Text, Section: q.Section, Kind: q.Kind,
		Badge: BadgeFor(q), Verdict: q.Verdict, Responses: q.Coverage.Responses, Total: q.Coverage.MembersTotal,
		BestPoint: bestText(q), Accepting: q.Accepting, NotAccepting: len(q.NotAccepting), Holdouts: refs(q.Holdouts, names),
		Trend: rankTrend(q)}
	switch {
	case q.Scale != nil:
		st := q.Scale
		row.Scale = true
		row.Cns, row.AgreementPct, row.Median = st.Cns, st.AgreementPct, st.Median
		row.OutlierCount, row.RedLineCount = len(st.Outliers), len(st.RedLines)
		if st.CommonGround != nil {
			row.CommonGround = commonGroundText(q, *st.CommonGround)
		}
	case q.Choice != nil:
		row.CommonGround = optionsText(q, q.Choice.CommonGround)
		row.Plurality = q.Choice.Plurality
		row.PluralitySharePct = 100 * q.Choice.PluralityShare
	}
	return row
}

// refs names member codes.
func refs(codes []string, names map[string]string) []MemberRef {
	var out []MemberRef
	for _, c := range codes {
		out = append(out, MemberRef{c, names[c]})
	}
	return out
}

// commonGroundText names a common ground by its points and labels.
func commonGroundText(q *consensus.QuestionReport, cg consensus.Range) string {
	if cg.Lo == cg.Hi {
		return fmt.Sprintf("point %d: %s", cg.Lo, pointLabel(q, cg.Lo))
	}
	return fmt.Sprintf("points %d–%d: %s – %s", cg.Lo, cg.Hi, pointLabel(q, cg.Lo), pointLabel(q, cg.Hi))
}

// optionLabel returns the text of option n (1-based) of a choice question.
func optionLabel(q *consensus.QuestionReport, n int) string {
	if n >= 1 && n <= len(q.Options) {
		return q.Options[n-1]
	}
	if q.Choice != nil && n >= 1 && n <= len(q.Choice.Options) {
		return q.Choice.Options[n-1].Option
	}
	return fmt.Sprintf("option %d", n)
}

// optionsText names options by number and text: "option 1: Keep it;
// option 3: Void it"; "" for none.
func optionsText(q *consensus.QuestionReport, options []int) string {
	parts := make([]string, len(options))
	for i, n := range options {
		parts[i] = fmt.Sprintf("option %d: %s", n, optionLabel(q, n))
	}
	return strings.Join(parts, "; ")
}

// bestText names the best point (scale) or best option (choice) of a
// question: "point 2: Hotline only", "option 1: Keep it"; "" when there is
// none (no responses).
func bestText(q *consensus.QuestionReport) string {
	switch {
	case q.BestPoint < 1:
		return ""
	case q.Scale != nil:
		return fmt.Sprintf("point %d: %s", q.BestPoint, pointLabel(q, q.BestPoint))
	case q.Choice != nil:
		return fmt.Sprintf("option %d: %s", q.BestPoint, optionLabel(q, q.BestPoint))
	}
	return ""
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

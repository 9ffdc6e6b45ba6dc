package consensus

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Analyze computes the full report of a consultation. It never modifies its
// input and is deterministic: the same input gives the same report.
//
// Input cleaning: members with a duplicate code and questions with a
// duplicate key are ignored after their first occurrence; positions that
// refer to an unknown member or question, scale values outside 1..k, choice
// options not among the question's options, empty (blank) text answers and
// positions on questions of an unknown kind are ignored; among the remaining
// positions of a member on a question the last one is kept. Texts in a choice
// position's AcceptOptions that are not among the question's options are
// ignored.
//
// Quorum: Report.Quorum is EffectiveQuorum(in.Quorum, members); a question
// is quorate when its responses reach it, and a classified (not
// insufficient) scale or choice question below it is provisional.
func Analyze(in Input) *Report {
	a := newAnalyzer(in)
	for q := range a.ro.questions {
		a.question(q)
	}
	a.rank()
	a.profiles()
	a.simVals, a.simCols = a.scaledMatrix()
	a.similarity()
	a.opinionMap()
	if in.Previous != nil {
		a.trends(Analyze(Input{Members: in.Members, Questions: in.Questions, Positions: in.Previous,
			Thresholds: in.Thresholds, Quorum: in.Quorum}))
	}
	return a.rep
}

// effectiveThresholds returns DefaultThresholds for the zero value and
// replaces non-finite fields by their default.
func effectiveThresholds(t Thresholds) Thresholds {
	d := DefaultThresholds()
	if t == (Thresholds{}) {
		return d
	}
	if math.IsNaN(t.BroadCns) || math.IsInf(t.BroadCns, 0) {
		t.BroadCns = d.BroadCns
	}
	if math.IsNaN(t.BroadAgreementPct) || math.IsInf(t.BroadAgreementPct, 0) {
		t.BroadAgreementPct = d.BroadAgreementPct
	}
	if math.IsNaN(t.PolarizedShare) || math.IsInf(t.PolarizedShare, 0) {
		t.PolarizedShare = d.PolarizedShare
	}
	return t
}

// roster is the pre-indexed roster and question list.
type roster struct {
	members   []Member // unique codes, roster order
	alpha     []int    // member indexes sorted by code
	byCode    map[string]int
	questions []Question // unique keys, input order
	byKey     map[string]int
	numbers   []int            // Question.Number, or input position + 1 when 0
	k         []int            // number of scale points (scale questions only)
	options   []map[string]int // option text → index (choice questions only)
	maxOpts   int              // the most options of any choice question
}

func newRoster(members []Member, questions []Question) *roster {
	ro := &roster{
		byCode: make(map[string]int, len(members)),
		byKey:  make(map[string]int, len(questions)),
	}
	for _, m := range members {
		if _, dup := ro.byCode[m.Code]; dup {
			continue
		}
		ro.byCode[m.Code] = len(ro.members)
		ro.members = append(ro.members, m)
	}
	ro.alpha = make([]int, len(ro.members))
	for i := range ro.alpha {
		ro.alpha[i] = i
	}
	slices.SortFunc(ro.alpha, func(x, y int) int {
		return strings.Compare(ro.members[x].Code, ro.members[y].Code)
	})
	for i, q := range questions {
		if _, dup := ro.byKey[q.Key]; dup {
			continue
		}
		ro.byKey[q.Key] = len(ro.questions)
		ro.questions = append(ro.questions, q)
		num := q.Number
		if num == 0 {
			num = i + 1
		}
		ro.numbers = append(ro.numbers, num)
	}
	ro.k = make([]int, len(ro.questions))
	ro.options = make([]map[string]int, len(ro.questions))
	for i, q := range ro.questions {
		switch q.Kind {
		case KindScale:
			ro.k[i] = len(q.Points)
		case KindChoice:
			opts := make(map[string]int, len(q.Options))
			for j, o := range q.Options {
				if _, dup := opts[o]; !dup {
					opts[o] = j
				}
			}
			ro.options[i] = opts
			ro.maxOpts = max(ro.maxOpts, len(q.Options))
		}
	}
	return ro
}

// answers holds the kept position of every (question, member) pair, in a
// flat slice indexed q·nm + m.
type answers struct {
	positions []Position
	pos       []int32 // index into positions, −1 = no answer
	val       []int32 // scale: preferred point; choice: option index
}

// collect validates and de-duplicates positions (the last valid one wins).
func (ro *roster) collect(positions []Position) answers {
	nm := len(ro.members)
	a := answers{
		positions: positions,
		pos:       make([]int32, len(ro.questions)*nm),
		val:       make([]int32, len(ro.questions)*nm),
	}
	for i := range a.pos {
		a.pos[i] = -1
	}
	// Positions usually come grouped by member: cache the last lookup.
	lastCode, lastM := "", -1
	for i := range positions {
		p := &positions[i]
		m := lastM
		if m < 0 || p.MemberCode != lastCode {
			var ok bool
			if m, ok = ro.byCode[p.MemberCode]; !ok {
				continue
			}
			lastCode, lastM = p.MemberCode, m
		}
		q, ok := ro.byKey[p.QuestionKey]
		if !ok {
			continue
		}
		var v int
		switch ro.questions[q].Kind {
		case KindScale:
			if p.Preferred < 1 || p.Preferred > ro.k[q] {
				continue
			}
			v = p.Preferred
		case KindChoice:
			if v, ok = ro.options[q][p.Option]; !ok {
				continue
			}
		case KindText:
			if strings.TrimSpace(p.Answer) == "" {
				continue
			}
		default:
			continue
		}
		a.pos[q*nm+m] = int32(i)
		a.val[q*nm+m] = int32(v)
	}
	return a
}

// scaleCounts returns the counts per point of scale question q.
func (a *answers) scaleCounts(q, nm, k int) []int {
	counts := make([]int, k)
	base := q * nm
	for m := range nm {
		if a.pos[base+m] >= 0 {
			counts[a.val[base+m]-1]++
		}
	}
	return counts
}

// AcceptRange returns the acceptable range of a scale position on a k-point
// scale as the analysis reads it: a zero bound means Preferred; the range is
// clamped to 1..k and widened to contain Preferred.
func AcceptRange(p *Position, k int) Range {
	lo, hi := p.AcceptMin, p.AcceptMax
	if lo == 0 {
		lo = p.Preferred
	}
	if hi == 0 {
		hi = p.Preferred
	}
	lo = min(max(lo, 1), p.Preferred)
	hi = max(min(hi, k), p.Preferred)
	return Range{Lo: lo, Hi: hi}
}

type analyzer struct {
	ro   *roster
	th   Thresholds
	cur  answers
	prev *answers
	rep  *Report

	// per member, roster index
	answered      []int
	scaleAnswered []int
	outliers      []int
	blocking      []int // questions where the member does not accept the best point
	holdouts      []int // questions where the member is a holdout
	distSum       []float64
	positions     [][]MemberPosition
	blockFlag     []bool // scratch: member does not accept the current best point

	// scratch for choice questions: optMark[j] == optGen when option j is
	// already counted for the current respondent
	optMark []int
	optGen  int

	// scaled answers (see scaledMatrix), shared by similarity and opinionMap
	simVals []float64
	simCols []int
}

func newAnalyzer(in Input) *analyzer {
	ro := newRoster(in.Members, in.Questions)
	nm := len(ro.members)
	a := &analyzer{
		ro:            ro,
		th:            effectiveThresholds(in.Thresholds),
		cur:           ro.collect(in.Positions),
		answered:      make([]int, nm),
		scaleAnswered: make([]int, nm),
		outliers:      make([]int, nm),
		blocking:      make([]int, nm),
		holdouts:      make([]int, nm),
		distSum:       make([]float64, nm),
		positions:     make([][]MemberPosition, nm),
		blockFlag:     make([]bool, nm),
		optMark:       make([]int, ro.maxOpts),
	}
	if in.Previous != nil {
		p := ro.collect(in.Previous)
		a.prev = &p
	}
	// Pre-size the per-member position lists.
	for q, question := range ro.questions {
		if question.Kind != KindScale {
			continue
		}
		for m := range nm {
			if a.cur.pos[q*nm+m] >= 0 {
				a.scaleAnswered[m]++
			}
		}
	}
	for m := range nm {
		a.positions[m] = make([]MemberPosition, 0, a.scaleAnswered[m])
		a.scaleAnswered[m] = 0
	}
	a.rep = &Report{
		Thresholds:   a.th,
		MembersTotal: nm,
		Quorum:       EffectiveQuorum(in.Quorum, nm),
		Questions:    make([]QuestionReport, len(ro.questions)),
		Ranking:      []string{},
		ClassCounts:  map[Classification]int{},
		Members:      make([]MemberProfile, nm),
		Similarity:   []PairSimilarity{},
		Map:          OpinionMap{Points: []MapPoint{}, Blocs: []Bloc{}},
	}
	return a
}

func cloneStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// question analyses question q.
func (a *analyzer) question(q int) {
	ro := a.ro
	nm := len(ro.members)
	question := ro.questions[q]
	qr := &a.rep.Questions[q]
	*qr = QuestionReport{
		Number:  ro.numbers[q],
		Key:     question.Key,
		Section: question.Section,
		Text:    question.Text,
		Kind:    question.Kind,
		Points:  cloneStrings(question.Points),
		Options: cloneStrings(question.Options),
	}
	base := q * nm
	responses := 0
	for m := range nm {
		if a.cur.pos[base+m] >= 0 {
			responses++
		}
	}
	missing := make([]string, 0, nm-responses)
	for _, m := range ro.alpha {
		if a.cur.pos[base+m] < 0 {
			missing = append(missing, ro.members[m].Code)
		}
	}
	qr.Coverage = Coverage{
		Responses:    responses,
		MembersTotal: nm,
		CoveragePct:  pct(responses, nm),
		Missing:      missing,
	}
	qr.NotAccepting = []string{}
	qr.Holdouts = []string{}
	qr.Quorate = responses >= a.rep.Quorum
	switch question.Kind {
	case KindScale:
		a.scale(q, qr)
	case KindChoice:
		a.choice(q, qr)
	case KindText:
		a.text(q, qr)
	}
	if qr.Scale != nil || qr.Choice != nil {
		qr.Provisional = !qr.Quorate && qr.Classification != Insufficient
		qr.Verdict = VerdictLine(qr)
	}
}

func (a *analyzer) scale(q int, qr *QuestionReport) {
	ro := a.ro
	nm := len(ro.members)
	k := ro.k[q]
	base := q * nm
	counts := a.cur.scaleCounts(q, nm, k)
	n := Total(counts)

	byPoint := make([][]string, k)
	for i := range byPoint {
		byPoint[i] = make([]string, 0, counts[i])
	}
	resp := make([]int, 0, n) // responding members, alphabetical
	ranges := make([]Range, 0, n)
	for _, m := range ro.alpha {
		pi := a.cur.pos[base+m]
		if pi < 0 {
			continue
		}
		x := a.cur.val[base+m]
		byPoint[x-1] = append(byPoint[x-1], ro.members[m].Code)
		resp = append(resp, m)
		ranges = append(ranges, AcceptRange(&a.cur.positions[pi], k))
	}

	median := Median(counts)
	q1, q3, iqr := Quartiles(counts)
	cns := Cns(counts)
	agree := AgreementPct(counts, median)
	st := &ScaleStats{
		K:            k,
		Counts:       counts,
		ByPoint:      byPoint,
		Median:       median,
		Mean:         Mean(counts),
		Q1:           q1,
		Q3:           q3,
		IQR:          iqr,
		Modes:        Modes(counts),
		Cns:          cns,
		AgreementPct: agree,
		Outliers:     []string{},
		CommonGround: CommonGround(ranges),
		RedLines:     []RedLine{},
	}

	// Best point, who does not accept it, holdouts.
	best, accepting := BestPoint(ranges, k, median)
	notAccepting := make([]string, 0, n-accepting)
	for j, r := range ranges {
		if best < r.Lo || best > r.Hi {
			m := resp[j]
			notAccepting = append(notAccepting, ro.members[m].Code)
			a.blockFlag[m] = true
		}
	}
	qr.BestPoint, qr.Accepting, qr.NotAccepting = best, accepting, notAccepting
	qr.Holdouts = Holdouts(notAccepting, n)
	hold := len(qr.Holdouts) > 0
	if st.CommonGround == nil && n > 0 {
		st.Blocking = &Blocking{Point: best, Members: slices.Clone(notAccepting)}
	}

	// Outliers are reported only when they are few (see OutliersReported).
	candidates := 0
	for _, m := range resp {
		if IsOutlier(int(a.cur.val[base+m]), median, k) {
			candidates++
		}
	}
	reportOutliers := OutliersReported(candidates, n)

	for _, m := range resp {
		p := &a.cur.positions[a.cur.pos[base+m]]
		x := int(a.cur.val[base+m])
		out := reportOutliers && IsOutlier(x, median, k)
		red := p.Importance == ImportanceRedLine
		if out {
			st.Outliers = append(st.Outliers, ro.members[m].Code)
			a.outliers[m]++
		}
		if red {
			st.RedLines = append(st.RedLines, RedLine{Member: ro.members[m].Code, Preferred: x, Side: Side(x, median)})
		}
		dev := Deviation(x, median, k)
		a.answered[m]++
		a.scaleAnswered[m]++
		a.distSum[m] += math.Abs(dev)
		blocking := a.blockFlag[m]
		if blocking {
			a.blocking[m]++
			a.blockFlag[m] = false
			if hold {
				a.holdouts[m]++
			}
		}
		a.positions[m] = append(a.positions[m], MemberPosition{
			QuestionKey: qr.Key,
			Preferred:   x,
			Median:      median,
			Deviation:   dev,
			Outlier:     out,
			Blocking:    blocking,
			Holdout:     blocking && hold,
			RedLine:     red,
		})
	}
	qr.Scale = st
	qr.Classification = ClassifyScale(counts, st.CommonGround != nil, hold, cns, agree, a.th)

}

// choice analyses choice question q. A respondent's acceptable set is the
// chosen option plus the options named in AcceptOptions (unknown texts and
// repeats ignored); see ChoiceCommonGround, BestOption and Holdouts.
func (a *analyzer) choice(q int, qr *QuestionReport) {
	ro := a.ro
	nm := len(ro.members)
	base := q * nm
	opts := ro.questions[q].Options
	index := ro.options[q]
	counts := make([]int, len(opts))
	accepting := make([]int, len(opts))
	for m := range nm {
		if a.cur.pos[base+m] >= 0 {
			counts[a.cur.val[base+m]]++
		}
	}
	n := Total(counts)
	st := &ChoiceStats{Options: make([]OptionCount, len(opts))}
	for i, o := range opts {
		st.Options[i] = OptionCount{Option: o, Count: counts[i], Members: make([]string, 0, counts[i])}
		if n > 0 {
			st.Options[i].Share = float64(counts[i]) / float64(n)
		}
	}
	for _, m := range ro.alpha {
		pi := a.cur.pos[base+m]
		if pi < 0 {
			continue
		}
		a.answered[m]++
		v := int(a.cur.val[base+m])
		oc := &st.Options[v]
		oc.Members = append(oc.Members, ro.members[m].Code)
		// Count each option of the acceptable set once.
		a.optGen++
		a.optMark[v] = a.optGen
		accepting[v]++
		for _, text := range a.cur.positions[pi].AcceptOptions {
			if j, ok := index[text]; ok && a.optMark[j] != a.optGen {
				a.optMark[j] = a.optGen
				accepting[j]++
			}
		}
	}
	for i := range st.Options {
		st.Options[i].Accepting = accepting[i]
	}
	st.CommonGround = ChoiceCommonGround(accepting, n)
	idx, share := Plurality(counts)
	st.Plurality = make([]string, len(idx))
	for i, j := range idx {
		st.Plurality[i] = opts[j]
	}
	st.PluralityShare = share

	if best := BestOption(accepting, counts); best >= 0 {
		qr.BestPoint, qr.Accepting = best+1, accepting[best]
		notAccepting := make([]string, 0, n-accepting[best])
		for _, m := range ro.alpha {
			pi := a.cur.pos[base+m]
			if pi >= 0 && !acceptsOption(&a.cur.positions[pi], int(a.cur.val[base+m]), best, index) {
				notAccepting = append(notAccepting, ro.members[m].Code)
				a.blocking[m]++
			}
		}
		qr.NotAccepting = notAccepting
		qr.Holdouts = Holdouts(notAccepting, n)
		for _, code := range qr.Holdouts {
			a.holdouts[ro.byCode[code]]++
		}
	}
	qr.Choice = st
	qr.Classification = ClassifyChoice(counts, len(st.CommonGround) > 0, len(qr.Holdouts) > 0, a.th)
}

// acceptsOption tells whether a choice position (chosen option index chosen)
// accepts option j: it chose it or named it among AcceptOptions.
func acceptsOption(p *Position, chosen, j int, index map[string]int) bool {
	if chosen == j {
		return true
	}
	for _, text := range p.AcceptOptions {
		if i, ok := index[text]; ok && i == j {
			return true
		}
	}
	return false
}

func (a *analyzer) text(q int, qr *QuestionReport) {
	ro := a.ro
	nm := len(ro.members)
	base := q * nm
	st := &TextStats{Answers: make([]TextAnswer, 0, qr.Coverage.Responses)}
	for m := range nm {
		if pi := a.cur.pos[base+m]; pi >= 0 {
			st.Answers = append(st.Answers, TextAnswer{
				Member: ro.members[m].Code,
				Answer: strings.TrimSpace(a.cur.positions[pi].Answer),
			})
			a.answered[m]++
		}
	}
	qr.TextStats = st
}

// rank orders scale and choice questions from most divided to least:
// by class (polarized, divided, broad agreement, near consensus, consensus,
// unanimous, insufficient; see classRank), then by agreement score ascending
// (Cns for scale questions, plurality share for choice questions), then
// question order. It also counts the classes and the provisional questions.
func (a *analyzer) rank() {
	type item struct {
		q     int
		class int
		score float64
	}
	items := make([]item, 0, len(a.rep.Questions))
	for q := range a.rep.Questions {
		qr := &a.rep.Questions[q]
		switch {
		case qr.Scale != nil:
			items = append(items, item{q, classRank(qr.Classification), qr.Scale.Cns})
		case qr.Choice != nil:
			items = append(items, item{q, classRank(qr.Classification), qr.Choice.PluralityShare})
		}
	}
	slices.SortStableFunc(items, func(x, y item) int {
		if c := cmp.Compare(x.class, y.class); c != 0 {
			return c
		}
		return cmp.Compare(x.score, y.score)
	})
	for _, c := range allClasses() {
		a.rep.ClassCounts[c] = 0
	}
	a.rep.Ranking = make([]string, len(items))
	for i, it := range items {
		qr := &a.rep.Questions[it.q]
		a.rep.Ranking[i] = qr.Key
		a.rep.ClassCounts[qr.Classification]++
		if qr.Provisional {
			a.rep.Provisional++
		}
	}
}

func (a *analyzer) profiles() {
	for m, mem := range a.ro.members {
		p := MemberProfile{
			Code:          mem.Code,
			Name:          mem.Name,
			Answered:      a.answered[m],
			ScaleAnswered: a.scaleAnswered[m],
			OutlierCount:  a.outliers[m],
			BlockingCount: a.blocking[m],
			HoldoutCount:  a.holdouts[m],
			Positions:     a.positions[m],
		}
		if p.ScaleAnswered > 0 {
			p.MeanDistance = a.distSum[m] / float64(p.ScaleAnswered)
		}
		a.rep.Members[m] = p
	}
}

// scaledMatrix returns the scale answers of all members as a flat
// nm × len(cols) matrix of values scaled to 0..1 by (x − 1)/(k − 1), −1 for
// a missing answer, where cols are the scale questions with at least one
// response, in question order.
func (a *analyzer) scaledMatrix() (vals []float64, cols []int) {
	nm := len(a.ro.members)
	for q := range a.rep.Questions {
		if qr := &a.rep.Questions[q]; qr.Scale != nil && qr.Coverage.Responses > 0 {
			cols = append(cols, q)
		}
	}
	nc := len(cols)
	vals = make([]float64, nm*nc)
	for j, q := range cols {
		k := a.ro.k[q]
		inv := 0.0
		if k > 1 {
			inv = 1 / float64(k-1)
		}
		base := q * nm
		for m := range nm {
			if a.cur.pos[base+m] >= 0 {
				vals[m*nc+j] = float64(a.cur.val[base+m]-1) * inv
			} else {
				vals[m*nc+j] = -1
			}
		}
	}
	return vals, cols
}

// PairScore returns the similarity of two members from their scaled answers
// (values in 0..1, negative = not answered), and the number of questions both
// answered (Concord's definition: one minus the mean absolute difference of
// the answers scaled by (x − 1)/(k − 1)):
//
//	similarity = 1 − mean_j |a_j − b_j|  over the questions j both answered
//
// The similarity is 0 when there is no common question.
func PairScore(a, b []float64) (similarity float64, common int) {
	sum := 0.0
	for j, x := range a {
		y := b[j]
		if x < 0 || y < 0 {
			continue
		}
		sum += math.Abs(x - y)
		common++
	}
	if common == 0 {
		return 0, 0
	}
	return 1 - sum/float64(common), common
}

// similarity computes the pairwise similarity of members (A < B by code) over
// the scale questions both answered: 1 − mean(|x_a − x_b|/(k − 1)).
func (a *analyzer) similarity() {
	vals, nc := a.simVals, len(a.simCols)
	alpha := a.ro.alpha
	out := make([]PairSimilarity, 0, len(alpha)*(len(alpha)-1)/2)
	for i, ma := range alpha {
		if a.scaleAnswered[ma] == 0 {
			continue
		}
		ra := vals[ma*nc : (ma+1)*nc]
		for _, mb := range alpha[i+1:] {
			if a.scaleAnswered[mb] == 0 {
				continue
			}
			s, c := PairScore(ra, vals[mb*nc:(mb+1)*nc])
			if c == 0 {
				continue
			}
			out = append(out, PairSimilarity{
				A:          a.ro.members[ma].Code,
				B:          a.ro.members[mb].Code,
				Common:     c,
				Similarity: s,
			})
		}
	}
	a.rep.Similarity = out
}

package consensus

import "math"

// eps is the tolerance used when comparing floats, so that values that are
// mathematically equal to a threshold (for example exactly a third) count as
// reaching it.
const eps = 1e-9

// The metric functions below work on a distribution of answers to a scale
// question given as counts: counts[i] is the number of responses at point
// i+1, and k = len(counts) is the number of scale points.

// Total returns the number of responses described by counts: Σ counts[i].
func Total(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// valueAt returns the idx-th smallest response (0-based) of the distribution,
// i.e. x[idx] of the sorted responses. idx must be in [0, Total(counts)).
func valueAt(counts []int, idx int) int {
	for i, c := range counts {
		if idx < c {
			return i + 1
		}
		idx -= c
	}
	return len(counts)
}

// Median returns the median response: x[(n−1)/2] for odd n, the mean of the
// two middle values x[n/2−1] and x[n/2] for even n (sorted, 0-based). It is 0
// when there is no response.
func Median(counts []int) float64 {
	n := Total(counts)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return float64(valueAt(counts, n/2))
	}
	return float64(valueAt(counts, n/2-1)+valueAt(counts, n/2)) / 2
}

// Mean returns the arithmetic mean of the responses, Σ (i+1)·counts[i] / n;
// 0 when there is no response.
func Mean(counts []int) float64 {
	n, s := 0, 0
	for i, c := range counts {
		n += c
		s += (i + 1) * c
	}
	if n == 0 {
		return 0
	}
	return float64(s) / float64(n)
}

// Modes returns all points with the largest count, ascending; empty (not
// nil) when there is no response.
func Modes(counts []int) []int {
	best := 0
	for _, c := range counts {
		best = max(best, c)
	}
	modes := []int{}
	if best == 0 {
		return modes
	}
	for i, c := range counts {
		if c == best {
			modes = append(modes, i+1)
		}
	}
	return modes
}

// Quantile returns the p-quantile (0 <= p <= 1) of the responses by
// Hyndman & Fan (1996) definition 7, the default of R's quantile() and of
// spreadsheet QUARTILE.INC / PERCENTILE.INC: with the responses sorted
// x[0] <= ... <= x[n−1], h = (n−1)·p and
//
//	Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
//
// It is 0 when there is no response.
func Quantile(counts []int, p float64) float64 {
	n := Total(counts)
	if n == 0 {
		return 0
	}
	p = min(max(p, 0), 1)
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	x0 := float64(valueAt(counts, lo))
	if lo+1 >= n {
		return x0
	}
	x1 := float64(valueAt(counts, lo+1))
	return x0 + (h-float64(lo))*(x1-x0)
}

// Quartiles returns Q1 = Quantile(0.25), Q3 = Quantile(0.75) and the
// interquartile range IQR = Q3 − Q1 (Hyndman–Fan type 7).
func Quartiles(counts []int) (q1, q3, iqr float64) {
	q1 = Quantile(counts, 0.25)
	q3 = Quantile(counts, 0.75)
	return q1, q3, q3 - q1
}

// Cns returns the consensus measure of Tastle & Wierman (2007), "Consensus
// and dissention: A measure of ordinal dispersion", International Journal of
// Approximate Reasoning 45(3):531–545:
//
//	Cns = 1 + Σ_i p_i · log2(1 − |X_i − μ| / (k − 1))
//
// over the scale points X_i = i+1 with share p_i = counts[i]/n and mean μ.
// Cns is 1 when every response is on one point and 0 for an even split
// between the two ends of the scale. Points with p_i = 0 are skipped (they are
// the only ones for which the logarithm could be log2(0)). Cns is 0 with no
// response and 1 with one response (or a one-point scale).
func Cns(counts []int) float64 {
	n := Total(counts)
	if n == 0 {
		return 0
	}
	k := len(counts)
	if k < 2 {
		return 1
	}
	mu := Mean(counts)
	width := float64(k - 1)
	sum := 0.0
	for i, c := range counts {
		if c == 0 {
			continue
		}
		t := 1 - math.Abs(float64(i+1)-mu)/width
		if t <= 0 {
			continue // unreachable for c > 0; guards log2(0)
		}
		sum += float64(c) / float64(n) * math.Log2(t)
	}
	return clamp01(1 + sum)
}

// AgreementPct returns the share, in percent (0..100), of responses x with
//
//	|x − median| <= 1,
//
// 0 when there is no response. This is the percent agreement of Delphi
// studies, read as "within one point of the median"; its default threshold
// of 75% (Thresholds.BroadAgreementPct) is the median threshold found by
// Diamond et al. (2014), "Defining consensus: a systematic review recommends
// methodologic criteria for reporting of Delphi studies", J Clin Epidemiol
// 67(4):401–409.
func AgreementPct(counts []int, median float64) float64 {
	n, near := 0, 0
	for i, c := range counts {
		n += c
		if math.Abs(float64(i+1)-median) <= 1+eps {
			near += c
		}
	}
	if n == 0 {
		return 0
	}
	return 100 * float64(near) / float64(n)
}

// IsOutlier reports whether a preferred point x on a k-point scale is an
// outlier candidate (Concord's definition, scaled to the scale like Cns):
//
//	|x − median| >= (k − 1)/2,
//
// i.e. at least half the scale away from the median. A scale with fewer than
// two points has no outliers. Whether the candidates of a question are
// reported as outliers depends on how many there are: see OutliersReported.
func IsOutlier(x int, median float64, k int) bool {
	if k < 2 {
		return false
	}
	return math.Abs(float64(x)-median) >= float64(k-1)/2-eps
}

// OutliersReported tells whether the outlier candidates of a question (see
// IsOutlier) are reported as outliers: only when they are fewer than a
// quarter of the respondents,
//
//	4 · candidates < responses   (strictly),
//
// because when a quarter or more stand that far from the median the question
// is split, not a few outliers. With no candidate there is nothing to report.
func OutliersReported(candidates, responses int) bool {
	return candidates > 0 && 4*candidates < responses
}

// Deviation returns the signed distance of x from the median as a share of
// the scale width: (x − median)/(k − 1), in [−1, 1]; 0 for a scale with
// fewer than two points.
func Deviation(x int, median float64, k int) float64 {
	if k < 2 {
		return 0
	}
	return (float64(x) - median) / float64(k-1)
}

// Side tells on which side of the median x lies: "below", "at" or "above".
func Side(x int, median float64) string {
	d := float64(x) - median
	switch {
	case d < -eps:
		return "below"
	case d > eps:
		return "above"
	}
	return "at"
}

// CommonGround returns the intersection of the acceptable ranges,
// [max Lo, min Hi], or nil when it is empty or there is no range: the points
// every member can accept, which a decision by consensus needs (Concord's
// definition).
func CommonGround(ranges []Range) *Range {
	if len(ranges) == 0 {
		return nil
	}
	cg := ranges[0]
	for _, r := range ranges[1:] {
		cg.Lo = max(cg.Lo, r.Lo)
		cg.Hi = min(cg.Hi, r.Hi)
	}
	if cg.Lo > cg.Hi {
		return nil
	}
	return &cg
}

// BestPoint returns the best point p* of a k-point scale, the point accepted
// (inside the acceptable range) by the most respondents, and how many accept
// it (Concord's definition):
//
//	p* = argmax_p #{ranges r : r.Lo <= p <= r.Hi}
//
// Ties go to the point closest to the median, then to the lower point. When
// there is a common ground, p* is therefore its point closest to the median
// and every range accepts it. Ranges are clamped to 1..k. The respondents
// whose range excludes p* are the "not accepting" members: the smallest set
// whose absence would leave a point acceptable to all others. It returns
// (0, 0) when there is no range or k < 1.
func BestPoint(ranges []Range, k int, median float64) (point, accepted int) {
	if len(ranges) == 0 || k < 1 {
		return 0, 0
	}
	// Difference array: +1 at Lo, −1 after Hi.
	diff := make([]int, k+2)
	for _, r := range ranges {
		lo, hi := max(r.Lo, 1), min(r.Hi, k)
		if lo > hi {
			continue
		}
		diff[lo]++
		diff[hi+1]--
	}
	run := 0
	bestDist := math.Inf(1)
	for p := 1; p <= k; p++ {
		run += diff[p]
		d := math.Abs(float64(p) - median)
		if point == 0 || run > accepted || (run == accepted && d < bestDist-eps) {
			point, accepted, bestDist = p, run, d
		}
	}
	return point, accepted
}

// HoldoutLimit returns the largest number of not-accepting members that are
// still called holdouts on a question with the given number of responses:
//
//	max(1, ⌊responses / 10⌋)
//
// For 32 respondents that is 3: the few members a chair would try to bring
// along. More than that is a split, not a hold-out.
func HoldoutLimit(responses int) int {
	return max(1, responses/10)
}

// Holdouts returns the holdouts of a question: the not-accepting members
// (those whose acceptable range or options exclude the best point) when
// there are N of them with
//
//	1 <= N <= HoldoutLimit(responses)   and   N < responses − N,
//
// otherwise none (an empty, non-nil list). The second condition only matters
// for two respondents: a one-against-one split is not a hold-out. The result
// is a copy of notAccepting, in its order.
func Holdouts(notAccepting []string, responses int) []string {
	n := len(notAccepting)
	if n < 1 || n > HoldoutLimit(responses) || n >= responses-n {
		return []string{}
	}
	return append(make([]string, 0, n), notAccepting...)
}

// EffectiveQuorum returns the quorum a consultation's verdicts are measured
// against: the given quorum when it is between 1 and the number of members,
// otherwise (0, negative, or more than the roster) the number of members.
// A question is quorate when its responses reach this number; below it its
// verdict is provisional, a null result (not enough evidence yet) rather
// than a negative one (evidence of no consensus) in the sense of Flater,
// "Measuring social consensus", NIST, 2024.
func EffectiveQuorum(quorum, members int) int {
	if quorum < 1 || quorum > members {
		return members
	}
	return quorum
}

// PolarShares returns the share (0..1) of responses in the lower third of the
// scale, points <= 1 + (k−1)/3, and in the upper third, points >= k − (k−1)/3
// (Concord's reading of polarization on a scale split into thirds; points
// exactly on a bound count).
func PolarShares(counts []int) (low, high float64) {
	n := Total(counts)
	k := len(counts)
	if n == 0 || k == 0 {
		return 0, 0
	}
	third := float64(k-1) / 3
	lo, hi := 0, 0
	for i, c := range counts {
		x := float64(i + 1)
		if x <= 1+third+eps {
			lo += c
		}
		if x >= float64(k)-third-eps {
			hi += c
		}
	}
	return float64(lo) / float64(n), float64(hi) / float64(n)
}

// ClassifyScale classifies a scale question; the first rule that matches
// wins:
//
//  1. fewer than 2 responses → Insufficient;
//  2. every response on one point → Unanimous;
//  3. a common ground exists (see CommonGround) → Consensus;
//  4. there are holdouts (see Holdouts) → NearConsensus;
//  5. Cns >= BroadCns and AgreementPct >= BroadAgreementPct → BroadAgreement;
//  6. the share in the lower third and the share in the upper third (see
//     PolarShares) are both >= PolarizedShare → Polarized;
//  7. otherwise Divided.
//
// Because rules 3 and 4 come before 5, a question without common ground is
// never called broad agreement when a few members stand outside: it is near
// consensus, and its holdouts are named.
func ClassifyScale(counts []int, hasCommonGround, hasHoldouts bool, cns, agreementPct float64, t Thresholds) Classification {
	n := Total(counts)
	if n < 2 {
		return Insufficient
	}
	for _, c := range counts {
		if c == n {
			return Unanimous
		}
	}
	if hasCommonGround {
		return Consensus
	}
	if hasHoldouts {
		return NearConsensus
	}
	if cns >= t.BroadCns-eps && agreementPct >= t.BroadAgreementPct-eps {
		return BroadAgreement
	}
	low, high := PolarShares(counts)
	if low >= t.PolarizedShare-eps && high >= t.PolarizedShare-eps {
		return Polarized
	}
	return Divided
}

// Plurality returns the indexes of the options with the most responses (all
// of them on a tie, ascending) and their share of the responses (0..1). With
// no response it returns an empty list and 0.
func Plurality(counts []int) (idx []int, share float64) {
	n, best := 0, 0
	for _, c := range counts {
		n += c
		best = max(best, c)
	}
	idx = []int{}
	if n == 0 {
		return idx, 0
	}
	for i, c := range counts {
		if c == best {
			idx = append(idx, i)
		}
	}
	return idx, float64(best) / float64(n)
}

// ClassifyChoice classifies a choice question from the counts of chosen
// (preferred) options. This is Concord's extension of the scale
// classification to nominal answers; the first rule that matches wins:
//
//  1. fewer than 2 responses → Insufficient;
//  2. every response on one option → Unanimous;
//  3. some option is acceptable to every respondent (see
//     ChoiceCommonGround) → Consensus;
//  4. there are holdouts (see Holdouts) → NearConsensus;
//  5. the modal option's share (see Plurality) >= BroadAgreementPct/100 →
//     BroadAgreement;
//  6. otherwise Divided.
//
// Options have no order, so a choice question is never Polarized.
func ClassifyChoice(counts []int, hasCommonGround, hasHoldouts bool, t Thresholds) Classification {
	n := Total(counts)
	if n < 2 {
		return Insufficient
	}
	_, share := Plurality(counts)
	if share >= 1-eps {
		return Unanimous
	}
	if hasCommonGround {
		return Consensus
	}
	if hasHoldouts {
		return NearConsensus
	}
	if share >= t.BroadAgreementPct/100-eps {
		return BroadAgreement
	}
	return Divided
}

// ChoiceCommonGround returns the common ground of a choice question: the
// 1-based numbers of the options every respondent accepts,
//
//	{ j+1 : accepting[j] = responses },
//
// ascending, where accepting[j] counts the respondents whose acceptable set
// (the chosen option and the options marked acceptable) contains option j.
// It is empty (not nil) when there is no such option or no response.
func ChoiceCommonGround(accepting []int, responses int) []int {
	out := []int{}
	if responses < 1 {
		return out
	}
	for j, c := range accepting {
		if c == responses {
			out = append(out, j+1)
		}
	}
	return out
}

// BestOption returns the 0-based index of the best option of a choice
// question: the option accepted by the most respondents (accepting[j], see
// ChoiceCommonGround); ties go to the option chosen by more respondents
// (counts[j]), then to the lower option number. It returns −1 when no option
// is accepted by anyone (no response). accepting and counts have one entry
// per option.
func BestOption(accepting, counts []int) int {
	best := -1
	for j, a := range accepting {
		if a == 0 {
			continue
		}
		if best < 0 || a > accepting[best] || (a == accepting[best] && counts[j] > counts[best]) {
			best = j
		}
	}
	return best
}

// classRank orders classifications from most divided to least, for the
// ranking: Polarized, Divided, BroadAgreement, NearConsensus, Consensus,
// Unanimous; Insufficient comes last.
func classRank(c Classification) int {
	switch c {
	case Polarized:
		return 0
	case Divided:
		return 1
	case BroadAgreement:
		return 2
	case NearConsensus:
		return 3
	case Consensus:
		return 4
	case Unanimous:
		return 5
	}
	return 6
}

// allClasses lists the classifications in ranking order.
func allClasses() [7]Classification {
	return [7]Classification{Polarized, Divided, BroadAgreement, NearConsensus, Consensus, Unanimous, Insufficient}
}

// pct returns 100·part/whole, 0 when whole is 0.
func pct(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// clamp01 limits v to [0, 1] (absorbing rounding noise).
func clamp01(v float64) float64 {
	return min(max(v, 0), 1)
}

// finite replaces NaN and ±Inf by 0, so that reports always encode as JSON.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

package consensus

import (
	"math"
	"slices"
)

// Stability thresholds of the stop rule (README, "Rounds"). A question is
// stable when at least StableUnchangedPct percent of the members who
// answered it in both rounds kept their preferred point and (scale only)
// its Cns moved by less than StableMaxCnsDelta.
const (
	StableUnchangedPct = 80.0
	StableMaxCnsDelta  = 0.05
)

// Directions of a member's movement between two rounds, relative to the
// previous round's median.
const (
	MovedToward    = "toward"
	MovedAway      = "away"
	MovedUnchanged = "unchanged"
)

// Convergence of a question between two rounds.
const (
	Converging = "converging"
	Diverging  = "diverging"
	Steady     = "steady"
)

// Direction tells how a member's preferred point moved between two rounds
// relative to the previous round's median m:
//
//	toward    |after − m| < |before − m|
//	away      |after − m| > |before − m|
//	unchanged otherwise (the same point, or the mirror point across m)
//
// It speaks of the distance to the alliance's centre, which is what a
// facilitator asks of a round: did positions come closer?
func Direction(before, after int, median float64) string {
	db, da := math.Abs(float64(before)-median), math.Abs(float64(after)-median)
	switch {
	case da < db-eps:
		return MovedToward
	case da > db+eps:
		return MovedAway
	}
	return MovedUnchanged
}

// UnchangedPct returns the share, in percent, of the members who answered
// in both rounds whose answer (preferred point or chosen option) did not
// change: 100 · unchanged / both; 0 when both is 0.
func UnchangedPct(unchanged, both int) float64 { return pct(unchanged, both) }

// IsStable applies the stop rule to one question: at least one member
// answered in both rounds, UnchangedPct ≥ StableUnchangedPct and, for a
// scale question, |ΔCns| < StableMaxCnsDelta. A choice question has no Cns:
// the unchanged share alone decides.
func IsStable(kind Kind, both int, unchangedPct, cnsDelta float64) bool {
	if both == 0 || unchangedPct < StableUnchangedPct-eps {
		return false
	}
	return kind != KindScale || math.Abs(cnsDelta) < StableMaxCnsDelta-eps
}

// ConvergenceOf names the change of agreement between two rounds: ΔCns
// (scale) or Δ plurality share (choice) of at least +StableMaxCnsDelta is
// converging, of at most −StableMaxCnsDelta diverging, else steady.
func ConvergenceOf(delta float64) string {
	switch {
	case delta >= StableMaxCnsDelta-eps:
		return Converging
	case delta <= -StableMaxCnsDelta+eps:
		return Diverging
	}
	return Steady
}

// trends compares every scale and choice question with the previous
// round's report prev (computed from Input.Previous with the same members
// and questions) and fills each question's Trend, the members' movement
// figures and the blocs' movement. A question gets a trend only when it
// has responses in both rounds.
func (a *analyzer) trends(prev *Report) {
	ro := a.ro
	nm := len(ro.members)
	moved := make([]float64, nm) // Σ |shift|/(k−1)
	both := make([]int, nm)      // scale questions answered in both rounds
	toward := make([]int, nm)
	away := make([]int, nm)
	changed := make([]int, nm)
	for q := range a.rep.Questions {
		qr, pq := &a.rep.Questions[q], &prev.Questions[q]
		if qr.Coverage.Responses == 0 || pq.Coverage.Responses == 0 {
			continue
		}
		base := q * nm
		t := &Trend{
			PreviousResponses:      pq.Coverage.Responses,
			PreviousClassification: pq.Classification,
			ClassificationChanged:  pq.Classification != qr.Classification,
			Movement:               []Movement{},
		}
		switch {
		case qr.Scale != nil && pq.Scale != nil:
			k := qr.Scale.K
			t.PreviousCns, t.PreviousMedian, t.PreviousIQR = pq.Scale.Cns, pq.Scale.Median, pq.Scale.IQR
			t.CnsDelta = qr.Scale.Cns - pq.Scale.Cns
			t.MedianDelta = qr.Scale.Median - pq.Scale.Median
			t.IQRDelta = qr.Scale.IQR - pq.Scale.IQR
			t.PreviousCommonGround = pq.Scale.CommonGround
			t.CommonGroundChanged = !sameRange(pq.Scale.CommonGround, qr.Scale.CommonGround)
			t.Convergence = ConvergenceOf(t.CnsDelta)
			for _, m := range ro.alpha {
				ci, pi := a.cur.pos[base+m], a.prev.pos[base+m]
				if ci < 0 || pi < 0 {
					continue
				}
				before, after := int(a.prev.val[base+m]), int(a.cur.val[base+m])
				mv := Movement{
					Member: ro.members[m].Code, Before: before, After: after, Shift: after - before,
					Direction:    Direction(before, after, pq.Scale.Median),
					AcceptBefore: AcceptRange(&a.prev.positions[pi], k),
					AcceptAfter:  AcceptRange(&a.cur.positions[ci], k),
				}
				t.Movement = append(t.Movement, mv)
				t.Both++
				both[m]++
				if mv.Shift == 0 {
					t.Unchanged++
				} else {
					changed[m]++
				}
				if k > 1 {
					moved[m] += math.Abs(float64(mv.Shift)) / float64(k-1)
				}
				switch mv.Direction {
				case MovedToward:
					toward[m]++
				case MovedAway:
					away[m]++
				}
			}
		case qr.Choice != nil && pq.Choice != nil:
			t.PreviousCommonOptions = slices.Clone(pq.Choice.CommonGround)
			t.CommonGroundChanged = !slices.Equal(pq.Choice.CommonGround, qr.Choice.CommonGround)
			t.PreviousPluralityShare = pq.Choice.PluralityShare
			t.Convergence = ConvergenceOf(qr.Choice.PluralityShare - pq.Choice.PluralityShare)
			for m := range nm {
				if a.cur.pos[base+m] < 0 || a.prev.pos[base+m] < 0 {
					continue
				}
				t.Both++
				if a.cur.val[base+m] == a.prev.val[base+m] {
					t.Unchanged++
				}
			}
		default:
			continue
		}
		t.UnchangedPct = UnchangedPct(t.Unchanged, t.Both)
		t.Stable = IsStable(qr.Kind, t.Both, t.UnchangedPct, t.CnsDelta)
		qr.Trend = t
	}

	a.rep.AllStable = len(a.rep.Ranking) > 0
	for _, key := range a.rep.Ranking {
		if q, _ := a.rep.Question(key); q.Classification != Insufficient && (q.Trend == nil || !q.Trend.Stable) {
			a.rep.AllStable = false
		}
	}
	for m := range a.rep.Members {
		p := &a.rep.Members[m]
		p.Movement = &MemberMovement{Questions: both[m], Changed: changed[m], Toward: toward[m], Away: away[m]}
		if both[m] > 0 {
			p.Movement.MeanShift = moved[m] / float64(both[m])
		}
	}
	for i := range a.rep.Map.Blocs {
		b := &a.rep.Map.Blocs[i]
		bm := &BlocMovement{}
		sum, n := 0.0, 0
		for _, code := range b.Members {
			mi, ok := ro.byCode[code]
			if !ok || both[mi] == 0 {
				continue
			}
			bm.Members++
			bm.Toward += toward[mi]
			bm.Away += away[mi]
			bm.Unchanged += both[mi] - toward[mi] - away[mi]
			sum += moved[mi]
			n += both[mi]
		}
		if n > 0 {
			bm.MeanShift = sum / float64(n)
		}
		b.Movement = bm
	}
}

func sameRange(a, b *Range) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

package consensus

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// synthetic builds a deterministic pseudo-random consultation of nm members
// and nq scale questions on a 5-point scale. Members belong to one of three
// latent camps, each with its own leaning per question, plus noise. With
// gaps, about 5% of the answers are missing; without, every member answers
// every question (nm × nq positions).
func synthetic(nm, nq int, gaps bool) Input {
	rng := rand.New(rand.NewPCG(42, 7))
	in := Input{Members: make([]Member, nm), Questions: make([]Question, nq)}
	for m := range nm {
		in.Members[m] = Member{Code: fmt.Sprintf("M%03d", m), Name: fmt.Sprintf("Member %d", m)}
	}
	points := []string{"strongly against", "against", "neutral", "for", "strongly for"}
	const camps = 3
	lean := make([][]int, camps)
	for c := range camps {
		lean[c] = make([]int, nq)
		for q := range nq {
			lean[c][q] = 1 + rng.IntN(5)
		}
	}
	for q := range nq {
		in.Questions[q] = Question{Key: fmt.Sprintf("Q%03d", q), Section: "S", Text: "question", Kind: KindScale, Points: points}
	}
	in.Positions = make([]Position, 0, nm*nq)
	for m := range nm {
		c := m % camps
		for q := range nq {
			if gaps && rng.IntN(20) == 0 {
				continue
			}
			x := min(max(lean[c][q]+rng.IntN(3)-1, 1), 5)
			imp := ImportanceMedium
			if rng.IntN(50) == 0 {
				imp = ImportanceRedLine
			}
			in.Positions = append(in.Positions, Position{
				MemberCode: in.Members[m].Code, QuestionKey: in.Questions[q].Key,
				Preferred: x, AcceptMin: max(x-rng.IntN(2), 1), AcceptMax: min(x+rng.IntN(2), 5),
				Importance: imp,
			})
		}
	}
	return in
}

func benchAnalyze(b *testing.B, nm, nq int, gaps bool) {
	in := synthetic(nm, nq, gaps)
	b.ReportAllocs()
	for b.Loop() {
		Analyze(in)
	}
	b.ReportMetric(float64(len(in.Positions)), "positions")
}

// 32 members × 50 questions with a few gaps: a large real consultation.
func BenchmarkAnalyze32x50(b *testing.B) { benchAnalyze(b, 32, 50, true) }

// 200 members × 500 questions, all answered: 100,000 positions.
func BenchmarkAnalyze200x500(b *testing.B) { benchAnalyze(b, 200, 500, false) }

// The same size with about 5% of answers missing, which exercises the
// imputation of the opinion map.
func BenchmarkAnalyze200x500Gaps(b *testing.B) { benchAnalyze(b, 200, 500, true) }

// BenchmarkAnalyzeBaselineSort100k sorts 100,000 pseudo-random ints: a
// reference to express the Analyze figures as ratios measured on the same
// machine and run. Its name matches -bench Analyze so that it runs with them.
func BenchmarkAnalyzeBaselineSort100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]int, 100_000)
	for i := range src {
		src[i] = rng.Int()
	}
	buf := make([]int, len(src))
	b.ResetTimer()
	for b.Loop() {
		copy(buf, src)
		slices.Sort(buf)
	}
}

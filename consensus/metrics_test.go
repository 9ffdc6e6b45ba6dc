package consensus

import (
	"math"
	"slices"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

// Distributions shared by the tests, on a 5-point scale unless stated.
// counts[i] = responses at point i+1.
var (
	cNone      = []int{0, 0, 0, 0, 0}
	cOne       = []int{0, 0, 1, 0, 0} // a single response at 3
	cIdentical = []int{0, 4, 0, 0, 0} // 2,2,2,2
	cSplit     = []int{3, 0, 0, 0, 3} // 1,1,1,5,5,5
	cOdd       = []int{1, 2, 3, 1, 0} // 1,2,2,3,3,3,4
	cEven      = []int{1, 1, 1, 1, 0} // 1,2,3,4

	// The smallest and the largest scale Concord allows.
	c3Split      = []int{1, 0, 1}                         // 1,3
	c3Realistic  = []int{1, 3, 1}                         // 1,2,2,2,3
	c3Skewed     = []int{0, 2, 1}                         // 2,2,3
	c11Split     = []int{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1} // 1,11
	c11Realistic = []int{0, 0, 0, 0, 2, 3, 1, 0, 0, 1, 0} // 5,5,6,6,6,7,10
	c11Thirds    = []int{1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1} // 1,4,8,11
	c11Identical = []int{0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0} // 3,3,3
	c11OneAtHigh = []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1} // 11
)

func TestTotal(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   int
	}{
		{"no responses", cNone, 0},
		{"one response", cOne, 1},
		{"all identical", cIdentical, 4},
		{"split at the extremes", cSplit, 6},
		{"realistic", cOdd, 7}, // 1+2+3+1
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Total(tt.counts); got != tt.want {
				t.Errorf("Total(%v) = %d, want %d", tt.counts, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   float64
	}{
		{"no responses", cNone, 0},
		{"one response", cOne, 3},
		{"all identical", cIdentical, 2},
		// 1,1,1,5,5,5: even count → (x[2]+x[3])/2 = (1+5)/2 = 3
		{"split at the extremes", cSplit, 3},
		// 1,2,2,3,3,3,4: x[3] = 3
		{"realistic odd", cOdd, 3},
		// 1,2,3,4: (2+3)/2 = 2.5
		{"realistic even", cEven, 2.5},
		// 1,1,1,1,5: x[2] = 1
		{"skewed", []int{4, 0, 0, 0, 1}, 1},
		{"3-point split at the extremes", c3Split, 2},   // (1+3)/2
		{"3-point realistic", c3Realistic, 2},           // x[2]
		{"3-point skewed", c3Skewed, 2},                 // 2,2,3: x[1]
		{"11-point split at the extremes", c11Split, 6}, // (1+11)/2
		{"11-point realistic", c11Realistic, 6},         // 5,5,6,6,6,7,10: x[3]
		{"11-point one response", c11OneAtHigh, 11},
		{"11-point all identical", c11Identical, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Median(tt.counts); !near(got, tt.want) {
				t.Errorf("Median(%v) = %v, want %v", tt.counts, got, tt.want)
			}
		})
	}
}

func TestMean(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   float64
	}{
		{"no responses", cNone, 0},
		{"one response", cOne, 3},
		{"all identical", cIdentical, 2},
		// (3·1 + 3·5)/6 = 18/6
		{"split at the extremes", cSplit, 3},
		// (1·1 + 2·2 + 3·3 + 1·4)/7 = 18/7
		{"realistic odd", cOdd, 2.5714285714285716},
		// (1+2+3+4)/4 = 10/4
		{"realistic even", cEven, 2.5},
		{"3-point skewed", c3Skewed, 7.0 / 3},           // (2+2+3)/3
		{"11-point realistic", c11Realistic, 45.0 / 7},  // (10+18+7+10)/7
		{"11-point split at the extremes", c11Split, 6}, // (1+11)/2
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mean(tt.counts); !near(got, tt.want) {
				t.Errorf("Mean(%v) = %v, want %v", tt.counts, got, tt.want)
			}
		})
	}
}

func TestModes(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   []int
	}{
		{"no responses", cNone, []int{}},
		{"one response", cOne, []int{3}},
		{"all identical", cIdentical, []int{2}},
		{"split at the extremes", cSplit, []int{1, 5}},
		{"realistic odd", cOdd, []int{3}},                // count 3 at point 3
		{"two modes", []int{0, 2, 0, 2, 1}, []int{2, 4}}, // count 2 at 2 and 4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Modes(tt.counts)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("Modes(%v) = %#v, want %v", tt.counts, got, tt.want)
			}
		})
	}
}

func TestQuartiles(t *testing.T) {
	tests := []struct {
		name        string
		counts      []int
		q1, q3, iqr float64
	}{
		{"no responses", cNone, 0, 0, 0},
		// n=1: h = 0 for every p → x[0] = 3
		{"one response", cOne, 3, 3, 0},
		{"all identical", cIdentical, 2, 2, 0},
		// 1,1,1,5,5,5: Q1 h=5·0.25=1.25 → x[1]+0.25·(x[2]−x[1]) = 1;
		// Q3 h=3.75 → x[3]+0.75·(x[4]−x[3]) = 5; IQR = 4
		{"split at the extremes", cSplit, 1, 5, 4},
		// 1,5: Q1 h=0.25 → 1+0.25·4 = 2; Q3 h=0.75 → 1+0.75·4 = 4
		{"two responses at the extremes", []int{1, 0, 0, 0, 1}, 2, 4, 2},
		// 1,2,2,3,3,3,4: Q1 h=1.5 → 2+0.5·0 = 2; Q3 h=4.5 → 3+0.5·0 = 3
		{"realistic odd", cOdd, 2, 3, 1},
		// 1,2,3,4: Q1 h=0.75 → 1+0.75·1 = 1.75; Q3 h=2.25 → 3+0.25·1 = 3.25
		// (R: quantile(1:4) gives 1.75 and 3.25)
		{"realistic even", cEven, 1.75, 3.25, 1.5},
		// 1,3: Q1 h=0.25 → 1+0.25·2 = 1.5; Q3 h=0.75 → 1+0.75·2 = 2.5
		{"3-point split at the extremes", c3Split, 1.5, 2.5, 1},
		// 2,2,3: Q1 h=0.5 → 2; Q3 h=1.5 → 2+0.5·1 = 2.5
		{"3-point skewed", c3Skewed, 2, 2.5, 0.5},
		// 1,11: Q1 h=0.25 → 1+0.25·10 = 3.5; Q3 h=0.75 → 1+0.75·10 = 8.5
		{"11-point split at the extremes", c11Split, 3.5, 8.5, 5},
		// 5,5,6,6,6,7,10: Q1 h=1.5 → 5+0.5·1 = 5.5; Q3 h=4.5 → 6+0.5·1 = 6.5
		{"11-point realistic", c11Realistic, 5.5, 6.5, 1},
		// 1,4,8,11: Q1 h=0.75 → 1+0.75·3 = 3.25; Q3 h=2.25 → 8+0.25·3 = 8.75
		{"11-point thirds", c11Thirds, 3.25, 8.75, 5.5},
		{"11-point one response", c11OneAtHigh, 11, 11, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q1, q3, iqr := Quartiles(tt.counts)
			if !near(q1, tt.q1) || !near(q3, tt.q3) || !near(iqr, tt.iqr) {
				t.Errorf("Quartiles(%v) = %v, %v, %v, want %v, %v, %v", tt.counts, q1, q3, iqr, tt.q1, tt.q3, tt.iqr)
			}
		})
	}
}

func TestQuantileBounds(t *testing.T) {
	tests := []struct {
		name string
		p    float64
		want float64
	}{
		{"p=0 is the minimum", 0, 1},
		{"p=1 is the maximum", 1, 4},
		{"p=0.5 is the median", 0.5, 2.5}, // h=1.5 → 2+0.5·1
		{"p below 0 is clamped", -1, 1},
		{"p above 1 is clamped", 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(cEven, tt.p); !near(got, tt.want) {
				t.Errorf("Quantile(1,2,3,4; %v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestCns(t *testing.T) {
	// log2(0.75) = log2(3) − 2 = −0.4150374993
	tests := []struct {
		name   string
		counts []int
		want   float64
	}{
		{"no responses", cNone, 0},
		{"one response", cOne, 1},
		// 1 + 1·log2(1 − 0) = 1
		{"all identical", cIdentical, 1},
		// μ = 3, |1−3|/4 = |5−3|/4 = 1/2: 1 + ½·log2(½) + ½·log2(½) = 1 − 1 = 0
		{"split at the extremes", cSplit, 0},
		// k = 2, μ = 1.5, |x−μ|/1 = ½ → 1 + log2(½) = 0
		{"split on a 2-point scale", []int{5, 5}, 0},
		// μ = 3: 1 + 2·¼·log2(1 − ¼) = 1 − ½·0.4150374993
		{"realistic peaked", []int{0, 1, 2, 1, 0}, 0.7924812503605781},
		// μ = 3: 1 + 2·⅛·log2(0.75) = 1 − ¼·0.4150374993
		{"realistic tight", []int{0, 1, 6, 1, 0}, 0.8962406251802891},
		// μ = 3, shares ⅕: 1 + ⅕·(2·log2(½) + 2·log2(¾)) = 1 + ⅕·(−2.8300749986);
		// Tastle & Wierman report 0.4339 for the uniform 5-point distribution
		{"uniform", []int{1, 1, 1, 1, 1}, 0.43398500028846243},
		// μ = 7/3: 1 + ⅔·log2(1 − (4/3)/4) + ⅓·log2(1 − (8/3)/4)
		//        = 1 + ⅔·log2(⅔) + ⅓·log2(⅓) = 1 − 0.9182958341
		{"two to one at the ends", []int{2, 0, 0, 0, 1}, 0.08170416594551044},
		// μ = 16/6 = 8/3: d = 5/12, 1/12, 7/12 for points 1, 3, 5;
		// 1 + ⅓·log2(7/12) + ½·log2(11/12) + ⅙·log2(5/12)
		// = 1 − 0.2592025262 − 0.0627654411 − 0.2105057343
		{"realistic spread", []int{2, 0, 3, 0, 1}, 0.46752629843125426},
		{"one-point scale", []int{3}, 1},
		// μ = 2, |x − μ|/2 = ½ for both: 1 + 2·½·log2(½) = 0
		{"3-point split at the extremes", c3Split, 0},
		// μ = 2: 1 + 2·⅕·log2(1 − ½) = 1 − ⅖
		{"3-point realistic", c3Realistic, 0.6},
		// μ = 7/3: d = 1/6 at 2, 1/3 at 3: 1 + ⅔·log2(5/6) + ⅓·log2(⅔)
		// = 1 − 0.1753562706 − 0.1949875002
		{"3-point skewed", c3Skewed, 0.629656229203752},
		{"3-point one response", []int{0, 0, 1}, 1},
		// μ = 6, |x − μ|/10 = ½ for both: 0
		{"11-point split at the extremes", c11Split, 0},
		// μ = 45/7, width 10: d = 1/7 at 5, 3/70 at 6, 4/70 at 7, 25/70 at 10;
		// 1 + (2/7)·log2(6/7) + (3/7)·log2(67/70) + (1/7)·log2(66/70) + (1/7)·log2(45/70)
		// = 1 − 0.0635406918 − 0.0270830685 − 0.0121269854 − 0.0910614172
		{"11-point realistic", c11Realistic, 0.8061878370948167},
		// μ = 6: d = ½ at 1 and 11, ⅕ at 4 and 8: 1 + ¼·(2·log2(½) + 2·log2(⅘))
		// = 1 − ½ − ½·0.3219280949
		{"11-point thirds", c11Thirds, 0.3390359525563189},
		{"11-point all identical", c11Identical, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cns(tt.counts); !near(got, tt.want) {
				t.Errorf("Cns(%v) = %v, want %v", tt.counts, got, tt.want)
			}
		})
	}
}

func TestAgreementPct(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		median float64
		want   float64
	}{
		{"no responses", cNone, 0, 0},
		{"one response", cOne, 3, 100},
		{"all identical", cIdentical, 2, 100},
		// |1−3| = |5−3| = 2 > 1 for everyone
		{"split at the extremes", cSplit, 3, 0},
		// points 2, 3, 4 are within 1 of 3: (2+3+1)/7 = 6/7
		{"realistic odd", cOdd, 3, 85.71428571428571},
		// median 2.5: points 2 and 3 are within 1, 1 and 4 are 1.5 away: 2/4
		{"realistic even", cEven, 2.5, 50},
		// On 3 points every answer is within one point of a median of 2.
		{"3-point split at the extremes", c3Split, 2, 100},
		{"3-point realistic", c3Realistic, 2, 100},
		// |1 − 6| = |11 − 6| = 5 > 1
		{"11-point split at the extremes", c11Split, 6, 0},
		// 5,5,6,6,6,7 within one of 6, 10 is not: 6/7
		{"11-point realistic", c11Realistic, 6, 600.0 / 7},
		{"11-point one response", c11OneAtHigh, 11, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AgreementPct(tt.counts, tt.median); !near(got, tt.want) {
				t.Errorf("AgreementPct(%v, %v) = %v, want %v", tt.counts, tt.median, got, tt.want)
			}
		})
	}
}

func TestIsOutlier(t *testing.T) {
	tests := []struct {
		name   string
		x      int
		median float64
		k      int
		want   bool
	}{
		{"exactly half the scale away", 1, 3, 5, true}, // |1−3| = 2 = (5−1)/2
		{"one point away", 2, 3, 5, false},             // 1 < 2
		{"far above a half-point median", 5, 2.5, 5, true},
		{"near a half-point median", 4, 2.5, 5, false}, // 1.5 < 2
		{"at the median", 3, 3, 5, false},
		{"7-point scale, 3 away", 7, 4, 7, true}, // (7−1)/2 = 3
		{"7-point scale, 2 away", 6, 4, 7, false},
		{"2-point scale split", 1, 1.5, 2, true}, // 0.5 >= 0.5
		{"one-point scale", 1, 1, 1, false},
		// k = 3: half the scale is (3−1)/2 = 1 point
		{"3-point scale, 1 away", 1, 2, 3, true},
		{"3-point scale, at the median", 2, 2, 3, false},
		{"3-point scale, half a point away", 3, 2.5, 3, false}, // 0.5 < 1
		// k = 11: half the scale is (11−1)/2 = 5 points
		{"11-point scale, 5 away", 1, 6, 11, true},
		{"11-point scale, 4 away", 10, 6, 11, false},
		{"11-point scale, 4.5 away", 11, 6.5, 11, false},
		{"11-point scale, 5.5 away", 1, 6.5, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsOutlier(tt.x, tt.median, tt.k); got != tt.want {
				t.Errorf("IsOutlier(%d, %v, %d) = %v, want %v", tt.x, tt.median, tt.k, got, tt.want)
			}
		})
	}
}

func TestDeviationAndSide(t *testing.T) {
	tests := []struct {
		name   string
		x      int
		median float64
		k      int
		dev    float64
		side   string
	}{
		{"below", 1, 3, 5, -0.5, "below"},   // (1−3)/4
		{"full scale", 5, 1, 5, 1, "above"}, // (5−1)/4
		{"at", 3, 3, 5, 0, "at"},
		{"half-point median", 4, 2.5, 7, 0.25, "above"}, // 1.5/6
		{"one-point scale", 1, 1, 1, 0, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Deviation(tt.x, tt.median, tt.k); !near(got, tt.dev) {
				t.Errorf("Deviation(%d, %v, %d) = %v, want %v", tt.x, tt.median, tt.k, got, tt.dev)
			}
			if got := Side(tt.x, tt.median); got != tt.side {
				t.Errorf("Side(%d, %v) = %q, want %q", tt.x, tt.median, got, tt.side)
			}
		})
	}
}

func TestCommonGround(t *testing.T) {
	tests := []struct {
		name   string
		ranges []Range
		want   *Range
	}{
		{"no responses", nil, nil},
		{"one response", []Range{{2, 4}}, &Range{2, 4}},
		{"all identical", []Range{{3, 3}, {3, 3}, {3, 3}}, &Range{3, 3}},
		{"split at the extremes", []Range{{1, 1}, {1, 1}, {5, 5}, {5, 5}}, nil},
		// max Lo = 3, min Hi = 3
		{"realistic single point", []Range{{1, 3}, {2, 4}, {3, 5}}, &Range{3, 3}},
		// max Lo = 3, min Hi = 4
		{"realistic range", []Range{{2, 4}, {3, 5}, {3, 4}}, &Range{3, 4}},
		// max Lo = 3 > min Hi = 2
		{"adjacent ranges", []Range{{1, 2}, {3, 5}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CommonGround(tt.ranges)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("CommonGround(%v) = %v, want %v", tt.ranges, got, tt.want)
			}
		})
	}
}

func TestBestPoint(t *testing.T) {
	tests := []struct {
		name     string
		ranges   []Range
		median   float64
		point    int
		accepted int
	}{
		{"no responses", nil, 0, 0, 0},
		// accepted by 1 at 2, 3, 4; closest to the median 2 → 2
		{"one response", []Range{{2, 4}}, 2, 2, 1},
		{"all identical", []Range{{3, 3}, {3, 3}}, 3, 3, 2},
		// 3 accept 1 and 3 accept 5, both 2 from the median → lower point 1
		{"split at the extremes", []Range{{1, 1}, {1, 1}, {1, 1}, {5, 5}, {5, 5}, {5, 5}}, 3, 1, 3},
		// acceptance per point: 1:2, 2:3, 3:2, 4:1, 5:1 → 2 (3 members)
		{"realistic", []Range{{1, 2}, {1, 3}, {2, 3}, {4, 5}}, 2.5, 2, 3},
		// acceptance 1:1, 2:1, 3:0, 4:1, 5:1; closest to the median 4 → 4
		{"tie broken by the median", []Range{{1, 2}, {4, 5}}, 4, 4, 1},
		// 2 and 4 are both 1 from the median 3 → lower point 2
		{"tie broken by the lower point", []Range{{2, 2}, {4, 4}}, 3, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n := BestPoint(tt.ranges, 5, tt.median)
			if p != tt.point || n != tt.accepted {
				t.Errorf("BestPoint(%v, 5, %v) = %d, %d, want %d, %d", tt.ranges, tt.median, p, n, tt.point, tt.accepted)
			}
		})
	}
}

func TestBestPointScaleSizes(t *testing.T) {
	tests := []struct {
		name     string
		ranges   []Range
		k        int
		median   float64
		point    int
		accepted int
	}{
		// 1 and 3 both accepted by one member, both 1 from the median → the lower, 1
		{"3-point split at the extremes", []Range{{1, 1}, {3, 3}}, 3, 2, 1, 1},
		// acceptance 1:1, 2:2, 3:2; 2 and 3 are both ½ from the median 2.5
		// → the lower point, 2
		{"3-point tie at equal distance", []Range{{1, 2}, {2, 3}, {3, 3}}, 3, 2.5, 2, 2},
		// acceptance 1–3: 1, 9–11: 1; 3 and 9 are both 3 from 6 → 3
		{"11-point split at the extremes", []Range{{1, 3}, {9, 11}}, 11, 6, 3, 1},
		// acceptance 4:1, 5:3, 6:6, 7:3, 8:3, 9:2, 10:1, 11:1 → 6
		{"11-point realistic", []Range{{4, 6}, {5, 7}, {5, 6}, {6, 8}, {6, 6}, {6, 9}, {8, 11}}, 11, 6, 6, 6},
		// ranges reaching past the scale are clamped to 1..k
		{"11-point ranges past the ends", []Range{{-3, 2}, {10, 20}}, 11, 6, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n := BestPoint(tt.ranges, tt.k, tt.median)
			if p != tt.point || n != tt.accepted {
				t.Errorf("BestPoint(%v, %d, %v) = %d, %d, want %d, %d", tt.ranges, tt.k, tt.median, p, n, tt.point, tt.accepted)
			}
		})
	}
}

func TestPolarShares(t *testing.T) {
	tests := []struct {
		name      string
		counts    []int
		low, high float64
	}{
		{"no responses", cNone, 0, 0},
		// k=5: lower third is points <= 1+4/3 = 2.33 (1, 2), upper >= 5−4/3 = 3.67 (4, 5)
		{"one response in the middle", cOne, 0, 0},
		{"all identical low", []int{4, 0, 0, 0, 0}, 1, 0},
		{"split at the extremes", cSplit, 0.5, 0.5},
		{"realistic", []int{2, 1, 0, 1, 2}, 0.5, 0.5}, // 3/6 each
		// k=7: lower third points <= 3, upper >= 5: 3/7 each
		{"7-point uniform", []int{1, 1, 1, 1, 1, 1, 1}, 3.0 / 7, 3.0 / 7},
		// k=4: lower third points <= 2, upper >= 3
		{"4-point uniform", []int{1, 1, 1, 1}, 0.5, 0.5},
		// k=3: lower third points <= 1+2/3 (1), upper >= 3−2/3 (3)
		{"3-point split at the extremes", c3Split, 0.5, 0.5},
		{"3-point realistic", c3Realistic, 0.2, 0.2}, // 1/5 each
		{"3-point skewed", c3Skewed, 0, 1.0 / 3},
		// k=11: lower third points <= 1+10/3 = 4.33 (1..4), upper >= 11−10/3 = 7.67 (8..11)
		{"11-point split at the extremes", c11Split, 0.5, 0.5},
		{"11-point thirds, on the bounds", c11Thirds, 0.5, 0.5}, // 1,4 | 8,11
		{"11-point realistic", c11Realistic, 0, 1.0 / 7},        // only 10
		{"11-point one response", c11OneAtHigh, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			low, high := PolarShares(tt.counts)
			if !near(low, tt.low) || !near(high, tt.high) {
				t.Errorf("PolarShares(%v) = %v, %v, want %v, %v", tt.counts, low, high, tt.low, tt.high)
			}
		})
	}
}

func TestClassifyScale(t *testing.T) {
	def := DefaultThresholds()
	loose := Thresholds{BroadCns: 0.4, BroadAgreementPct: 50, PolarizedShare: 0.5}
	tests := []struct {
		name   string
		counts []int
		cg     bool
		hold   bool
		cns    float64
		agree  float64
		th     Thresholds
		want   Classification
	}{
		{"no responses", cNone, false, false, 0, 0, def, Insufficient},
		{"one response", cOne, true, false, 1, 100, def, Insufficient},
		{"all identical", cIdentical, true, false, 1, 100, def, Unanimous},
		// low share 3/6 >= 1/3 and high share 3/6 >= 1/3
		{"split at the extremes", cSplit, false, false, 0, 0, def, Polarized},
		{"common ground", []int{0, 1, 2, 1, 0}, true, false, 0.7924812503605781, 100, def, Consensus},
		// Cns 0.896 >= 0.75 and 8/8 within one point of the median 3
		{"broad agreement", []int{0, 1, 6, 1, 0}, false, false, 0.8962406251802891, 100, def, BroadAgreement},
		// the same answers with a holdout: near consensus comes first
		{"holdouts before broad agreement", []int{0, 1, 6, 1, 0}, false, true, 0.8962406251802891, 100, def, NearConsensus},
		// holdouts before polarized too (the order of the rules)
		{"holdouts before polarized", cSplit, false, true, 0, 0, def, NearConsensus},
		// common ground wins over holdouts (cannot both occur from Analyze)
		{"common ground before holdouts", []int{0, 1, 2, 1, 0}, true, true, 0.7924812503605781, 100, def, Consensus},
		// exactly a third at each end: 1/3 >= 1/3 (Cns = 1/3, agreement 1/3)
		{"polarized at exactly a third", []int{1, 0, 1, 0, 1}, false, false, 1.0 / 3, 100.0 / 3, def, Polarized},
		// low 2/6 >= 1/3 but high 1/6 < 1/3; Cns 0.4675 < 0.75
		{"divided", []int{2, 0, 3, 0, 1}, false, false, 0.46752629843125426, 50, def, Divided},
		{"broad with loose thresholds", []int{2, 0, 3, 0, 1}, false, false, 0.46752629843125426, 50, loose, BroadAgreement},
		// thresholds are checked on the given values: Cns passes, agreement
		// 50 < 75 fails; low share 1/4 < 1/3 → not polarized
		{"high Cns, low agreement", []int{1, 0, 2, 1, 0}, false, false, 0.8, 50, def, Divided},
		{"3-point one response", []int{0, 0, 1}, true, false, 1, 100, def, Insufficient},
		{"3-point all identical", []int{0, 4, 0}, true, false, 1, 100, def, Unanimous},
		// low 1/2 and high 1/2 >= 1/3; Cns 0 fails broad agreement even
		// though agreement is 100%
		{"3-point split at the extremes", c3Split, false, false, 0, 100, def, Polarized},
		// Cns 0.6 < 0.75; low = high = 1/5 < 1/3
		{"3-point realistic without common ground", c3Realistic, false, false, 0.6, 100, def, Divided},
		{"3-point realistic with common ground", c3Realistic, true, false, 0.6, 100, def, Consensus},
		{"11-point one response", c11OneAtHigh, true, false, 1, 100, def, Insufficient},
		{"11-point all identical", c11Identical, true, false, 1, 100, def, Unanimous},
		{"11-point split at the extremes", c11Split, false, false, 0, 0, def, Polarized},
		{"11-point thirds", c11Thirds, false, false, 0.3390359525563189, 0, def, Polarized},
		// Cns 0.806 >= 0.75 and agreement 85.7 >= 75
		{"11-point broad agreement", c11Realistic, false, false, 0.8061878370948167, 600.0 / 7, def, BroadAgreement},
		{"11-point near consensus", c11Realistic, false, true, 0.8061878370948167, 600.0 / 7, def, NearConsensus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyScale(tt.counts, tt.cg, tt.hold, tt.cns, tt.agree, tt.th); got != tt.want {
				t.Errorf("ClassifyScale(%v, cg %t, holdouts %t) = %q, want %q", tt.counts, tt.cg, tt.hold, got, tt.want)
			}
		})
	}
}

func TestPlurality(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		idx    []int
		share  float64
	}{
		{"no responses", []int{0, 0, 0}, []int{}, 0},
		{"one response", []int{0, 1, 0}, []int{1}, 1},
		{"all identical", []int{4, 0}, []int{0}, 1},
		{"split", []int{3, 3}, []int{0, 1}, 0.5},
		{"realistic", []int{2, 5, 1}, []int{1}, 0.625}, // 5/8
		{"tie", []int{2, 2, 1}, []int{0, 1}, 0.4},      // 2/5
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, share := Plurality(tt.counts)
			if idx == nil || !slices.Equal(idx, tt.idx) || !near(share, tt.share) {
				t.Errorf("Plurality(%v) = %v, %v, want %v, %v", tt.counts, idx, share, tt.idx, tt.share)
			}
		})
	}
}

func TestClassifyChoice(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		cg     bool
		hold   bool
		want   Classification
	}{
		{"no responses", []int{0, 0, 0}, false, false, Insufficient},
		{"one response", []int{1, 0, 0}, true, false, Insufficient},
		{"all identical", []int{4, 0, 0}, true, false, Unanimous},
		{"split", []int{3, 3}, false, false, Divided},                          // 0.5 < 0.75
		{"split with a common ground", []int{3, 3}, true, false, Consensus},    // everyone also accepts some option
		{"broad at exactly 75%", []int{6, 2, 0}, false, false, BroadAgreement}, // 6/8 = 0.75
		// the same counts with a holdout: near consensus comes first
		{"holdouts before broad agreement", []int{6, 2, 0}, false, true, NearConsensus},
		{"common ground before holdouts", []int{6, 2, 0}, true, true, Consensus},
		{"realistic divided", []int{5, 2, 1}, false, false, Divided}, // 5/8 = 0.625
		// two extremes are not polarized for options: divided
		{"two options, one each", []int{1, 1}, false, false, Divided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyChoice(tt.counts, tt.cg, tt.hold, DefaultThresholds()); got != tt.want {
				t.Errorf("ClassifyChoice(%v, cg %t, holdouts %t) = %q, want %q", tt.counts, tt.cg, tt.hold, got, tt.want)
			}
		})
	}
}

func TestOutliersReported(t *testing.T) {
	tests := []struct {
		name       string
		candidates int
		responses  int
		want       bool
	}{
		{"no responses", 0, 0, false},
		{"no candidate", 0, 32, false},
		{"one response, its own median", 0, 1, false},
		// 4·1 = 4 < 5
		{"one of five", 1, 5, true},
		// 4·1 = 4 is not < 4: a quarter is a split
		{"exactly a quarter", 1, 4, false},
		{"two extremes", 2, 2, false},
		// 4·7 = 28 < 32; 4·8 = 32 is not < 32
		{"7 of 32", 7, 32, true},
		{"8 of 32", 8, 32, false},
		{"24 of 32 (polarized)", 24, 32, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OutliersReported(tt.candidates, tt.responses); got != tt.want {
				t.Errorf("OutliersReported(%d, %d) = %t, want %t", tt.candidates, tt.responses, got, tt.want)
			}
		})
	}
}

func TestHoldoutLimit(t *testing.T) {
	tests := []struct {
		responses, want int
	}{
		{0, 1}, {1, 1}, {2, 1}, {9, 1}, {10, 1}, {19, 1}, {20, 2}, {29, 2}, {30, 3}, {32, 3}, {39, 3}, {40, 4},
	}
	for _, tt := range tests {
		if got := HoldoutLimit(tt.responses); got != tt.want {
			t.Errorf("HoldoutLimit(%d) = %d, want %d", tt.responses, got, tt.want)
		}
	}
}

func TestHoldouts(t *testing.T) {
	codes := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('A' + i))
		}
		return out
	}
	tests := []struct {
		name         string
		notAccepting []string
		responses    int
		want         []string
	}{
		{"no responses", nil, 0, []string{}},
		{"everyone accepts", []string{}, 32, []string{}},
		{"one of 32", []string{"HUN"}, 32, []string{"HUN"}},
		{"two of 32", []string{"HUN", "SVK"}, 32, []string{"HUN", "SVK"}},
		// limit max(1, ⌊32/10⌋) = 3
		{"three of 32", []string{"HUN", "SVK", "TUR"}, 32, []string{"HUN", "SVK", "TUR"}},
		{"four of 32 is a split", codes(4), 32, []string{}},
		{"13 of 32 is a split", codes(13), 32, []string{}},
		// limit max(1, 0) = 1, and 1 < 3 − 1
		{"one of three", []string{"C"}, 3, []string{"C"}},
		{"two of five", []string{"A", "B"}, 5, []string{}},
		// 1 is not < 2 − 1: one against one is a split
		{"one of two", []string{"B"}, 2, []string{}},
		// limit ⌊20/10⌋ = 2
		{"two of 20", []string{"A", "B"}, 20, []string{"A", "B"}},
		{"three of 20", codes(3), 20, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Holdouts(tt.notAccepting, tt.responses)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("Holdouts(%q, %d) = %q, want %q", tt.notAccepting, tt.responses, got, tt.want)
			}
			if len(got) > 0 && &got[0] == &tt.notAccepting[0] {
				t.Error("Holdouts shares the backing array of notAccepting")
			}
		})
	}
}

func TestEffectiveQuorum(t *testing.T) {
	tests := []struct {
		name                  string
		quorum, members, want int
	}{
		{"default: the whole roster", 0, 32, 32},
		{"negative: the whole roster", -3, 32, 32},
		{"lower quorum", 24, 32, 24},
		{"exactly the roster", 32, 32, 32},
		{"more than the roster", 40, 32, 32},
		{"one", 1, 32, 1},
		{"no members", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveQuorum(tt.quorum, tt.members); got != tt.want {
				t.Errorf("EffectiveQuorum(%d, %d) = %d, want %d", tt.quorum, tt.members, got, tt.want)
			}
		})
	}
}

func TestChoiceCommonGround(t *testing.T) {
	tests := []struct {
		name      string
		accepting []int
		responses int
		want      []int
	}{
		{"no responses", []int{0, 0, 0}, 0, []int{}},
		{"one response", []int{0, 1, 0}, 1, []int{2}},
		{"none accepted by all", []int{3, 2, 1}, 4, []int{}},
		{"one option", []int{4, 2, 4}, 4, []int{1, 3}},
		{"all options", []int{2, 2}, 2, []int{1, 2}},
		{"no options", []int{}, 3, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChoiceCommonGround(tt.accepting, tt.responses)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("ChoiceCommonGround(%v, %d) = %v, want %v", tt.accepting, tt.responses, got, tt.want)
			}
		})
	}
}

func TestBestOption(t *testing.T) {
	tests := []struct {
		name              string
		accepting, counts []int
		want              int
	}{
		{"no responses", []int{0, 0, 0}, []int{0, 0, 0}, -1},
		{"no options", []int{}, []int{}, -1},
		{"most accepted", []int{2, 5, 3}, []int{2, 1, 3}, 1},
		// accepted by 4 each; the second chosen by 3 > 1
		{"tie: more chose it", []int{4, 4, 1}, []int{1, 3, 0}, 1},
		// accepted by 4 each, chosen by 2 each → lower number
		{"tie: lower number", []int{1, 4, 4}, []int{0, 2, 2}, 1},
		{"all identical", []int{3, 0}, []int{3, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BestOption(tt.accepting, tt.counts); got != tt.want {
				t.Errorf("BestOption(%v, %v) = %d, want %d", tt.accepting, tt.counts, got, tt.want)
			}
		})
	}
}

func TestPairScore(t *testing.T) {
	tests := []struct {
		name   string
		a, b   []float64
		sim    float64
		common int
	}{
		{"no common question", []float64{-1, 0.5}, []float64{0.5, -1}, 0, 0},
		{"one common question", []float64{0.25}, []float64{0.75}, 0.5, 1}, // 1 − 0.5
		{"identical", []float64{0, 0.5, 1}, []float64{0, 0.5, 1}, 1, 3},
		{"opposite extremes", []float64{0, 0}, []float64{1, 1}, 0, 2},
		// common: 0 vs .25, .5 vs .5, 1 vs .5 → mean(.25, 0, .5) = .25 → .75
		{"realistic", []float64{0, 0.5, 1, -1}, []float64{0.25, 0.5, 0.5, 1}, 0.75, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := PairScore(tt.a, tt.b)
			if !near(sim, tt.sim) || c != tt.common {
				t.Errorf("PairScore = %v, %d, want %v, %d", sim, c, tt.sim, tt.common)
			}
		})
	}
}

func TestAcceptRange(t *testing.T) {
	tests := []struct {
		name string
		p    Position
		want Range
	}{
		{"zero bounds mean the preferred point", Position{Preferred: 3}, Range{3, 3}},
		{"given range", Position{Preferred: 3, AcceptMin: 2, AcceptMax: 4}, Range{2, 4}},
		{"only a maximum", Position{Preferred: 3, AcceptMax: 5}, Range{3, 5}},
		{"clamped to the scale", Position{Preferred: 3, AcceptMin: -2, AcceptMax: 9}, Range{1, 5}},
		{"widened to contain the preferred point", Position{Preferred: 3, AcceptMin: 4, AcceptMax: 2}, Range{3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AcceptRange(&tt.p, 5); got != tt.want {
				t.Errorf("AcceptRange(%+v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

package consensus

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestComputeMapAxes(t *testing.T) {
	tests := []struct {
		name      string
		raw       []float64 // row-major
		n, m      int
		explained [2]float64
		x, y      []float64
	}{
		{
			// Already centred; XᵀX = diag(1+1, 4+4) = diag(2, 8), total 10:
			// PC1 = question 2 (λ 8), PC2 = question 1 (λ 2).
			name: "axis aligned",
			raw:  []float64{1, 0, -1, 0, 0, 2, 0, -2},
			n:    4, m: 2,
			explained: [2]float64{0.8, 0.2},
			x:         []float64{0, 0, 2, -2},
			y:         []float64{1, -1, 0, 0},
		},
		{
			// Two questions answered in exactly opposite ways. Centred rows
			// ±(−½, ½); XᵀX = [[1, −1], [−1, 1]]: PC1 = (1, −1)/√2 (the
			// first of the two equal loadings is made positive), λ 2 = total.
			// Row 1 projects to (−½ − ½)/√2 = −1/√2. An all-ones start vector
			// is orthogonal to PC1 here.
			name: "anti-correlated questions",
			raw:  []float64{0, 1, 1, 0, 0, 1, 1, 0},
			n:    4, m: 2,
			explained: [2]float64{1, 0},
			x:         []float64{-1 / math.Sqrt2, 1 / math.Sqrt2, -1 / math.Sqrt2, 1 / math.Sqrt2},
			y:         []float64{0, 0, 0, 0},
		},
		{
			name: "no variance",
			raw:  []float64{0.5, 1, 0.5, 1, 0.5, 1},
			n:    3, m: 2,
			x: []float64{0, 0, 0},
			y: []float64{0, 0, 0},
		},
		{
			name: "one member",
			raw:  []float64{0.5, 1},
			n:    1, m: 2,
			x: []float64{0},
			y: []float64{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := computeMap(tt.raw, tt.n, tt.m)
			if !near(res.explained[0], tt.explained[0]) || !near(res.explained[1], tt.explained[1]) {
				t.Errorf("explained = %v, want %v", res.explained, tt.explained)
			}
			for i := range tt.x {
				if math.Abs(res.x[i]-tt.x[i]) > 1e-6 || math.Abs(res.y[i]-tt.y[i]) > 1e-6 {
					t.Errorf("point %d = (%v, %v), want (%v, %v)", i, res.x[i], res.y[i], tt.x[i], tt.y[i])
				}
			}
		})
	}
}

func TestComputeMapBlocs(t *testing.T) {
	// Anti-correlated questions: two distinct points; k = 3 is impossible,
	// k = 2 separates them perfectly (a = 0, b = √2 → silhouette 1). The
	// left point (rows 0 and 2) becomes bloc 1.
	res := computeMap([]float64{0, 1, 1, 0, 0, 1, 1, 0}, 4, 2)
	if res.nblocs != 2 || !slices.Equal(res.bloc, []int{1, 2, 1, 2}) || !near(res.silhouette, 1) {
		t.Errorf("blocs = %v (%d), silhouette %v", res.bloc, res.nblocs, res.silhouette)
	}
	// Fewer than 3 members: one bloc, silhouette 0.
	res = computeMap([]float64{0, 1, 1, 0}, 2, 2)
	if res.nblocs != 1 || !slices.Equal(res.bloc, []int{1, 1}) || res.silhouette != 0 {
		t.Errorf("two members: blocs = %v (%d), silhouette %v", res.bloc, res.nblocs, res.silhouette)
	}
}

func TestFixSign(t *testing.T) {
	tests := []struct {
		name    string
		v, want []float64
	}{
		{"largest already positive", []float64{-0.6, 0.8}, []float64{-0.6, 0.8}},
		{"largest negative", []float64{0.6, -0.8}, []float64{-0.6, 0.8}},
		{"tie: first made positive", []float64{-0.7, 0.7}, []float64{0.7, -0.7}},
		{"zero vector", []float64{0, 0}, []float64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := slices.Clone(tt.v)
			fixSign(v)
			if !slices.Equal(v, tt.want) {
				t.Errorf("fixSign(%v) = %v, want %v", tt.v, v, tt.want)
			}
		})
	}
}

func TestSilhouette(t *testing.T) {
	tests := []struct {
		name   string
		pts    [][2]float64
		assign []int
		k      int
		want   float64
	}{
		{
			// 0,1 | 10,11: s(0) = (10.5−1)/10.5 = 19/21, s(1) = (9.5−1)/9.5 = 17/19,
			// symmetric for 10 and 11 → (19/21 + 17/19)/2
			name:   "two tight pairs",
			pts:    [][2]float64{{0, 0}, {1, 0}, {10, 0}, {11, 0}},
			assign: []int{0, 0, 1, 1},
			k:      2,
			want:   0.899749373433584,
		},
		{
			// 0,1 | 10: s(0) = (10−1)/10, s(1) = (9−1)/9, s(10) = 0 (alone)
			// → (9/10 + 8/9)/3 = 161/270
			name:   "singleton cluster",
			pts:    [][2]float64{{0, 0}, {1, 0}, {10, 0}},
			assign: []int{0, 0, 1},
			k:      2,
			want:   161.0 / 270,
		},
		{
			// identical points split in two clusters: a = b = 0 → s = 0
			name:   "identical points",
			pts:    [][2]float64{{1, 1}, {1, 1}, {1, 1}, {1, 1}},
			assign: []int{0, 0, 1, 1},
			k:      2,
			want:   0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(tt.pts)
			dist := make([]float64, n*n)
			for i := range n {
				for j := range n {
					dist[i*n+j] = math.Sqrt(sqDist(tt.pts[i], tt.pts[j]))
				}
			}
			if got := silhouette(dist, n, tt.assign, tt.k); !near(got, tt.want) {
				t.Errorf("silhouette = %v, want %v", got, tt.want)
			}
		})
	}
}

// threeClusters are three tight triangles around x ≈ 0.33, 10.33 and 20.33,
// listed out of order.
var threeClusters = [][2]float64{
	{10, 10}, {20, 0}, {0, 0}, {10, 11}, {21, 0}, {0, 1}, {11, 10}, {20, 1}, {1, 0},
}

func TestKmeans(t *testing.T) {
	// Each triangle (0,0), (0,1), (1,0) has centroid (⅓, ⅓) and inertia
	// 2/9 + 5/9 + 5/9 = 4/3; three of them → 4.
	rng := rand.New(rand.NewPCG(1, 1))
	best := math.Inf(1)
	for range kmeansRuns {
		_, in := kmeans(threeClusters, 3, rng)
		best = min(best, in)
	}
	if !near(best, 4) {
		t.Errorf("best inertia = %v, want 4", best)
	}
}

func TestChooseBlocs(t *testing.T) {
	assign, k, sil := chooseBlocs(threeClusters)
	// numbered by centroid X: x ≈ 0.33 → 1, 10.33 → 2, 20.33 → 3
	want := []int{2, 3, 1, 2, 3, 1, 2, 3, 1}
	if k != 3 || !slices.Equal(assign, want) || sil < 0.9 {
		t.Errorf("chooseBlocs = %v, %d, %v; want %v, 3, > 0.9", assign, k, sil, want)
	}
	again, _, sil2 := chooseBlocs(threeClusters)
	if !slices.Equal(again, assign) || sil2 != sil {
		t.Error("chooseBlocs is not deterministic")
	}
	// A single distinct point cannot be split.
	if _, k, _ := chooseBlocs([][2]float64{{1, 1}, {1, 1}, {1, 1}}); k != 0 {
		t.Errorf("identical points gave %d blocs", k)
	}
}

func TestCompactAndRenumber(t *testing.T) {
	assign := []int{2, 2, 0}
	if kk := compactLabels(assign, 3); kk != 2 || !slices.Equal(assign, []int{0, 0, 1}) {
		t.Errorf("compactLabels = %v, %d", assign, kk)
	}
	// cluster 0 at x = 5, cluster 1 at x = 1; clusters 2 and 3 tie on x = 8,
	// lower y first
	pts := [][2]float64{{4, 0}, {6, 0}, {1, 0}, {8, 3}, {8, 1}}
	got := renumber(pts, []int{0, 0, 1, 2, 3}, 4)
	if !slices.Equal(got, []int{2, 2, 1, 4, 3}) {
		t.Errorf("renumber = %v", got)
	}
}

func TestDistinctive(t *testing.T) {
	keys := []string{"c0", "c1", "c2", "c3", "c4"}
	raw := []float64{
		1, 0.5, 0, 0.75, 1,
		1, 0.5, 0, 0.25, 0.5,
		0, 0.5, 1, 0, 0.25,
		0, 0.5, 1, 0, 0.25,
	}
	// bloc = rows 0, 1. Bloc/rest means:
	// c0 1/0 (+1), c1 .5/.5 (0: left out), c2 0/1 (−1, ties c0 → question order),
	// c3 .5/0 (+.5), c4 .75/.25 (+.5, ties c3 → dropped by the top 3)
	want := []BlocQuestion{
		{"c0", 1, 0, 1},
		{"c2", 0, 1, -1},
		{"c3", 0.5, 0, 0.5},
	}
	got := distinctive(raw, 4, 5, []int{0, 1}, keys)
	if len(got) != len(want) {
		t.Fatalf("distinctive = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.QuestionKey != w.QuestionKey || !near(g.BlocMean, w.BlocMean) || !near(g.RestMean, w.RestMean) || !near(g.Diff, w.Diff) {
			t.Errorf("distinctive[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got := distinctive(raw, 4, 5, []int{0, 1, 2, 3}, keys); len(got) != 0 {
		t.Errorf("empty rest gave %+v", got)
	}
}

func TestSyntheticBlocsMatchCamps(t *testing.T) {
	// synthetic() puts member m in camp m % 3.
	r := Analyze(synthetic(60, 40, true))
	if len(r.Map.Blocs) != 3 {
		t.Fatalf("got %d blocs, want 3", len(r.Map.Blocs))
	}
	campOf := map[int]int{} // bloc → camp
	for i, p := range r.Map.Points {
		camp := i % 3
		if c, ok := campOf[p.Bloc]; ok && c != camp {
			t.Fatalf("bloc %d mixes camps %d and %d", p.Bloc, c, camp)
		}
		campOf[p.Bloc] = camp
	}
}

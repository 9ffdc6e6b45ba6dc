package consensus

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// Parameters of the opinion map. They are fixed so that the same input always
// gives the same map.
const (
	powerMaxIter = 500   // cap of power iterations per component
	powerTol     = 1e-10 // convergence: change of the unit vector between iterations
	tinyNorm     = 1e-14 // below this a vector is treated as zero
	tinyVar      = 1e-12 // below this the total variance is treated as zero
	maxBlocs     = 5
	kmeansRuns   = 8                // k-means++ restarts per k, the lowest inertia is kept
	kmeansIter   = 100              // cap of Lloyd iterations per run
	seedHi       = 0x436f6e636f7264 // fixed PCG seeds
	seedLo       = 0x4e41544f
)

// opinionMap places the members with at least one scale answer on a 2-D map
// (first two principal components of the members × scale-questions matrix,
// as Polis does) and groups them in blocs by k-means.
func (a *analyzer) opinionMap() {
	vals, cols := a.simVals, a.simCols
	nc := len(cols)
	var rows []int // placed members, roster order
	for m := range a.ro.members {
		if a.scaleAnswered[m] > 0 {
			rows = append(rows, m)
		}
	}
	n := len(rows)
	if n == 0 {
		return
	}
	// Column means over the responding members, used to impute missing
	// answers.
	means := make([]float64, nc)
	cnt := make([]int, nc)
	for m := range a.ro.members {
		row := vals[m*nc : (m+1)*nc]
		for j, v := range row {
			if v >= 0 {
				means[j] += v
				cnt[j]++
			}
		}
	}
	for j := range means {
		if cnt[j] > 0 {
			means[j] /= float64(cnt[j])
		}
	}
	raw := make([]float64, n*nc)
	for r, m := range rows {
		src := vals[m*nc : (m+1)*nc]
		dst := raw[r*nc : (r+1)*nc]
		for j, v := range src {
			if v < 0 {
				v = means[j]
			}
			dst[j] = v
		}
	}

	res := computeMap(raw, n, nc)
	om := &a.rep.Map
	om.Explained = res.explained
	om.Silhouette = res.silhouette
	om.Points = make([]MapPoint, n)
	for r, m := range rows {
		om.Points[r] = MapPoint{Member: a.ro.members[m].Code, X: res.x[r], Y: res.y[r], Bloc: res.bloc[r]}
		a.rep.Members[m].Bloc = res.bloc[r]
	}

	// Blocs: members alphabetical, distinctive questions.
	rowOf := make([]int, len(a.ro.members))
	for r, m := range rows {
		rowOf[m] = r
	}
	inBloc := make([][]int, res.nblocs+1) // row indexes per bloc
	om.Blocs = make([]Bloc, res.nblocs)
	for b := 1; b <= res.nblocs; b++ {
		om.Blocs[b-1] = Bloc{ID: b, Members: []string{}}
	}
	for _, m := range a.ro.alpha {
		if a.scaleAnswered[m] == 0 {
			continue
		}
		b := a.rep.Members[m].Bloc
		inBloc[b] = append(inBloc[b], rowOf[m])
		om.Blocs[b-1].Members = append(om.Blocs[b-1].Members, a.ro.members[m].Code)
	}
	keys := make([]string, nc)
	for j, q := range cols {
		keys[j] = a.ro.questions[q].Key
	}
	for b := 1; b <= res.nblocs; b++ {
		om.Blocs[b-1].Distinctive = distinctive(raw, n, nc, inBloc[b], keys)
	}
}

// distinctive returns up to 3 questions (columns of the n × nc matrix raw)
// with the largest |bloc mean − rest mean|, where the bloc is the given rows
// and the rest all other rows; ties keep question order. Questions with no
// difference are left out, and nothing is returned when the rest is empty.
func distinctive(raw []float64, n, nc int, bloc []int, keys []string) []BlocQuestion {
	out := []BlocQuestion{}
	nb := len(bloc)
	if nb == 0 || nb >= n {
		return out
	}
	member := make([]bool, n)
	for _, r := range bloc {
		member[r] = true
	}
	bsum := make([]float64, nc)
	rsum := make([]float64, nc)
	for r := range n {
		row := raw[r*nc : (r+1)*nc]
		dst := rsum
		if member[r] {
			dst = bsum
		}
		for j, v := range row {
			dst[j] += v
		}
	}
	for j := range nc {
		bm := bsum[j] / float64(nb)
		rm := rsum[j] / float64(n-nb)
		d := bm - rm
		if math.Abs(d) < eps {
			continue
		}
		bq := BlocQuestion{QuestionKey: keys[j], BlocMean: bm, RestMean: rm, Diff: d}
		// Insert before the first entry with a clearly smaller |Diff|.
		pos := len(out)
		for i, o := range out {
			if math.Abs(d) > math.Abs(o.Diff)+eps {
				pos = i
				break
			}
		}
		if pos < 3 {
			out = slices.Insert(out, pos, bq)
			if len(out) > 3 {
				out = out[:3]
			}
		}
	}
	return out
}

// mapResult is the geometry of the opinion map.
type mapResult struct {
	x, y       []float64
	explained  [2]float64
	bloc       []int // 1..nblocs
	nblocs     int
	silhouette float64
}

// computeMap projects the rows of the n × m matrix raw (row-major) on its
// first two principal components and clusters the projection.
func computeMap(raw []float64, n, m int) mapResult {
	res := mapResult{x: make([]float64, n), y: make([]float64, n), bloc: make([]int, n)}
	if n == 0 {
		return res
	}
	x := centerColumns(raw, n, m)
	total := 0.0
	for _, v := range x {
		total += v * v
	}
	if total > tinyVar {
		v1, l1 := powerComponent(x, n, m, startVector(m, 1), nil)
		v2, l2 := powerComponent(x, n, m, startVector(m, 2), [][]float64{v1})
		res.explained = [2]float64{clamp01(l1 / total), clamp01(l2 / total)}
		for r := range n {
			row := x[r*m : (r+1)*m]
			res.x[r] = dot(row, v1)
			res.y[r] = dot(row, v2)
		}
	}
	res.nblocs = 1
	for r := range res.bloc {
		res.bloc[r] = 1
	}
	if n < 3 || total <= tinyVar {
		return res
	}
	pts := make([][2]float64, n)
	for r := range n {
		pts[r] = [2]float64{res.x[r], res.y[r]}
	}
	if assign, k, sil := chooseBlocs(pts); k >= 2 {
		res.bloc, res.nblocs, res.silhouette = assign, k, sil
	}
	return res
}

// centerColumns returns a copy of the n × m matrix with each column's mean
// subtracted.
func centerColumns(raw []float64, n, m int) []float64 {
	mean := make([]float64, m)
	for r := range n {
		for j, v := range raw[r*m : (r+1)*m] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	x := make([]float64, n*m)
	for r := range n {
		src, dst := raw[r*m:(r+1)*m], x[r*m:(r+1)*m]
		for j, v := range src {
			dst[j] = v - mean[j]
		}
	}
	return x
}

// startVector returns the deterministic start vector of the power iteration:
// fixed-seed pseudo-random entries in [−1, 1). (An all-ones start would be
// orthogonal to the leading component when two questions are answered in
// exactly opposite ways, which is common for polarized questions.)
func startVector(m int, stream uint64) []float64 {
	rng := rand.New(rand.NewPCG(seedHi, seedLo+stream))
	v := make([]float64, m)
	for j := range v {
		v[j] = rng.Float64()*2 - 1
	}
	return v
}

// powerComponent finds the leading eigenvector of XᵀX restricted to the
// complement of the unit vectors in orth (deflation), by power iteration
// multiplying by X and Xᵀ (XᵀX is never formed). It returns the unit
// eigenvector, its sign fixed so that the entry with the largest absolute
// value is positive, and the eigenvalue |Xv|². A zero vector and 0 are
// returned when X has no variance left outside orth.
func powerComponent(x []float64, n, m int, v []float64, orth [][]float64) ([]float64, float64) {
	u := make([]float64, n)
	w := make([]float64, m)
	orthogonalize(v, orth)
	if !normalize(v) {
		return make([]float64, m), 0
	}
	for range powerMaxIter {
		mulX(x, n, m, v, u)
		mulXT(x, n, m, u, w)
		orthogonalize(w, orth)
		if !normalize(w) {
			return make([]float64, m), 0
		}
		d := 0.0
		for j := range v {
			d += (w[j] - v[j]) * (w[j] - v[j])
		}
		v, w = w, v
		if d < powerTol*powerTol {
			break
		}
	}
	mulX(x, n, m, v, u)
	lambda := dot(u, u)
	fixSign(v)
	return v, lambda
}

// mulX sets u = X v for the n × m row-major matrix X.
func mulX(x []float64, n, m int, v, u []float64) {
	for r := range n {
		u[r] = dot(x[r*m:(r+1)*m], v)
	}
}

// mulXT sets w = Xᵀ u for the n × m row-major matrix X.
func mulXT(x []float64, n, m int, u, w []float64) {
	clear(w)
	for r := range n {
		c := u[r]
		row := x[r*m : (r+1)*m]
		for j, v := range row {
			w[j] += c * v
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// normalize scales v to unit length; it reports false (leaving v unchanged)
// when v is (numerically) zero.
func normalize(v []float64) bool {
	nrm := math.Sqrt(dot(v, v))
	if nrm < tinyNorm {
		return false
	}
	for j := range v {
		v[j] /= nrm
	}
	return true
}

// orthogonalize removes from v its components along the unit vectors in
// orth (Gram–Schmidt).
func orthogonalize(v []float64, orth [][]float64) {
	for _, o := range orth {
		c := dot(v, o)
		for j := range v {
			v[j] -= c * o[j]
		}
	}
}

// fixSign flips v so that its entry with the largest absolute value (the
// first one on a tie) is positive.
func fixSign(v []float64) {
	best, bi := -1.0, -1
	for j, x := range v {
		if a := math.Abs(x); a > best+eps {
			best, bi = a, j
		}
	}
	if bi >= 0 && v[bi] < 0 {
		for j := range v {
			v[j] = -v[j]
		}
	}
}

// chooseBlocs clusters the points by k-means for k = 2..min(5, n−1) and
// keeps the k with the best mean silhouette (the smaller k on a tie). It
// returns bloc numbers 1..k, ordered by ascending centroid X then Y, the
// number of blocs and the silhouette; k = 0 when no clustering was possible
// (fewer than two distinct points).
func chooseBlocs(pts [][2]float64) ([]int, int, float64) {
	n := len(pts)
	distinctPts := countDistinct(pts)
	dist := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			d := math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1])
			dist[i*n+j], dist[j*n+i] = d, d
		}
	}
	var best []int
	bestK, bestSil := 0, math.Inf(-1)
	for k := 2; k <= min(maxBlocs, n-1) && k <= distinctPts; k++ {
		rng := rand.New(rand.NewPCG(seedHi+uint64(k), seedLo))
		var assign []int
		inertia := math.Inf(1)
		for range kmeansRuns {
			as, in := kmeans(pts, k, rng)
			if in < inertia {
				assign, inertia = as, in
			}
		}
		kk := compactLabels(assign, k)
		if kk < 2 {
			continue
		}
		if s := silhouette(dist, n, assign, kk); s > bestSil+eps {
			best, bestK, bestSil = assign, kk, s
		}
	}
	if best == nil {
		return nil, 0, 0
	}
	return renumber(pts, best, bestK), bestK, bestSil
}

// countDistinct returns the number of distinct points.
func countDistinct(pts [][2]float64) int {
	seen := make(map[[2]float64]struct{}, len(pts))
	for _, p := range pts {
		seen[p] = struct{}{}
	}
	return len(seen)
}

// kmeans runs Lloyd's algorithm from a k-means++ start (Arthur &
// Vassilvitskii 2007) and returns the labels 0..k−1 and the inertia (sum of
// squared distances to the assigned centroid). A cluster that becomes empty
// keeps its previous centroid.
func kmeans(pts [][2]float64, k int, rng *rand.Rand) ([]int, float64) {
	n := len(pts)
	centers := make([][2]float64, 0, k)
	centers = append(centers, pts[rng.IntN(n)])
	d2 := make([]float64, n)
	for i, p := range pts {
		d2[i] = sqDist(p, centers[0])
	}
	for len(centers) < k {
		sum := 0.0
		for _, d := range d2 {
			sum += d
		}
		next := -1
		if sum > 0 {
			r := rng.Float64() * sum
			acc := 0.0
			for i, d := range d2 {
				if d <= 0 {
					continue
				}
				acc += d
				next = i
				if acc > r {
					break
				}
			}
		}
		if next < 0 {
			next = rng.IntN(n)
		}
		c := pts[next]
		centers = append(centers, c)
		for i, p := range pts {
			d2[i] = min(d2[i], sqDist(p, c))
		}
	}

	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	sums := make([][2]float64, k)
	counts := make([]int, k)
	for range kmeansIter {
		changed := false
		for i, p := range pts {
			bc, bd := 0, math.Inf(1)
			for c, ctr := range centers {
				if d := sqDist(p, ctr); d < bd {
					bc, bd = c, d
				}
			}
			if assign[i] != bc {
				assign[i] = bc
				changed = true
			}
		}
		if !changed {
			break
		}
		clear(sums)
		clear(counts)
		for i, p := range pts {
			c := assign[i]
			sums[c][0] += p[0]
			sums[c][1] += p[1]
			counts[c]++
		}
		for c := range centers {
			if counts[c] > 0 {
				centers[c] = [2]float64{sums[c][0] / float64(counts[c]), sums[c][1] / float64(counts[c])}
			}
		}
	}
	inertia := 0.0
	for i, p := range pts {
		inertia += sqDist(p, centers[assign[i]])
	}
	return assign, inertia
}

func sqDist(a, b [2]float64) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// compactLabels renumbers labels 0..k−1 in place so that the non-empty
// clusters are 0..kk−1 (in order of first use of their old label) and
// returns kk.
func compactLabels(assign []int, k int) int {
	newID := make([]int, k)
	for i := range newID {
		newID[i] = -1
	}
	kk := 0
	for i, c := range assign {
		if newID[c] < 0 {
			newID[c] = kk
			kk++
		}
		assign[i] = newID[c]
	}
	return kk
}

// silhouette returns the mean silhouette score (Rousseeuw 1987) of a
// clustering with labels 0..k−1, given the n × n distance matrix:
// s(i) = (b − a)/max(a, b), a = mean distance to the other members of i's
// cluster, b = smallest mean distance to another cluster; s(i) = 0 for a
// point alone in its cluster.
func silhouette(dist []float64, n int, assign []int, k int) float64 {
	size := make([]int, k)
	for _, c := range assign {
		size[c]++
	}
	sums := make([]float64, k)
	total := 0.0
	for i := range n {
		clear(sums)
		row := dist[i*n : (i+1)*n]
		for j, d := range row {
			sums[assign[j]] += d
		}
		ci := assign[i]
		if size[ci] <= 1 {
			continue
		}
		ai := sums[ci] / float64(size[ci]-1)
		bi := math.Inf(1)
		for c := range k {
			if c != ci && size[c] > 0 {
				bi = min(bi, sums[c]/float64(size[c]))
			}
		}
		if den := max(ai, bi); den > 0 && !math.IsInf(bi, 1) {
			total += (bi - ai) / den
		}
	}
	return total / float64(n)
}

// renumber maps labels 0..k−1 to bloc numbers 1..k by ascending centroid X,
// then Y.
func renumber(pts [][2]float64, assign []int, k int) []int {
	type cen struct {
		id   int
		x, y float64
	}
	cs := make([]cen, k)
	cnt := make([]int, k)
	for i, c := range assign {
		cs[c].x += pts[i][0]
		cs[c].y += pts[i][1]
		cnt[c]++
	}
	for c := range cs {
		cs[c].id = c
		cs[c].x /= float64(cnt[c])
		cs[c].y /= float64(cnt[c])
	}
	slices.SortFunc(cs, func(p, q cen) int {
		if c := cmp.Compare(p.x, q.x); c != 0 {
			return c
		}
		if c := cmp.Compare(p.y, q.y); c != 0 {
			return c
		}
		return cmp.Compare(p.id, q.id)
	})
	newID := make([]int, k)
	for rank, c := range cs {
		newID[c.id] = rank + 1
	}
	out := make([]int, len(assign))
	for i, c := range assign {
		out[i] = newID[c]
	}
	return out
}

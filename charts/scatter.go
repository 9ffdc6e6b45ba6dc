package charts

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"concord/consensus"
)

// Geometry of the opinion map.
const (
	mapW    = 820.0
	mapMaxH = 640.0
	// mapMinInnerH is the least height of the area holding the points.
	mapMinInnerH = 200.0
	mapLeft      = 40.0
	mapRight     = 20.0
	mapTop       = 16.0
	mapBottom    = 78.0
	mapFont      = 11.0
	mapLineH     = 13.0
	// mapMerge is the distance in pixels under which members share one
	// marker and one label.
	mapMerge = 4.0
	// mapCodesPerLine is how many member codes a label holds per line.
	mapCodesPerLine = 4
)

// mapCluster is a group of members drawn at (about) the same place.
type mapCluster struct {
	x, y    float64
	members []consensus.MapPoint
	r       float64
	label   []string
	lw, lh  float64
}

// box is an axis-aligned rectangle used for label placement.
type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlap(b box) float64 {
	w := math.Min(a.x1, b.x1) - math.Max(a.x0, b.x0)
	h := math.Min(a.y1, b.y1) - math.Max(a.y0, b.y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// outside returns how much of a lies outside b (area).
func (a box) outside(b box) float64 {
	area := (a.x1 - a.x0) * (a.y1 - a.y0)
	return area - a.overlap(b)
}

// OpinionMapChart draws the opinion map: each member placed on the first
// two principal components of the answers, coloured and shaped by bloc,
// labelled with its code. Members at the same place share one marker and
// one label; labels are placed to avoid each other and the markers, with a
// leader line when pushed away. Axes name the share of variance they
// explain. It returns "" when no member is placed.
func OpinionMapChart(r *consensus.Report, id string) template.HTML {
	if r == nil || len(r.Map.Points) == 0 {
		return ""
	}
	m := r.Map
	id = safeID(id)
	names := memberNames(r)

	minX, maxX := m.Points[0].X, m.Points[0].X
	minY, maxY := m.Points[0].Y, m.Points[0].Y
	for _, p := range m.Points {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	// One scale for both axes, so that distances on the map are honest;
	// the map is only as tall as the spread of the second axis needs.
	const padX, padY = 54.0, 30.0 // room for labels inside the frame
	innerW := mapW - mapRight - mapLeft - 2*padX
	innerMaxH := mapMaxH - mapBottom - mapTop - 2*padY
	scale := math.Inf(1)
	if maxX-minX > 1e-12 {
		scale = innerW / (maxX - minX)
	}
	if maxY-minY > 1e-12 {
		scale = math.Min(scale, innerMaxH/(maxY-minY))
	}
	if math.IsInf(scale, 1) {
		scale = 1
	}
	innerH := math.Min(innerMaxH, math.Max(mapMinInnerH, (maxY-minY)*scale))
	mapH := mapTop + innerH + 2*padY + mapBottom
	plot := box{mapLeft, mapTop, mapW - mapRight, mapH - mapBottom}
	inner := box{plot.x0 + padX, plot.y0 + padY, plot.x1 - padX, plot.y1 - padY}
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	midX, midY := (inner.x0+inner.x1)/2, (inner.y0+inner.y1)/2
	px := func(x float64) float64 { return midX + (x-cx)*scale }
	py := func(y float64) float64 { return midY - (y-cy)*scale }

	clusters := clusterPoints(m.Points, px, py)

	var desc strings.Builder
	fmt.Fprintf(&desc, "%s placed by their answers to the scale questions; members close together answered alike. ", plural(len(m.Points), "member"))
	for _, b := range m.Blocs {
		_, cname, shape := blocStyle(b.ID)
		fmt.Fprintf(&desc, "Bloc %d (%s %s): %s. ", b.ID, cname, shapeName(shape), strings.Join(b.Members, ", "))
	}
	s := newSVG(id, mapW, mapH, "chart-map", "Opinion map of the members", strings.TrimSpace(desc.String()))

	// Frame and the axes through the origin (the average position).
	s.rect(plot.x0, plot.y0, plot.x1-plot.x0, plot.y1-plot.y0, fmt.Sprintf(`fill="#fbfcfd" stroke="%s"`, colGrid))
	if x0 := px(0); x0 > plot.x0 && x0 < plot.x1 {
		s.line(x0, plot.y0, x0, plot.y1, fmt.Sprintf(`stroke="%s" stroke-dasharray="3 4"`, colAxis))
	}
	if y0 := py(0); y0 > plot.y0 && y0 < plot.y1 {
		s.line(plot.x0, y0, plot.x1, y0, fmt.Sprintf(`stroke="%s" stroke-dasharray="3 4"`, colAxis))
	}
	s.text((plot.x0+plot.x1)/2, plot.y1+20, fmt.Sprintf("Across: the main difference between the answers (%s)", fmtPct(100*m.Explained[0])),
		fmt.Sprintf(`class="axis-x" text-anchor="middle" font-size="12" font-weight="600" fill="%s"`, colMuted))
	s.raw(`<text class="axis-y" transform="translate(%s %s) rotate(-90)" text-anchor="middle" font-size="12" font-weight="600" fill="%s">%s</text>`,
		num(plot.x0-12), num((plot.y0+plot.y1)/2), colMuted, esc(fmt.Sprintf("Up and down: the next difference (%s)", fmtPct(100*m.Explained[1]))))

	// Markers.
	for _, c := range clusters {
		parts := make([]string, len(c.members))
		for i, p := range c.members {
			parts[i] = fmt.Sprintf("%s %s (bloc %d)", p.Member, names[p.Member], p.Bloc)
		}
		s.raw(`<g class="member-point">`)
		s.tooltip(strings.Join(parts, "; "))
		seen := map[int]bool{}
		for _, p := range c.members {
			if seen[p.Bloc] {
				continue
			}
			seen[p.Bloc] = true
			color, _, shape := blocStyle(p.Bloc)
			s.marker(shape, c.x, c.y, c.r, fmt.Sprintf(`fill="%s" fill-opacity="0.9" stroke="%s" stroke-width="1.5" data-bloc="%d"`, color, colPaper, p.Bloc))
		}
		s.raw(`</g>`)
	}

	// Labels.
	boxes, leaders := placeLabels(clusters, plot)
	for i, c := range clusters {
		lb := boxes[i]
		if leaders[i] {
			// From the marker's edge to the nearest point of the label box.
			tx := math.Max(lb.x0, math.Min(c.x, lb.x1))
			ty := math.Max(lb.y0, math.Min(c.y, lb.y1))
			dx, dy := tx-c.x, ty-c.y
			if d := math.Hypot(dx, dy); d > c.r {
				s.line(c.x+dx/d*c.r, c.y+dy/d*c.r, tx, ty, fmt.Sprintf(`stroke="%s" stroke-width="1"`, colAxis))
			}
		}
		s.lines(lb.x0+2, lb.y0+mapLineH-2, mapLineH, c.label,
			fmt.Sprintf(`class="map-label" font-size="%s" font-weight="700" fill="%s"%s`, num(mapFont), colInk, halo))
	}

	// Legend under the axis title.
	lx := plot.x0
	ly := mapH - 22
	for _, b := range m.Blocs {
		color, cname, shape := blocStyle(b.ID)
		s.marker(shape, lx+7, ly-4, 6, fmt.Sprintf(`fill="%s" stroke="%s"`, color, colPaper))
		label := fmt.Sprintf("Bloc %d (%s, %d)", b.ID, cname, len(b.Members))
		s.text(lx+18, ly, label, `font-size="12"`)
		lx += 18 + float64(len(label))*charWidth(12) + 22
	}
	return s.html()
}

// clusterPoints merges members whose markers would coincide, so that each
// place gets one marker and one label listing every member there.
func clusterPoints(points []consensus.MapPoint, px, py func(float64) float64) []mapCluster {
	var out []mapCluster
	for _, p := range points {
		x, y := px(p.X), py(p.Y)
		merged := false
		for i := range out {
			if math.Hypot(out[i].x-x, out[i].y-y) <= mapMerge {
				out[i].members = append(out[i].members, p)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, mapCluster{x: x, y: y, members: []consensus.MapPoint{p}})
		}
	}
	cw := 0.66 * mapFont // bold capitals are wider than the mean
	for i := range out {
		c := &out[i]
		slices.SortFunc(c.members, func(a, b consensus.MapPoint) int { return strings.Compare(a.Member, b.Member) })
		c.r = 6 + 1.6*math.Sqrt(float64(len(c.members)-1))
		var line []string
		for j, p := range c.members {
			line = append(line, p.Member)
			if len(line) == mapCodesPerLine || j == len(c.members)-1 {
				c.label = append(c.label, strings.Join(line, " "))
				line = nil
			}
		}
		longest := 0
		for _, l := range c.label {
			longest = max(longest, len(l))
		}
		c.lw = float64(longest)*cw + 4
		c.lh = float64(len(c.label)) * mapLineH
	}
	return out
}

// placeLabels places the label of every cluster, the largest labels
// first, and returns the label boxes (index-aligned with clusters) and
// whether each needs a leader line to its marker.
func placeLabels(clusters []mapCluster, plot box) (boxes []box, leaders []bool) {
	markers := make([]box, len(clusters))
	for i, c := range clusters {
		markers[i] = box{c.x - c.r - 1, c.y - c.r - 1, c.x + c.r + 1, c.y + c.r + 1}
	}
	order := make([]int, len(clusters))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(len(clusters[b].members), len(clusters[a].members))
	})
	boxes = make([]box, len(clusters))
	leaders = make([]bool, len(clusters))
	placed := make([]box, 0, len(clusters))
	for _, i := range order {
		boxes[i], leaders[i] = placeLabel(clusters[i], plot, placed, markers, i)
		placed = append(placed, boxes[i])
	}
	return boxes, leaders
}

// placeLabel chooses where the label of cluster c goes: the first of eight
// positions around the marker (then eight further out) that overlaps no
// label, no other marker and stays inside the plot; failing that, the
// position with the least overlap. leader tells whether the label sits
// away from its marker and needs a line to it.
func placeLabel(c mapCluster, plot box, placed, markers []box, self int) (b box, leader bool) {
	best, bestScore, bestFar := box{}, math.Inf(1), false
	for ring, gap := range []float64{3, 16, 30} {
		d := c.r + gap
		cands := []box{
			{c.x + d, c.y - c.lh/2, c.x + d + c.lw, c.y + c.lh/2},              // right
			{c.x - d - c.lw, c.y - c.lh/2, c.x - d, c.y + c.lh/2},              // left
			{c.x - c.lw/2, c.y - d - c.lh, c.x + c.lw/2, c.y - d},              // above
			{c.x - c.lw/2, c.y + d, c.x + c.lw/2, c.y + d + c.lh},              // below
			{c.x + d*0.7, c.y - d*0.7 - c.lh, c.x + d*0.7 + c.lw, c.y - d*0.7}, // above right
			{c.x - d*0.7 - c.lw, c.y - d*0.7 - c.lh, c.x - d*0.7, c.y - d*0.7}, // above left
			{c.x + d*0.7, c.y + d*0.7, c.x + d*0.7 + c.lw, c.y + d*0.7 + c.lh}, // below right
			{c.x - d*0.7 - c.lw, c.y + d*0.7, c.x - d*0.7, c.y + d*0.7 + c.lh}, // below left
		}
		for _, cand := range cands {
			score := cand.outside(plot) * 10
			for _, p := range placed {
				score += cand.overlap(p) * 4
			}
			for i, m := range markers {
				if i != self {
					score += cand.overlap(m) * 2
				}
			}
			score += float64(ring) * 0.5 // prefer labels close to their marker
			if score < bestScore {
				best, bestScore, bestFar = cand, score, ring > 0
			}
			if score <= float64(ring)*0.5 {
				return cand, ring > 0
			}
		}
	}
	return best, bestFar
}

// shapeName describes a marker shape in words.
func shapeName(shape string) string {
	switch shape {
	case "down":
		return "inverted triangles"
	case "square", "triangle", "diamond", "hexagon", "circle":
		return shape + "s"
	}
	return "markers"
}

// memberNames maps member codes to names.
func memberNames(r *consensus.Report) map[string]string {
	out := make(map[string]string, len(r.Members))
	for _, m := range r.Members {
		out[m.Code] = m.Name
	}
	return out
}

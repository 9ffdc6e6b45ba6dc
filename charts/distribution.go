package charts

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"concord/consensus"
)

// Geometry of the scale distribution chart.
const (
	scaleW       = 820.0
	scaleLeft    = 56.0
	scaleRight   = 16.0
	scaleTop     = 72.0 // top of the tallest bar
	scaleMedianY = 16.0 // baseline of the median's label
	scaleBandTop = 42.0 // top of the common-ground band; its label sits above
	scalePlotH   = 220.0
	scaleFont    = 12.0
	scaleLineH   = 15.0
	scaleMaxLine = 4
	scaleSQH     = 30.0 // room under the axis labels for the status quo mark
)

// scaleGeom places the points of a k-point scale on the x axis.
type scaleGeom struct {
	k     int
	bandW float64
}

func newScaleGeom(k int) scaleGeom {
	return scaleGeom{k: k, bandW: (scaleW - scaleLeft - scaleRight) / float64(max(k, 1))}
}

// center returns the x of the centre of point p (1-based); fractional
// points (a median of 3.5) fall between two bars.
func (g scaleGeom) center(p float64) float64 { return scaleLeft + (p-0.5)*g.bandW }

// left returns the x of the left edge of point p's band.
func (g scaleGeom) left(p int) float64 { return scaleLeft + float64(p-1)*g.bandW }

// ScaleChart draws the distribution of a scale question as a bar chart:
// one bar per point (height proportional to the number of members), the
// median marked by a vertical line (broken where it would cross a count
// label), the common ground shaded — or, when there is none, the best
// point (accepted by the most members) outlined — and the status quo point
// (statusQuo, 0 for none) marked under the axis. Points holding outliers
// have hatched bars. It returns "" for a question that is not a scale
// question.
func ScaleChart(q *consensus.QuestionReport, id string, statusQuo int) template.HTML {
	if q == nil || q.Scale == nil || q.Scale.K < 1 {
		return ""
	}
	st := q.Scale
	k := st.K
	g := newScaleGeom(k)
	id = safeID(id)

	font := scaleFont
	if k > 7 {
		font = scaleFont - 1 // narrow bands: a size smaller
	}
	maxChars := int((g.bandW - 6) / charWidth(font))
	labels := make([][]string, k)
	truncated := make([]bool, k)
	nLines := 1
	for i := range k {
		labels[i], truncated[i] = wrap(pointLabel(q, i+1), maxChars, scaleMaxLine)
		nLines = max(nLines, len(labels[i]))
	}
	baseline := scaleTop + scalePlotH
	labelsBottom := baseline + 26 + float64(nLines)*scaleLineH
	h := labelsBottom + 12
	if statusQuo < 1 || statusQuo > k {
		statusQuo = 0
	}
	if statusQuo > 0 {
		h += scaleSQH
	}

	maxCount := 0
	for _, c := range st.Counts {
		maxCount = max(maxCount, c)
	}
	step := niceStep(float64(max(maxCount, 1)), 5)
	yMax := math.Ceil(float64(max(maxCount, 1))/step) * step
	barH := func(c int) float64 { return float64(c) / yMax * scalePlotH }

	s := newSVG(id, scaleW, h, "chart-scale", "Distribution of positions: "+q.Text, scaleDesc(q, statusQuo))
	s.raw(`<defs><pattern id="%s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="%s"/><line x1="0" y1="0" x2="0" y2="6" stroke="%s" stroke-width="2.5"/></pattern></defs>`,
		id, colNavy, colPaper)

	// Common ground, or the point acceptable to all but the blockers.
	bandTop := scaleBandTop
	bandLabel := func() {}
	switch {
	case st.CommonGround != nil:
		cg := st.CommonGround
		x := g.left(cg.Lo)
		w := float64(cg.Hi-cg.Lo+1) * g.bandW
		s.rect(x, bandTop, w, baseline-bandTop, fmt.Sprintf(`class="common-ground" fill="%s" data-lo="%d" data-hi="%d"`, colGround, cg.Lo, cg.Hi))
		s.line(x, bandTop, x+w, bandTop, fmt.Sprintf(`stroke="%s" stroke-width="2"`, colGroundLn))
		bandLabel = func() {
			s.text(x+w/2, bandTop-6, "Common ground", fmt.Sprintf(`text-anchor="middle" font-size="11" font-weight="700" fill="%s"%s`, colGroundLn, halo))
		}
	case q.BestPoint >= 1 && q.BestPoint <= k && q.Coverage.Responses > 0:
		x := g.left(q.BestPoint) + 3
		w := g.bandW - 6
		s.rect(x, bandTop, w, baseline-bandTop, fmt.Sprintf(`class="best-point" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="5 4" data-point="%d"`, colBad, q.BestPoint))
		bandLabel = func() {
			s.text(x+w/2, bandTop-6, fmt.Sprintf("%d of %d accept", q.Accepting, q.Coverage.Responses), fmt.Sprintf(`text-anchor="middle" font-size="11" font-weight="700" fill="%s"%s`, colBad, halo))
		}
	}

	// Y axis: grid lines and counts.
	for v := 0.0; v <= yMax+1e-9; v += step {
		y := baseline - v/yMax*scalePlotH
		if v > 0 {
			s.line(scaleLeft, y, scaleW-scaleRight, y, fmt.Sprintf(`stroke="%s" stroke-width="1" stroke-dasharray="2 3"`, colGrid))
		}
		s.text(scaleLeft-8, y+4, num(v), fmt.Sprintf(`text-anchor="end" font-size="11" fill="%s"`, colMuted))
	}
	s.raw(`<text transform="translate(16 %s) rotate(-90)" text-anchor="middle" font-size="11" fill="%s">Members</text>`, num(baseline-scalePlotH/2), colMuted)

	// Bars.
	outlierPoint := outlierPoints(st)
	barW := math.Min(g.bandW*0.62, 96)
	for i := range k {
		p := i + 1
		c := st.Counts[i]
		bh := barH(c)
		x := g.center(float64(p)) - barW/2
		fill := colNavy
		class := "bar"
		if outlierPoint[p] {
			fill = "url(#" + id + "-hatch)"
			class = "bar outlier"
		}
		s.raw(`<g>`)
		s.tooltip(fmt.Sprintf("Point %d, %s: %s", p, pointLabel(q, p), plural(c, "member")))
		s.rect(x, baseline-bh, barW, bh, fmt.Sprintf(`class="%s" fill="%s" stroke="%s" stroke-width="1" data-point="%d" data-count="%d"`, class, fill, colNavy, p, c))
		s.raw(`</g>`)
	}
	// Counts above the bars; the median line leaves a gap around the label
	// it would cross.
	type box struct{ x0, x1, y0, y1 float64 }
	var countBoxes []box
	for i, c := range st.Counts {
		countFill := colInk
		if c == 0 {
			countFill = colMuted
		}
		label := fmt.Sprintf("%d", c)
		cx, cy := g.center(float64(i+1)), baseline-barH(c)-6
		half := float64(len(label))*charWidth(13)/2 + 3
		countBoxes = append(countBoxes, box{cx - half, cx + half, cy - 13, cy + 4})
		s.text(cx, cy, label, fmt.Sprintf(`class="count" text-anchor="middle" font-size="13" font-weight="700" fill="%s"%s`, countFill, halo))
	}
	medianLabel := func() {}
	if q.Coverage.Responses > 0 {
		mx := g.center(st.Median)
		top := scaleMedianY + 5
		d := fmt.Sprintf("M%s %s", num(mx), num(top))
		for _, b := range countBoxes {
			if mx >= b.x0 && mx <= b.x1 && b.y0 > top {
				d += fmt.Sprintf("V%sM%s %s", num(b.y0), num(mx), num(b.y1))
			}
		}
		d += "V" + num(baseline)
		s.raw(`<path class="median" d="%s" fill="none" stroke="%s" stroke-width="3" stroke-dasharray="7 4" data-median="%s" data-x="%s"/>`,
			d, colGold, num(st.Median), num(mx))
		anchor := "middle"
		switch {
		case mx < scaleLeft+50:
			anchor = "start"
		case mx > scaleW-scaleRight-50:
			anchor = "end"
		}
		medianLabel = func() {
			s.text(mx, scaleMedianY, "Median "+fmtPoint(st.Median), fmt.Sprintf(`text-anchor="%s" font-size="12" font-weight="700" fill="%s"%s`, anchor, colGoldText, halo))
		}
	}

	// X axis: points and their labels.
	s.line(scaleLeft, baseline, scaleW-scaleRight, baseline, fmt.Sprintf(`stroke="%s" stroke-width="1.5"`, colInk))
	for i := range k {
		p := i + 1
		cx := g.center(float64(p))
		s.text(cx, baseline+18, fmt.Sprintf("%d", p), fmt.Sprintf(`text-anchor="middle" font-size="13" font-weight="700" fill="%s"`, colNavy))
		if truncated[i] {
			s.raw(`<g>`)
			s.tooltip(pointLabel(q, p))
		}
		s.lines(cx, baseline+34, scaleLineH, labels[i], fmt.Sprintf(`text-anchor="middle" font-size="%s" fill="%s"`, num(font), colInk))
		if truncated[i] {
			s.raw(`</g>`)
		}
	}
	// Status quo: the point's number framed, and a label under the axis
	// labels, so the mark does not rest on colour.
	if statusQuo > 0 {
		cx := g.center(float64(statusQuo))
		s.rect(cx-13, baseline+4, 26, 19, fmt.Sprintf(`class="status-quo" fill="none" stroke="%s" stroke-width="2" rx="4" data-point="%d"`, colGoldText, statusQuo))
		y := labelsBottom + 10
		s.raw(`<path d="M%s %sl5 8h-10z" fill="%s"/>`, num(cx), num(y-6), colGoldText)
		anchor := "middle"
		switch {
		case cx < scaleLeft+40:
			anchor = "start"
		case cx > scaleW-scaleRight-40:
			anchor = "end"
		}
		s.text(cx, y+16, "Status quo", fmt.Sprintf(`text-anchor="%s" font-size="12" font-weight="700" fill="%s"`, anchor, colGoldText))
	}
	bandLabel()
	medianLabel()
	return s.html()
}

// scaleDesc is the text description of a scale chart.
func scaleDesc(q *consensus.QuestionReport, statusQuo int) string {
	st := q.Scale
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %d answered. ", plural(q.Coverage.Responses, "member"), q.Coverage.MembersTotal)
	for i, c := range st.Counts {
		fmt.Fprintf(&b, "Point %d (%s): %d. ", i+1, pointLabel(q, i+1), c)
	}
	if q.Coverage.Responses > 0 {
		fmt.Fprintf(&b, "Median %s. ", fmtPoint(st.Median))
	}
	if statusQuo > 0 {
		fmt.Fprintf(&b, "Status quo: point %d (%s). ", statusQuo, pointLabel(q, statusQuo))
	}
	switch {
	case st.CommonGround != nil:
		fmt.Fprintf(&b, "Common ground: %s.", rangeText(*st.CommonGround))
	case q.BestPoint > 0 && q.Coverage.Responses > 0:
		fmt.Fprintf(&b, "No common ground; point %d is accepted by %d of %d.", q.BestPoint, q.Accepting, q.Coverage.Responses)
	}
	return strings.TrimSpace(b.String())
}

// outlierPoints returns the points at which at least one outlier stands.
func outlierPoints(st *consensus.ScaleStats) map[int]bool {
	out := map[int]bool{}
	for i, members := range st.ByPoint {
		for _, m := range members {
			if slices.Contains(st.Outliers, m) {
				out[i+1] = true
				break
			}
		}
	}
	return out
}

// Geometry of the choice chart.
const (
	choiceW      = 820.0
	choiceLabelW = 300.0
	choiceBarMax = 440.0
	choiceTop    = 12.0
)

// ChoiceChart draws the support of each option of a choice question as a
// horizontal bar (length proportional to the number of members), the
// plurality in navy and the other options lighter. It returns "" for a
// question that is not a choice question.
func ChoiceChart(q *consensus.QuestionReport, id string) template.HTML {
	if q == nil || q.Choice == nil {
		return ""
	}
	st := q.Choice
	id = safeID(id)
	// The label column is as wide as the longest label needs, up to
	// choiceLabelW.
	labelW := 60.0
	for _, o := range st.Options {
		labelW = math.Max(labelW, float64(utf8.RuneCountInString(o.Option))*charWidth(13))
	}
	labelW = math.Min(labelW, choiceLabelW)
	barX := labelW + 16
	maxChars := int(choiceLabelW / charWidth(13))
	type row struct {
		lines     []string
		truncated bool
		y, h      float64
	}
	rows := make([]row, len(st.Options))
	y := choiceTop
	for i, o := range st.Options {
		lines, tr := wrap(o.Option, maxChars, 3)
		h := math.Max(40, float64(len(lines))*16+14)
		rows[i] = row{lines: lines, truncated: tr, y: y, h: h}
		y += h
	}
	maxCount := 0
	for _, o := range st.Options {
		maxCount = max(maxCount, o.Count)
	}
	step := niceStep(float64(max(maxCount, 1)), 5)
	xMax := math.Ceil(float64(max(maxCount, 1))/step) * step
	plotBottom := y
	h := plotBottom + 34

	var desc strings.Builder
	fmt.Fprintf(&desc, "%s of %d answered. ", plural(q.Coverage.Responses, "member"), q.Coverage.MembersTotal)
	for _, o := range st.Options {
		fmt.Fprintf(&desc, "%s: %d (%s). ", o.Option, o.Count, fmtPct(100*o.Share))
	}
	s := newSVG(id, choiceW, h, "chart-choice", "Support for each option: "+q.Text, strings.TrimSpace(desc.String()))
	for v := 0.0; v <= xMax+1e-9; v += step {
		x := barX + v/xMax*choiceBarMax
		s.line(x, choiceTop, x, plotBottom, fmt.Sprintf(`stroke="%s" stroke-width="1" stroke-dasharray="2 3"`, colGrid))
		s.text(x, plotBottom+16, num(v), fmt.Sprintf(`text-anchor="middle" font-size="11" fill="%s"`, colMuted))
	}
	s.text(barX+choiceBarMax/2, plotBottom+30, "Members", fmt.Sprintf(`text-anchor="middle" font-size="11" fill="%s"`, colMuted))
	for i, o := range st.Options {
		r := rows[i]
		mid := r.y + r.h/2
		if r.truncated {
			s.raw(`<g>`)
			s.tooltip(o.Option)
		}
		s.lines(barX-12, mid-float64(len(r.lines)-1)*8+4, 16, r.lines, `text-anchor="end" font-size="13"`)
		if r.truncated {
			s.raw(`</g>`)
		}
		fill, class := "#6f8db8", "bar"
		if slices.Contains(st.Plurality, o.Option) && o.Count > 0 {
			fill, class = colNavy, "bar plurality"
		}
		bw := float64(o.Count) / xMax * choiceBarMax
		s.raw(`<g>`)
		s.tooltip(fmt.Sprintf("%s: %s (%s)", o.Option, plural(o.Count, "member"), fmtPct(100*o.Share)))
		s.rect(barX, mid-11, bw, 22, fmt.Sprintf(`class="%s" fill="%s" data-count="%d"`, class, fill, o.Count))
		s.raw(`</g>`)
		s.text(barX+bw+8, mid+5, fmt.Sprintf("%d · %s", o.Count, fmtPct(100*o.Share)), `font-size="13" font-weight="700"`)
	}
	s.line(barX, choiceTop, barX, plotBottom, fmt.Sprintf(`stroke="%s" stroke-width="1.5"`, colInk))
	return s.html()
}

// pointLabel returns the label of point p (1-based) of a scale question,
// or "point p" when the question has none.
func pointLabel(q *consensus.QuestionReport, p int) string {
	if p >= 1 && p <= len(q.Points) && strings.TrimSpace(q.Points[p-1]) != "" {
		return q.Points[p-1]
	}
	return fmt.Sprintf("point %d", p)
}

// fmtPoint formats a point position such as a median (3 or 3.5).
func fmtPoint(v float64) string {
	if math.Abs(v-math.Round(v)) < 1e-9 {
		return fmt.Sprintf("%.0f", v)
	}
	return num(v)
}

// fmtPct formats a percentage without decimals.
func fmtPct(v float64) string { return fmt.Sprintf("%.0f%%", v) }

// plural writes "1 member", "3 members".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// rangeText writes a range of points: "point 3" or "points 3–4".
func rangeText(r consensus.Range) string {
	if r.Lo == r.Hi {
		return fmt.Sprintf("point %d", r.Lo)
	}
	return fmt.Sprintf("points %d–%d", r.Lo, r.Hi)
}

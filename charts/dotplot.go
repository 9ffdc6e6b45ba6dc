package charts

import (
	"fmt"
	"html/template"
	"strings"

	"concord/consensus"
)

// Geometry of the member dot plot.
const (
	dotW      = 820.0
	dotLabelW = 300.0
	dotX0     = 336.0
	dotX1     = 680.0
	dotFlagX  = 704.0
	dotTop    = 44.0
	dotRowH   = 60.0
)

// MemberChart draws one member's positions on the scale questions against
// the alliance: one row per question with the scale's points, the common
// ground shaded, the member's acceptable range as a bar, its preferred
// point as a dot and the median as a gold tick; outliers, red lines and
// blocking positions are named at the end of the row. Questions the member
// did not answer are listed as such. It returns "" when the consultation
// has no scale question or the member is unknown.
func MemberChart(r *consensus.Report, code string, positions []consensus.Position, id string) template.HTML {
	return memberChart(r, code, positions, id, 0, len(r.Questions))
}

// memberChart draws the member chart of the questions from (inclusive)
// to (exclusive) of the report, in questionnaire order.
func memberChart(r *consensus.Report, code string, positions []consensus.Position, id string, from, to int) template.HTML {
	prof, ok := r.Member(code)
	if !ok {
		return ""
	}
	var questions []*consensus.QuestionReport
	for i := from; i < to; i++ {
		if r.Questions[i].Scale != nil && r.Questions[i].Scale.K >= 2 {
			questions = append(questions, &r.Questions[i])
		}
	}
	if len(questions) == 0 {
		return ""
	}
	mine := map[string]consensus.MemberPosition{}
	for _, p := range prof.Positions {
		mine[p.QuestionKey] = p
	}
	inputs := positionIndex(positions)
	id = safeID(id)
	h := dotTop + float64(len(questions))*dotRowH + 8

	var desc strings.Builder
	fmt.Fprintf(&desc, "Positions of %s (%s) against the alliance median. ", prof.Code, prof.Name)
	for _, q := range questions {
		if mp, ok := mine[q.Key]; ok {
			fmt.Fprintf(&desc, "%s: point %d, median %s", q.Text, mp.Preferred, fmtPoint(mp.Median))
			if mp.RedLine {
				desc.WriteString(", red line (the acceptable range is final)")
			}
			desc.WriteString(". ")
		} else {
			fmt.Fprintf(&desc, "%s: no answer. ", q.Text)
		}
	}
	s := newSVG(id, dotW, h, "chart-member", "Positions of "+prof.Name+" against the alliance median", strings.TrimSpace(desc.String()))

	// Legend.
	lx := dotX0
	s.rect(lx, 10, 26, 16, fmt.Sprintf(`fill="%s"`, colGround))
	s.text(lx+32, 22, "Common ground", `font-size="11"`)
	lx += 124
	s.line(lx, 18, lx+24, 18, fmt.Sprintf(`stroke="%s" stroke-width="8" stroke-linecap="round"`, colNavyDim))
	s.text(lx+32, 22, "Acceptable range", `font-size="11"`)
	lx += 128
	s.raw(`<circle cx="%s" cy="18" r="6" fill="%s"/>`, num(lx+6), colNavy)
	s.text(lx+18, 22, prof.Code, `font-size="11" font-weight="700"`)
	lx += 58
	s.line(lx+4, 8, lx+4, 28, fmt.Sprintf(`stroke="%s" stroke-width="3"`, colGold))
	s.text(lx+14, 22, "Median", `font-size="11"`)

	for i, q := range questions {
		st := q.Scale
		k := st.K
		top := dotTop + float64(i)*dotRowH
		y := top + 28
		x := func(p float64) float64 { return dotX0 + (p-1)/float64(k-1)*(dotX1-dotX0) }
		half := (dotX1 - dotX0) / float64(k-1) * 0.4

		if i > 0 {
			s.line(0, top, dotW, top, fmt.Sprintf(`stroke="%s" stroke-width="1"`, colGrid))
		}
		lines, _ := wrap(q.Text, int(dotLabelW/charWidth(12)), 2)
		s.raw(`<g>`)
		s.tooltip(q.Text)
		s.lines(0, top+22, 15, lines, `font-size="12"`)
		s.raw(`</g>`)

		if cg := st.CommonGround; cg != nil {
			s.rect(x(float64(cg.Lo))-half, y-13, x(float64(cg.Hi))-x(float64(cg.Lo))+2*half, 26, fmt.Sprintf(`class="common-ground" fill="%s"`, colGround))
		}
		s.line(x(1), y, x(float64(k)), y, fmt.Sprintf(`stroke="%s" stroke-width="1"`, colAxis))
		for p := 1; p <= k; p++ {
			s.line(x(float64(p)), y-4, x(float64(p)), y+4, fmt.Sprintf(`stroke="%s" stroke-width="1"`, colAxis))
			s.text(x(float64(p)), y+22, fmt.Sprintf("%d", p), fmt.Sprintf(`text-anchor="middle" font-size="10" fill="%s"`, colMuted))
		}
		mp, answered := mine[q.Key]
		if !answered {
			if q.Coverage.Responses > 0 {
				s.line(x(st.Median), y-12, x(st.Median), y+12, fmt.Sprintf(`class="median" stroke="%s" stroke-width="3"`, colGold))
			}
			s.text(dotFlagX, y+4, "no answer", fmt.Sprintf(`font-size="11" font-style="italic" fill="%s"`, colMuted))
			continue
		}
		acc := consensus.Range{Lo: mp.Preferred, Hi: mp.Preferred}
		if in, ok := inputs[posKey{code, q.Key}]; ok {
			acc = consensus.AcceptRange(&in, k)
		}
		if mp.RedLine {
			// A red line is a final range: drawn with hard edges, square
			// ends and a bar across each end, where an ordinary range
			// has soft, rounded ends.
			s.line(x(float64(acc.Lo)), y, x(float64(acc.Hi)), y, fmt.Sprintf(`class="accept red-line" stroke="%s" stroke-width="8" stroke-linecap="butt"`, colNavyDim))
			for _, end := range []int{acc.Lo, acc.Hi} {
				s.line(x(float64(end)), y-10, x(float64(end)), y+10, fmt.Sprintf(`class="red-line-edge" stroke="%s" stroke-width="3"`, colBad))
			}
		} else {
			s.line(x(float64(acc.Lo)), y, x(float64(acc.Hi)), y, fmt.Sprintf(`class="accept" stroke="%s" stroke-width="8" stroke-linecap="round"`, colNavyDim))
		}
		s.line(x(mp.Median), y-12, x(mp.Median), y+12, fmt.Sprintf(`class="median" stroke="%s" stroke-width="3"`, colGold))
		stroke := colPaper
		if mp.Outlier {
			stroke = colBad
		}
		s.raw(`<g>`)
		s.tooltip(fmt.Sprintf("%s: point %d (%s); median %s", prof.Code, mp.Preferred, pointLabel(q, mp.Preferred), fmtPoint(mp.Median)))
		s.raw(`<circle class="member-dot" cx="%s" cy="%s" r="7" fill="%s" stroke="%s" stroke-width="2.5" data-point="%d"/>`, num(x(float64(mp.Preferred))), num(y), colNavy, stroke, mp.Preferred)
		s.raw(`</g>`)
		var flags []string
		if mp.Outlier {
			flags = append(flags, "outlier")
		}
		if mp.RedLine {
			flags = append(flags, "red line")
		}
		switch {
		case mp.Holdout:
			flags = append(flags, "holdout")
		case mp.Blocking:
			flags = append(flags, "not accepting")
		}
		s.lines(dotFlagX, y-float64(len(flags)-1)*6.5+4, 13, flags, fmt.Sprintf(`font-size="11" font-weight="700" fill="%s"`, colBad))
	}
	return s.html()
}

// posKey identifies a member's position on a question.
type posKey struct{ member, question string }

// positionIndex indexes positions by member and question; the last position
// of a pair wins (the store hands over one position per pair).
func positionIndex(positions []consensus.Position) map[posKey]consensus.Position {
	out := make(map[posKey]consensus.Position, len(positions))
	for _, p := range positions {
		out[posKey{p.MemberCode, p.QuestionKey}] = p
	}
	return out
}

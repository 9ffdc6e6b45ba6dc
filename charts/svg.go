package charts

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Colours shared by the charts; they match the application's stylesheet.
const (
	colNavy     = "#14325c"
	colNavyDim  = "#b9c8de"
	colGold     = "#c9a227"
	colGoldText = "#6b5510"
	colInk      = "#1b2430"
	colMuted    = "#5a6675"
	colGrid     = "#d5dbe3"
	colAxis     = "#8894a3"
	colGround   = "#e3efe5"
	colGroundLn = "#1b6e3c"
	colBad      = "#a12622"
	colPaper    = "#ffffff"
)

// fontFamily is the sans-serif stack of the application, for SVG text.
const fontFamily = `"Segoe UI", "Helvetica Neue", Helvetica, Arial, "Noto Sans", "Liberation Sans", sans-serif`

// halo outlines text in white so that it stays legible over lines.
const halo = ` stroke="#ffffff" stroke-width="3.5" stroke-linejoin="round" paint-order="stroke"`

// svgDoc accumulates the markup of one SVG image. Every string that comes
// from data goes through esc (text) or an attribute helper.
type svgDoc struct {
	b strings.Builder
}

// newSVG opens an <svg role="img"> of the given intrinsic size with its
// <title> and <desc>, referenced by aria-labelledby. id must be unique on
// the page; it is sanitised.
func newSVG(id string, w, h float64, class, title, desc string) *svgDoc {
	id = safeID(id)
	s := &svgDoc{}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart %s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title %s-desc" font-family="%s" font-size="12" fill="%s">`,
		esc(class), num(w), num(h), num(w), num(h), id, id, esc(fontFamily), colInk)
	fmt.Fprintf(&s.b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
	return s
}

// raw appends trusted markup (built by this package from numbers and
// constants only).
func (s *svgDoc) raw(format string, args ...any) {
	fmt.Fprintf(&s.b, format, args...)
}

// rect draws a rectangle; extra holds trusted attributes.
func (s *svgDoc) rect(x, y, w, h float64, extra string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(math.Max(w, 0)), num(math.Max(h, 0)), extra)
}

// line draws a line; extra holds trusted attributes.
func (s *svgDoc) line(x1, y1, x2, y2 float64, extra string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`, num(x1), num(y1), num(x2), num(y2), extra)
}

// text writes escaped text at (x, y); extra holds trusted attributes.
func (s *svgDoc) text(x, y float64, content, extra string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" %s>%s</text>`, num(x), num(y), extra, esc(content))
}

// lines writes several lines of escaped text, the first baseline at y.
func (s *svgDoc) lines(x, y, lineHeight float64, content []string, extra string) {
	if len(content) == 0 {
		return
	}
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" %s>`, num(x), num(y), extra)
	for i, l := range content {
		dy := 0.0
		if i > 0 {
			dy = lineHeight
		}
		fmt.Fprintf(&s.b, `<tspan x="%s" dy="%s">%s</tspan>`, num(x), num(dy), esc(l))
	}
	s.b.WriteString(`</text>`)
}

// tooltip writes a <title> child (the caller opens and closes the group).
func (s *svgDoc) tooltip(content string) {
	fmt.Fprintf(&s.b, `<title>%s</title>`, esc(content))
}

// html closes the SVG and returns it as trusted HTML.
func (s *svgDoc) html() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) //nolint:gosec // every data string is escaped by esc
}

// esc escapes text for XML and HTML (<, >, &, ' and ").
func esc(s string) string { return template.HTMLEscapeString(s) }

// num formats a coordinate with at most two decimals, without trailing zeros.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// safeID keeps letters, digits, '-' and '_' so that an id can be used in
// attributes and references without escaping.
func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "chart"
	}
	return b.String()
}

// charWidth estimates the mean advance of a character of the sans-serif
// font at the given size; labels are wrapped with it.
func charWidth(fontSize float64) float64 { return 0.53 * fontSize }

// wrap breaks s into at most maxLines lines of at most maxChars characters,
// at spaces or after hyphens where possible, inside a word only when the
// word alone is longer than a line. When s does not fit, the last line ends
// with an ellipsis and truncated is true (the full text then belongs in a
// tooltip and in the table next to the chart).
func wrap(s string, maxChars, maxLines int) (lines []string, truncated bool) {
	if maxChars < 4 {
		maxChars = 4
	}
	if maxLines < 1 {
		maxLines = 1
	}
	type token struct {
		text string
		glue bool // follows the previous token without a space
	}
	var tokens []token
	for _, w := range strings.Fields(s) {
		glue := false
		for w != "" {
			part := w
			if i := strings.IndexRune(w, '-'); i > 0 && i < len(w)-1 {
				part = w[:i+1]
			}
			w = w[len(part):]
			for utf8.RuneCountInString(part) > maxChars { // longer than a line
				r := []rune(part)
				tokens = append(tokens, token{string(r[:maxChars-1]) + "-", glue})
				part, glue = string(r[maxChars-1:]), true
			}
			tokens = append(tokens, token{part, glue})
			glue = true
		}
	}
	var cur string
	for _, t := range tokens {
		sep := " "
		if t.glue {
			sep = ""
		}
		switch {
		case cur == "":
			cur = t.text
		case utf8.RuneCountInString(cur)+len(sep)+utf8.RuneCountInString(t.text) <= maxChars:
			cur += sep + t.text
		default:
			lines = append(lines, cur)
			cur = t.text
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(lines) <= maxLines {
		return lines, false
	}
	lines = lines[:maxLines]
	last := []rune(lines[maxLines-1])
	if len(last) > maxChars-1 {
		// Cut at the last space that leaves room for the ellipsis, or
		// inside the word when there is none.
		cut := maxChars - 1
		for i := cut; i > 0; i-- {
			if last[i] == ' ' {
				cut = i
				break
			}
		}
		last = last[:cut]
	}
	lines[maxLines-1] = strings.TrimRight(string(last), " -") + "…"
	return lines, true
}

// niceStep returns a round tick step (1, 2, 5 × 10ⁿ, at least 1) giving
// about target ticks up to max.
func niceStep(max float64, target int) float64 {
	if max <= 0 || target < 1 {
		return 1
	}
	raw := max / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * mag
		if step >= raw {
			break
		}
	}
	return math.Max(1, step)
}

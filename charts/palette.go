package charts

import (
	"fmt"
	"html/template"
	"math"
)

// blocStyles are the colours and marker shapes of blocs 1, 2, …: the
// Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002) without
// its yellow, which is too pale on white, each with its own shape so that
// blocs stay apart in greyscale and for every kind of colour-vision
// deficiency.
var blocStyles = []struct {
	Color, Name, Shape string
}{
	{"#0072B2", "blue", "circle"},
	{"#E69F00", "orange", "square"},
	{"#009E73", "green", "triangle"},
	{"#CC79A7", "purple", "diamond"},
	{"#D55E00", "vermilion", "down"},
	{"#56B4E9", "sky blue", "hexagon"},
	{"#000000", "black", "circle"},
}

// blocStyle returns the style of bloc id (1-based); 0 or less is grey.
func blocStyle(id int) (color, name, shape string) {
	if id < 1 {
		return colAxis, "grey", "circle"
	}
	s := blocStyles[(id-1)%len(blocStyles)]
	return s.Color, s.Name, s.Shape
}

// marker draws a marker of the given shape centred on (cx, cy), with a
// radius of about r.
func (s *svgDoc) marker(shape string, cx, cy, r float64, extra string) {
	switch shape {
	case "square":
		a := r * 0.9
		s.rect(cx-a, cy-a, 2*a, 2*a, extra)
	case "triangle":
		h := r * 1.15
		s.raw(`<path d="M%s %sL%s %sL%s %sZ" %s/>`, num(cx), num(cy-h), num(cx+h), num(cy+h*0.75), num(cx-h), num(cy+h*0.75), extra)
	case "down":
		h := r * 1.15
		s.raw(`<path d="M%s %sL%s %sL%s %sZ" %s/>`, num(cx), num(cy+h), num(cx+h), num(cy-h*0.75), num(cx-h), num(cy-h*0.75), extra)
	case "diamond":
		h := r * 1.25
		s.raw(`<path d="M%s %sL%s %sL%s %sL%s %sZ" %s/>`, num(cx), num(cy-h), num(cx+h), num(cy), num(cx), num(cy+h), num(cx-h), num(cy), extra)
	case "hexagon":
		d := ""
		for i := range 6 {
			a := math.Pi / 3 * float64(i)
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			d += fmt.Sprintf("%s%s %s", cmd, num(cx+r*1.1*math.Cos(a)), num(cy+r*1.1*math.Sin(a)))
		}
		s.raw(`<path d="%sZ" %s/>`, d, extra)
	default:
		s.raw(`<circle cx="%s" cy="%s" r="%s" %s/>`, num(cx), num(cy), num(r), extra)
	}
}

// BlocSwatch returns a small decorative SVG of bloc id's marker, for
// tables and legends (the bloc is always named in text beside it).
func BlocSwatch(id int) template.HTML {
	color, _, shape := blocStyle(id)
	s := &svgDoc{}
	s.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="swatch" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">`)
	s.marker(shape, 8, 8, 5.5, fmt.Sprintf(`fill="%s" stroke="%s" stroke-width="1"`, color, colPaper))
	return s.html()
}

// Deviation classes of the heatmap: seven classes of the signed deviation
// (preferred − median)/(k − 1), symmetric around 0.
//
//	0      the member is on the median
//	±1     0 < |d| <= 0.25  (up to one point on a 5-point scale)
//	±2     0.25 < |d| < 0.5
//	±3     |d| >= 0.5       (half the scale or more: an outlier)
//
// The ±3 bound is the outlier rule of the consensus package, so the darkest
// cells are exactly the outliers.
const (
	devNear = 0.25
	devFar  = 0.5
	devEps  = 1e-9
)

// DeviationClass returns the class (−3..3) of a signed deviation.
func DeviationClass(d float64) int {
	a := math.Abs(d)
	c := 0
	switch {
	case a < devEps:
		return 0
	case a <= devNear+devEps:
		c = 1
	case a < devFar-devEps:
		c = 2
	default:
		c = 3
	}
	if d < 0 {
		return -c
	}
	return c
}

// deviationCSS returns the CSS class of a deviation class (dev-m3 … dev-0
// … dev-p3), coloured in report.css with ColorBrewer PuOr (7 classes):
// orange below the median, purple above, neutral grey at it.
func deviationCSS(class int) string {
	switch {
	case class < 0:
		return fmt.Sprintf("dev-m%d", -class)
	case class > 0:
		return fmt.Sprintf("dev-p%d", class)
	}
	return "dev-0"
}

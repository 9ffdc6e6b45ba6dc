package charts

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"concord/consensus"
)

// element is one parsed SVG element: its name, attributes and the text it
// contains (its own and its descendants').
type element struct {
	name  string
	attrs map[string]string
	text  string
}

func (e *element) num(t *testing.T, attr string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs[attr], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", e.name, attr, e.attrs[attr], err)
	}
	return v
}

func (e *element) hasClass(c string) bool {
	for _, f := range strings.Fields(e.attrs["class"]) {
		if f == c {
			return true
		}
	}
	return false
}

// parseSVG checks that markup is one well-formed XML document rooted at
// <svg> and returns its elements in document order.
func parseSVG(t *testing.T, markup template.HTML) []*element {
	t.Helper()
	if markup == "" {
		t.Fatal("empty chart")
	}
	d := xml.NewDecoder(strings.NewReader(string(markup)))
	d.Strict = true
	var all, open []*element
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, markup)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tk.Name.Local != "svg" {
					t.Fatalf("root element is <%s>, want <svg>", tk.Name.Local)
				}
			}
			depth++
			e := &element{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			all = append(all, e)
			open = append(open, e)
		case xml.EndElement:
			depth--
			open = open[:len(open)-1]
		case xml.CharData:
			for _, e := range open {
				e.text += string(tk)
			}
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("want exactly one closed <svg>, got %d roots, depth %d", roots, depth)
	}
	return all
}

// checkAccessible checks role="img" and that aria-labelledby names the
// <title> and <desc> of the SVG.
func checkAccessible(t *testing.T, els []*element) {
	t.Helper()
	root := els[0]
	if root.attrs["role"] != "img" {
		t.Errorf("role = %q, want img", root.attrs["role"])
	}
	ids := map[string]string{}
	for _, e := range els {
		if id := e.attrs["id"]; id != "" {
			ids[id] = e.name
		}
	}
	refs := strings.Fields(root.attrs["aria-labelledby"])
	if len(refs) != 2 || ids[refs[0]] != "title" || ids[refs[1]] != "desc" {
		t.Errorf("aria-labelledby = %q does not name a <title> and a <desc> (ids %v)", root.attrs["aria-labelledby"], ids)
	}
}

func find(els []*element, name, class string) []*element {
	var out []*element
	for _, e := range els {
		if e.name == name && (class == "" || e.hasClass(class)) {
			out = append(out, e)
		}
	}
	return out
}

var fiveLabels = []string{"Freeze", "Hotline only", "Technical talks", "Ambassador talks", "Full revival"}

// scalePos is a scale position: preferred point and acceptable range.
type scalePos struct {
	code           string
	pref, lo, hi   int
	importance     consensus.Importance
	rationale      string
	answer, option string
}

// analyze builds a report with one question of the given kind from
// positions; members are the codes used, in order.
func analyze(t *testing.T, q consensus.Question, codes []string, pos []scalePos) (*consensus.Report, []consensus.Position) {
	t.Helper()
	in := consensus.Input{Questions: []consensus.Question{q}}
	for _, c := range codes {
		in.Members = append(in.Members, consensus.Member{Code: c, Name: "Member " + c})
	}
	for _, p := range pos {
		in.Positions = append(in.Positions, consensus.Position{MemberCode: p.code, QuestionKey: q.Key,
			Preferred: p.pref, AcceptMin: p.lo, AcceptMax: p.hi, Importance: p.importance, Rationale: p.rationale,
			Answer: p.answer, Option: p.option})
	}
	return consensus.Analyze(in), in.Positions
}

func scaleQuestion(points ...string) consensus.Question {
	if len(points) == 0 {
		points = fiveLabels
	}
	return consensus.Question{Key: "council", Section: "Dialogue", Text: "Should the Council be revived?", Kind: consensus.KindScale, Points: points}
}

var codes6 = []string{"AAA", "BBB", "CCC", "DDD", "EEE", "FFF"}

func prefs(points ...int) []scalePos {
	out := make([]scalePos, len(points))
	for i, p := range points {
		out[i] = scalePos{code: codes6[i], pref: p}
	}
	return out
}

func TestScaleChartBarsAndMedian(t *testing.T) {
	tests := []struct {
		name       string
		pos        []scalePos
		wantCounts []int
		wantMedian float64 // 0: no median marker
	}{
		{"odd number of answers", prefs(1, 2, 2, 3, 5), []int{1, 2, 1, 0, 1}, 2},
		{"even number, median between two points", prefs(1, 2, 3, 4), []int{1, 1, 1, 1, 0}, 2.5},
		{"all on one point", prefs(3, 3, 3), []int{0, 0, 3, 0, 0}, 3},
		{"median on the first point", prefs(1, 1, 1, 5), []int{3, 0, 0, 0, 1}, 1},
		{"no answer", nil, []int{0, 0, 0, 0, 0}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := analyze(t, scaleQuestion(), codes6, tc.pos)
			els := parseSVG(t, ScaleChart(&rep.Questions[0], "c1", 0))
			checkAccessible(t, els)
			bars := find(els, "rect", "bar")
			if len(bars) != 5 {
				t.Fatalf("%d bars, want 5", len(bars))
			}
			perMember := 0.0
			centers := map[int]float64{}
			for i, b := range bars {
				count, _ := strconv.Atoi(b.attrs["data-count"])
				if count != tc.wantCounts[i] {
					t.Errorf("bar %d: count %d, want %d", i+1, count, tc.wantCounts[i])
				}
				h := b.num(t, "height")
				switch {
				case count == 0 && h != 0:
					t.Errorf("bar %d: height %v for no member", i+1, h)
				case count > 0:
					r := h / float64(count)
					if perMember == 0 {
						perMember = r
					} else if math.Abs(r-perMember) > 0.02 {
						t.Errorf("bar %d: %v px per member, want %v (heights not proportional)", i+1, r, perMember)
					}
				}
				centers[i+1] = b.num(t, "x") + b.num(t, "width")/2
			}
			medians := find(els, "path", "median")
			if tc.wantMedian == 0 {
				if len(medians) != 0 {
					t.Fatalf("median marker drawn with no answer")
				}
				return
			}
			if len(medians) != 1 {
				t.Fatalf("%d median markers, want 1", len(medians))
			}
			lo, hi := int(math.Floor(tc.wantMedian)), int(math.Ceil(tc.wantMedian))
			want := (centers[lo] + centers[hi]) / 2
			for _, seg := range medianSegments(t, medians[0]) {
				if math.Abs(seg.x-want) > 0.02 {
					t.Errorf("median segment at x=%v, want %v (median %v)", seg.x, want, tc.wantMedian)
				}
			}
		})
	}
}

// segment is a vertical run of a path, from y0 down to y1.
type segment struct{ x, y0, y1 float64 }

// medianSegments reads the vertical segments of the median's path, drawn
// as "Mx y0Vy1" runs.
func medianSegments(t *testing.T, e *element) []segment {
	t.Helper()
	var out []segment
	for _, run := range strings.Split(e.attrs["d"], "M")[1:] {
		var x, y0, y1 float64
		if _, err := fmt.Sscanf(strings.Replace(run, "V", " ", 1), "%g %g %g", &x, &y0, &y1); err != nil {
			t.Fatalf("median path %q: %v", e.attrs["d"], err)
		}
		out = append(out, segment{x, y0, y1})
	}
	return out
}

// TestScaleChartMedianSparesCountLabels: the median line never runs
// through the count written above a bar; where it would, it leaves a gap.
func TestScaleChartMedianSparesCountLabels(t *testing.T) {
	tests := []struct {
		name     string
		pos      []scalePos
		wantGaps int // segments − 1
	}{
		{"median on a bar crosses its count", prefs(1, 2, 2, 3, 5), 1},
		{"median on the tallest bar", prefs(3, 3, 3), 1},
		{"median between two bars crosses no count", prefs(1, 2, 3, 4), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := analyze(t, scaleQuestion(), codes6, tc.pos)
			els := parseSVG(t, ScaleChart(&rep.Questions[0], "c1", 0))
			segs := medianSegments(t, find(els, "path", "median")[0])
			if len(segs)-1 != tc.wantGaps {
				t.Errorf("%d gaps in the median line, want %d", len(segs)-1, tc.wantGaps)
			}
			for _, c := range find(els, "text", "count") {
				x, y := c.num(t, "x"), c.num(t, "y")
				half := float64(len(c.text))*charWidth(13)/2 + 1
				for _, sg := range segs {
					// The count's box: its width, from the cap height to the baseline.
					if sg.x >= x-half && sg.x <= x+half && sg.y0 < y && sg.y1 > y-10 {
						t.Errorf("median segment %+v crosses the count %q at (%v, %v)", sg, c.text, x, y)
					}
				}
			}
		})
	}
}

// TestScaleChartStatusQuo: the status quo point is framed under the axis
// and named in words, in the chart and in its description.
func TestScaleChartStatusQuo(t *testing.T) {
	tests := []struct {
		name      string
		statusQuo int
		want      int // framed point; 0 = none
	}{
		{"second point", 2, 2},
		{"last point", 5, 5},
		{"none", 0, 0},
		{"outside the scale", 6, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := analyze(t, scaleQuestion(), codes6, prefs(1, 2, 2, 3, 5))
			els := parseSVG(t, ScaleChart(&rep.Questions[0], "c1", tc.statusQuo))
			checkAccessible(t, els)
			frames := find(els, "rect", "status-quo")
			var desc string
			for _, e := range find(els, "desc", "") {
				desc = e.text
			}
			labelled := false
			for _, e := range find(els, "text", "") {
				if e.text == "Status quo" {
					labelled = true
				}
			}
			if tc.want == 0 {
				if len(frames) != 0 || labelled || strings.Contains(desc, "Status quo") {
					t.Errorf("status quo marked although there is none")
				}
				return
			}
			if len(frames) != 1 || frames[0].attrs["data-point"] != strconv.Itoa(tc.want) || !labelled {
				t.Fatalf("status quo frames %v (labelled %v), want point %d", frames, labelled, tc.want)
			}
			bars := find(els, "rect", "bar")
			center := bars[tc.want-1].num(t, "x") + bars[tc.want-1].num(t, "width")/2
			if fc := frames[0].num(t, "x") + frames[0].num(t, "width")/2; math.Abs(fc-center) > 0.02 {
				t.Errorf("frame centred at %v, bar %d at %v", fc, tc.want, center)
			}
			if want := fmt.Sprintf("Status quo: point %d (%s).", tc.want, fiveLabels[tc.want-1]); !strings.Contains(desc, want) {
				t.Errorf("description %q lacks %q", desc, want)
			}
		})
	}
}

func TestScaleChartCommonGround(t *testing.T) {
	tests := []struct {
		name       string
		pos        []scalePos
		wantGround *consensus.Range
		// best and accepting are the report's best point and its count,
		// set by hand: without common ground the chart outlines the best
		// point (0 = none).
		best, accepting int
	}{
		{"overlapping ranges", []scalePos{{code: "AAA", pref: 2, lo: 2, hi: 4}, {code: "BBB", pref: 3, lo: 1, hi: 4}, {code: "CCC", pref: 4, lo: 3, hi: 5}},
			&consensus.Range{Lo: 3, Hi: 4}, 3, 3},
		{"a single shared point", []scalePos{{code: "AAA", pref: 1, lo: 1, hi: 3}, {code: "BBB", pref: 3, lo: 3, hi: 5}},
			&consensus.Range{Lo: 3, Hi: 3}, 3, 2},
		// Point 1 is accepted by AAA and BBB, every other point by one member.
		{"two extremes", []scalePos{{code: "AAA", pref: 1}, {code: "BBB", pref: 2, lo: 1, hi: 3}, {code: "CCC", pref: 5}},
			nil, 1, 2},
		{"no answer", nil, nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := analyze(t, scaleQuestion(), codes6, tc.pos)
			q := &rep.Questions[0]
			q.BestPoint, q.Accepting = tc.best, tc.accepting
			els := parseSVG(t, ScaleChart(q, "c2", 0))
			bands := find(els, "rect", "common-ground")
			outlines := find(els, "rect", "best-point")
			bars := find(els, "rect", "bar")
			if tc.wantGround == nil {
				if len(bands) != 0 {
					t.Errorf("common ground shaded although there is none")
				}
			} else {
				if len(bands) != 1 {
					t.Fatalf("%d common-ground bands, want 1", len(bands))
				}
				if len(outlines) != 0 {
					t.Errorf("best point outlined beside the common ground")
				}
				b := bands[0]
				x0, x1 := b.num(t, "x"), b.num(t, "x")+b.num(t, "width")
				for p, bar := range bars {
					c := bar.num(t, "x") + bar.num(t, "width")/2
					inside := c > x0 && c < x1
					if want := p+1 >= tc.wantGround.Lo && p+1 <= tc.wantGround.Hi; inside != want {
						t.Errorf("point %d inside the band = %v, want %v", p+1, inside, want)
					}
				}
				return
			}
			if tc.best == 0 {
				if len(outlines) != 0 {
					t.Errorf("best point outlined, want none")
				}
				return
			}
			if len(outlines) != 1 || outlines[0].attrs["data-point"] != strconv.Itoa(tc.best) {
				t.Fatalf("best-point outline %v, want point %d", outlines, tc.best)
			}
			label := fmt.Sprintf("%d of %d accept", tc.accepting, len(tc.pos))
			found := false
			for _, e := range find(els, "text", "") {
				found = found || e.text == label
			}
			if !found {
				t.Errorf("no label %q over the best point", label)
			}
		})
	}
}

func TestChartsEscapeLabels(t *testing.T) {
	const nasty = `A < B & "C" 'D'`
	const script = `<script>alert("x")</script>`
	q := consensus.Question{Key: "k", Text: "Q " + script + " & co", Kind: consensus.KindScale,
		Points: []string{nasty, "two", "three"}}
	rep, _ := analyze(t, q, codes6, []scalePos{{code: "AAA", pref: 1}, {code: "BBB", pref: 3}})
	choice := consensus.Question{Key: "c", Text: "Pick " + script, Kind: consensus.KindChoice, Options: []string{nasty, "Other"}}
	crep, _ := analyze(t, choice, codes6, []scalePos{{code: "AAA", option: nasty}, {code: "BBB", option: "Other"}})
	tests := []struct {
		name     string
		chart    template.HTML
		wantText []string // texts that must come back intact after parsing
	}{
		{"scale", ScaleChart(&rep.Questions[0], `id"><x`, 0), []string{"Distribution of positions: Q " + script + " & co", nasty}},
		{"choice", ChoiceChart(&crep.Questions[0], "c"), []string{"Support for each option: Pick " + script, nasty}},
		{"member", MemberChart(rep, "AAA", nil, "m"), []string{"Q " + script + " & co"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(string(tc.chart), "<script") {
				t.Fatalf("unescaped markup in chart:\n%s", tc.chart)
			}
			els := parseSVG(t, tc.chart)
			checkAccessible(t, els)
			for _, want := range tc.wantText {
				found := false
				for _, e := range els {
					if (e.name == "title" || e.name == "text") && strings.Contains(e.text, want) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("text %q not found intact in the chart", want)
				}
			}
		})
	}
}

func TestChoiceChartBars(t *testing.T) {
	q := consensus.Question{Key: "c", Text: "Which?", Kind: consensus.KindChoice,
		Options: []string{"Keep it", "Suspend it until the other side complies with every commitment it made", "Void it"}}
	rep, _ := analyze(t, q, codes6, []scalePos{
		{code: "AAA", option: "Keep it"}, {code: "BBB", option: "Keep it"}, {code: "CCC", option: "Keep it"},
		{code: "DDD", option: "Void it"}})
	els := parseSVG(t, ChoiceChart(&rep.Questions[0], "c"))
	checkAccessible(t, els)
	bars := find(els, "rect", "bar")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}
	want := []int{3, 0, 1}
	w3 := bars[0].num(t, "width")
	for i, b := range bars {
		if got, _ := strconv.Atoi(b.attrs["data-count"]); got != want[i] {
			t.Errorf("bar %d: count %d, want %d", i, got, want[i])
		}
		if got, exp := b.num(t, "width"), w3*float64(want[i])/3; math.Abs(got-exp) > 0.02 {
			t.Errorf("bar %d: width %v, want %v", i, got, exp)
		}
	}
	if !bars[0].hasClass("plurality") || bars[2].hasClass("plurality") {
		t.Errorf("plurality bar not marked: %v / %v", bars[0].attrs, bars[2].attrs)
	}
}

func TestChartsOfOtherKindsAreEmpty(t *testing.T) {
	text := consensus.Question{Key: "t", Text: "Anything else?", Kind: consensus.KindText}
	rep, _ := analyze(t, text, codes6, []scalePos{{code: "AAA", answer: "Yes."}})
	q := &rep.Questions[0]
	if ScaleChart(q, "x", 0) != "" || ChoiceChart(q, "x") != "" || ScaleChart(nil, "x", 0) != "" {
		t.Error("a chart was drawn for a text question")
	}
	if MemberChart(rep, "AAA", nil, "x") != "" {
		t.Error("member chart drawn without scale question")
	}
	if MemberChart(rep, "ZZZ", nil, "x") != "" {
		t.Error("member chart drawn for an unknown member")
	}
	if OpinionMapChart(rep, "x") != "" {
		t.Error("opinion map drawn without placed member")
	}
	if ClassChart(rep, "x") != "" {
		t.Error("class chart drawn without ranked question")
	}
}

// mapReport builds a report with two scale questions whose answers spread
// members over the opinion map.
func mapReport(t *testing.T, n int) *consensus.Report {
	t.Helper()
	in := consensus.Input{Questions: []consensus.Question{
		{Key: "q1", Text: "One", Kind: consensus.KindScale, Points: []string{"1", "2", "3", "4", "5", "6", "7"}},
		{Key: "q2", Text: "Two", Kind: consensus.KindScale, Points: []string{"1", "2", "3", "4", "5", "6", "7"}},
		{Key: "q3", Text: "Three", Kind: consensus.KindScale, Points: []string{"1", "2", "3", "4", "5"}},
	}}
	for i := range n {
		code := fmt.Sprintf("M%02d", i)
		in.Members = append(in.Members, consensus.Member{Code: code, Name: "Member " + code})
		in.Positions = append(in.Positions,
			consensus.Position{MemberCode: code, QuestionKey: "q1", Preferred: 1 + i%7},
			consensus.Position{MemberCode: code, QuestionKey: "q2", Preferred: 1 + (i*3)%7},
			consensus.Position{MemberCode: code, QuestionKey: "q3", Preferred: 1 + (i/7)%5})
	}
	return consensus.Analyze(in)
}

func TestOpinionMapChart(t *testing.T) {
	tests := []struct {
		name    string
		members int
	}{
		{"three members", 3},
		{"a dozen members", 12},
		{"thirty-two members", 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := mapReport(t, tc.members)
			els := parseSVG(t, OpinionMapChart(rep, "map"))
			checkAccessible(t, els)
			var labels string
			for _, e := range find(els, "text", "map-label") {
				labels += " " + e.text
			}
			for _, p := range rep.Map.Points {
				if !strings.Contains(labels, p.Member) {
					t.Errorf("member %s has no label", p.Member)
				}
			}
			var axes string
			for _, e := range find(els, "text", "") {
				if e.hasClass("axis-x") || e.hasClass("axis-y") {
					axes += e.text + "|"
				}
			}
			for _, want := range []string{fmtPct(100 * rep.Map.Explained[0]), fmtPct(100 * rep.Map.Explained[1])} {
				if !strings.Contains(axes, want) {
					t.Errorf("axis titles %q do not give the explained variance %s", axes, want)
				}
			}
		})
	}
}

func TestMapLabelsDoNotOverlap(t *testing.T) {
	plot := box{0, 0, 800, 500}
	var clusters []mapCluster
	for i := range 5 {
		for j := range 4 {
			c := mapCluster{x: 120 + float64(i)*130, y: 80 + float64(j)*110,
				members: []consensus.MapPoint{{Member: fmt.Sprintf("C%d%d", i, j)}}, r: 6, label: []string{fmt.Sprintf("C%d%d", i, j)}, lw: 30, lh: mapLineH}
			clusters = append(clusters, c)
		}
	}
	// A crowded corner: three places a few pixels apart.
	for k := range 3 {
		clusters = append(clusters, mapCluster{x: 700 + float64(k)*9, y: 450, r: 6,
			members: []consensus.MapPoint{{Member: "X"}}, label: []string{"XYZ ABC"}, lw: 52, lh: mapLineH})
	}
	boxes, _ := placeLabels(clusters, plot)
	for i := range boxes {
		if boxes[i].outside(plot) > 0 {
			t.Errorf("label %d %v leaves the plot", i, boxes[i])
		}
		for j := range boxes {
			if i != j && boxes[i].overlap(boxes[j]) > 0 {
				t.Errorf("labels %d %v and %d %v overlap", i, boxes[i], j, boxes[j])
			}
		}
		for j, c := range clusters {
			marker := box{c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r}
			if boxes[i].overlap(marker) > 0 {
				t.Errorf("label %d covers the marker of %d", i, j)
			}
		}
	}
}

func TestClusterPointsMergesCoincidentMembers(t *testing.T) {
	pts := []consensus.MapPoint{{Member: "BBB", X: 0, Y: 0}, {Member: "AAA", X: 0.001, Y: 0}, {Member: "CCC", X: 1, Y: 1}}
	id := func(v float64) float64 { return v * 100 }
	got := clusterPoints(pts, id, id)
	if len(got) != 2 {
		t.Fatalf("%d clusters, want 2", len(got))
	}
	if strings.Join(got[0].label, "/") != "AAA BBB" || strings.Join(got[1].label, "/") != "CCC" {
		t.Errorf("labels %q and %q, want \"AAA BBB\" and \"CCC\"", got[0].label, got[1].label)
	}
}

func TestMemberChart(t *testing.T) {
	rep, pos := analyze(t, scaleQuestion(), codes6, []scalePos{
		{code: "AAA", pref: 1, lo: 1, hi: 2, importance: consensus.ImportanceRedLine},
		{code: "BBB", pref: 3, lo: 2, hi: 4}, {code: "CCC", pref: 3}, {code: "DDD", pref: 4}, {code: "FFF", pref: 3}})
	// Five respond; AAA alone is half the scale from the median 3: a
	// reported outlier (fewer than a quarter of the respondents).
	els := parseSVG(t, MemberChart(rep, "AAA", pos, "m"))
	checkAccessible(t, els)
	dots := find(els, "circle", "member-dot")
	if len(dots) != 1 || dots[0].attrs["data-point"] != "1" {
		t.Fatalf("member dots %v, want one at point 1", dots)
	}
	accept := find(els, "line", "accept")
	if len(accept) != 1 || accept[0].num(t, "x2") <= accept[0].num(t, "x1") {
		t.Errorf("acceptable range 1–2 not drawn as a bar: %v", accept)
	}
	// AAA's range is a red line: hard edges at both ends.
	if edges := find(els, "line", "red-line-edge"); len(edges) != 2 ||
		edges[0].num(t, "x1") != accept[0].num(t, "x1") || edges[1].num(t, "x1") != accept[0].num(t, "x2") {
		t.Errorf("red-line edges %v, want one at each end of the range", edges)
	}
	// BBB's ordinary range has none.
	if edges := find(parseSVG(t, MemberChart(rep, "BBB", pos, "mb")), "line", "red-line-edge"); len(edges) != 0 {
		t.Errorf("an ordinary range drawn with red-line edges: %v", edges)
	}
	var flags string
	for _, e := range find(els, "text", "") {
		flags += e.text + "|"
	}
	for _, want := range []string{"outlier", "red line"} {
		if !strings.Contains(flags, want) {
			t.Errorf("flag %q missing", want)
		}
	}
	// A member without an answer gets "no answer", not a dot.
	els = parseSVG(t, MemberChart(rep, "EEE", pos, "m2"))
	if len(find(els, "circle", "member-dot")) != 0 {
		t.Error("a dot drawn for a member without an answer")
	}
}

func TestClassChart(t *testing.T) {
	rep := &consensus.Report{ClassCounts: map[consensus.Classification]int{consensus.Consensus: 2, consensus.Divided: 1}}
	els := parseSVG(t, ClassChart(rep, "cc"))
	checkAccessible(t, els)
	seg := find(els, "rect", "segment")
	if len(seg) != 2 {
		t.Fatalf("%d segments, want 2", len(seg))
	}
	if w0, w1 := seg[0].num(t, "width"), seg[1].num(t, "width"); math.Abs(w0-2*w1) > 0.02 {
		t.Errorf("segment widths %v and %v not proportional to 2 and 1", w0, w1)
	}
}

func TestDeviationClass(t *testing.T) {
	tests := []struct {
		name string
		d    float64
		want int
	}{
		{"on the median", 0, 0},
		{"half a point on 5 points", 0.125, 1},
		{"one point on 5 points", 0.25, 1},
		{"one point on 7 points", -1.0 / 6, -1},
		{"two points on 7 points", 2.0 / 6, 2},
		{"one and a half points on 5 points", -0.375, -2},
		{"half the scale (outlier)", 0.5, 3},
		{"the far end", -1, -3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DeviationClass(tc.d); got != tc.want {
				t.Errorf("DeviationClass(%v) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		chars, lines  int
		want          []string
		wantTruncated bool
	}{
		{"fits on one line", "Keep it frozen", 20, 2, []string{"Keep it frozen"}, false},
		{"wraps at spaces", "Faster rotations of forces", 12, 3, []string{"Faster", "rotations of", "forces"}, false},
		{"breaks after a hyphen", "Technical risk-reduction talks", 15, 3, []string{"Technical risk-", "reduction talks"}, false},
		{"keeps a hyphenated word whole when it fits", "forward-deployed forces", 16, 2, []string{"forward-deployed", "forces"}, false},
		{"splits a hyphenated word at its hyphen", "forward-deployed forces", 10, 3, []string{"forward-", "deployed", "forces"}, false},
		{"breaks a word longer than a line", "Comprehensiveness", 8, 3, []string{"Compreh-", "ensiven-", "ess"}, false},
		{"truncated at a word with an ellipsis", "Permanent brigades and division sets", 12, 2, []string{"Permanent", "brigades…"}, true},
		{"empty", "", 10, 2, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, tr := wrap(tc.in, tc.chars, tc.lines)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || tr != tc.wantTruncated {
				t.Errorf("wrap(%q, %d, %d) = %q, %v; want %q, %v", tc.in, tc.chars, tc.lines, got, tr, tc.want, tc.wantTruncated)
			}
			for _, l := range got {
				if n := len([]rune(l)); n > tc.chars {
					t.Errorf("line %q has %d characters, more than %d", l, n, tc.chars)
				}
			}
		})
	}
}

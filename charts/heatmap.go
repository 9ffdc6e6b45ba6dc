package charts

import (
	"cmp"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"

	"concord/consensus"
)

// Heatmap sort orders.
const (
	SortMember = "member"
	SortBloc   = "bloc"
)

// HeatColumn is a scale question of the heatmap.
type HeatColumn struct {
	Number    int // the question's stable number (Q3)
	Key       string
	Text      string
	K         int
	Responses int
	Median    float64 // meaningful only when Responses > 0
}

// HeatCell is one member's answer to one scale question.
type HeatCell struct {
	Answered                  bool
	Preferred                 int
	CSS                       string // dev-m3 … dev-0 … dev-p3
	Title                     string // the cell in words
	Outlier, RedLine, Holdout bool
	NotAccepting              bool // does not accept the best point
}

// HeatRow is one member of the heatmap.
type HeatRow struct {
	Member MemberRef
	Bloc   int
	Cells  []HeatCell
}

// HeatGroup is a run of rows: all members, or one bloc.
type HeatGroup struct {
	Label  string
	Bloc   int
	Swatch template.HTML
	Rows   []HeatRow
}

// LegendItem is one colour class of the heatmap legend.
type LegendItem struct {
	CSS, Label string
}

// Heatmap is the members × scale questions grid of deviations from the
// median.
type Heatmap struct {
	Sort string
	// Columns are the scale questions of the page shown; ColumnCount
	// counts every scale question, Pager says which page.
	Columns     []HeatColumn
	ColumnCount int
	Pager       Pager
	Groups      []HeatGroup
	Legend      []LegendItem
}

// HeatLegend describes the seven deviation classes, most below the median
// first.
func HeatLegend() []LegendItem {
	return []LegendItem{
		{"dev-m3", "half the scale or more below"},
		{"dev-m2", "clearly below"},
		{"dev-m1", "slightly below"},
		{"dev-0", "on the median"},
		{"dev-p1", "slightly above"},
		{"dev-p2", "clearly above"},
		{"dev-p3", "half the scale or more above"},
	}
}

// NewHeatmap builds the heatmap, rows sorted by member code or, with
// SortBloc, grouped by bloc (members not placed on the map last). Any
// other sort value means SortMember.
func NewHeatmap(r *consensus.Report, sort string) Heatmap {
	return NewHeatmapPage(r, sort, 1, len(r.Questions)+1, "", nil)
}

// NewHeatmapPage builds one page of the heatmap: the scale questions of
// page `page`, shown size at a time in questionnaire order, for every
// member. base and query are the page's address and query parameters,
// for the pager's links (which keep the sort order).
func NewHeatmapPage(r *consensus.Report, sort string, page, size int, base string, query url.Values) Heatmap {
	if sort != SortBloc {
		sort = SortMember
	}
	h := Heatmap{Sort: sort, Legend: HeatLegend()}
	var all []HeatColumn
	for i := range r.Questions {
		q := &r.Questions[i]
		if q.Scale == nil {
			continue
		}
		all = append(all, HeatColumn{Number: QuestionNumber(r, i), Key: q.Key, Text: q.Text, K: q.Scale.K,
			Responses: q.Coverage.Responses, Median: q.Scale.Median})
	}
	h.ColumnCount = len(all)
	h.Pager = NewPager(len(all), size, page, func(from, to int) string {
		return fmt.Sprintf("Q%d–Q%d", all[from].Number, all[to-1].Number)
	}, base, query)
	h.Columns = all[h.Pager.From:h.Pager.To]
	shown := make(map[string]bool, len(h.Columns))
	for _, col := range h.Columns {
		shown[col.Key] = true
	}
	rows := make([]HeatRow, 0, len(r.Members))
	for _, m := range sortedMembers(r) {
		byKey := make(map[string]consensus.MemberPosition, len(h.Columns))
		for _, p := range m.Positions {
			if shown[p.QuestionKey] {
				byKey[p.QuestionKey] = p
			}
		}
		row := HeatRow{Member: MemberRef{m.Code, m.Name}, Bloc: m.Bloc}
		for _, col := range h.Columns {
			p, ok := byKey[col.Key]
			if !ok {
				row.Cells = append(row.Cells, HeatCell{CSS: "dev-none", Title: fmt.Sprintf("%s did not answer Q%d %s", m.Code, col.Number, col.Key)})
				continue
			}
			cell := HeatCell{Answered: true, Preferred: p.Preferred, CSS: deviationCSS(DeviationClass(p.Deviation)),
				Outlier: p.Outlier, RedLine: p.RedLine, Holdout: p.Holdout, NotAccepting: p.Blocking}
			var notes []string
			if p.Outlier {
				notes = append(notes, "outlier")
			}
			if p.RedLine {
				notes = append(notes, "red line")
			}
			switch {
			case p.Holdout:
				notes = append(notes, "holdout")
			case p.Blocking:
				notes = append(notes, "does not accept the best point")
			}
			cell.Title = fmt.Sprintf("%s on Q%d %s: point %d of %d, median %s, deviation %+.2f", m.Code, col.Number, col.Key, p.Preferred, col.K, fmtPoint(p.Median), p.Deviation)
			if len(notes) > 0 {
				cell.Title += " (" + strings.Join(notes, ", ") + ")"
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	if sort == SortMember {
		h.Groups = []HeatGroup{{Rows: rows}}
		return h
	}
	slices.SortStableFunc(rows, func(a, b HeatRow) int {
		// Bloc 0 (not placed) last.
		ka, kb := a.Bloc, b.Bloc
		if ka == 0 {
			ka = 1 << 30
		}
		if kb == 0 {
			kb = 1 << 30
		}
		return cmp.Compare(ka, kb)
	})
	for _, row := range rows {
		if n := len(h.Groups); n == 0 || h.Groups[n-1].Bloc != row.Bloc {
			g := HeatGroup{Bloc: row.Bloc, Label: "Not placed on the map (no scale answer)"}
			if row.Bloc > 0 {
				_, cname, _ := blocStyle(row.Bloc)
				g.Label = fmt.Sprintf("Bloc %d (%s)", row.Bloc, cname)
				g.Swatch = BlocSwatch(row.Bloc)
			}
			h.Groups = append(h.Groups, g)
		}
		h.Groups[len(h.Groups)-1].Rows = append(h.Groups[len(h.Groups)-1].Rows, row)
	}
	return h
}

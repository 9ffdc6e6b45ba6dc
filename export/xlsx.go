package export

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Column widths of the workbook, in characters.
const (
	narrowWidth = 14
	wideWidth   = 60
)

// wideColumns hold long texts.
var wideColumns = map[string]bool{"question_text": true, "rationale": true, "answer_text": true, "section": true,
	"missing_members": true, "conditions": true, "text": true}

// WriteXLSX writes the tables as one workbook with a sheet per table. The
// header row is bold and frozen; numbers are stored as numbers (decimals
// rounded, with a matching number format), text as strings protected by
// [Escape].
//
// Each sheet is written with excelize's StreamWriter as the table
// produces its rows, and goes into the archive on w as soon as it is
// done: the workbook is never held whole in memory, and neither are the
// sheets already written. (A StreamWriter keeps a buffer of up to some
// 20 MB for a large sheet until its workbook is written; one workbook
// holding every sheet would keep one such buffer per large sheet.) So
// every sheet is streamed in a workbook of its own, whose archive passes
// only the sheet's part on to w; then a workbook holding the sheets'
// names, styles and relationships writes the rest of the archive, its own
// empty sheets left out. Both workbooks make their styles in the same
// order, so a cell's style number means the same in each.
func WriteXLSX(w io.Writer, tables []Table) (err error) {
	zw := zip.NewWriter(w)
	for i, t := range tables {
		if err := streamSheet(zw, i, t); err != nil {
			return fmt.Errorf("write sheet %s: %w", t.Sheet(), err)
		}
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	if _, err := newSheetStyles(f); err != nil {
		return err
	}
	for i, t := range tables {
		if _, err := addSheet(f, i, t.Sheet()); err != nil {
			return err
		}
	}
	// The first sheet is the active one already: the new file's own
	// sheet, renamed, which is selected.
	rest := &partFilter{zw: zw, skip: map[string]bool{}}
	for i := range tables {
		rest.skip[sheetPart(i)] = true
	}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return rest })
	if err := f.Write(io.Discard); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	if err := rest.err(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("close workbook archive: %w", err)
	}
	return nil
}

// streamSheet writes table t, the sheet at index i, into zw as that
// sheet's part of the workbook (see [WriteXLSX]).
func streamSheet(zw *zip.Writer, i int, t Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	styles, err := newSheetStyles(f)
	if err != nil {
		return err
	}
	// The sheet takes index i in this workbook too, so that its part has
	// the name it has in the final one, and the first sheet keeps the new
	// file's selected tab. The sheets before it stay empty and are left
	// out with the rest of this workbook.
	for j := 0; j <= i; j++ {
		if _, err := addSheet(f, j, placeholderSheet(j, i, t.Sheet())); err != nil {
			return err
		}
	}
	if err := writeSheet(f, t.Sheet(), t, styles); err != nil {
		return err
	}
	only := &partFilter{zw: zw, keep: sheetPart(i)}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return only })
	if err := f.Write(io.Discard); err != nil {
		return err
	}
	return only.err()
}

// placeholderSheet names sheet j of the workbook streaming sheet i, named
// name: the sheets before it only need names of their own.
func placeholderSheet(j, i int, name string) string {
	if j == i {
		return name
	}
	return "_" + strconv.Itoa(j)
}

// addSheet adds the sheet at index i, named name, to f: the first renames
// the new file's own sheet.
func addSheet(f *excelize.File, i int, name string) (int, error) {
	if i == 0 {
		if err := f.SetSheetName(f.GetSheetName(0), name); err != nil {
			return 0, fmt.Errorf("name sheet %s: %w", name, err)
		}
		return 0, nil
	}
	idx, err := f.NewSheet(name)
	if err != nil {
		return 0, fmt.Errorf("add sheet %s: %w", name, err)
	}
	return idx, nil
}

// sheetPart is the archive part of the sheet at index i of a workbook
// made by excelize's NewFile and NewSheet: sheets are numbered from 1 in
// the order they are made. [partFilter] checks that the parts it expects
// are the ones excelize writes.
func sheetPart(i int) string {
	return "xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml"
}

// sheetStyles are the style numbers of the workbook's cells.
type sheetStyles struct {
	header   int
	decimals map[int]int // by number of decimals
}

// newSheetStyles makes the styles of a workbook's cells in f, always in the
// same order (see [WriteXLSX]).
func newSheetStyles(f *excelize.File) (sheetStyles, error) {
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return sheetStyles{}, fmt.Errorf("workbook style: %w", err)
	}
	s := sheetStyles{header: header, decimals: map[int]int{}}
	for _, prec := range []int{2, 4} {
		format := "0." + strings.Repeat("0", prec)
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
		if err != nil {
			return sheetStyles{}, fmt.Errorf("workbook style: %w", err)
		}
		s.decimals[prec] = id
	}
	return s, nil
}

// writeSheet streams one table into its sheet: column widths and the
// frozen header first (the StreamWriter takes them before any row), then
// the header and every row as the table produces it.
func writeSheet(f *excelize.File, sheet string, t Table, styles sheetStyles) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for col, h := range t.Header {
		width := float64(narrowWidth)
		if wideColumns[h] {
			width = wideWidth
		}
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return err
		}
	}
	err = sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	if err != nil {
		return err
	}
	header := make([]any, len(t.Header))
	for col, h := range t.Header {
		header[col] = excelize.Cell{StyleID: styles.header, Value: Escape(h)}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	var values []any
	r := 1
	err = t.Each(func(row []Cell) error {
		r++
		values = values[:0]
		for _, c := range row {
			switch c.kind {
			case kindText:
				values = append(values, Escape(c.text))
			case kindInt:
				values = append(values, int64(c.num))
			case kindDecimal:
				values = append(values, excelize.Cell{StyleID: styles.decimals[c.prec], Value: c.rounded()})
			default:
				values = append(values, nil)
			}
		}
		name, err := excelize.CoordinatesToCellName(1, r)
		if err != nil {
			return err
		}
		return sw.SetRow(name, values)
	})
	if err != nil {
		return err
	}
	return sw.Flush()
}

// partFilter is the archive writer handed to excelize: it passes on to zw
// either only the part keep, or every part but those in skip, and throws
// the others away. It never closes zw. err reports a part expected but
// never written, or written twice: a sign that excelize names its parts
// otherwise than [sheetPart] assumes.
type partFilter struct {
	zw      *zip.Writer
	keep    string
	skip    map[string]bool
	written map[string]int
}

func (p *partFilter) Create(name string) (io.Writer, error) {
	if p.written == nil {
		p.written = map[string]int{}
	}
	p.written[name]++
	if p.keep != "" && name != p.keep || p.skip[name] {
		return io.Discard, nil
	}
	return p.zw.Create(name)
}

func (p *partFilter) AddFS(fs.FS) error {
	return errors.New("workbook: adding a file system is not supported")
}

func (p *partFilter) Close() error { return nil }

func (p *partFilter) err() error {
	expected := []string{p.keep}
	if p.keep == "" {
		expected = expected[:0]
		for name := range p.skip {
			expected = append(expected, name)
		}
	}
	for _, name := range expected {
		if n := p.written[name]; n != 1 {
			return fmt.Errorf("workbook part %s written %d times, want once", name, n)
		}
	}
	return nil
}

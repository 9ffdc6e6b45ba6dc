package export

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// BOM is the UTF-8 byte-order mark some spreadsheet programs need to read a
// CSV file as UTF-8.
const BOM = "\xEF\xBB\xBF"

// WriteCSV writes a table as RFC 4180 CSV (UTF-8, CRLF line ends, a header
// row), with a UTF-8 byte-order mark first when bom is set. Rows are
// written to w as the table produces them (see [Table.Each]).
func WriteCSV(w io.Writer, t Table, bom bool) error {
	if bom {
		if _, err := io.WriteString(w, BOM); err != nil {
			return fmt.Errorf("write %s: %w", t.Name, err)
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	header := make([]string, len(t.Header))
	for i, h := range t.Header {
		header[i] = Escape(h)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write %s: %w", t.Name, err)
	}
	rec := make([]string, len(t.Header))
	err := t.Each(func(row []Cell) error {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = row[i].String()
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", t.Name, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s: %w", t.Name, err)
	}
	return nil
}

// WriteZIP writes the tables as CSV files into one ZIP archive, each named
// by [FileName] with the consultation key.
func WriteZIP(w io.Writer, key string, tables []Table, bom bool, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, t := range tables {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: FileName(key, t.Name), Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("add %s to the archive: %w", t.Name, err)
		}
		if err := WriteCSV(fw, t, bom); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("close the archive: %w", err)
	}
	return nil
}

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
// [Escape]. Each sheet is written with excelize's StreamWriter as the
// table produces its rows, so that the workbook is never held whole in
// memory (excelize keeps a large sheet in a temporary file until the
// workbook is written, then writes the archive straight to w).
func WriteXLSX(w io.Writer, tables []Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return fmt.Errorf("workbook style: %w", err)
	}
	decimals := map[int]int{}
	for _, prec := range []int{2, 4} {
		format := "0." + strings.Repeat("0", prec)
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
		if err != nil {
			return fmt.Errorf("workbook style: %w", err)
		}
		decimals[prec] = id
	}
	first := f.GetSheetName(0)
	for i, t := range tables {
		sheet := t.Sheet()
		if i == 0 {
			if err := f.SetSheetName(first, sheet); err != nil {
				return fmt.Errorf("name sheet %s: %w", sheet, err)
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return fmt.Errorf("add sheet %s: %w", sheet, err)
		}
		if err := writeSheet(f, sheet, t, bold, decimals); err != nil {
			return fmt.Errorf("write sheet %s: %w", sheet, err)
		}
	}
	f.SetActiveSheet(0)
	// excelize builds the archive in a buffer of its own before copying it
	// to w; handing it a ZIP writer on w instead writes the archive as it
	// is made, and the buffer stays empty. (The buffer only matters for a
	// part over 4 GB, whose header excelize patches afterwards.)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// writeSheet streams one table into its sheet: column widths and the
// frozen header first (the StreamWriter takes them before any row), then
// the header and every row as the table produces it.
func writeSheet(f *excelize.File, sheet string, t Table, bold int, decimals map[int]int) error {
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
		header[col] = excelize.Cell{StyleID: bold, Value: Escape(h)}
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
				values = append(values, excelize.Cell{StyleID: decimals[c.prec], Value: c.rounded()})
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

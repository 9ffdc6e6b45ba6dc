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
// row), with a UTF-8 byte-order mark first when bom is set.
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
	for _, row := range t.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = row[i].String()
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write %s: %w", t.Name, err)
		}
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
	"missing_members": true, "conditions": true}

// WriteXLSX writes the tables as one workbook with a sheet per table. The
// header row is bold and frozen; numbers are stored as numbers (decimals
// with a matching number format), text as shared strings protected by
// [Escape].
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
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, sheet string, t Table, bold int, decimals map[int]int) error {
	for col, h := range t.Header {
		name, err := excelize.CoordinatesToCellName(col+1, 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(sheet, name, Escape(h)); err != nil {
			return err
		}
		width := float64(narrowWidth)
		if wideColumns[h] {
			width = wideWidth
		}
		colName, _ := excelize.ColumnNumberToName(col + 1)
		if err := f.SetColWidth(sheet, colName, colName, width); err != nil {
			return err
		}
	}
	if len(t.Header) > 0 {
		last, err := excelize.CoordinatesToCellName(len(t.Header), 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
			return err
		}
	}
	for r, row := range t.Rows {
		for col, c := range row {
			if c.IsEmpty() {
				continue
			}
			name, err := excelize.CoordinatesToCellName(col+1, r+2)
			if err != nil {
				return err
			}
			switch c.kind {
			case kindText:
				err = f.SetCellStr(sheet, name, Escape(c.text))
			case kindInt:
				err = f.SetCellInt(sheet, name, int64(c.num))
			case kindDecimal:
				if err = f.SetCellFloat(sheet, name, c.rounded(), c.prec, 64); err == nil {
					if style, ok := decimals[c.prec]; ok {
						err = f.SetCellStyle(sheet, name, name, style)
					}
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
}

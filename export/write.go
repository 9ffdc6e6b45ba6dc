package export

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"time"
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

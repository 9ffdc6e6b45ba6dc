package adopted

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
)

// DejaVu Sans (from Debian's fonts-dejavu-core, licence in fonts/LICENSE):
// the PDF core fonts only cover Latin-1, not Greek, Cyrillic or Turkish
// letters such as ş and İ.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	fontFamily = "DejaVu"
	margin     = 20.0 // left, right and top of the body, mm
	bottom     = 25.0 // body stops this far from the bottom edge, mm
	numberW    = 10.0 // column of paragraph numbers, mm
	markW      = 8.0  // column of footnote markers, mm
	lineH      = 5.5  // body line height, mm
	noteH      = 4.5  // footnote line height, mm
)

// WritePDF writes t as an A4 PDF: the marking at the top and bottom of every
// page, "Page N of M" at the foot, the title, the adoption line, the
// numbered paragraphs with their footnote markers, and the footnotes with
// the members' names. The text is set in an embedded DejaVu Sans, so any
// letter of the members' languages prints.
//
// The document is laid out twice: once to count the pages, then with the
// count in every footer. (fpdf's page-count alias would be replaced inside
// user text too, should a paragraph contain it.) The file's dates are the
// adoption time, so the same text always gives the same bytes.
func WritePDF(w io.Writer, t Text) error {
	d := pdfSafe(layout(t))
	first, err := renderPDF(d, t, 0)
	if err != nil {
		return err
	}
	pdf, err := renderPDF(d, t, first.PageCount())
	if err != nil {
		return err
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write adopted text as pdf: %w", err)
	}
	return nil
}

func renderPDF(d doc, t Text, pages int) (*fpdf.Fpdf, error) {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	f.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	f.SetMargins(margin, margin+4, margin)
	f.SetAutoPageBreak(true, bottom)
	f.SetTitle(d.title, true)
	f.SetSubject(d.consultation, true)
	f.SetCreator("Concord", true)
	f.SetCreationDate(t.AdoptedAt)
	f.SetModificationDate(t.AdoptedAt)
	f.SetCatalogSort(true)

	pageW, pageH := f.GetPageSize()
	textW := pageW - 2*margin
	f.SetHeaderFuncMode(func() {
		if d.marking == "" {
			return
		}
		f.SetFont(fontFamily, "B", 10)
		f.SetXY(margin, 10)
		f.CellFormat(textW, 5, d.marking, "", 0, "C", false, 0, "")
	}, true)
	f.SetFooterFunc(func() {
		if d.marking != "" {
			f.SetFont(fontFamily, "B", 10)
			f.SetXY(margin, pageH-18)
			f.CellFormat(textW, 5, d.marking, "", 0, "C", false, 0, "")
		}
		f.SetFont(fontFamily, "", 8)
		f.SetXY(margin, pageH-12)
		f.CellFormat(textW, 4, fmt.Sprintf("Page %d of %d", f.PageNo(), pages), "", 0, "C", false, 0, "")
	})

	f.AddPage()
	f.SetFont(fontFamily, "B", 16)
	f.MultiCell(textW, 8, d.title, "", "L", false)
	if d.consultation != "" {
		f.SetFont(fontFamily, "", 11)
		f.MultiCell(textW, 6, d.consultation, "", "L", false)
	}
	f.Ln(1)
	f.SetFont(fontFamily, "", 9)
	f.MultiCell(textW, noteH, d.adoption, "", "L", false)
	f.Ln(4)

	for _, p := range d.paras {
		f.SetFont(fontFamily, "B", 11)
		f.SetX(margin)
		f.CellFormat(numberW, lineH, fmt.Sprintf("%d.", p.number), "", 0, "L", false, 0, "")
		f.SetFont(fontFamily, "", 11)
		f.SetX(margin + numberW)
		f.MultiCell(textW-numberW, lineH, p.text+p.markers, "", "L", false)
		f.Ln(2.5)
	}

	if len(d.notes) > 0 {
		f.Ln(2)
		y := f.GetY()
		f.SetDrawColor(0, 0, 0)
		f.Line(margin, y, margin+50, y)
		f.Ln(3)
		for _, n := range d.notes {
			f.SetFont(fontFamily, "", 9)
			f.SetX(margin)
			f.CellFormat(markW, noteH, n.marker, "", 0, "L", false, 0, "")
			// Write wraps at the left margin: move it to the text column.
			f.SetLeftMargin(margin + markW)
			f.SetX(margin + markW)
			f.SetFont(fontFamily, "B", 9)
			f.Write(noteH, n.member+": ")
			f.SetFont(fontFamily, "", 9)
			f.Write(noteH, n.text)
			f.SetLeftMargin(margin)
			f.Ln(noteH + 1.5)
		}
	}
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("lay out adopted text as pdf: %w", err)
	}
	return f, nil
}

// pdfSafe replaces the characters fpdf cannot encode — those beyond the
// Basic Multilingual Plane, such as emoji — with U+FFFD (�); fpdf refuses
// the whole document otherwise. Characters of the plane that DejaVu Sans
// has no glyph for (Chinese, say) print as blanks.
func pdfSafe(d doc) doc {
	fix := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r > 0xFFFF {
				return '\uFFFD'
			}
			return r
		}, s)
	}
	d.marking, d.title, d.consultation, d.adoption = fix(d.marking), fix(d.title), fix(d.consultation), fix(d.adoption)
	paras := make([]para, len(d.paras))
	for k, p := range d.paras {
		p.text = fix(p.text)
		paras[k] = p
	}
	notes := make([]note, len(d.notes))
	for k, n := range d.notes {
		n.member, n.text = fix(n.member), fix(n.text)
		notes[k] = n
	}
	d.paras, d.notes = paras, notes
	return d
}

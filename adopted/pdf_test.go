package adopted

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pdfPages writes t as PDF and returns the text of each page as pdftotext
// reads it, with runs of white space made single spaces (lines wrap where
// the layout decides).
func pdfPages(t *testing.T, text Text) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("SKIPPED: pdftotext (poppler-utils) is not installed, so the PDF's content is NOT checked; `make deps` installs it")
	}
	var b bytes.Buffer
	if err := WritePDF(&b, text); err != nil {
		t.Fatalf("WritePDF: %v", err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output does not start with %%PDF-: %q", b.Bytes()[:min(20, b.Len())])
	}
	path := filepath.Join(t.TempDir(), "adopted.pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if last := pages[len(pages)-1]; strings.TrimSpace(last) == "" {
		pages = pages[:len(pages)-1] // pdftotext ends every page with a form feed
	}
	for k, p := range pages {
		pages[k] = strings.Join(strings.Fields(p), " ")
	}
	return pages
}

func TestWritePDFContent(t *testing.T) {
	pages := pdfPages(t, sample(t))
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	page := pages[0]
	for _, want := range []string{
		"Strategy on Russia",
		"NATO–Russia strategy 2026",
		"Adopted on 2 March 2026 at 15:00 CET (Europe/Brussels; 2 March 2026 at 14:00 UTC), version 2, hash " + hash,
		"1. The Alliance will keep channels of communication open.",
		"2. The NATO–Russia Council remains suspended.¹,²",
		// user text is printed as written, markup and all
		"3. Any [dialogue](http://evil.example) must be *reciprocal*. # Not a heading 1. not a list <b>bold</b> & more³",
		"¹ Ελλάδα: Η Ελλάδα υπογραμμίζει τη σημασία του διαλόγου.",
		"² Türkiye: Türkiye supports an early resumption of the Council's meetings.",
		"³ Hungary: Hungary notes the position of Россия on energy.",
		"Page 1 of 1",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q\npage: %s", want, page)
		}
	}
	if n := strings.Count(page, "NATO RESTRICTED"); n != 2 {
		t.Errorf("marking printed %d times, want 2 (top and bottom)", n)
	}
}

// long is a text of 20 paragraphs of five lines each, with a Turkish
// footnote on the last: 5 × 5.5 mm + 2.5 mm = 30 mm a paragraph against
// 248 mm of body a page (less the title block on the first), so 8, 8 and 4
// paragraphs on 3 pages.
func long() Text {
	var ps []Paragraph
	for i := 1; i <= 20; i++ {
		ps = append(ps, Paragraph{Number: i, Text: fmt.Sprintf("Paragraph %d. ", i) +
			strings.Repeat("Allies will keep the channels of communication with Russia open to reduce risk. ", 4)})
	}
	ps[19].Footnotes = []Footnote{{MemberCode: "TUR", MemberName: "Türkiye", Text: "Türkiye records its national position.", At: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}}
	return Text{
		Consultation: "Long", Marking: "Restricted", Title: "A long text", Version: 5, Hash: "ab",
		AdoptedAt: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), Paragraphs: ps,
	}
}

func TestWritePDFPages(t *testing.T) {
	pages := pdfPages(t, long())
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	for k, page := range pages {
		if want := fmt.Sprintf("Page %d of 3", k+1); !strings.Contains(page, want) {
			t.Errorf("page %d lacks %q: %s", k+1, want, page)
		}
		if n := strings.Count(page, "Restricted"); n != 2 {
			t.Errorf("page %d: marking printed %d times, want 2", k+1, n)
		}
	}
	all := strings.Join(pages, " ")
	for i := 1; i <= 20; i++ {
		if want := fmt.Sprintf("%d. Paragraph %d.", i, i); !strings.Contains(all, want) {
			t.Errorf("paragraph %d missing (%q)", i, want)
		}
	}
	if !strings.Contains(pages[2], "¹ Türkiye: Türkiye records its national position.") {
		t.Errorf("last page lacks the footnote: %s", pages[2])
	}
}

func TestWritePDFWithoutMarking(t *testing.T) {
	text := long()
	text.Marking = ""
	text.Paragraphs = text.Paragraphs[:2]
	pages := pdfPages(t, text)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	if strings.Contains(pages[0], "Restricted") {
		t.Errorf("marking printed though empty: %s", pages[0])
	}
	if !strings.Contains(pages[0], "Page 1 of 1") {
		t.Errorf("page number missing: %s", pages[0])
	}
}

func TestWritePDFUnusualText(t *testing.T) {
	text := long()
	text.Title = strings.Repeat("Title ", 30) // wraps over three lines
	text.Paragraphs = []Paragraph{{Number: 1, Text: "Emoji 😀 and \x00control, and a " + strings.Repeat("long", 60) + " word.",
		Footnotes: []Footnote{{MemberCode: "ISL", MemberName: "Ísland 🇮🇸", Text: "Ísland."}}}}
	pages := pdfPages(t, text)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	// beyond the Basic Multilingual Plane becomes U+FFFD; the unbroken word
	// is split across lines, so look for its start and end
	for _, want := range []string{"Emoji \uFFFD and control, and a longlong", "longlong word.", "¹ Ísland \uFFFD\uFFFD: Ísland."} {
		if !strings.Contains(pages[0], want) {
			t.Errorf("page lacks %q: %s", want, pages[0])
		}
	}
}

func TestWritePDFDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := WritePDF(&a, sample(t)); err != nil {
		t.Fatal(err)
	}
	if err := WritePDF(&b, sample(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two renderings of the same text differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteErrors(t *testing.T) {
	if err := WritePDF(failingWriter{}, sample(t)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WritePDF to a failing writer: %v, want the write error", err)
	}
	if err := WriteMarkdown(failingWriter{}, sample(t)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteMarkdown to a failing writer: %v, want the write error", err)
	}
}

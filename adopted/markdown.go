package adopted

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes t as CommonMark (the file adopted.md):
//
//	**Restricted**
//
//	# Title
//
//	Consultation title
//
//	Adopted on …, version 2, hash …
//
//	**1.** First paragraph.¹
//
//	---
//
//	¹ Türkiye: statement
//
//	**Restricted**
//
// Paragraph numbers are bold text, not a Markdown list, so the numbers are
// printed as they are. Every piece of user text is escaped (see
// EscapeMarkdown): it cannot open a link, an image, HTML, a heading, a list
// or emphasis. Line breaks inside a paragraph or footnote are kept as hard
// line breaks.
func WriteMarkdown(w io.Writer, t Text) error {
	d := layout(t)
	var blocks []string
	if d.marking != "" {
		blocks = append(blocks, "**"+EscapeMarkdown(d.marking)+"**")
	}
	blocks = append(blocks, "# "+EscapeMarkdown(d.title))
	if d.consultation != "" {
		blocks = append(blocks, EscapeMarkdown(d.consultation))
	}
	blocks = append(blocks, EscapeMarkdown(d.adoption))
	for _, p := range d.paras {
		s := fmt.Sprintf("**%d.**", p.number)
		if p.text != "" {
			s += " " + EscapeMarkdown(p.text)
		}
		blocks = append(blocks, s+p.markers)
	}
	if len(d.notes) > 0 {
		blocks = append(blocks, "---")
		for _, n := range d.notes {
			blocks = append(blocks, n.marker+" "+EscapeMarkdown(n.member)+": "+EscapeMarkdown(n.text))
		}
	}
	if d.marking != "" {
		blocks = append(blocks, "**"+EscapeMarkdown(d.marking)+"**")
	}
	bw := bufio.NewWriter(w)
	for k, b := range blocks {
		if k > 0 {
			bw.WriteString("\n\n")
		}
		bw.WriteString(b)
	}
	bw.WriteString("\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write adopted text as markdown: %w", err)
	}
	return nil
}

// inlineSpecial are escaped wherever they occur: they open code, emphasis,
// links and images, HTML and autolinks, entities, tables, strikethrough and
// math.
const inlineSpecial = "\\`*_[]<>&|~$"

// EscapeMarkdown makes plain text safe to place in a Markdown paragraph: the
// characters of inlineSpecial get a backslash everywhere; at the start of a
// line so do #, +, -, = and the . or ) after leading digits (headings, list
// items, thematic breaks, setext underlines); leading spaces are dropped (no
// code blocks); blank lines are dropped and the remaining line breaks become
// hard line breaks (a backslash at the end of the line), so the text stays
// one paragraph.
func EscapeMarkdown(s string) string {
	var lines []string
	for _, line := range strings.Split(clean(s), "\n") {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			continue
		}
		var b strings.Builder
		digits := true // only digits so far on this line
		for k, r := range line {
			switch {
			case strings.ContainsRune(inlineSpecial, r):
				b.WriteByte('\\')
			case k == 0 && strings.ContainsRune("#+-=", r):
				b.WriteByte('\\')
			case digits && k > 0 && (r == '.' || r == ')'):
				b.WriteByte('\\')
			}
			digits = digits && r >= '0' && r <= '9'
			b.WriteRune(r)
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\\\n")
}

// Package adopted renders an adopted text — numbered paragraphs with the
// national footnotes attached to them — as Markdown and as PDF. It knows
// nothing of the database: callers fill a Text.
//
// Footnotes are numbered 1, 2, 3, … through the whole text in paragraph
// order; within a paragraph they are ordered by the time they were recorded,
// then by member code. A paragraph carries its footnotes' markers (¹, ², …)
// after its text, and the footnotes follow the paragraphs, each with the
// member's name and its statement, as alliance texts print them.
package adopted

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Text is an adopted version of a draft.
type Text struct {
	Consultation string         // the consultation's title
	Marking      string         // classification marking printed on every page; empty for none
	Title        string         // the draft's title
	Version      int            // the adopted version's number
	Hash         string         // the version's hash, hexadecimal
	AdoptedAt    time.Time      // when the silence procedure ended unbroken
	Timezone     *time.Location // the consultation's timezone; nil means UTC
	Paragraphs   []Paragraph
}

// Paragraph is one numbered paragraph of the text.
type Paragraph struct {
	Number    int
	Text      string
	Footnotes []Footnote
}

// Footnote is a member's national position recorded on a paragraph.
type Footnote struct {
	MemberCode string // e.g. "TUR"
	MemberName string // e.g. "Türkiye"; the code is shown when empty
	Text       string // the statement
	At         time.Time
}

// doc is a Text laid out for printing: cleaned strings, footnotes numbered.
type doc struct {
	marking, title, consultation, adoption string
	paras                                  []para
	notes                                  []note
}

type para struct {
	number  int
	text    string
	markers string // "¹" or "²,³"; empty without footnotes
}

type note struct {
	marker, member, text string
}

func layout(t Text) doc {
	d := doc{
		marking:      oneLine(t.Marking),
		title:        oneLine(t.Title),
		consultation: oneLine(t.Consultation),
		adoption:     AdoptionLine(t),
	}
	n := 0
	for _, p := range t.Paragraphs {
		fns := slices.Clone(p.Footnotes)
		slices.SortStableFunc(fns, func(a, b Footnote) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.MemberCode, b.MemberCode))
		})
		var marks []string
		for _, fn := range fns {
			n++
			m := Superscript(n)
			marks = append(marks, m)
			who := oneLine(fn.MemberName)
			if who == "" {
				who = oneLine(fn.MemberCode)
			}
			d.notes = append(d.notes, note{marker: m, member: who, text: clean(fn.Text)})
		}
		d.paras = append(d.paras, para{number: p.Number, text: clean(p.Text), markers: strings.Join(marks, ",")})
	}
	return d
}

// AdoptionLine is the sentence stating when and what was adopted, e.g.
// "Adopted on 2 March 2026 at 15:00 CET (Europe/Brussels; 2 March 2026 at
// 14:00 UTC), version 2, hash 9f86…". The UTC part is left out when the
// timezone is UTC.
func AdoptionLine(t Text) string {
	const layout = "2 January 2006 at 15:04"
	utc := t.AdoptedAt.UTC()
	when := utc.Format(layout) + " UTC"
	if loc := t.Timezone; loc != nil && loc.String() != "UTC" {
		local := t.AdoptedAt.In(loc)
		when = fmt.Sprintf("%s %s (%s; %s)", local.Format(layout), local.Format("MST"), loc.String(), when)
	}
	return fmt.Sprintf("Adopted on %s, version %d, hash %s", when, t.Version, oneLine(t.Hash))
}

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

// Superscript writes n ≥ 0 in superscript digits: 12 → "¹²".
func Superscript(n int) string {
	var b strings.Builder
	for _, c := range fmt.Sprint(n) {
		if c >= '0' && c <= '9' {
			b.WriteRune(superDigits[c-'0'])
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// clean makes user text printable: valid UTF-8, "\n" line ends, tabs as
// spaces, no other control characters, no trailing spaces on a line.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for k, l := range lines {
		lines[k] = strings.TrimRight(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// oneLine is clean with the line breaks turned into spaces.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(clean(s)), " "))
}

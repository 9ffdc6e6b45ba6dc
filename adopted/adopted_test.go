package adopted

import (
	"bytes"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Europe/Brussels and Europe/Istanbul wherever they run
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// sample is a three-paragraph text with footnotes in Greek, Turkish and
// Cyrillic script and markup a user might try to inject.
func sample(t *testing.T) Text {
	return Text{
		Consultation: "NATO–Russia strategy 2026",
		Marking:      "NATO RESTRICTED",
		Title:        "Strategy on Russia",
		Version:      2,
		Hash:         hash,
		AdoptedAt:    time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC),
		Timezone:     mustLoad(t, "Europe/Brussels"),
		Paragraphs: []Paragraph{
			{Number: 1, Text: "The Alliance will keep channels of communication open."},
			{Number: 2, Text: "The NATO–Russia Council remains suspended.", Footnotes: []Footnote{
				// recorded after GRC's, so numbered second
				{MemberCode: "TUR", MemberName: "Türkiye", Text: "Türkiye supports an early resumption of the Council's meetings.",
					At: time.Date(2026, 2, 27, 10, 0, 0, 0, time.UTC)},
				{MemberCode: "GRC", MemberName: "Ελλάδα", Text: "Η Ελλάδα υπογραμμίζει τη σημασία του διαλόγου.",
					At: time.Date(2026, 2, 27, 9, 0, 0, 0, time.UTC)},
			}},
			{Number: 3, Text: "Any [dialogue](http://evil.example) must be *reciprocal*.\n# Not a heading\n\n  1. not a list <b>bold</b> & more", Footnotes: []Footnote{
				{MemberCode: "HUN", MemberName: "Hungary", Text: "Hungary notes the position of Россия on energy.",
					At: time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)},
			}},
		},
	}
}

func TestWriteMarkdown(t *testing.T) {
	cases := []struct {
		name string
		text func(t *testing.T) Text
		want string
	}{
		{"marking, timezone, footnotes, injected markup", sample, `**NATO RESTRICTED**

# Strategy on Russia

NATO–Russia strategy 2026

Adopted on 2 March 2026 at 15:00 CET (Europe/Brussels; 2 March 2026 at 14:00 UTC), version 2, hash ` + hash + `

**1.** The Alliance will keep channels of communication open.

**2.** The NATO–Russia Council remains suspended.¹,²

**3.** Any \[dialogue\](http://evil.example) must be \*reciprocal\*.\
\# Not a heading\
1\. not a list \<b\>bold\</b\> \& more³

---

¹ Ελλάδα: Η Ελλάδα υπογραμμίζει τη σημασία του διαλόγου.

² Türkiye: Türkiye supports an early resumption of the Council's meetings.

³ Hungary: Hungary notes the position of Россия on energy.

**NATO RESTRICTED**
`},
		{"no marking, no timezone, no footnotes", func(*testing.T) Text {
			return Text{Title: "Plain", Version: 1, Hash: "abc", AdoptedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Paragraphs: []Paragraph{{Number: 1, Text: "Text."}, {Number: 2}}}
		}, `# Plain

Adopted on 1 January 2026 at 00:00 UTC, version 1, hash abc

**1.** Text.

**2.**
`},
		{"footnote without a member name shows the code", func(*testing.T) Text {
			return Text{Title: "T", Version: 3, Hash: "h", AdoptedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Paragraphs: []Paragraph{{Number: 7, Text: "P.", Footnotes: []Footnote{{MemberCode: "TUR", Text: "S."}}}}}
		}, `# T

Adopted on 1 January 2026 at 00:00 UTC, version 3, hash h

**7.** P.¹

---

¹ TUR: S.
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteMarkdown(&b, c.text(t)); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != c.want {
				t.Fatalf("markdown differs\n--- got\n%s\n--- want\n%s", got, c.want)
			}
		})
	}
}

func TestEscapeMarkdown(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "plain text", "plain text"},
		{"non-latin untouched", "Ελλάδα — Россия, Türkiye", "Ελλάδα — Россия, Türkiye"},
		{"emphasis", "a*b_c", `a\*b\_c`},
		{"link", "[x](y)", `\[x\](y)`},
		{"image", "![img](y)", `!\[img\](y)`},
		{"html", "<script>", `\<script\>`},
		{"entity", "&amp;", `\&amp;`},
		{"code span", "`code`", "\\`code\\`"},
		{"table, strikethrough, math", "a|b ~~s~~ $x$", `a\|b \~\~s\~\~ \$x\$`},
		{"backslash", `C:\path`, `C:\\path`},
		{"heading", "# h", `\# h`},
		{"hash inside", "C# and F#", `C# and F#`},
		{"bullet", "- item", `\- item`},
		{"plus bullet", "+ item", `\+ item`},
		{"hyphen inside a word", "co-operation", "co-operation"},
		{"ordered list", "2026. year", `2026\. year`},
		{"ordered list with parenthesis", "1) x", `1\) x`},
		{"decimal at line start", "3.5 %", `3\.5 %`},
		{"number later in the line", "a 1. b", "a 1. b"},
		{"setext underline", "===", `\===`},
		{"blockquote", "> quote", `\> quote`},
		{"indented code", "    code", "code"},
		{"line break kept as hard break", "line1\nline2", "line1\\\nline2"},
		{"blank lines and CRLF dropped", "line1\r\n\r\n- line2", "line1\\\n\\- line2"},
		{"control characters dropped, tab a space", "a\x00b\tc", "ab c"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EscapeMarkdown(c.in); got != c.want {
				t.Fatalf("EscapeMarkdown(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestAdoptionLine(t *testing.T) {
	brussels := mustLoad(t, "Europe/Brussels")
	cases := []struct {
		name string
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"no timezone is UTC", time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), nil,
			"Adopted on 2 March 2026 at 14:00 UTC, version 2, hash ab12"},
		{"UTC named once", time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), time.UTC,
			"Adopted on 2 March 2026 at 14:00 UTC, version 2, hash ab12"},
		{"Brussels in winter, UTC+1", time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), brussels,
			"Adopted on 2 March 2026 at 15:00 CET (Europe/Brussels; 2 March 2026 at 14:00 UTC), version 2, hash ab12"},
		{"Brussels in summer, UTC+2", time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), brussels,
			"Adopted on 1 July 2026 at 14:00 CEST (Europe/Brussels; 1 July 2026 at 12:00 UTC), version 2, hash ab12"},
		{"local date is the next day", time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), brussels,
			"Adopted on 2 March 2026 at 00:30 CET (Europe/Brussels; 1 March 2026 at 23:30 UTC), version 2, hash ab12"},
		{"zone without abbreviation", time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), mustLoad(t, "Europe/Istanbul"),
			"Adopted on 2 March 2026 at 17:00 +03 (Europe/Istanbul; 2 March 2026 at 14:00 UTC), version 2, hash ab12"},
		{"time given in another zone", time.Date(2026, 3, 2, 15, 0, 0, 0, brussels), nil,
			"Adopted on 2 March 2026 at 14:00 UTC, version 2, hash ab12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AdoptionLine(Text{Version: 2, Hash: "ab12", AdoptedAt: c.at, Timezone: c.loc})
			if got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestSuperscript(t *testing.T) {
	cases := []struct {
		n    int
		want string
	}{{0, "⁰"}, {1, "¹"}, {2, "²"}, {3, "³"}, {9, "⁹"}, {10, "¹⁰"}, {45, "⁴⁵"}}
	for _, c := range cases {
		if got := Superscript(c.n); got != c.want {
			t.Errorf("Superscript(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestFootnoteNumbering(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 2, 1, h, 0, 0, 0, time.UTC) }
	d := layout(Text{Paragraphs: []Paragraph{
		{Number: 1, Footnotes: []Footnote{{MemberCode: "POL", At: at(9)}, {MemberCode: "FRA", At: at(9)}, {MemberCode: "DEU", At: at(8)}}},
		{Number: 2},
		{Number: 3, Footnotes: []Footnote{{MemberCode: "ALB", At: at(7)}}},
	}})
	// paragraph 1: DEU (8:00), then FRA and POL (both 9:00, by code); then ALB.
	wantMarkers := []string{"¹,²,³", "", "⁴"}
	wantMembers := []string{"DEU", "FRA", "POL", "ALB"}
	for k, p := range d.paras {
		if p.markers != wantMarkers[k] {
			t.Errorf("paragraph %d markers %q, want %q", p.number, p.markers, wantMarkers[k])
		}
	}
	var got []string
	for _, n := range d.notes {
		got = append(got, n.member)
	}
	if strings.Join(got, " ") != strings.Join(wantMembers, " ") {
		t.Errorf("footnotes in order %v, want %v", got, wantMembers)
	}
}

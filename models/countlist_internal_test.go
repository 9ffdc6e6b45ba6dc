package models

import "testing"

// countListSeeds are stored labels as encodeList writes them and strings
// it never writes, valid JSON or not.
var countListSeeds = []string{
	"", "[]", "null", "[\"a\"]", "[\"a\",\"b\",\"c\"]", "[\"a\", \"b\"]", "[\"a\",]", "[,\"a\"]", "[\"a\"\"b\"]",
	"[\"\\\"quoted\\\", with a comma\",\"back\\\\slash\"]", "[\"\\u003cb\\u003e\",\"\\u00e9\"]", "[\"\\x\"]",
	"[\"\\u12\"]", "[\"\\u12g4\"]", "[\"tab\there\"]", "[\"unterminated]", "[1,2]", "[\"a\",1]", "[[\"a\"]]",
	"{\"a\":1}", "[\"\xff\xfe\"]", "[\"Not at all\",\"Mostly\",\"Fully\"]", " [\"a\"]", "[\"a\"] ",
}

func TestCountListMatchesDecode(t *testing.T) {
	lists := [][]string{nil, {}, {"a"}, {"Not at all", "A little", "Somewhat", "Mostly", "Fully"},
		{"\"quoted\"", "a\\b", "<tag>", "tab\t", "new\nline", "\u2028", "émigré", ""}}
	seeds := append([]string{}, countListSeeds...)
	for _, l := range lists {
		seeds = append(seeds, encodeList(l))
	}
	for _, s := range seeds {
		if got, want := countList(s), len(decodeList(s)); got != want {
			t.Errorf("countList(%q) = %d, decoding counts %d", s, got, want)
		}
	}
}

func FuzzCountList(f *testing.F) {
	for _, s := range countListSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := countList(s), len(decodeList(s)); got != want {
			t.Errorf("countList(%q) = %d, decoding counts %d", s, got, want)
		}
	})
}

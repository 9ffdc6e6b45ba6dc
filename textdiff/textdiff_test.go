package textdiff

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func eq(s string) Run  { return Run{Equal, s} }
func ins(s string) Run { return Run{Insert, s} }
func del(s string) Run { return Run{Delete, s} }

func TestTokens(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one word", "NATO", []string{"NATO"}},
		{"words and separators", "NATO's aim, 2026.", []string{"NATO", "'", "s", " ", "aim", ", ", "2026", "."}},
		{"leading and trailing spaces", "  a  ", []string{"  ", "a", "  "}},
		{"greek", "Η Ελλάδα", []string{"Η", " ", "Ελλάδα"}},
		{"cyrillic with dash", "Россия—НАТО", []string{"Россия", "—", "НАТО"}},
		{"turkish dotted capital", "İstanbul'da", []string{"İstanbul", "'", "da"}},
		{"combining mark stays in word", "cafe\u0301 noir", []string{"cafe\u0301", " ", "noir"}},
		{"invalid utf-8 is a separator", "a\xffb", []string{"a", "\xff", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Tokens(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Tokens(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		want     []Run
	}{
		{"both empty", "", "", nil},
		{"identical", "We agree.", "We agree.", []Run{eq("We agree.")}},
		{"old empty", "", "New text.", []Run{ins("New text.")}},
		{"new empty", "Old text.", "", []Run{del("Old text.")}},
		// tokens the,_,cat,_,sat / a,_,dog,_,sat: the spaces and "sat" are
		// kept; the space between the two changes is folded into them.
		{"reworded words fold over a space", "the cat sat", "a dog sat",
			[]Run{del("the cat"), ins("a dog"), eq(" sat")}},
		// a,_ is a common prefix; of b,_,c,_,d only c is in the new text.
		{"deletions around a kept word", "a b c d", "a c",
			[]Run{eq("a "), del("b "), eq("c"), del(" d")}},
		{"appended word", "abc", "abc def", []Run{eq("abc"), ins(" def")}},
		{"one word replaced by three", "NATO and Russia agree.", "NATO and the Russian Federation agree.",
			[]Run{eq("NATO and "), del("Russia"), ins("the Russian Federation"), eq(" agree.")}},
		{"punctuation changed", "cat, dog", "cat; dog",
			[]Run{eq("cat"), del(", "), ins("; "), eq("dog")}},
		// one,_,two,_,three / uno,_,dos,_,tres share only the spaces, which fold.
		{"three changes fold into one", "one two three four", "uno dos tres four",
			[]Run{del("one two three"), ins("uno dos tres"), eq(" four")}},
		{"greek inserted word", "Η Ελλάδα συμφωνεί.", "Η Ελλάδα δεν συμφωνεί.",
			[]Run{eq("Η Ελλάδα "), ins("δεν "), eq("συμφωνεί.")}},
		{"cyrillic replaced word", "Россия угрожает миру", "Россия угрожает безопасности",
			[]Run{eq("Россия угрожает "), del("миру"), ins("безопасности")}},
		{"turkish inserted word", "Türkiye kabul eder", "Türkiye şartlı kabul eder",
			[]Run{eq("Türkiye "), ins("şartlı "), eq("kabul eder")}},
		{"turkish dotted and dotless I differ", "İstanbul", "Istanbul",
			[]Run{del("İstanbul"), ins("Istanbul")}},
		{"combining accent removed", "cafe\u0301 noir", "cafe noir",
			[]Run{del("cafe\u0301"), ins("cafe"), eq(" noir")}},
		{"case change is a change", "Allies", "allies", []Run{del("Allies"), ins("allies")}},
		{"whitespace only change", "a b", "a  b", []Run{eq("a"), del(" "), ins("  "), eq("b")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Words(c.old, c.new)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Words(%q, %q)\n got %q\nwant %q", c.old, c.new, got, c.want)
			}
			checkRuns(t, got, c.old, c.new)
		})
	}
}

// words returns n distinct words "<prefix>0 <prefix>1 …".
func words(prefix string, n int) string {
	w := make([]string, n)
	for k := range w {
		w[k] = fmt.Sprintf("%s%d", prefix, k)
	}
	return strings.Join(w, " ")
}

func TestWordsEditBound(t *testing.T) {
	cases := []struct {
		name string
		n    int // words on each side of the kept word, all different between versions
		want func(old, new string) []Run
	}{
		// 100 words each side: old and new have 401 tokens, 201 shared
		// (200 spaces and KEEP), 400 edits, under the bound: KEEP is kept.
		{"under the bound the kept word shows", 100, func(_, _ string) []Run {
			return []Run{
				del(words("a", 100)), ins(words("p", 100)),
				eq(" KEEP "),
				del(words("b", 100)), ins(words("q", 100)),
			}
		}},
		// 600 words each side: 2,401 tokens, 1,201 shared, 2,400 edits >
		// MaxTokenEdits: the whole paragraph shows as replaced.
		{"over the bound the paragraph is replaced whole", 600, func(old, new string) []Run {
			return []Run{del(old), ins(new)}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := words("a", c.n) + " KEEP " + words("b", c.n)
			new := words("p", c.n) + " KEEP " + words("q", c.n)
			got := Words(old, new)
			want := c.want(old, new)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %d runs %.200q…, want %d runs", len(got), got, len(want))
			}
			checkRuns(t, got, old, new)
		})
	}
}

func TestCompare(t *testing.T) {
	cases := []struct {
		name     string
		old, new []string
		want     []ParagraphDiff
	}{
		{"both empty", nil, nil, []ParagraphDiff{}},
		{"identical", []string{"A.", "B."}, []string{"A.", "B."}, []ParagraphDiff{
			{Old: 1, New: 1, Status: Unchanged, Runs: []Run{eq("A.")}},
			{Old: 2, New: 2, Status: Unchanged, Runs: []Run{eq("B.")}},
		}},
		{"from nothing", nil, []string{"A."}, []ParagraphDiff{
			{Old: 0, New: 1, Status: Added, Runs: []Run{ins("A.")}},
		}},
		{"to nothing", []string{"A.", "B."}, []string{}, []ParagraphDiff{
			{Old: 1, New: 0, Status: Removed, Runs: []Run{del("A.")}},
			{Old: 2, New: 0, Status: Removed, Runs: []Run{del("B.")}},
		}},
		// The only common subsequence of length 2 is B, C: A is removed at
		// the top and added at the bottom.
		{"moved paragraph", []string{"A.", "B.", "C."}, []string{"B.", "C.", "A."}, []ParagraphDiff{
			{Old: 1, New: 0, Status: Removed, Runs: []Run{del("A.")}},
			{Old: 2, New: 1, Status: Unchanged, Runs: []Run{eq("B.")}},
			{Old: 3, New: 2, Status: Unchanged, Runs: []Run{eq("C.")}},
			{Old: 0, New: 3, Status: Added, Runs: []Run{ins("A.")}},
		}},
		{"reworded and inserted", []string{"A", "B x", "C"}, []string{"A", "B y", "D", "C"}, []ParagraphDiff{
			{Old: 1, New: 1, Status: Unchanged, Runs: []Run{eq("A")}},
			{Old: 2, New: 2, Status: Changed, Runs: []Run{eq("B "), del("x"), ins("y")}},
			{Old: 0, New: 3, Status: Added, Runs: []Run{ins("D")}},
			{Old: 3, New: 4, Status: Unchanged, Runs: []Run{eq("C")}},
		}},
		// Between Intro and End: two old paragraphs, one new; the first
		// pair is changed, the second old one removed.
		{"reworded and removed", []string{"Intro.", "We note X.", "We deplore Y.", "End."}, []string{"Intro.", "We welcome X.", "End."}, []ParagraphDiff{
			{Old: 1, New: 1, Status: Unchanged, Runs: []Run{eq("Intro.")}},
			{Old: 2, New: 2, Status: Changed, Runs: []Run{eq("We "), del("note"), ins("welcome"), eq(" X.")}},
			{Old: 3, New: 0, Status: Removed, Runs: []Run{del("We deplore Y.")}},
			{Old: 4, New: 3, Status: Unchanged, Runs: []Run{eq("End.")}},
		}},
		{"empty paragraph removed", []string{"", "A"}, []string{"A"}, []ParagraphDiff{
			{Old: 1, New: 0, Status: Removed, Runs: nil},
			{Old: 2, New: 1, Status: Unchanged, Runs: []Run{eq("A")}},
		}},
		{"unicode paragraphs", []string{"Η Ελλάδα συμφωνεί.", "Россия угрожает миру.", "Türkiye."}, []string{"Η Ελλάδα συμφωνεί.", "Россия угрожает безопасности.", "Türkiye."}, []ParagraphDiff{
			{Old: 1, New: 1, Status: Unchanged, Runs: []Run{eq("Η Ελλάδα συμφωνεί.")}},
			{Old: 2, New: 2, Status: Changed, Runs: []Run{eq("Россия угрожает "), del("миру"), ins("безопасности"), eq(".")}},
			{Old: 3, New: 3, Status: Unchanged, Runs: []Run{eq("Türkiye.")}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Compare(c.old, c.new)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Compare\n got %+v\nwant %+v", got, c.want)
			}
			checkCompare(t, c.old, c.new, got)
		})
	}
}

func TestCompareEditBound(t *testing.T) {
	cases := []struct {
		name string
		n    int
		want map[Status]int
	}{
		// old a0…a99 K, new K b0…b99: 200 edits, under the bound: K is
		// found, the a's are removed, the b's added.
		{"under the bound the common paragraph is found", 100, map[Status]int{Removed: 100, Unchanged: 1, Added: 100}},
		// 1,200 edits > MaxParagraphEdits: nothing is common at either end,
		// so all 601 old paragraphs are paired in order with the 601 new
		// (a0 with K, …, K with b599), each changed.
		{"over the bound paragraphs are paired in order", 600, map[Status]int{Changed: 601}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := strings.Split(words("a", c.n)+" K", " ")
			new := strings.Split("K "+words("b", c.n), " ")
			got := Compare(old, new)
			counts := map[Status]int{}
			for _, p := range got {
				counts[p.Status]++
			}
			if !reflect.DeepEqual(counts, c.want) {
				t.Fatalf("statuses %v, want %v", counts, c.want)
			}
			checkCompare(t, old, new, got)
		})
	}
}

// checkRuns asserts that the runs rebuild both texts, are non-empty, and
// that no two neighbours could be one run.
func checkRuns(t *testing.T, runs []Run, old, new string) {
	t.Helper()
	var o, n strings.Builder
	for k, r := range runs {
		if r.Text == "" {
			t.Fatalf("run %d is empty", k)
		}
		if k > 0 && (runs[k-1].Op == r.Op || (runs[k-1].Op == Insert && r.Op == Delete)) {
			t.Fatalf("runs %d and %d: %v then %v", k-1, k, runs[k-1].Op, r.Op)
		}
		if r.Op != Insert {
			o.WriteString(r.Text)
		}
		if r.Op != Delete {
			n.WriteString(r.Text)
		}
	}
	if o.String() != old {
		t.Fatalf("equal+delete runs give %q, want old %q", o.String(), old)
	}
	if n.String() != new {
		t.Fatalf("equal+insert runs give %q, want new %q", n.String(), new)
	}
}

// checkCompare asserts that every old and every new paragraph appears once,
// in order, and that each paragraph's runs rebuild its texts.
func checkCompare(t *testing.T, old, new []string, got []ParagraphDiff) {
	t.Helper()
	nextOld, nextNew := 1, 1
	for k, p := range got {
		o, n := "", ""
		if p.Old != 0 {
			if p.Old != nextOld {
				t.Fatalf("entry %d: old paragraph %d, want %d", k, p.Old, nextOld)
			}
			o = old[p.Old-1]
			nextOld++
		}
		if p.New != 0 {
			if p.New != nextNew {
				t.Fatalf("entry %d: new paragraph %d, want %d", k, p.New, nextNew)
			}
			n = new[p.New-1]
			nextNew++
		}
		want := map[bool]map[bool]Status{true: {true: Changed, false: Removed}, false: {true: Added}}[p.Old != 0][p.New != 0]
		if p.Old != 0 && p.New != 0 && o == n {
			want = Unchanged
		}
		if p.Status != want {
			t.Fatalf("entry %d (%d→%d): status %q, want %q", k, p.Old, p.New, p.Status, want)
		}
		checkRuns(t, p.Runs, o, n)
	}
	if nextOld != len(old)+1 || nextNew != len(new)+1 {
		t.Fatalf("covered %d old and %d new paragraphs, want %d and %d", nextOld-1, nextNew-1, len(old), len(new))
	}
}

var vocabulary = []string{
	"NATO", "Russia", "Россия", "угроза", "Ελλάδα", "συμμαχία", "Türkiye", "İttifak", "ışık",
	"the", "council", "2026", " ", "  ", ", ", ".", "—", "\n", "'", "cafe\u0301",
}

func randomText(r *rand.Rand, maxTokens int) string {
	var b strings.Builder
	for range r.IntN(maxTokens + 1) {
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
	}
	return b.String()
}

// mutate copies s's tokens, dropping, replacing and inserting some.
func mutate(r *rand.Rand, s string) string {
	var b strings.Builder
	for _, tok := range Tokens(s) {
		switch r.IntN(10) {
		case 0: // drop
		case 1:
			b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		case 2:
			b.WriteString(tok)
			b.WriteString(vocabulary[r.IntN(len(vocabulary))])
		default:
			b.WriteString(tok)
		}
	}
	return b.String()
}

func TestCompareRandomReconstruction(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	for iter := range 300 {
		old := make([]string, r.IntN(12))
		for k := range old {
			old[k] = randomText(r, 30)
		}
		var new []string
		for _, p := range old {
			switch r.IntN(6) {
			case 0: // removed
			case 1:
				new = append(new, mutate(r, p))
			case 2:
				new = append(new, randomText(r, 30), p)
			default:
				new = append(new, p)
			}
		}
		if len(new) > 1 && r.IntN(3) == 0 { // move one paragraph
			k := r.IntN(len(new))
			p := new[k]
			new = append(new[:k], new[k+1:]...)
			j := r.IntN(len(new) + 1)
			new = append(new[:j], append([]string{p}, new[j:]...)...)
		}
		got := Compare(old, new)
		t.Run(fmt.Sprint(iter), func(t *testing.T) { checkCompare(t, old, new, got) })
		if again := Compare(old, new); !reflect.DeepEqual(got, again) {
			t.Fatalf("iteration %d: two runs differ", iter)
		}
	}
}

func FuzzWords(f *testing.F) {
	f.Add("the cat sat", "a dog sat")
	f.Add("Η Ελλάδα συμφωνεί.", "Η Ελλάδα δεν συμφωνεί.")
	f.Add("", "Россия")
	f.Add("a\xffb", "a b")
	f.Fuzz(func(t *testing.T, old, new string) {
		checkRuns(t, Words(old, new), old, new)
	})
}

// benchText builds n paragraphs of about w words from a vocabulary of 5,000.
func benchText(r *rand.Rand, n, w int) []string {
	out := make([]string, n)
	for k := range out {
		ws := make([]string, w)
		for j := range ws {
			ws[j] = fmt.Sprintf("w%d", r.IntN(5000))
		}
		out[k] = strings.Join(ws, " ")
	}
	return out
}

// BenchmarkCompare200x1000 compares two versions of 200 paragraphs of 1,000
// words: "edited" changes about one word in twenty in every paragraph;
// "rewritten" replaces every paragraph with unrelated text (the bounded
// worst case). On two shared cores: about 50 ms and 0.26 s.
func BenchmarkCompare200x1000(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	old := benchText(r, 200, 1000)
	edited := make([]string, len(old))
	for k, p := range old {
		ws := strings.Fields(p)
		for j := range ws {
			if r.IntN(20) == 0 {
				ws[j] = "changed"
			}
		}
		edited[k] = strings.Join(ws, " ")
	}
	rewritten := benchText(r, 200, 1000)
	for _, c := range []struct {
		name string
		new  []string
	}{{"edited", edited}, {"rewritten", rewritten}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Compare(old, c.new)
			}
		})
	}
}

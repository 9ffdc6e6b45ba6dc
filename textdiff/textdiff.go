// Package textdiff compares two versions of a text given as ordered
// paragraphs, paragraph by paragraph and, within a changed paragraph, word by
// word. It is pure: standard library only, no I/O.
//
// # Algorithm
//
// Both levels use the same edit-script routine: Myers' greedy O(ND)
// algorithm ("An O(ND) Difference Algorithm and Its Variations", E. W. Myers,
// Algorithmica 1, 1986), which finds a shortest edit script (equivalently a
// longest common subsequence) of two sequences in O((N+M)·D) time, where N
// and M are the lengths and D the number of inserted plus deleted elements.
// Elements are interned to integers first, so each comparison is an integer
// comparison, and a common prefix and suffix are stripped before the search.
// The search keeps the d+1 values of Myers' V array computed at each step d
// to recover the script, so it needs O(D²) memory; the buffers are reused
// from one paragraph to the next.
//
//  1. Paragraphs are aligned by equality with that routine. Between two
//     consecutive equal paragraphs, the removed old paragraphs and the added
//     new ones are paired in order (first with first, …): such a pair is a
//     changed paragraph, a reworded paragraph shows as changed rather than as
//     removed plus added. What is left over on one side is removed or added.
//     A paragraph that moved shows as removed where it was and added where it
//     now is. Beyond MaxParagraphEdits removed plus added paragraphs the
//     search stops, and the differing middles of the two versions are
//     paired in order.
//  2. A changed paragraph is split into tokens: maximal runs of word
//     characters (letters, digits, combining marks) and maximal runs of
//     everything else (spaces, punctuation). The token sequences are compared
//     with the same routine. When a pair of paragraphs needs more than
//     MaxTokenEdits token insertions and deletions (after the common prefix
//     and suffix are removed), the search stops and the differing middle is
//     shown as one deletion followed by one insertion: the result stays exact,
//     it is only coarser, and the work per paragraph is bounded by
//     O((N+M)·MaxTokenEdits).
//  3. Within each change, deletions come before insertions. An unchanged run
//     made only of spaces and punctuation between two changes is folded into
//     them ("the cat" → "a dog" reads as one replacement, not two around a
//     kept space).
//
// The result is exact — concatenating the Equal and Delete runs of a
// paragraph gives its old text, the Equal and Insert runs its new text — and
// deterministic: the same inputs always give the same runs.
package textdiff

import (
	"unicode"
	"unicode/utf8"
)

// Op is what a run does to the old text.
type Op int

const (
	// Equal text is in both versions.
	Equal Op = iota
	// Insert text is only in the new version.
	Insert
	// Delete text is only in the old version.
	Delete
)

// String names the operation ("equal", "insert", "delete").
func (o Op) String() string {
	switch o {
	case Equal:
		return "equal"
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// Run is a stretch of text with one operation. Runs are never empty.
type Run struct {
	Op   Op
	Text string
}

// Status says what happened to a paragraph between the two versions.
type Status string

const (
	Unchanged Status = "unchanged"
	Changed   Status = "changed"
	Added     Status = "added"
	Removed   Status = "removed"
)

// ParagraphDiff is one paragraph of the comparison. Old and New are 1-based
// paragraph numbers in the old and new version, 0 where the paragraph is
// absent (Old is 0 for an added paragraph, New for a removed one).
type ParagraphDiff struct {
	Old, New int
	Status   Status
	Runs     []Run
}

// MaxTokenEdits bounds the word-level search within one pair of paragraphs:
// beyond this many token insertions plus deletions the differing middle of
// the pair is shown as replaced as a whole. Tokens are words and the
// separators between them, so 1,000 is roughly 250 reworded words, and
// the search for one pair needs at most about 2 MB (MaxTokenEdits²/2 int32).
const MaxTokenEdits = 1000

// MaxParagraphEdits bounds the alignment of paragraphs the same way: beyond
// this many removed plus added paragraphs (after the common first and last
// ones), the differing middles are paired in order as changed paragraphs.
const MaxParagraphEdits = 1000

// Compare aligns the paragraphs of old and new and diffs the changed ones
// word by word. The result lists every paragraph of both versions once, in
// reading order of the new version (removed paragraphs where they stood).
func Compare(old, new []string) []ParagraphDiff {
	in := interner{}
	a, b := in.all(old), in.all(new)
	var sc scratch
	ops := sc.bounded(a, b, MaxParagraphEdits)

	out := make([]ParagraphDiff, 0, max(len(old), len(new)))
	i, j := 0, 0 // next old, next new paragraph (0-based)
	var gapOld, gapNew []int
	flush := func() {
		n := min(len(gapOld), len(gapNew))
		for k := 0; k < n; k++ {
			o, w := gapOld[k], gapNew[k]
			if old[o] == new[w] { // cannot happen after a shortest script; kept for safety
				out = append(out, ParagraphDiff{Old: o + 1, New: w + 1, Status: Unchanged, Runs: whole(Equal, old[o])})
				continue
			}
			out = append(out, ParagraphDiff{Old: o + 1, New: w + 1, Status: Changed, Runs: sc.words(old[o], new[w])})
		}
		for _, o := range gapOld[n:] {
			out = append(out, ParagraphDiff{Old: o + 1, Status: Removed, Runs: whole(Delete, old[o])})
		}
		for _, w := range gapNew[n:] {
			out = append(out, ParagraphDiff{New: w + 1, Status: Added, Runs: whole(Insert, new[w])})
		}
		gapOld, gapNew = gapOld[:0], gapNew[:0]
	}
	for _, op := range ops {
		switch op {
		case Equal:
			flush()
			out = append(out, ParagraphDiff{Old: i + 1, New: j + 1, Status: Unchanged, Runs: whole(Equal, old[i])})
			i++
			j++
		case Delete:
			gapOld = append(gapOld, i)
			i++
		case Insert:
			gapNew = append(gapNew, j)
			j++
		}
	}
	flush()
	return out
}

// Words diffs two strings word by word (see the package comment for the
// tokens and the clean-up of the runs).
func Words(old, new string) []Run {
	var sc scratch
	return sc.words(old, new)
}

func (sc *scratch) words(old, new string) []Run {
	if old == new {
		return whole(Equal, old)
	}
	ta, tb := Tokens(old), Tokens(new)
	in := interner{}
	a, b := in.all(ta), in.all(tb)

	ops := sc.bounded(a, b, MaxTokenEdits)

	var segs []segment
	i, j := 0, 0
	add := func(op Op) {
		if len(segs) == 0 || segs[len(segs)-1].change != (op != Equal) {
			segs = append(segs, segment{change: op != Equal})
		}
		sg := &segs[len(segs)-1]
		switch op {
		case Equal:
			sg.eq = append(sg.eq, ta[i]...)
			i++
			j++
		case Delete:
			sg.del = append(sg.del, ta[i]...)
			i++
		case Insert:
			sg.ins = append(sg.ins, tb[j]...)
			j++
		}
	}
	for _, op := range ops {
		add(op)
	}
	return runs(fold(segs))
}

// bounded returns an edit script turning a into b: the common prefix and
// suffix are kept, and the middle is searched with script up to limit
// edits; beyond the limit the middle is all deleted, then all inserted.
// The slice is only valid until the next call with the same scratch.
func (sc *scratch) bounded(a, b []int32, limit int) []Op {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	mid, ok := sc.script(a[p:len(a)-s], b[p:len(b)-s], limit)
	ops := make([]Op, 0, len(a)+len(b))
	for range p {
		ops = append(ops, Equal)
	}
	if ok {
		ops = append(ops, mid...)
	} else {
		for range len(a) - p - s {
			ops = append(ops, Delete)
		}
		for range len(b) - p - s {
			ops = append(ops, Insert)
		}
	}
	for range s {
		ops = append(ops, Equal)
	}
	return ops
}

// segment is either unchanged text (eq) or a change (del, ins).
type segment struct {
	change       bool
	eq, del, ins []byte
}

// fold merges change, separator-only equal, change into one change.
func fold(segs []segment) []*segment {
	out := make([]*segment, 0, len(segs))
	for k := range segs {
		sg := &segs[k]
		n := len(out)
		if sg.change && n >= 2 && !out[n-1].change && out[n-2].change && separatorOnly(string(out[n-1].eq)) {
			eq := out[n-1].eq
			prev := out[n-2]
			prev.del = append(append(prev.del, eq...), sg.del...)
			prev.ins = append(append(prev.ins, eq...), sg.ins...)
			out = out[:n-1]
			continue
		}
		out = append(out, sg)
	}
	return out
}

func runs(segs []*segment) []Run {
	var out []Run
	for _, sg := range segs {
		if !sg.change {
			out = append(out, Run{Equal, string(sg.eq)})
			continue
		}
		if len(sg.del) > 0 {
			out = append(out, Run{Delete, string(sg.del)})
		}
		if len(sg.ins) > 0 {
			out = append(out, Run{Insert, string(sg.ins)})
		}
	}
	return out
}

func whole(op Op, text string) []Run {
	if text == "" {
		return nil
	}
	return []Run{{op, text}}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func separatorOnly(s string) bool {
	for _, r := range s {
		if isWordRune(r) {
			return false
		}
	}
	return true
}

// Tokens splits s into maximal runs of word characters (letters, digits,
// combining marks) and maximal runs of other characters. Concatenating the
// tokens gives s back. Invalid UTF-8 bytes count as separators.
func Tokens(s string) []string {
	var out []string
	start := 0
	var inWord bool
	for k := 0; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		w := isWordRune(r) && !(r == utf8.RuneError && size == 1)
		if k > start && w != inWord {
			out = append(out, s[start:k])
			start = k
		}
		inWord = w
		k += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// interner maps equal strings to equal small integers.
type interner map[string]int32

func (in interner) all(xs []string) []int32 {
	out := make([]int32, len(xs))
	for k, x := range xs {
		id, ok := in[x]
		if !ok {
			id = int32(len(in))
			in[x] = id
		}
		out[k] = id
	}
	return out
}

// scratch holds the buffers of script so that a comparison of many
// paragraphs reuses them instead of allocating per pair.
type scratch struct {
	v, trace []int32
	ops      []Op
}

// script returns a shortest edit script turning a into b, one Op per step
// (Equal consumes one element of each, Delete one of a, Insert one of b), by
// Myers' greedy algorithm. With limit > 0 it gives up (ok false) once more
// than limit insertions plus deletions would be needed. The returned slice
// is only valid until the next call with the same scratch.
//
// Ties are broken as in Myers' paper: on each diagonal the furthest-reaching
// path is extended from the diagonal above (an insertion) when that reaches
// further than the one below, else from the one below (a deletion).
func (sc *scratch) script(a, b []int32, limit int) (ops []Op, ok bool) {
	n, m := len(a), len(b)
	maxD := n + m
	if limit > 0 && limit < maxD {
		maxD = limit
	}
	off := maxD + 1
	if cap(sc.v) < 2*maxD+3 {
		sc.v = make([]int32, 2*maxD+3)
	}
	v := sc.v[:2*maxD+3]
	clear(v)
	// trace holds, step after step, the d+1 values v[-d], v[-d+2], …, v[d]
	// computed at step d; step e starts at e(e+1)/2.
	trace := sc.trace[:0]
	defer func() { sc.trace = trace[:0] }()
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = int(v[off+k+1])
			} else {
				x = int(v[off+k-1]) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = int32(x)
			if x >= n && y >= m {
				return sc.backtrack(trace, d, n, m), true
			}
		}
		for k := -d; k <= d; k += 2 {
			trace = append(trace, v[off+k])
		}
	}
	return nil, false
}

func (sc *scratch) backtrack(trace []int32, dEnd, n, m int) []Op {
	ops := sc.ops[:0]
	x, y := n, m
	for d := dEnd; d > 0; d-- {
		e := d - 1 // the step whose values decided the move into step d
		prev := trace[e*(e+1)/2 : e*(e+1)/2+e+1]
		at := func(k int) int { return int(prev[(k+e)/2]) }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		// the snake after the move
		mx, my := px, py
		if pk == k+1 {
			my++
		} else {
			mx++
		}
		for x > mx && y > my {
			ops = append(ops, Equal)
			x--
			y--
		}
		if pk == k+1 {
			ops = append(ops, Insert)
		} else {
			ops = append(ops, Delete)
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		ops = append(ops, Equal)
		x--
		y--
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	sc.ops = ops
	return ops
}

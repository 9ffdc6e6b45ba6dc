package export

import (
	"math"
	"strconv"
	"strings"
)

type cellKind uint8

const (
	kindEmpty cellKind = iota
	kindText
	kindInt
	kindDecimal
)

// Cell is one value of a table: empty, text, a whole number or a decimal
// number written with a fixed number of decimals. Text goes through
// [Escape] when written; numbers never do.
type Cell struct {
	kind cellKind
	text string
	num  float64
	prec int
}

// Empty is a cell without a value.
var Empty = Cell{}

// Text is a text cell.
func Text(s string) Cell {
	if s == "" {
		return Empty
	}
	return Cell{kind: kindText, text: s}
}

// Int is a whole-number cell.
func Int(n int) Cell { return Cell{kind: kindInt, num: float64(n)} }

// Decimal is a number cell written with exactly prec decimals. NaN and
// infinities make an empty cell.
func Decimal(v float64, prec int) Cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Empty
	}
	return Cell{kind: kindDecimal, num: v, prec: prec}
}

// IsEmpty reports whether the cell has no value.
func (c Cell) IsEmpty() bool { return c.kind == kindEmpty }

// IsNumber reports whether the cell holds a number.
func (c Cell) IsNumber() bool { return c.kind == kindInt || c.kind == kindDecimal }

// String is the cell as written to a CSV file: numbers with "." as the
// decimal separator, text protected by [Escape].
func (c Cell) String() string {
	switch c.kind {
	case kindText:
		return Escape(c.text)
	case kindInt:
		return strconv.FormatInt(int64(c.num), 10)
	case kindDecimal:
		return formatDecimal(c.num, c.prec)
	}
	return ""
}

// formatDecimal writes v with prec decimals; a value that rounds to zero is
// written without a minus sign.
func formatDecimal(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	return s
}

// rounded is the value of a decimal cell as written (so that a workbook
// holds the same number as the CSV file).
func (c Cell) rounded() float64 {
	v, err := strconv.ParseFloat(formatDecimal(c.num, c.prec), 64)
	if err != nil {
		return c.num
	}
	return v
}

// Escape protects a text cell against spreadsheet formula injection: a
// value starting with =, +, -, @, a tab or a carriage return is prefixed
// with an apostrophe, so spreadsheet programs show it as text instead of
// evaluating it. A value that already starts with an apostrophe followed by
// one of those characters is prefixed too, so that the import of positions,
// which removes exactly one such apostrophe, gives back the original text.
// Numbers are never passed through Escape.
func Escape(s string) string {
	if s == "" {
		return s
	}
	if triggersFormula(s[0]) || s[0] == '\'' && len(s) > 1 && triggersFormula(s[1]) {
		return "'" + s
	}
	return s
}

func triggersFormula(b byte) bool {
	switch b {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

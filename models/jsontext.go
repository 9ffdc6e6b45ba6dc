package models

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSONTextProblem checks every string of a JSON document (object keys
// included) for text that Go's decoder would silently replace by U+FFFD:
// bytes that are not UTF-8, and \u escapes of a lone UTF-16 surrogate.
// Such text is refused by the web forms, so the API and the definition
// import refuse it too, before decoding, naming where it is: a path such
// as questions[2].points[1] (the key itself for a bad key). It returns
// ok = true when all strings are valid text. data must already be valid
// JSON (json.Valid); anything else is reported at the root.
func JSONTextProblem(data []byte) (path string, ok bool) {
	s := jsonScanner{data: data}
	s.value("")
	if s.bad {
		return strings.ToValidUTF8(s.where, "\uFFFD"), false
	}
	return "", true
}

// JSONTextMessage is the message given for the path JSONTextProblem names.
const JSONTextMessage = "Contains bytes that are not UTF-8 text, or a \\u escape of a lone surrogate; send valid UTF-8."

type jsonScanner struct {
	data  []byte
	i     int
	bad   bool
	where string
}

func (s *jsonScanner) fail(path string) {
	if !s.bad {
		s.bad, s.where = true, path
	}
}

func (s *jsonScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value(path string) {
	s.space()
	if s.bad || s.i >= len(s.data) {
		return
	}
	switch s.data[s.i] {
	case '{':
		s.i++
		for !s.bad {
			s.space()
			if s.i >= len(s.data) {
				s.fail(path)
				return
			}
			if s.data[s.i] == '}' {
				s.i++
				return
			}
			if s.data[s.i] == ',' {
				s.i++
				continue
			}
			key, ok := s.str()
			child := key
			if path != "" {
				child = path + "." + key
			}
			if !ok {
				s.fail(child)
				return
			}
			s.space()
			if s.i < len(s.data) && s.data[s.i] == ':' {
				s.i++
			}
			s.value(child)
		}
	case '[':
		s.i++
		for n := 0; !s.bad; {
			s.space()
			if s.i >= len(s.data) {
				s.fail(path)
				return
			}
			switch s.data[s.i] {
			case ']':
				s.i++
				return
			case ',':
				s.i++
				n++
				continue
			}
			s.value(path + "[" + strconv.Itoa(n) + "]")
		}
	case '"':
		if _, ok := s.str(); !ok {
			s.fail(path)
		}
	default: // a number, true, false or null
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// str reads a string starting at its opening quote and returns it as
// written (escapes kept, enough for a path) and whether it is valid text.
func (s *jsonScanner) str() (string, bool) {
	start := s.i + 1
	ok := true
	pendingHigh := false // the last escape was a high surrogate
	for s.i = start; s.i < len(s.data); {
		c := s.data[s.i]
		switch {
		case c == '"':
			raw := string(s.data[start:s.i])
			s.i++
			if pendingHigh {
				ok = false
			}
			return raw, ok
		case c == '\\' && s.i+1 < len(s.data) && s.data[s.i+1] == 'u' && s.i+6 <= len(s.data):
			v, err := strconv.ParseUint(string(s.data[s.i+2:s.i+6]), 16, 32)
			if err != nil {
				ok = false
			}
			switch {
			case v >= 0xD800 && v <= 0xDBFF:
				if pendingHigh {
					ok = false
				}
				pendingHigh = true
			case v >= 0xDC00 && v <= 0xDFFF:
				if !pendingHigh {
					ok = false
				}
				pendingHigh = false
			default:
				if pendingHigh {
					ok = false
				}
				pendingHigh = false
			}
			s.i += 6
		case c == '\\':
			if pendingHigh {
				ok = false
			}
			pendingHigh = false
			s.i += 2
		case c < utf8.RuneSelf:
			if pendingHigh {
				ok = false
			}
			pendingHigh = false
			s.i++
		default:
			if pendingHigh {
				ok = false
			}
			pendingHigh = false
			r, size := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && size <= 1 {
				ok = false
			}
			s.i += max(size, 1)
		}
	}
	return string(s.data[start:]), false
}

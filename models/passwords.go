package models

import (
	_ "embed"
	"strings"
)

//go:embed data/common-passwords.txt
var commonPasswordList string

// commonPasswords is read once from the embedded list; it never changes.
var commonPasswords = func() map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out[strings.ToLower(line)] = true
		}
	}
	return out
}()

// isCommonPassword reports whether a password is on the shipped list, is
// one character repeated, or is a listed base word repeated or followed by
// digits and symbols only (password2024!, qwertyqwerty).
func isCommonPassword(p string) bool {
	lower := strings.ToLower(p)
	if commonPasswords[lower] {
		return true
	}
	if first := []rune(lower)[0]; strings.Trim(lower, string(first)) == "" {
		return true
	}
	base := strings.TrimRightFunc(lower, func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	if base != lower && commonPasswords[base] {
		return true
	}
	for n := 1; n <= len(base)/2; n++ {
		if len(base)%n == 0 && strings.Repeat(base[:n], len(base)/n) == base && commonPasswords[base[:n]] {
			return true
		}
	}
	return false
}

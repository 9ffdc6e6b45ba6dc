package models_test

import (
	"strings"
	"testing"

	"concord/models"
)

func TestIsSlug(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"words and a year", "nato-russia-2025", true},
		{"one letter", "a", true},
		{"starts with a digit", "2025-review", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"empty", "", false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"leading hyphen", "-review", false},
		{"trailing hyphen", "review-", false},
		{"double hyphen", "nato--russia", false},
		{"capital letter", "Review", false},
		{"space", "nato russia", false},
		{"underscore", "nato_russia", false},
		{"dot", "v1.2", false},
		{"slash", "a/b", false},
		{"accented letter", "sécurité", false},
		{"only a hyphen", "-", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.IsSlug(tc.in); got != tc.want {
				t.Errorf("IsSlug(%q) = %t, want %t", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", true},
		{"plain", "Keep the Founding Act.", true},
		{"accents and other scripts", "Türkiye, Ελλάδα, България", true},
		{"tab, line feed, carriage return", "a\tb\r\nc\n", true},
		{"Windows-1252 bytes", "d\xe9l\xe9gation", false},
		{"a lone continuation byte", "abc\x80", false},
		{"truncated sequence", "\xc3", false},
		{"NUL", "a\x00b", false},
		{"escape", "\x1b[0m", false},
		{"vertical tab", "a\vb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.IsText(tc.in); got != tc.want {
				t.Errorf("IsText(%q) = %t, want %t", tc.in, got, tc.want)
			}
		})
	}
}

func TestPasswordProblem(t *testing.T) {
	tests := []struct {
		name     string
		password string
		username string
		want     string // substring of the message; "" means acceptable
	}{
		{"four words", "amber lantern over quiet fjords", "kadri", ""},
		{"exactly twelve characters", "violet stone", "kadri", ""},
		{"twelve characters of several bytes each", "žluťoučký kůň", "", ""},
		{"exactly 72 bytes", "harbour lights over the baltic sea at dawn, ferries leaving for helsinki", "", ""},
		{"no username to compare with", "kadri walks the harbour", "", ""},
		{"too short", "short pass", "kadri", "Use at least 12 characters"},
		{"empty", "", "kadri", "Use at least 12 characters"},
		{"eleven characters", "violet ston", "kadri", "Use at least 12 characters"},
		{"73 bytes", strings.Repeat("ab", 36) + "c", "", "Use at most 72 bytes."},
		{"contains the username", "kadri walks the harbour", "kadri", "must not contain the username"},
		{"contains the username in capitals", "KADRI walks the harbour", "kadri", "must not contain the username"},
		{"a common password with digits", "password2024!!", "kadri", "too easy to guess"},
		{"a phrase repeated", "Password123!Password123!", "kadri", "Repeats like"},
		{"alliance words and a year", "nato-russia-2025", "kadri", "words tied to you, your member or the alliance"},
		{"the member's name and a year", "estonia-tallinn-2026", "kadri", "words tied to you"},
		{"a known word repeated", "natonatonato", "kadri", "too easy to guess"},
		{"one character repeated", "zzzzzzzzzzzzzzz", "kadri", "Repeats like"},
		{"a keyboard row", "qwertyuiop[]", "kadri", "Rows of keys"},
		{"a sequence", "abcdefghijklmnop", "kadri", "Sequences like"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := models.PasswordProblem(tc.password, tc.username, "EST", "Estonia", "Tallinn")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("PasswordProblem(%q) = %q, want acceptable", tc.password, got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("PasswordProblem(%q) = %q, want a message with %q", tc.password, got, tc.want)
			}
		})
	}
}

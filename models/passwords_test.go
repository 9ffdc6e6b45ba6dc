package models

import (
	"strings"
	"testing"
)

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		name, password, username string
		ok                       bool
	}{
		{"eleven characters", "abcdefghijk", "", false},
		{"twelve unusual characters", "tallinn-bay7", "", true},
		{"twelve multibyte characters count as characters", "ölü çağrı kış", "", true},
		{"longer than bcrypt reads", strings.Repeat("river ", 13), "", false},
		{"contains the username", "kadri and the harbour", "kadri", false},
		{"contains the username in other case", "KADRI and the harbour", "kadri", false},
		{"a common password", "password1234", "", false},
		{"a keyboard row with digits", "qwertyuiop2024!", "", false},
		{"one character repeated", "aaaaaaaaaaaaaaa", "", false},
		{"alliance words joined", "nato-russia-2025", "", false},
		{"a passphrase", "correct horse battery staple", "kadri", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := PasswordProblem(tc.password, tc.username)
			if (msg == "") != tc.ok {
				t.Fatalf("PasswordProblem(%q) = %q, want ok=%v", tc.password, msg, tc.ok)
			}
		})
	}
}

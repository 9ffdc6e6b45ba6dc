package handlers

import (
	"strings"
	"testing"
)

func TestCSSString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "NATO–Russia review", `"NATO–Russia review"`},
		{"quotes and backslash", `a "b" \c`, `"a \22 b\22  \5c c"`},
		{"cannot close the rule", "x\"; } body { color: red", `"x\22 ; } body { color: red"`},
		{"newline", "two\nlines", `"two\a lines"`},
		{"angle brackets", "</style>", `"\3c /style\3e "`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cssString(tc.in); got != tc.want {
				t.Errorf("cssString(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestPrintStyles(t *testing.T) {
	tests := []struct {
		name, marking string
		want, absent  []string
	}{
		{"with a marking", "Restricted", []string{`@top-left { content: "Review"`, `@top-right { content: "Restricted"`,
			`@bottom-left { content: "Restricted"`, `"Page " counter(page) " of " counter(pages)`}, nil},
		{"without a marking", "  ", []string{`@top-left { content: "Review"`, `counter(page)`}, []string{"@top-right", "@bottom-left"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			css := printStyles("Review", tc.marking)
			for _, w := range tc.want {
				if !strings.Contains(css, w) {
					t.Errorf("styles lack %q:\n%s", w, css)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(css, a) {
					t.Errorf("styles have %q:\n%s", a, css)
				}
			}
		})
	}
}

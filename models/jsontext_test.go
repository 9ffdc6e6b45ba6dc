package models_test

import (
	"encoding/json"
	"testing"

	"concord/models"
)

func TestJSONTextProblem(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		path string // where the bad text is ("" for the root)
	}{
		{"plain", `{"a": "text", "b": [1, true, null, "x"]}`, true, ""},
		{"accented and emoji", `{"a": "Türkiye — 🇹🇷"}`, true, ""},
		{"an escaped surrogate pair", `{"a": "\ud83d\ude00"}`, true, ""},
		{"escaped BMP characters", `{"a": "\u00e9\u2014\n\"\\"}`, true, ""},
		{"invalid byte in a value", "{\"a\": \"x\xff\"}", false, "a"},
		{"invalid byte in a nested list", "{\"questions\": [{\"points\": [\"ok\", \"bad\xc3\"]}]}", false, "questions[0].points[1]"},
		{"a lone high surrogate", `{"positions": [{"rationale": "x"}, {"rationale": "\ud800"}]}`, false, "positions[1].rationale"},
		{"a lone low surrogate", `{"a": "\udc00 text"}`, false, "a"},
		{"a high surrogate followed by a letter", `{"a": "\ud83dx"}`, false, "a"},
		{"two high surrogates", `{"a": "\ud83d\ud83d\ude00"}`, false, "a"},
		{"a bad key", "{\"k\xfe\": 1}", false, "k\uFFFD"},
		{"a top-level bad byte names the root", "\"\xff\"", false, ""},
		{"a top-level bad string names the root", `"\ud800"`, false, ""},
		{"a surrogate at the end of a list", `["\udfff"]`, false, "[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.in)) {
				t.Fatalf("test input is not valid JSON: %q", tc.in)
			}
			path, ok := models.JSONTextProblem([]byte(tc.in))
			if ok != tc.ok {
				t.Fatalf("JSONTextProblem(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if path != tc.path {
				t.Errorf("path %q, want %q", path, tc.path)
			}
		})
	}
}

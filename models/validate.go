package models

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

// MaxRationale is the longest rationale or text answer accepted, in characters.
const MaxRationale = 4000

// NewValidator returns the validator used for every input struct. Field
// names in errors are taken from the `field` tag, so messages are keyed by
// the names users and API clients see.
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if name, _, _ := strings.Cut(f.Tag.Get("field"), ","); name != "" && name != "-" {
			return name
		}
		return f.Name
	})
	// Registration only fails for an empty tag or a nil function.
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool {
		return IsSlug(fl.Field().String())
	})
	_ = v.RegisterValidation("text", func(fl validator.FieldLevel) bool {
		return IsText(fl.Field().String())
	})
	return v
}

// IsText reports whether s is text that can be stored, shown and exported
// as it is: valid UTF-8 without control characters other than tab, line
// feed and carriage return (the ones that neither a web page nor a
// spreadsheet cell can hold). A file saved in another encoding, such as
// Windows-1252, fails this test.
func IsText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// IsSlug reports whether s is a stable key: lower-case letters, digits and
// single hyphens, starting with a letter or digit, at most 64 characters.
func IsSlug(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// FieldMessages turns validator failures into one plain sentence per field.
// Errors that are not validation failures yield a single "" entry.
func FieldMessages(err error) map[string]string {
	out := map[string]string{}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		out[""] = err.Error()
		return out
	}
	for _, fe := range verrs {
		name := fe.Field()
		if _, seen := out[name]; seen {
			continue
		}
		out[name] = message(fe)
	}
	return out
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_if":
		return "This field is required."
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Must be at most %s characters.", fe.Param())
		}
		return fmt.Sprintf("Must be at most %s.", fe.Param())
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Must be at least %s characters.", fe.Param())
		}
		return fmt.Sprintf("Must be at least %s.", fe.Param())
	case "oneof":
		return "Choose one of: " + strings.ReplaceAll(fe.Param(), "'", "") + "."
	case "text":
		return "Contains characters that are not valid text."
	case "slug":
		return "Use lower-case letters, digits and hyphens only (for example nato-russia-2025)."
	case "ltefield", "gtefield":
		return fmt.Sprintf("Must not be %s %s.", map[string]string{"ltefield": "more than", "gtefield": "less than"}[fe.Tag()], fe.Param())
	case "dive":
		return "Contains an invalid entry."
	}
	return "Is not valid."
}

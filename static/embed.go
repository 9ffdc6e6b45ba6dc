// Package static holds the stylesheets, scripts and icons served under
// /static/, embedded in the binary so that nothing loads from the internet.
package static

import "embed"

// FS holds every static asset.
//
//go:embed *.css *.js *.svg
var FS embed.FS

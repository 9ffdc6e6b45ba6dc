// Package templates holds the HTML templates, embedded in the binary.
//
// layout.html is the page frame; partials/ holds blocks shared by pages;
// pages/ holds one file per page, each defining "title" and "content".
package templates

import "embed"

// FS holds layout.html, partials/*.html and pages/*.html.
//
//go:embed layout.html partials/*.html pages/*.html
var FS embed.FS

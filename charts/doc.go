// Package charts turns the structs of a consensus report into what the
// report pages display: server-rendered SVG charts (as html/template HTML,
// every label escaped) and small view models that gather, order and label
// the report's figures for the templates.
//
// The package is pure: report structs in, markup and view models out. It
// computes no metric of its own; where a page needs a figure the report
// does not hold directly (how many members responded at all, which colour
// class a deviation falls in), it is derived here from the report's own
// values, never from the database or the request.
//
// Every chart is an <svg role="img"> with a <title> and a <desc> referenced
// by aria-labelledby; the pages place a table or list with the same
// figures next to each chart, so nothing is conveyed by the picture alone.
// Colours come from palettes that stay distinguishable for readers with a
// colour-vision deficiency (ColorBrewer PuOr for deviations, Okabe–Ito for
// blocs), and blocs also differ by marker shape so a greyscale print keeps
// them apart.
package charts

package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin/render"
)

// Renderer holds one parsed template set per page (layout + partials +
// page), so pages never overwrite each other's blocks. It implements gin's
// render.HTMLRender. Pages render into a buffer first: a template error
// becomes a clean 500, never half a page.
type Renderer struct {
	pages map[string]*template.Template
}

// NewRenderer parses every page at start-up; a page that fails to parse
// stops start-up.
func NewRenderer(files fs.FS, funcs template.FuncMap) (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}}
	partials, err := fs.Glob(files, "partials/*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		set := append([]string{"layout.html"}, partials...)
		set = append(set, p)
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, set...)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		r.pages[name] = t
	}
	if len(r.pages) == 0 {
		return nil, fmt.Errorf("no pages found")
	}
	return r, nil
}

// Execute renders a page into memory.
func (r *Renderer) Execute(name string, data any) ([]byte, error) {
	t, ok := r.pages[name]
	if !ok {
		return nil, fmt.Errorf("unknown page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return nil, fmt.Errorf("render page %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// Instance implements render.HTMLRender.
func (r *Renderer) Instance(name string, data any) render.Render {
	return &htmlPage{r: r, name: name, data: data}
}

type htmlPage struct {
	r    *Renderer
	name string
	data any
}

func (p *htmlPage) Render(w http.ResponseWriter) error {
	body, err := p.r.Execute(p.name, p.data)
	if err != nil {
		return err // nothing written yet; the error middleware answers 500
	}
	p.WriteContentType(w)
	_, err = w.Write(body)
	return err
}

func (p *htmlPage) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
}

// templateFuncs are the helpers pages may use; they only format.
func templateFuncs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.URL,
		"datetime": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format("2 Jan 2006, 15:04 UTC")
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.UTC().Format("2 Jan 2006, 15:04 UTC")
			}
			return ""
		},
		"pct": func(part, whole int) string {
			if whole == 0 {
				return "0%"
			}
			return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
		},
		"add":    func(a, b int) int { return a + b },
		"plural": plural,
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i + 1
			}
			return out
		},
		"f1": func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"f2": func(v float64) string { return fmt.Sprintf("%.2f", v) },
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"join": strings.Join,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict needs pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
}

// plural counts in words: plural(1, "delegate", "delegates") is
// "1 delegate", plural(0, …) "0 delegates".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

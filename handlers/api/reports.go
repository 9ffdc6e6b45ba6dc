package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"concord/consensus"
	"concord/export"
	"concord/models"
)

// report: GET /api/v1/consultations/:key/report — the analysis of the
// current round, or of ?round=N.
func (a *API) report(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	round, ok := roundParam(c, cons)
	if !ok {
		return
	}
	var rep *consensus.Report
	if a.deps.Report != nil {
		r, err := a.deps.Report(c.Request.Context(), cons, round)
		if err != nil {
			a.fail(c, err)
			return
		}
		rep = r
	} else {
		an, err := a.store.LoadAnalysis(c.Request.Context(), cons, round)
		if err != nil {
			a.fail(c, err)
			return
		}
		rep = consensus.Analyze(an.Input)
	}
	a.deps.Audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditExportDownload,
		Subject: "consultation " + cons.Key, Detail: fmt.Sprintf("report.json via API, round %d", round)})
	if err := StreamJSON(c, rep); err != nil {
		a.log.Error("report cut short", "route", c.FullPath(), "err", err)
	}
}

// StreamJSON answers 200 with v as JSON, written to the response as it is
// produced: the same document, byte for byte, as gin's c.JSON (which
// builds it whole in memory first). A struct is written field by field and
// a slice field element by element, each element encoded on its own, so
// that no more than one element is held encoded at a time; anything else
// is encoded whole. The headers go out before the body: a failure after
// the first bytes cannot change the status any more, and is returned for
// the log.
func StreamJSON(c *gin.Context, v any) error {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(http.StatusOK)
	w := bufio.NewWriterSize(c.Writer, 32<<10)
	if err := writeJSON(w, reflect.ValueOf(v), true); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// writeJSON writes v as encoding/json would. top unfolds a struct (or a
// pointer to one) field by field; below the top, slices of the struct's
// fields are unfolded element by element and the rest is marshalled.
func writeJSON(w *bufio.Writer, v reflect.Value, top bool) error {
	if top && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case top && v.Kind() == reflect.Struct && streamable(v.Type()):
		w.WriteByte('{')
		first := true
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, ok := jsonName(f)
			if !ok {
				continue
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			key, err := json.Marshal(name)
			if err != nil {
				return err
			}
			w.Write(key)
			w.WriteByte(':')
			if err := writeJSON(w, v.Field(i), false); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		return w.WriteByte('}')
	case v.Kind() == reflect.Slice && !v.IsNil() && v.Type().Elem().Kind() != reflect.Uint8:
		w.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				w.WriteByte(',')
			}
			b, err := json.Marshal(v.Index(i).Interface())
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return w.WriteByte(']')
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// streamable reports whether a struct can be written field by field as
// encoding/json writes it: exported fields without embedding, omitempty
// or string options (which would need encoding/json's own rules).
func streamable(t reflect.Type) bool {
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		return false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		if tag := f.Tag.Get("json"); strings.Contains(tag, ",") {
			return false
		}
	}
	return true
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// jsonName is the name encoding/json gives a field; false for a field it
// leaves out (unexported, or tagged "-").
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	switch tag {
	case "-":
		return "", false
	case "":
		return f.Name, true
	}
	return tag, true
}

// exportFile: GET /api/v1/consultations/:key/exports/:file — one CSV table
// of the export pack of the current round, or of ?round=N, as on the
// exports page but without a byte-order mark. The download is audited like
// a page download.
func (a *API) exportFile(c *gin.Context) {
	u, ok := a.user(c)
	if !ok {
		return
	}
	cons, ok := a.visible(c, u)
	if !ok {
		return
	}
	name := c.Param("file")
	names := make([]string, 0, len(export.Files))
	for _, f := range export.Files {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, name) {
		Error(c, http.StatusNotFound, "", fmt.Sprintf("There is no export file %q; the files are %s.", name, strings.Join(names, ", ")), nil)
		return
	}
	round, ok := roundParam(c, cons)
	if !ok {
		return
	}
	pack, err := a.deps.ExportPack(c.Request.Context(), cons, round)
	if err != nil {
		a.fail(c, err)
		return
	}
	t, _ := pack.Table(name) // name is one of export.Files
	var buf bytes.Buffer
	if err := export.WriteCSV(&buf, t, false); err != nil {
		a.fail(c, fmt.Errorf("export %s of %s: %w", name, cons.Key, err))
		return
	}
	a.deps.Downloaded(c, cons, name, round)
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": export.FileName(cons.Key, name)}))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// roundParam reads the optional ?round=N of a report: 1 up to the
// consultation's current round, which is the default.
func roundParam(c *gin.Context, cons *models.Consultation) (int, bool) {
	v := c.Query("round")
	if v == "" {
		return cons.Round, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > cons.Round {
		validation(c, map[string]string{"round": fmt.Sprintf("Give a round from 1 to %d.", cons.Round)})
		return 0, false
	}
	return n, true
}

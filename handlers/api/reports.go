package api

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
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
	an, err := a.store.LoadAnalysis(c.Request.Context(), cons, round)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.deps.Audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditExportDownload,
		Subject: "consultation " + cons.Key, Detail: fmt.Sprintf("report.json via API, round %d", round)})
	c.JSON(http.StatusOK, consensus.Analyze(an.Input))
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

package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"concord/export"
	"concord/models"
)

// Downloads of the export pack besides its CSV tables.
const (
	packZIP  = "pack.zip"
	packXLSX = "pack.xlsx"

	contentCSV  = "text/csv; charset=utf-8"
	contentZIP  = "application/zip"
	contentXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	contentJSON = "application/json; charset=utf-8"
)

// exportLink is one download of the exports page.
type exportLink struct {
	export.File
	Href     string
	Download string // the file name it is saved under
}

// exportHref is the link to a file of the export pack of a round.
func exportHref(key, file string, round int, bom bool) string {
	href := "/consultations/" + key + "/exports/" + file + "?round=" + strconv.Itoa(round)
	if bom {
		href += "&bom=1"
	}
	return href
}

// exportRound reads the round of the per-round tables from ?round=N (the
// current round when absent). A round the consultation does not have is
// answered with 404 and a sentence saying which rounds exist.
func (h *Handler) exportRound(c *gin.Context, cons *models.Consultation) (int, bool) {
	round, err := export.ParseRound(c.Query("round"), cons.Round)
	var rerr *export.RoundError
	switch {
	case errors.As(err, &rerr):
		h.errorPage(c, http.StatusNotFound, rerr.Sentence()+" Choose a round on the exports page.")
		return 0, false
	case err != nil:
		h.fail(c, err)
		return 0, false
	}
	return round, true
}

// exportsPage lists the files of the export pack of a round (the current
// one unless ?round=N) with their download links, and a form to choose the
// round and the byte-order mark.
func (h *Handler) exportsPage(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	round, ok := h.exportRound(c, cons)
	if !ok {
		return
	}
	bom := c.Query("bom") == "1"
	var files []exportLink
	for _, f := range export.Files {
		files = append(files, exportLink{File: f, Href: exportHref(cons.Key, f.Name, round, bom), Download: export.FileName(cons.Key, f.Name)})
	}
	rounds := make([]int, cons.Round)
	for i := range rounds {
		rounds[i] = i + 1
	}
	h.page(c, http.StatusOK, "export_files", "Exports — "+cons.Title, gin.H{
		"Consultation": cons, "Files": files, "BOM": bom, "Round": round, "Rounds": rounds,
		"ZIP":           exportLink{Href: exportHref(cons.Key, packZIP, round, bom), Download: export.FileName(cons.Key, packZIP)},
		"XLSX":          exportLink{Href: exportHref(cons.Key, packXLSX, round, false), Download: export.FileName(cons.Key, packXLSX)},
		"Definition":    "/consultations/" + cons.Key + "/definition.json",
		"AcceptsImport": cons.AcceptsImport(h.store.Now()),
	})
}

// exportFile sends one file of the export pack of a round (the current one
// unless ?round=N): a CSV table, all of them as a ZIP, or the XLSX
// workbook. Every download is recorded in the audit log with its round.
func (h *Handler) exportFile(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	name := c.Param("file")
	isTable := slices.ContainsFunc(export.Files, func(f export.File) bool { return f.Name == name })
	if !isTable && name != packZIP && name != packXLSX {
		h.errorPage(c, http.StatusNotFound, "There is no export file with this name. The exports page lists them all.")
		return
	}
	round, ok := h.exportRound(c, cons)
	if !ok {
		return
	}
	bom := c.Query("bom") == "1"
	pack, err := h.exportPackRound(c.Request.Context(), cons, round)
	if err != nil {
		h.fail(c, err)
		return
	}
	var buf bytes.Buffer
	contentType := contentCSV
	switch name {
	case packZIP:
		contentType = contentZIP
		err = export.WriteZIP(&buf, cons.Key, pack.Tables(), bom, h.store.Now())
	case packXLSX:
		contentType, bom = contentXLSX, false
		err = export.WriteXLSX(&buf, pack.Tables())
	default:
		t, _ := pack.Table(name)
		err = export.WriteCSV(&buf, t, bom)
	}
	if err != nil {
		h.fail(c, fmt.Errorf("export %s of %s: %w", name, cons.Key, err))
		return
	}
	h.recordRoundDownload(c, cons, name, round, bom)
	sendAttachment(c, export.FileName(cons.Key, name), contentType, buf.Bytes())
}

// exportPackRound loads the export pack of a round: its analysis, the
// analysis of every round (rounds.csv, movement.csv) and the history of
// every revision.
func (h *Handler) exportPackRound(ctx context.Context, cons *models.Consultation, round int) (*export.Pack, error) {
	pack, err := export.Load(ctx, h.store, cons, round)
	if err != nil {
		return nil, fmt.Errorf("export pack of %s, round %d: %w", cons.Key, round, err)
	}
	return pack, nil
}

// recordDownload records a download of the current round's files.
func (h *Handler) recordDownload(c *gin.Context, cons *models.Consultation, name string, bom bool) {
	h.recordRoundDownload(c, cons, name, cons.Round, bom)
}

func (h *Handler) recordRoundDownload(c *gin.Context, cons *models.Consultation, name string, round int, bom bool) {
	detail := fmt.Sprintf("%s, round %d", name, round)
	if bom {
		detail += ", with byte-order mark"
	}
	u := currentUser(c)
	h.audit(c, models.AuditEvent{UserID: &u.ID, Action: models.AuditExportDownload,
		Subject: "consultation " + cons.Key, Detail: detail})
}

// sendAttachment answers with a file to save, never cached.
func sendAttachment(c *gin.Context, filename, contentType string, body []byte) {
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, contentType, body)
}

// exportDefinition sends the consultation's definition as JSON.
func (h *Handler) exportDefinition(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	def, err := h.store.ExportDefinition(c.Request.Context(), cons.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	body, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		h.fail(c, fmt.Errorf("encode definition of %s: %w", cons.Key, err))
		return
	}
	h.recordDownload(c, cons, "definition.json", false)
	sendAttachment(c, export.FileName(cons.Key, "definition.json"), contentJSON, append(body, '\n'))
}

// upload reads the uploaded file of a multipart form, at most the body
// limit. A missing file is reported as a field message.
func (h *Handler) upload(c *gin.Context) ([]byte, map[string]string, bool) {
	if !h.parseForm(c) {
		return nil, nil, false
	}
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) || err == nil && fh.Size == 0 {
		return nil, map[string]string{"file": "Choose a file to upload; the one given is missing or empty."}, true
	}
	if err != nil {
		h.errorPage(c, http.StatusBadRequest, "The form could not be read. Please reload the page and try again.")
		return nil, nil, false
	}
	f, err := fh.Open()
	if err != nil {
		h.fail(c, fmt.Errorf("open upload: %w", err))
		return nil, nil, false
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		h.fail(c, fmt.Errorf("read upload: %w", err))
		return nil, nil, false
	}
	return buf.Bytes(), nil, true
}

func (h *Handler) importDefinitionForm(c *gin.Context) {
	h.page(c, http.StatusOK, "import_definition", "Create a consultation from a file",
		gin.H{"Open": false, "MaxKB": h.cfg.MaxBodyBytes >> 10})
}

// importDefinition creates a consultation from an uploaded definition
// file; when anything is wrong, the form comes back with every problem.
func (h *Handler) importDefinition(c *gin.Context) {
	data, fields, ok := h.upload(c)
	if !ok {
		return
	}
	open := c.PostForm("open") == "on"
	d := gin.H{"Open": open, "MaxKB": h.cfg.MaxBodyBytes >> 10}
	title := "Create a consultation from a file"
	if fields != nil {
		h.pageErrors(c, http.StatusUnprocessableEntity, "import_definition", title, d, fields)
		return
	}
	def, err := models.ParseDefinition(data)
	var cons *models.Consultation
	if err == nil {
		cons, err = h.store.ImportDefinition(c.Request.Context(), def, open, currentUser(c).ID)
	}
	var derr *models.DefinitionError
	if errors.As(err, &derr) {
		d["Problems"] = derr.Problems
		h.pageErrors(c, http.StatusUnprocessableEntity, "import_definition", title, d, map[string]string{
			"": "The file has " + plural(len(derr.Problems), "problem", "problems") + ", listed below. Nothing was created."})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	questions := plural(len(def.Questions), "question", "questions")
	msg := "Consultation created from the file with " + questions + ". It is a draft: check it, then open it."
	if open {
		msg = "Consultation created from the file with " + questions + " and opened for positions."
	}
	h.redirect(c, "/consultations/"+cons.Key, msg)
}

func (h *Handler) positionsImportView(cons *models.Consultation) gin.H {
	return gin.H{"Consultation": cons, "AcceptsImport": cons.AcceptsImport(h.store.Now()),
		"Columns": models.ImportColumns, "MaxKB": h.cfg.MaxBodyBytes >> 10}
}

func (h *Handler) importPositionsForm(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	h.page(c, http.StatusOK, "import_positions", "Import positions — "+cons.Title, h.positionsImportView(cons))
}

// importPositions writes the positions of an uploaded CSV file, all or
// nothing; when any line is wrong, the form comes back listing each one.
func (h *Handler) importPositions(c *gin.Context) {
	cons, ok := h.consultation(c)
	if !ok {
		return
	}
	data, fields, ok := h.upload(c)
	if !ok {
		return
	}
	title := "Import positions — " + cons.Title
	d := h.positionsImportView(cons)
	if fields != nil {
		h.pageErrors(c, http.StatusUnprocessableEntity, "import_positions", title, d, fields)
		return
	}
	rows, err := models.ParsePositions(bytes.NewReader(data))
	var res models.ImportResult
	if err == nil {
		res, err = h.store.ImportPositions(c.Request.Context(), cons.ID, rows, currentUser(c).ID)
	}
	var ierr *models.ImportError
	var conflict *models.ConflictError
	switch {
	case errors.As(err, &ierr):
		d["Problems"] = ierr.Problems
		h.pageErrors(c, http.StatusUnprocessableEntity, "import_positions", title, d, map[string]string{
			"": "The file has " + plural(len(ierr.Problems), "problem", "problems") + ", listed below by line. Nothing was imported."})
		return
	case errors.As(err, &conflict):
		h.pageErrors(c, http.StatusConflict, "import_positions", title, d, map[string]string{"": conflict.Message})
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.redirect(c, "/consultations/"+cons.Key, importedMessage(res))
}

func importedMessage(res models.ImportResult) string {
	msg := fmt.Sprintf("Imported %s for %s: %s revised, %d already as in the file.",
		plural(res.Rows, "line", "lines"), plural(res.Members, "member", "members"),
		plural(res.Changed, "position", "positions"), res.Unchanged)
	if res.Skipped > 0 {
		msg += " " + plural(res.Skipped, "line without any answer was", "lines without any answer were") + " left out."
	}
	return msg
}

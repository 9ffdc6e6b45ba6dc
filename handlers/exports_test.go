package handlers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"concord/export"
	"concord/models"
)

// expSetup makes an open consultation "review" with positions of EST and
// TUR, and signs in one account of each role.
type expSetup struct {
	app                        *testApp
	cons                       *models.Consultation
	facilitator, observer, del *client
}

func newExpSetup(t *testing.T) *expSetup {
	t.Helper()
	app := newTestApp(t)
	cons := app.consultation("review", models.StatusOpen, scaleQ("posture", 5), choiceQ("act", "Keep", "Suspend"), textQ("notes"))
	by := app.authorID()
	app.submitPositions(cons.ID, "EST", by,
		models.PositionInput{QuestionKey: "posture", Preferred: 4, AcceptMin: 3, AcceptMax: 5, Importance: "high", Rationale: "=HYPERLINK(\"x\"), we hold"},
		models.PositionInput{QuestionKey: "act", Option: 2},
		models.PositionInput{QuestionKey: "notes", Answer: "Eesti seisukoht"})
	app.submitPositions(cons.ID, "TUR", by,
		models.PositionInput{QuestionKey: "posture", Preferred: 2, Rationale: "Türkiye"})
	return &expSetup{app: app, cons: cons,
		facilitator: app.login(app.facilitator("fran")),
		observer:    app.login(app.observer("olga")),
		del:         app.login(app.delegate("dora", "EST")),
	}
}

// expUpload posts a multipart form with a file, as the upload forms do.
func expUpload(t *testing.T, cl *client, path string, fields map[string]string, filename, content string) *response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if cl.cookie("concord_session") != "" {
		if err := mw.WriteField("csrf_token", cl.csrfToken()); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(fw, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return cl.do(http.MethodPost, path, &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

// expProblems lists the problems shown on an upload page.
func expProblems(r *response) []string {
	n := r.byID("problems")
	if n == nil {
		return nil
	}
	var out []string
	for _, li := range find(n, func(n *html.Node) bool { return n.Data == "li" }) {
		out = append(out, textContent(li))
	}
	return out
}

func TestExportAccess(t *testing.T) {
	s := newExpSetup(t)
	anon := s.app.anonymous()
	const (
		fileCSV = "/consultations/review/exports/questions.csv"
		page    = "/consultations/review/exports"
		defJSON = "/consultations/review/definition.json"
		impDef  = "/consultations/import"
		impPos  = "/consultations/review/positions/import"
	)
	tests := []struct {
		name string
		cl   *client
		path string
		want int
	}{
		{"facilitator sees the exports page", s.facilitator, page, http.StatusOK},
		{"observer sees the exports page", s.observer, page, http.StatusOK},
		{"delegate may not see the exports page", s.del, page, http.StatusForbidden},
		{"anonymous is sent to sign in", anon, page, http.StatusSeeOther},
		{"observer downloads a CSV file", s.observer, fileCSV, http.StatusOK},
		{"observer downloads the workbook", s.observer, "/consultations/review/exports/pack.xlsx", http.StatusOK},
		{"delegate may not download", s.del, fileCSV, http.StatusForbidden},
		{"delegate may not download the ZIP", s.del, "/consultations/review/exports/pack.zip", http.StatusForbidden},
		{"anonymous may not download", anon, fileCSV, http.StatusSeeOther},
		{"observer downloads the definition", s.observer, defJSON, http.StatusOK},
		{"delegate may not download the definition", s.del, defJSON, http.StatusForbidden},
		{"observer may not open the definition upload", s.observer, impDef, http.StatusForbidden},
		{"delegate may not open the definition upload", s.del, impDef, http.StatusForbidden},
		{"observer may not open the positions upload", s.observer, impPos, http.StatusForbidden},
		{"facilitator opens the positions upload", s.facilitator, impPos, http.StatusOK},
		{"facilitator opens the definition upload", s.facilitator, impDef, http.StatusOK},
		{"unknown file", s.facilitator, "/consultations/review/exports/secrets.csv", http.StatusNotFound},
		{"unknown consultation", s.facilitator, "/consultations/nope/exports/questions.csv", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.cl.get(tt.path), tt.want)
		})
	}
	uploads := []struct {
		name string
		cl   *client
		path string
	}{
		{"observer may not upload a definition", s.observer, impDef},
		{"delegate may not upload a definition", s.del, impDef},
		{"observer may not upload positions", s.observer, impPos},
		{"delegate may not upload positions", s.del, impPos},
	}
	for _, tt := range uploads {
		t.Run(tt.name, func(t *testing.T) {
			res := expUpload(t, tt.cl, tt.path, nil, "x.csv", "member_code,question_key,preferred\nEST,posture,1\n")
			wantStatus(t, res, http.StatusForbidden)
		})
	}
	if n := s.app.revisionCount(s.cons.ID, ""); n != 4 {
		t.Errorf("%d revisions after refused uploads, want the 4 of the setup", n)
	}
}

func TestExportDownloads(t *testing.T) {
	s := newExpSetup(t)
	tests := []struct {
		file        string
		query       string
		contentType string
		header      string // first line of a CSV file
		bom         bool
	}{
		{"questions.csv", "", "text/csv; charset=utf-8", strings.Join(export.QuestionColumns, ",") + ",n_1,n_2,n_3,n_4,n_5," +
			strings.Join(export.QuestionTailColumns, ","), false},
		{"positions.csv", "", "text/csv; charset=utf-8", strings.Join(export.PositionColumns, ","), false},
		{"matrix.csv", "?bom=1", "text/csv; charset=utf-8", "member_code,member_name,posture", true},
		{"members.csv", "", "text/csv; charset=utf-8", strings.Join(export.MemberColumns, ","), false},
		{"history.csv", "?bom=1", "text/csv; charset=utf-8", strings.Join(export.HistoryColumns, ","), true},
		{"pack.zip", "", "application/zip", "", false},
		{"pack.xlsx", "", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "", false},
	}
	for i, tt := range tests {
		t.Run(tt.file+tt.query, func(t *testing.T) {
			res := s.observer.get("/consultations/review/exports/" + tt.file + tt.query)
			wantStatus(t, res, http.StatusOK)
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
			if err != nil || disp != "attachment" || params["filename"] != "review-"+tt.file {
				t.Errorf("Content-Disposition = %q, want an attachment named review-%s", res.Header.Get("Content-Disposition"), tt.file)
			}
			if tt.header != "" {
				if got := strings.HasPrefix(res.Body, export.BOM); got != tt.bom {
					t.Errorf("starts with a BOM: %t, want %t", got, tt.bom)
				}
				first, _, _ := strings.Cut(strings.TrimPrefix(res.Body, export.BOM), "\r\n")
				if first != tt.header {
					t.Errorf("header line = %q, want %q", first, tt.header)
				}
			}
			events := s.app.auditEvents(models.AuditExportDownload)
			if len(events) != i+1 {
				t.Fatalf("%d export.download events, want %d", len(events), i+1)
			}
			if ev := events[0]; ev.Username != "olga" || ev.Subject != "consultation review" || !strings.HasPrefix(ev.Detail, tt.file) {
				t.Errorf("audit event = %+v, want olga downloading %s of review", ev, tt.file)
			}
		})
	}

	t.Run("positions carry the stored values, protected", func(t *testing.T) {
		res := s.facilitator.get("/consultations/review/exports/positions.csv")
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 {
			t.Fatalf("%d lines, want the header and 4 positions", len(recs))
		}
		est := recs[1]
		if est[0] != "EST" || est[2] != "posture" || est[3] != "4" || est[10] != "'=HYPERLINK(\"x\"), we hold" || est[12] != "harness-author" {
			t.Errorf("EST posture row = %q", est)
		}
	})
	t.Run("the ZIP holds every CSV file", func(t *testing.T) {
		res := s.facilitator.get("/consultations/review/exports/pack.zip?bom=1")
		zr, err := zip.NewReader(strings.NewReader(res.Body), int64(len(res.Body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		want := []string{"review-questions.csv", "review-positions.csv", "review-matrix.csv", "review-members.csv", "review-history.csv",
			"review-rounds.csv", "review-movement.csv", "review-silence.csv"}
		if !slices.Equal(names, want) {
			t.Errorf("entries = %v, want %v", names, want)
		}
	})
	t.Run("the workbook has a sheet per file with numbers as numbers", func(t *testing.T) {
		res := s.facilitator.get("/consultations/review/exports/pack.xlsx")
		f, err := excelize.OpenReader(strings.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := f.GetSheetList(); !slices.Equal(got, []string{"questions", "positions", "matrix", "members", "history", "rounds", "movement", "silence"}) {
			t.Errorf("sheets = %v", got)
		}
		typ, err := f.GetCellType("positions", "D2")
		if err != nil || typ == excelize.CellTypeSharedString {
			t.Errorf("preferred cell type = %v (%v), want a number", typ, err)
		}
		if v, _ := f.GetCellValue("positions", "K2"); v != "'=HYPERLINK(\"x\"), we hold" {
			t.Errorf("rationale = %q, want it protected", v)
		}
	})
}

func TestExportsPage(t *testing.T) {
	s := newExpSetup(t)
	tests := []struct {
		name    string
		cl      *client
		query   string
		links   []string
		absent  []string
		phrases []string
	}{
		{"facilitator without BOM", s.facilitator, "",
			[]string{"/consultations/review/exports/questions.csv?round=1", "/consultations/review/exports/pack.zip?round=1",
				"/consultations/review/exports/rounds.csv?round=1", "/consultations/review/exports/movement.csv?round=1",
				"/consultations/review/exports/pack.xlsx?round=1", "/consultations/review/definition.json",
				"/consultations/review/positions/import", "/consultations/import"},
			[]string{"bom=1"}, []string{"questions.csv", "history.csv", "rounds.csv", "movement.csv", "Every download is recorded",
				"Round 1, the current round"}},
		{"observer with BOM, no import links", s.observer, "?bom=1",
			[]string{"/consultations/review/exports/members.csv?round=1&bom=1", "/consultations/review/exports/pack.zip?round=1&bom=1",
				"/consultations/review/exports/pack.xlsx?round=1"},
			[]string{"/consultations/review/positions/import", "/consultations/import\""}, []string{"add a byte-order mark"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.cl.get("/consultations/review/exports" + tt.query)
			wantStatus(t, res, http.StatusOK)
			var hrefs []string
			for _, a := range find(res.html(), func(n *html.Node) bool { return n.Data == "a" }) {
				v, _ := attr(a, "href")
				hrefs = append(hrefs, v)
			}
			for _, l := range tt.links {
				if !slices.Contains(hrefs, l) {
					t.Errorf("no link to %s; links: %v", l, hrefs)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(res.Body, a) {
					t.Errorf("page contains %q", a)
				}
			}
			wantText(t, res, tt.phrases...)
		})
	}
	t.Run("the consultation page links to the exports", func(t *testing.T) {
		res := s.observer.get("/consultations/review")
		if !strings.Contains(res.Body, `href="/consultations/review/exports"`) {
			t.Error("no Exports button on the consultation page")
		}
	})
}

func TestDefinitionDownloadAndUpload(t *testing.T) {
	s := newExpSetup(t)
	res := s.facilitator.get("/consultations/review/definition.json")
	wantStatus(t, res, http.StatusOK)
	if got := res.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	_, params, _ := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if params["filename"] != "review-definition.json" {
		t.Errorf("file name = %q", params["filename"])
	}
	var def models.Definition
	if err := json.Unmarshal([]byte(res.Body), &def); err != nil {
		t.Fatal(err)
	}
	want, err := s.app.store.ExportDefinition(context.Background(), s.cons.ID)
	if err != nil {
		t.Fatal(err)
	}
	if def.Key != "review" || len(def.Questions) != 3 || def.Questions[0].Key != want.Questions[0].Key || len(def.Questions[0].Points) != 5 {
		t.Errorf("downloaded definition = %+v, want %+v", def, want)
	}

	def.Key, def.Title = "review-copy", "Review, copied"
	good, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(strings.Replace(string(good), `"kind":"choice"`, `"kind":"poll"`, 1), `"key":"review-copy"`, `"key":"review"`, 1)

	tests := []struct {
		name     string
		fields   map[string]string
		filename string
		content  string
		status   int
		problems []string
		field    string
		created  string // key of the consultation the upload creates
		openNow  bool
	}{
		{"every problem listed with its path", nil, "def.json", bad, http.StatusUnprocessableEntity,
			[]string{"key — Another consultation already uses this key", "questions[1].kind — Choose scale, choice or text"}, "", "", false},
		{"not JSON", nil, "def.json", "{\"key\": ", http.StatusUnprocessableEntity,
			[]string{"The file is not valid JSON"}, "", "", false},
		{"no file", nil, "", "", http.StatusUnprocessableEntity, nil, "Choose a file to upload", "", false},
		{"valid file, opened at once", map[string]string{"open": "on"}, "def.json", string(good), http.StatusSeeOther,
			nil, "", "review-copy", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := s.app.store.Consultations(context.Background())
			res := expUpload(t, s.facilitator, "/consultations/import", tt.fields, tt.filename, tt.content)
			wantStatus(t, res, tt.status)
			if tt.created != "" {
				wantRedirect(t, res, "/consultations/"+tt.created)
				c, err := s.app.store.ConsultationByKey(context.Background(), tt.created)
				if err != nil {
					t.Fatal(err)
				}
				if (c.Status == models.StatusOpen) != tt.openNow || c.Title != "Review, copied" {
					t.Errorf("created %+v", c)
				}
				return
			}
			got := expProblems(res)
			if len(got) != len(tt.problems) {
				t.Errorf("problems = %q, want %q", got, tt.problems)
			}
			for i := range tt.problems {
				if i < len(got) && !strings.HasPrefix(got[i], tt.problems[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], tt.problems[i])
				}
			}
			if tt.field != "" {
				wantFieldError(t, res, "", tt.field)
			}
			if tt.problems != nil {
				wantText(t, res, "Nothing was created")
			}
			after, _ := s.app.store.Consultations(context.Background())
			if len(after) != len(before) {
				t.Errorf("%d consultations before, %d after a rejected upload", len(before), len(after))
			}
		})
	}
}

// TestPositionsUploadNewColumns uploads acceptable options and a
// withdrawal through the web form, and a bad value of each.
func TestPositionsUploadNewColumns(t *testing.T) {
	const header = "member_code,question_key,choice,acceptable_options,withdrawn\n"
	tests := []struct {
		name     string
		content  string
		code     int
		problems []string
		written  int
	}{
		{"acceptable options and a withdrawal", header + "EST,act,Keep,2,\nTUR,posture,,,yes\n", http.StatusSeeOther, nil, 2},
		{"bad values", header + "EST,act,Keep,2 5,\nTUR,posture,,,sure\nEST,notes,,,yes\n", http.StatusUnprocessableEntity, []string{
			"Line 2 · acceptable_options — Write the numbers of the acceptable options, from 1 to 2",
			"Line 3 · withdrawn — Write yes to withdraw the answer"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newExpSetup(t)
			before := s.app.revisionCount(s.cons.ID, "")
			res := expUpload(t, s.facilitator, "/consultations/review/positions/import", nil, "p.csv", tt.content)
			wantStatus(t, res, tt.code)
			if got := s.app.revisionCount(s.cons.ID, "") - before; got != tt.written {
				t.Errorf("%d revisions written, want %d", got, tt.written)
			}
			got := expProblems(res)
			if len(got) != len(tt.problems) {
				t.Fatalf("problems = %q, want %q", got, tt.problems)
			}
			for i := range tt.problems {
				if !strings.HasPrefix(got[i], tt.problems[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], tt.problems[i])
				}
			}
			if tt.code != http.StatusSeeOther {
				return
			}
			for _, r := range s.app.revisions(s.cons.ID, "") {
				switch {
				case r.MemberCode == "EST" && r.QuestionKey == "act" && r.Source == models.SourceImport:
					if r.Choice != 1 || r.AcceptOptions != "1 2" {
						t.Errorf("EST act: option %d, acceptable %q; want 1 and \"1 2\"", r.Choice, r.AcceptOptions)
					}
				case r.MemberCode == "TUR" && r.QuestionKey == "posture" && r.Source == models.SourceImport:
					if !r.Withdrawn {
						t.Errorf("TUR posture: %+v, want a withdrawal", r.Revision)
					}
				}
			}
			// The withdrawal is in history.csv, and TUR's posture is gone
			// from positions.csv.
			hist := s.observer.get("/consultations/review/exports/history.csv")
			recs, err := csv.NewReader(strings.NewReader(hist.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			last := recs[len(recs)-1]
			col := func(name string) string { return last[slices.Index(recs[0], name)] }
			if col("member_code") != "TUR" || col("withdrawn") != "yes" || col("preferred") != "" {
				t.Errorf("last history line %q, want TUR's withdrawal", last)
			}
			pos := s.observer.get("/consultations/review/exports/positions.csv")
			prows, err := csv.NewReader(strings.NewReader(pos.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			idx := func(name string) int { return slices.Index(prows[0], name) }
			options := map[string]string{} // member/question → acceptable_options
			for _, r := range prows[1:] {
				options[r[idx("member_code")]+"/"+r[idx("question_key")]] = r[idx("acceptable_options")]
			}
			if _, ok := options["TUR/posture"]; ok {
				t.Error("positions.csv still lists TUR's withdrawn posture")
			}
			if options["EST/act"] != "1 2" {
				t.Errorf("positions.csv: EST's acceptable options %q, want \"1 2\"", options["EST/act"])
			}
		})
	}
}

func TestPositionsUpload(t *testing.T) {
	const header = "member_code,question_key,preferred,acceptable_min,acceptable_max,importance,choice,answer_text,rationale\n"
	tests := []struct {
		name     string
		status   string // consultation status
		filename string
		content  string
		code     int
		problems []string
		alert    string
		field    string
		written  int // revisions added
	}{
		{"valid file", models.StatusOpen, "p.csv", header +
			"LVA,posture,3,2,4,high,,,'=Riga\nLVA,act,,,,,keep,,\nLVA,notes,,,,,,Läti,\nEST,act,,,,,Suspend,,\n",
			http.StatusSeeOther, nil, "", "", 3},
		{"every bad line listed", models.StatusOpen, "p.csv", header +
			"LVA,posture,3,,,,,,\nXXX,posture,3,,,,,,\nLVA,posture,2,,,,,,\nPOL,act,,,,,Abolish,,\n",
			http.StatusUnprocessableEntity, []string{
				"Line 3 · member_code — No member has the code",
				"Line 4 — LVA already has a line for question posture (line 2)",
				"Line 5 · choice — No option of question act reads"}, "", "", 0},
		{"no header", models.StatusOpen, "p.csv", "LVA,posture,3\n", http.StatusUnprocessableEntity,
			[]string{"Line 1 — The first line must be a header"}, "", "", 0},
		{"no file", models.StatusOpen, "", "", http.StatusUnprocessableEntity, nil, "", "Choose a file to upload", 0},
		{"closed consultation", models.StatusClosed, "p.csv", header + "LVA,posture,3,,,,,,\n", http.StatusConflict,
			nil, "Positions can be imported only into a draft or open consultation", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newExpSetup(t)
			s.app.setStatus(s.cons.ID, tt.status)
			before := s.app.revisionCount(s.cons.ID, "")
			res := expUpload(t, s.facilitator, "/consultations/review/positions/import", nil, tt.filename, tt.content)
			wantStatus(t, res, tt.code)
			if got := s.app.revisionCount(s.cons.ID, "") - before; got != tt.written {
				t.Errorf("%d revisions written, want %d", got, tt.written)
			}
			if tt.code == http.StatusSeeOther {
				wantRedirect(t, res, "/consultations/review")
				if msg := res.flash(); !strings.Contains(msg, "Imported 4 lines for 2 members: 3 positions revised, 1 already as in the file") {
					t.Errorf("flash = %q", msg)
				}
				for _, r := range s.app.revisions(s.cons.ID, "LVA") {
					if r.Source != models.SourceImport || r.SubmitterUser != "fran" || !r.OnBehalf {
						t.Errorf("revision %+v: want source import by fran, on LVA's behalf", r.Revision)
					}
					if r.QuestionKey == "posture" && r.Rationale != "=Riga" {
						t.Errorf("rationale = %q, want the protection undone", r.Rationale)
					}
				}
				return
			}
			got := expProblems(res)
			if len(got) != len(tt.problems) {
				t.Errorf("problems = %q, want %q", got, tt.problems)
			}
			for i := range tt.problems {
				if i < len(got) && !strings.HasPrefix(got[i], tt.problems[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], tt.problems[i])
				}
			}
			if tt.alert != "" && !strings.Contains(res.alert(), tt.alert) {
				t.Errorf("alert = %q, want %q", res.alert(), tt.alert)
			}
			if tt.field != "" {
				wantFieldError(t, res, "", tt.field)
			}
		})
	}
}

// expSetRound opens rounds of a consultation until it is in the given
// round, as the facilitator's "open the next round" action does.
func expSetRound(t *testing.T, app *testApp, consultationID uint, round int) {
	t.Helper()
	for {
		c, err := app.store.ConsultationByID(context.Background(), consultationID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Round >= round {
			return
		}
		if _, err := app.store.OpenNextRound(context.Background(), consultationID, nil, app.authorID()); err != nil {
			t.Fatalf("open round %d: %v", c.Round+1, err)
		}
	}
}

// TestExportRounds moves the setup's consultation to round 2, where EST
// answers posture again (4 in round 1, now 3 accepting 3-4; the round-1
// median of EST 4 and TUR 2 is 3, so EST moved toward it), and checks the
// round chosen on the exports page and in the downloads.
func TestExportRounds(t *testing.T) {
	s := newExpSetup(t)
	expSetRound(t, s.app, s.cons.ID, 2)
	s.app.submitPositions(s.cons.ID, "EST", s.app.authorID(),
		models.PositionInput{QuestionKey: "posture", Preferred: 3, AcceptMin: 3, AcceptMax: 4, Importance: "high"})
	const base = "/consultations/review/exports"

	pages := []struct {
		name    string
		query   string
		round   string // selected in the round selector
		links   []string
		phrases []string
	}{
		{"the current round by default", "", "2",
			[]string{base + "/positions.csv?round=2", base + "/pack.zip?round=2", base + "/pack.xlsx?round=2"},
			[]string{"Round 2, the current round", "describe round 2"}},
		{"an earlier round", "?round=1&bom=1", "1",
			[]string{base + "/positions.csv?round=1&bom=1", base + "/rounds.csv?round=1&bom=1", base + "/pack.xlsx?round=1"},
			[]string{"Round 1 of 2", "describe round 1"}},
	}
	for _, tt := range pages {
		t.Run("page: "+tt.name, func(t *testing.T) {
			res := s.observer.get(base + tt.query)
			wantStatus(t, res, http.StatusOK)
			if got := res.selected("round"); got != tt.round {
				t.Errorf("round selected = %q, want %q", got, tt.round)
			}
			var hrefs []string
			for _, a := range find(res.html(), func(n *html.Node) bool { return n.Data == "a" }) {
				v, _ := attr(a, "href")
				hrefs = append(hrefs, v)
			}
			for _, l := range tt.links {
				if !slices.Contains(hrefs, l) {
					t.Errorf("no link to %s; links: %v", l, hrefs)
				}
			}
			wantText(t, res, tt.phrases...)
		})
	}

	refused := []struct {
		name, path string
	}{
		{"page of a round not yet opened", base + "?round=3"},
		{"page of round 0", base + "?round=0"},
		{"file of a round not yet opened", base + "/positions.csv?round=3"},
		{"file of a round that is not a number", base + "/pack.zip?round=last"},
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			before := len(s.app.auditEvents(models.AuditExportDownload))
			res := s.observer.get(tt.path)
			wantStatus(t, res, http.StatusNotFound)
			wantText(t, res, "its rounds are 1 to 2")
			if n := len(s.app.auditEvents(models.AuditExportDownload)); n != before {
				t.Errorf("%d downloads recorded for a refused request", n-before)
			}
		})
	}

	readFile := func(t *testing.T, path string) [][]string {
		t.Helper()
		res := s.observer.get(path)
		wantStatus(t, res, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	files := []struct {
		name, path string
		rows       []string // member/question/round of each row of positions.csv
		audit      string   // detail of the download's audit event
	}{
		{"positions of the current round", base + "/positions.csv", []string{"EST/posture/2"}, "positions.csv, round 2"},
		{"positions of round 1", base + "/positions.csv?round=1",
			[]string{"EST/posture/1", "EST/act/1", "EST/notes/1", "TUR/posture/1"}, "positions.csv, round 1"},
	}
	for _, tt := range files {
		t.Run(tt.name, func(t *testing.T) {
			recs := readFile(t, tt.path)
			col := slices.Index(recs[0], "round")
			var got []string
			for _, r := range recs[1:] {
				got = append(got, r[0]+"/"+r[2]+"/"+r[col])
			}
			if !slices.Equal(got, tt.rows) {
				t.Errorf("rows = %v, want %v", got, tt.rows)
			}
			if ev := s.app.auditEvents(models.AuditExportDownload)[0]; ev.Detail != tt.audit {
				t.Errorf("audit detail = %q, want %q", ev.Detail, tt.audit)
			}
		})
	}
	t.Run("movement of every round, whatever the round chosen", func(t *testing.T) {
		want := [][]string{export.MovementColumns, {"EST", "posture", "1", "2", "4", "3", "-1", "toward", "3-5", "3-4"}}
		for _, q := range []string{"", "?round=1"} {
			if got := readFile(t, base+"/movement.csv"+q); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("movement.csv%s = %q, want %q", q, got, want)
			}
		}
	})
	t.Run("rounds of every question", func(t *testing.T) {
		var got []string
		for _, r := range readFile(t, base+"/rounds.csv?round=1")[1:] {
			got = append(got, r[1]+"/"+r[2]+"/"+r[3])
		}
		// act and notes were answered in round 1 only, but round 2 is
		// the current round: each question has its row.
		want := []string{"posture/1/2", "posture/2/1", "act/1/1", "act/2/0", "notes/1/1", "notes/2/0"}
		if !slices.Equal(got, want) {
			t.Errorf("question/round/responses = %v, want %v", got, want)
		}
	})
}

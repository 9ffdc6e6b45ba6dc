package handlers_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"concord/models"
)

// TestAuditChainHeadShown checks that the audit page and audit.csv show the
// chain head (entry and hash) to record outside Concord, and that the CSV
// carries each entry's link hash in its last column.
func TestAuditChainHeadShown(t *testing.T) {
	app := newTestApp(t)
	fac := app.facilitator("fran")
	cl := app.login(fac) // the sign-in is entry 1
	ctx := context.Background()
	for _, s := range []string{"first", "second"} {
		if err := app.store.Record(ctx, models.AuditEvent{Action: "test.chain", Subject: s}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("page before linking", func(t *testing.T) {
		page := cl.get("/audit")
		wantStatus(t, page, http.StatusOK)
		if got := page.textOf("chain-head"); got != "Chain head: no entry is linked yet." {
			t.Errorf("chain head line %q", got)
		}
		if !strings.Contains(page.text(), "3 entries newer than the head") {
			t.Errorf("the unlinked entries are not counted:\n%s", page.snippet())
		}
	})

	linked, err := app.store.LinkAudit(ctx)
	if err != nil || linked != 3 {
		t.Fatalf("LinkAudit = %d, %v; want 3", linked, err)
	}
	head, err := app.store.AuditChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.ID != 3 || len(head.Hash) != 64 {
		t.Fatalf("head %+v, want entry 3", head)
	}
	// Written after the link: not linked when the pages are read.
	if err := app.store.Record(ctx, models.AuditEvent{Action: "test.chain", Subject: "third"}); err != nil {
		t.Fatal(err)
	}

	t.Run("page", func(t *testing.T) {
		page := cl.get("/audit")
		wantStatus(t, page, http.StatusOK)
		if got, want := page.textOf("chain-head"), "Chain head: entry 3, SHA-256 "+head.Hash; got != want {
			t.Errorf("chain head line %q, want %q", got, want)
		}
		n := page.byID("chain-record")
		if n == nil {
			t.Fatal("no field with the head to copy")
		}
		if v, _ := attr(n, "value"); v != "3:"+head.Hash {
			t.Errorf("head to record %q, want 3:%s", v, head.Hash)
		}
		if _, ok := attr(n, "readonly"); !ok {
			t.Error("the head field is editable")
		}
		if !strings.Contains(page.text(), "1 entry newer than the head") {
			t.Errorf("the unlinked entry is not counted:\n%s", page.snippet())
		}
	})

	t.Run("CSV", func(t *testing.T) {
		res := cl.get("/audit.csv")
		wantStatus(t, res, http.StatusOK)
		if got := res.Header.Get("X-Concord-Audit-Head"); got != "3:"+head.Hash {
			t.Errorf("X-Concord-Audit-Head %q, want 3:%s", got, head.Hash)
		}
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows[0], ","); got != "id,time_utc,action,username,member,subject,detail,chain_hash" {
			t.Fatalf("header %q", got)
		}
		links := map[string]string{}
		for _, r := range rows[1:] {
			links[r[0]] = r[7]
		}
		for id := 1; id <= 4; id++ {
			got, ok := links[strconv.Itoa(id)]
			switch {
			case !ok:
				t.Errorf("entry %d missing from the CSV", id)
			case id == 3 && got != head.Hash:
				t.Errorf("entry 3 chain_hash %q, want the head's %s", got, head.Hash)
			case id <= 3 && len(got) != 64:
				t.Errorf("entry %d chain_hash %q, want a SHA-256", id, got)
			case id == 4 && got != "":
				t.Errorf("entry 4 is not linked yet but has chain_hash %q", got)
			}
		}
		if links["1"] == links["2"] || links["2"] == links["3"] {
			t.Errorf("entries share a hash: %v", links)
		}
	})
}

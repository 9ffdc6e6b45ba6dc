package models_test

import (
	"context"
	"errors"
	"testing"

	"concord/models"
)

func TestSeedDemoIdempotent(t *testing.T) {
	s, _ := freshStore(t)
	ctx := context.Background()
	count := func() (consultations, revisions, users int) {
		t.Helper()
		list, err := s.Consultations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			revisions += countRevisions(t, s, c.ID)
		}
		us, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list), revisions, len(us)
	}

	first, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1, r1, u1 := count()
	if c1 != 1 || u1 != 4 || r1 == 0 {
		t.Fatalf("after the first seed: %d consultations, %d revisions, %d accounts", c1, r1, u1)
	}
	demo, err := s.ConsultationByKey(ctx, models.DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	if demo.Status != models.StatusOpen {
		t.Errorf("demo consultation is %s, want open", demo.Status)
	}
	current, err := s.CurrentPositions(ctx, demo.ID, demo.Round)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	for _, r := range current {
		members[r.MemberCode] = true
	}
	if len(members) != 32 {
		t.Errorf("demo positions for %d members, want 32", len(members))
	}

	second, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, r2, u2 := count()
	if c2 != c1 || r2 != r1 || u2 != u1 {
		t.Errorf("second seed changed the data: %d/%d/%d, want %d/%d/%d", c2, r2, u2, c1, r1, u1)
	}
	if len(first) != len(second) {
		t.Fatalf("%d then %d credentials", len(first), len(second))
	}
	for i := range first {
		a, b := first[i], second[i]
		if a.Username != b.Username || a.Role != b.Role {
			t.Errorf("credential %d: %+v then %+v", i, a, b)
		}
		if a.Password == b.Password {
			t.Errorf("%s kept its password across seeds", a.Username)
		}
		if _, err := s.Authenticate(ctx, a.Username, a.Password); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("%s: the old password still works (err %v)", a.Username, err)
		}
		u, err := s.Authenticate(ctx, b.Username, b.Password)
		if err != nil {
			t.Errorf("%s: the new password does not work: %v", b.Username, err)
			continue
		}
		if u.Role != b.Role || (b.Member != "" && (u.Member == nil || u.Member.Code != b.Member)) {
			t.Errorf("%s: role %s member %v, want %s %s", b.Username, u.Role, u.Member, b.Role, b.Member)
		}
	}
}

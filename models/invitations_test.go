package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInvitationLifecycle(t *testing.T) {
	account := func(name string) AccountInput {
		return AccountInput{Username: name, Name: "Invited " + name, Password: "seven blue herons", Confirm: "seven blue herons"}
	}
	cases := []struct {
		name string
		// before runs between creating the invitation and accepting it.
		before  func(t *testing.T, f *accountsFixture, inv *Invitation)
		usable  bool
		revoked bool
	}{
		{name: "fresh invitation", usable: true},
		{name: "just before expiry", usable: true, before: func(t *testing.T, f *accountsFixture, _ *Invitation) {
			f.advance(7*24*time.Hour - time.Second)
		}},
		{name: "expired", usable: false, before: func(t *testing.T, f *accountsFixture, _ *Invitation) {
			f.advance(7 * 24 * time.Hour)
		}},
		{name: "revoked", usable: false, revoked: true, before: func(t *testing.T, f *accountsFixture, inv *Invitation) {
			if err := f.s.RevokeInvitation(context.Background(), inv.ID, f.facilitator.ID); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			token, inv, err := f.s.CreateInvitation(ctx, RoleDelegate, &f.lva.ID, &f.facilitator.ID, 7*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if tc.before != nil {
				tc.before(t, f, inv)
			}
			_, lookErr := f.s.InvitationByToken(ctx, token)
			u, err := f.s.AcceptInvitation(ctx, token, account("first"))
			if !tc.usable {
				if !errors.Is(lookErr, ErrNotFound) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("lookup %v, accept %v; want ErrNotFound for both", lookErr, err)
				}
				if _, err := f.s.Authenticate(ctx, "first", "seven blue herons"); !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("an account was created from an unusable invitation: %v", err)
				}
				if tc.revoked && f.auditCount(t, AuditInvitationRevoked) != 1 {
					t.Fatal("revocation not audited")
				}
				return
			}
			if lookErr != nil || err != nil {
				t.Fatalf("lookup %v, accept %v", lookErr, err)
			}
			if u.Role != RoleDelegate || u.MemberID == nil || *u.MemberID != f.lva.ID {
				t.Fatalf("account has role %s member %v, want the invitation's", u.Role, u.MemberID)
			}
			// A used invitation never works again, nor can it be revoked.
			if _, err := f.s.AcceptInvitation(ctx, token, account("second")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second use: %v, want ErrNotFound", err)
			}
			if err := f.s.RevokeInvitation(ctx, inv.ID, f.facilitator.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("revoking a used invitation: %v, want ErrNotFound", err)
			}
			if f.auditCount(t, AuditInvitationUsed) != 1 {
				t.Fatal("use of the invitation not audited once")
			}
		})
	}
}

func TestCreateInvitationChecksRole(t *testing.T) {
	cases := []struct {
		name       string
		role       string
		member     bool
		wantField  string // "" when the invitation is created
		wantMember bool
	}{
		{"delegate of a member", RoleDelegate, true, "", true},
		{"delegate without a member", RoleDelegate, false, "member", false},
		{"observer", RoleObserver, false, "", false},
		{"facilitator given a member", RoleFacilitator, true, "", false},
		{"unknown role", "admin", false, "role", false},
		{"no role", "", false, "role", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountsFixture(t)
			ctx := context.Background()
			var member *uint
			if tc.member {
				member = &f.lva.ID
			}
			_, inv, err := f.s.CreateInvitation(ctx, tc.role, member, &f.facilitator.ID, time.Hour)
			if tc.wantField != "" {
				var verr *ValidationError
				if !errors.As(err, &verr) || verr.Fields[tc.wantField] == "" {
					t.Fatalf("err = %v, want a message for %s", err, tc.wantField)
				}
				if n := f.auditCount(t, AuditInvitationNew); n != 0 {
					t.Errorf("%d invitation(s) recorded", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (inv.MemberID != nil) != tc.wantMember {
				t.Errorf("invitation member %v, want one: %t", inv.MemberID, tc.wantMember)
			}
		})
	}
}

func TestAcceptInvitationInvalidAccountKeepsInvitation(t *testing.T) {
	f := newAccountsFixture(t)
	ctx := context.Background()
	token, _, err := f.s.CreateInvitation(ctx, RoleObserver, nil, &f.facilitator.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.AcceptInvitation(ctx, token, AccountInput{Username: "kadri", Name: "Taken", Password: "seven blue herons", Confirm: "seven blue herons"})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Fields["username"] == "" {
		t.Fatalf("taken username: %v, want a username message", err)
	}
	if _, err := f.s.InvitationByToken(ctx, token); err != nil {
		t.Fatalf("a rejected form used up the invitation: %v", err)
	}
}

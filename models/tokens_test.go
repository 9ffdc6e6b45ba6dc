package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"concord/internal/testdb"
)

// tokenStore opens a fresh, migrated database with the roster, a delegate
// and a facilitator, and a clock the test moves by hand.
func tokenStore(t *testing.T) (s *Store, delegate, facilitator *User, clock *time.Time) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock = &now
	s.SetClock(func() time.Time { return *clock })
	s.SetPasswordCost(bcrypt.MinCost)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	roster, err := DefaultRoster()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMembers(ctx, roster); err != nil {
		t.Fatal(err)
	}
	est, err := s.MemberByCode(ctx, "EST")
	if err != nil {
		t.Fatal(err)
	}
	delegate, err = s.CreateUser(ctx, NewUser{Username: "kadri", Name: "Kadri Tamm", Role: RoleDelegate,
		Password: "wide open tallinn harbour", MemberID: &est.ID})
	if err != nil {
		t.Fatal(err)
	}
	facilitator, err = s.CreateUser(ctx, NewUser{Username: "fac", Name: "Facilitator", Role: RoleFacilitator,
		Password: "quiet river under bridges"})
	if err != nil {
		t.Fatal(err)
	}
	return s, delegate, facilitator, clock
}

func countAudit(t *testing.T, s *Store, action string) int {
	t.Helper()
	evs, err := s.Audit(context.Background(), AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestCreateAPITokenValidation(t *testing.T) {
	tests := []struct {
		name       string
		in         APITokenInput
		wantFields []string
	}{
		{"valid with expiry", APITokenInput{Name: "nightly export", Expires: "90"}, nil},
		{"valid without expiry", APITokenInput{Name: "  padded name  ", Expires: "never"}, nil},
		{"missing name", APITokenInput{Name: "   ", Expires: "30"}, []string{"name"}},
		{"name too long", APITokenInput{Name: strings.Repeat("x", 101), Expires: "30"}, []string{"name"}},
		{"unknown lifetime", APITokenInput{Name: "tool", Expires: "7"}, []string{"expires"}},
		{"missing lifetime", APITokenInput{Name: "tool"}, []string{"expires"}},
		{"both wrong", APITokenInput{Expires: "forever"}, []string{"name", "expires"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, u, _, clock := tokenStore(t)
			token, tok, err := s.CreateAPIToken(context.Background(), u.ID, tc.in)
			if tc.wantFields != nil {
				var verr *ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("err = %v, want a ValidationError", err)
				}
				for _, f := range tc.wantFields {
					if verr.Fields[f] == "" {
						t.Errorf("no message for %q in %v", f, verr.Fields)
					}
				}
				if len(verr.Fields) != len(tc.wantFields) {
					t.Errorf("fields = %v, want only %v", verr.Fields, tc.wantFields)
				}
				if n := countAudit(t, s, AuditAPITokenNew); n != 0 {
					t.Errorf("%d creation events recorded for a rejected token", n)
				}
				list, err := s.APITokens(context.Background(), u.ID)
				if err != nil || len(list) != 0 {
					t.Errorf("tokens after a rejected creation: %v, %v", list, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(token, APITokenPrefix) || len(token) < len(APITokenPrefix)+40 {
				t.Errorf("token %q lacks the prefix or entropy", token)
			}
			if tok.TokenHash != HashToken(token) || strings.Contains(tok.TokenHash, token) {
				t.Errorf("stored hash %q does not hide the token", tok.TokenHash)
			}
			if !strings.HasPrefix(token, tok.Hint) || len(tok.Hint) != len(APITokenPrefix)+4 {
				t.Errorf("hint %q does not match the token start", tok.Hint)
			}
			if tok.Name != strings.TrimSpace(tc.in.Name) {
				t.Errorf("name = %q", tok.Name)
			}
			if tc.in.Expires == "never" {
				if tok.ExpiresAt != nil {
					t.Errorf("expires = %v, want none", tok.ExpiresAt)
				}
			} else if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(clock.Add(90*24*time.Hour)) {
				t.Errorf("expires = %v, want 90 days after %v", tok.ExpiresAt, *clock)
			}
			if n := countAudit(t, s, AuditAPITokenNew); n != 1 {
				t.Errorf("%d creation events, want 1", n)
			}
		})
	}
}

func TestCreateAPITokenLimit(t *testing.T) {
	s, u, _, _ := tokenStore(t)
	ctx := context.Background()
	var first *APIToken
	for i := range MaxAPITokens {
		_, tok, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "tool", Expires: "30"})
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if first == nil {
			first = tok
		}
	}
	_, _, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "one too many", Expires: "30"})
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Fields["name"] == "" {
		t.Fatalf("err = %v, want a message on name", err)
	}
	// Revoking one makes room again.
	if _, err := s.RevokeAPIToken(ctx, u.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "replacement", Expires: "30"}); err != nil {
		t.Fatalf("after a revocation: %v", err)
	}
}

func TestAuthenticateAPIToken(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string
		wantErr bool
	}{
		{"valid token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			return token
		}, false},
		{"unknown token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			return APITokenPrefix + strings.Repeat("A", 43)
		}, true},
		{"empty token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			return ""
		}, true},
		{"token without its prefix", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			return strings.TrimPrefix(token, APITokenPrefix)
		}, true},
		{"hash instead of token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			return tok.TokenHash
		}, true},
		{"revoked token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			if _, err := s.RevokeAPIToken(context.Background(), u.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			return token
		}, true},
		{"expired token", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			*clock = clock.Add(30*24*time.Hour + time.Second)
			return token
		}, true},
		{"just before expiry", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			*clock = clock.Add(30*24*time.Hour - time.Second)
			return token
		}, false},
		{"revoked account", func(t *testing.T, s *Store, u, fac *User, clock *time.Time, token string, tok *APIToken) string {
			if err := s.RevokeUser(context.Background(), u.ID, fac.ID); err != nil {
				t.Fatal(err)
			}
			return token
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, u, fac, clock := tokenStore(t)
			ctx := context.Background()
			token, tok, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "tool", Expires: "30"})
			if err != nil {
				t.Fatal(err)
			}
			got, user, err := s.AuthenticateAPIToken(ctx, tc.prepare(t, s, u, fac, clock, token, tok))
			if tc.wantErr {
				if !errors.Is(err, ErrBadToken) {
					t.Fatalf("err = %v, want ErrBadToken", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tok.ID || user.ID != u.ID || user.Member == nil || user.Member.Code != "EST" {
				t.Errorf("got token %d of user %+v", got.ID, user)
			}
		})
	}
}

func TestAPITokenUseIsThrottled(t *testing.T) {
	s, u, _, clock := tokenStore(t)
	ctx := context.Background()
	token, tok, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "tool", Expires: "never"})
	if err != nil {
		t.Fatal(err)
	}
	start := *clock
	steps := []struct {
		name         string
		after        time.Duration // since start
		wantLastUsed time.Duration // since start
		wantAudits   int
	}{
		{"first use", 0, 0, 1},
		{"30 seconds later", 30 * time.Second, 0, 1},
		{"a minute later", time.Minute, time.Minute, 1},
		{"59 minutes later", 59 * time.Minute, 59 * time.Minute, 1},
		{"an hour later", time.Hour, time.Hour, 2},
		{"an hour and a half later", 90 * time.Minute, 90 * time.Minute, 2},
		{"two hours later", 2 * time.Hour, 2 * time.Hour, 3},
	}
	for _, st := range steps {
		*clock = start.Add(st.after)
		if _, _, err := s.AuthenticateAPIToken(ctx, token); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		list, err := s.APITokens(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsedAt == nil {
			t.Fatalf("%s: tokens = %+v", st.name, list)
		}
		if want := start.Add(st.wantLastUsed); !list[0].LastUsedAt.Equal(want) {
			t.Errorf("%s: last used %v, want %v", st.name, list[0].LastUsedAt, want)
		}
		if n := countAudit(t, s, AuditAPITokenUsed); n != st.wantAudits {
			t.Errorf("%s: %d use events, want %d", st.name, n, st.wantAudits)
		}
	}
}

func TestRevokeAPIToken(t *testing.T) {
	s, u, fac, _ := tokenStore(t)
	ctx := context.Background()
	_, tok, err := s.CreateAPIToken(ctx, u.ID, APITokenInput{Name: "tool", Expires: "30"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		user, token uint
		wantErr     error
		wantEvents  int
	}{
		{"another user's token", fac.ID, tok.ID, ErrNotFound, 0},
		{"unknown token", u.ID, tok.ID + 100, ErrNotFound, 0},
		{"own token", u.ID, tok.ID, nil, 1},
		{"again", u.ID, tok.ID, nil, 1},
	}
	for _, tc := range tests {
		got, err := s.RevokeAPIToken(ctx, tc.user, tc.token)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
			}
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else if !got.Revoked() {
			t.Errorf("%s: token not revoked", tc.name)
		}
		if n := countAudit(t, s, AuditAPITokenRevoked); n != tc.wantEvents {
			t.Errorf("%s: %d revocation events, want %d", tc.name, n, tc.wantEvents)
		}
	}
	list, err := s.APITokens(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].Revoked() {
		t.Errorf("listing after revocation: %+v", list)
	}
}

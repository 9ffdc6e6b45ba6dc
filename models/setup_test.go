package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"concord/models"
)

// Only the setup link printed last works: each new one, made more than
// SetupLinkQuiet after the previous, revokes the earlier unused ones, and
// invitations made by an account are left alone.
func TestCreateSetupInvitationRevokesEarlierLinks(t *testing.T) {
	ctx := context.Background()
	store, clock := freshStore(t)
	first, _, err := store.CreateSetupInvitation(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := store.CreateUser(ctx, models.NewUser{Username: "obs", Name: "Obs", Role: models.RoleObserver, Password: "a long enough passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	byAccount, _, err := store.CreateInvitation(ctx, models.RoleObserver, nil, &obs.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(models.SetupLinkQuiet)
	second, _, err := store.CreateSetupInvitation(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.InvitationByToken(ctx, first); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("first setup link: err = %v, want ErrNotFound (revoked)", err)
	}
	if _, err := store.InvitationByToken(ctx, second); err != nil {
		t.Errorf("second setup link: %v", err)
	}
	if _, err := store.InvitationByToken(ctx, byAccount); err != nil {
		t.Errorf("an account's invitation was revoked too: %v", err)
	}
}

// A setup link is made only while no facilitator exists, and not within
// SetupLinkQuiet (a minute) of another setup link still usable: another
// instance starting at the same moment printed that one.
func TestCreateSetupInvitationRefusals(t *testing.T) {
	tests := []struct {
		name string
		// before runs after the first setup link (made with ttl) was made.
		ttl    time.Duration
		before func(t *testing.T, s *models.Store, clock *fixedClock, first *models.Invitation)
		want   error // nil: a second link is made
	}{
		{name: "at once", ttl: time.Hour, want: models.ErrSetupLinkRecent},
		{name: "59 seconds later", ttl: time.Hour, want: models.ErrSetupLinkRecent,
			before: func(_ *testing.T, _ *models.Store, c *fixedClock, _ *models.Invitation) { c.advance(59 * time.Second) }},
		{name: "a minute later", ttl: time.Hour,
			before: func(_ *testing.T, _ *models.Store, c *fixedClock, _ *models.Invitation) { c.advance(time.Minute) }},
		{name: "at once, the first link revoked", ttl: time.Hour,
			before: func(t *testing.T, s *models.Store, _ *fixedClock, first *models.Invitation) {
				obs := mustUser(t, s, "obs", models.RoleObserver, "")
				if err := s.RevokeInvitation(context.Background(), first.ID, obs.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "30 seconds later, the first link expired", ttl: 20 * time.Second,
			before: func(_ *testing.T, _ *models.Store, c *fixedClock, _ *models.Invitation) { c.advance(30 * time.Second) }},
		{name: "a minute later, a facilitator exists", ttl: time.Hour, want: models.ErrSetupNotNeeded,
			before: func(t *testing.T, s *models.Store, c *fixedClock, _ *models.Invitation) {
				mustUser(t, s, "chair", models.RoleFacilitator, "")
				c.advance(time.Minute)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store, clock := freshStore(t)
			_, first, err := store.CreateSetupInvitation(ctx, tt.ttl)
			if err != nil {
				t.Fatal(err)
			}
			if tt.before != nil {
				tt.before(t, store, clock, first)
			}
			token, _, err := store.CreateSetupInvitation(ctx, time.Hour)
			if !errors.Is(err, tt.want) {
				t.Fatalf("second setup link: err = %v, want %v", err, tt.want)
			}
			links := 1
			if err == nil {
				links = 2
				if _, err := store.InvitationByToken(ctx, token); err != nil {
					t.Errorf("the second setup link does not work: %v", err)
				}
			}
			if got := countAuditEvents(t, store, models.AuditInvitationNew); got != links {
				t.Errorf("%d setup links recorded, want %d", got, links)
			}
		})
	}
}

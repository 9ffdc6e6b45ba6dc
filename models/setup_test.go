package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"concord/models"
)

// Only the setup link printed last works: each new one revokes the earlier
// unused ones, and invitations made by a facilitator are left alone.
func TestCreateSetupInvitationRevokesEarlierLinks(t *testing.T) {
	ctx := context.Background()
	store, _ := freshStore(t)
	first, _, err := store.CreateSetupInvitation(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fac, err := store.CreateUser(ctx, models.NewUser{Username: "fac", Name: "Fac", Role: models.RoleFacilitator, Password: "a long enough passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	byFac, _, err := store.CreateInvitation(ctx, models.RoleObserver, nil, &fac.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := store.InvitationByToken(ctx, byFac); err != nil {
		t.Errorf("a facilitator's invitation was revoked too: %v", err)
	}
}

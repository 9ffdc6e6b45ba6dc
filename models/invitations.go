package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// InvitationOption sets an optional property of a new invitation.
type InvitationOption func(*Invitation)

// InviteApprover makes the account created from a delegate's invitation its
// member's head of delegation (see SetApprover); refused for other roles.
func InviteApprover(inv *Invitation) { inv.Approver = true }

// CreateInvitation makes a one-time link token for a new account. Only a
// delegate's invitation names a member, and only a delegate's may carry
// InviteApprover.
func (s *Store) CreateInvitation(ctx context.Context, role string, memberID *uint, by *uint, ttl time.Duration, opts ...InvitationOption) (string, *Invitation, error) {
	var set Invitation
	for _, o := range opts {
		o(&set)
	}
	if set.Approver && role != RoleDelegate {
		return "", nil, &ValidationError{Fields: map[string]string{"approver": "Only a delegate can be the head of delegation."}}
	}
	switch role {
	case RoleDelegate:
		if memberID == nil {
			return "", nil, &ValidationError{Fields: map[string]string{"member": "A delegate belongs to a member."}}
		}
	case RoleFacilitator, RoleObserver:
		memberID = nil
	default:
		// An invitation nobody could accept: refuse it now, not once its
		// holder has chosen a password.
		return "", nil, &ValidationError{Fields: map[string]string{"role": "Choose delegate, observer or facilitator."}}
	}
	token, hash := NewToken()
	now := s.Now()
	inv := &Invitation{TokenHash: hash, Role: role, MemberID: memberID, CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(ttl),
		Approver: set.Approver}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		detail := "role " + role
		if inv.Approver {
			detail += " (head of delegation)"
		}
		return tx.Create(&AuditEvent{At: now, UserID: by, MemberID: memberID, Action: AuditInvitationNew,
			Subject: fmt.Sprintf("invitation %d", inv.ID), Detail: detail + ", expires " + inv.ExpiresAt.Format(time.RFC3339)}).Error
	})
	if err != nil {
		return "", nil, fmt.Errorf("create invitation: %w", err)
	}
	return token, inv, nil
}

// Why CreateSetupInvitation made no link.
var (
	// ErrSetupNotNeeded: an active facilitator account exists.
	ErrSetupNotNeeded = errors.New("a facilitator account exists: no setup link is needed")
	// ErrSetupLinkRecent: a setup link still usable was made less than
	// SetupLinkQuiet ago, by another instance starting at the same moment.
	ErrSetupLinkRecent = errors.New("a setup link was made moments ago")
)

// SetupLinkQuiet is how long after a setup link is made no other is: the
// instances of one database starting together print one link between
// them, while a restart later prints a new one.
const SetupLinkQuiet = time.Minute

// CreateSetupInvitation makes the one-time link for the first facilitator,
// printed on the console while no facilitator exists. Earlier setup links
// that were never used are revoked in the same transaction, so only the
// link printed last works.
//
// It makes none, in that same write transaction (one at a time across the
// instances of a database), when an active facilitator exists
// (ErrSetupNotNeeded) or when a usable setup link was made less than
// SetupLinkQuiet ago (ErrSetupLinkRecent): of several instances starting
// at once, one prints a link and the others point to it.
func (s *Store) CreateSetupInvitation(ctx context.Context, ttl time.Duration) (string, *Invitation, error) {
	token, hash := NewToken()
	now := s.Now()
	inv := &Invitation{TokenHash: hash, Role: RoleFacilitator, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var facilitators, recent int64
		if err := tx.Model(&User{}).Where("role = ? AND revoked_at IS NULL", RoleFacilitator).Count(&facilitators).Error; err != nil {
			return fmt.Errorf("count facilitators: %w", err)
		}
		if facilitators > 0 {
			return ErrSetupNotNeeded
		}
		err := tx.Model(&Invitation{}).
			Where("role = ? AND created_by IS NULL AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND created_at > ?",
				RoleFacilitator, now, now.Add(-SetupLinkQuiet)).
			Count(&recent).Error
		if err != nil {
			return fmt.Errorf("look for a recent setup link: %w", err)
		}
		if recent > 0 {
			return ErrSetupLinkRecent
		}
		res := tx.Model(&Invitation{}).
			Where("role = ? AND created_by IS NULL AND used_at IS NULL AND revoked_at IS NULL", RoleFacilitator).
			Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: now, Action: AuditInvitationNew, Subject: fmt.Sprintf("invitation %d", inv.ID),
			Detail: fmt.Sprintf("first-facilitator setup link, expires %s; %d earlier setup link(s) revoked",
				inv.ExpiresAt.Format(time.RFC3339), res.RowsAffected)}).Error
	})
	if err != nil {
		return "", nil, fmt.Errorf("create setup invitation: %w", err)
	}
	return token, inv, nil
}

// InvitationByToken loads a usable invitation.
func (s *Store) InvitationByToken(ctx context.Context, token string) (*Invitation, error) {
	var inv Invitation
	if err := s.r.WithContext(ctx).Preload("Member").Where("token_hash = ?", HashToken(token)).Limit(1).Find(&inv).Error; err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	if inv.ID == 0 || !inv.Usable(s.Now()) {
		return nil, ErrNotFound
	}
	return &inv, nil
}

// AcceptInvitation creates the invited account, once.
func (s *Store) AcceptInvitation(ctx context.Context, token string, in AccountInput) (*User, error) {
	if msgs := s.CheckAccount(&in); msgs != nil {
		return nil, &ValidationError{Fields: msgs}
	}
	var u *User
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var inv Invitation
		if err := tx.Where("token_hash = ?", HashToken(token)).Limit(1).Find(&inv).Error; err != nil {
			return err
		}
		now := s.Now()
		if inv.ID == 0 || !inv.Usable(now) {
			return ErrNotFound
		}
		var err error
		u, err = s.createUser(tx, NewUser{Username: in.Username, Name: in.Name, Role: inv.Role, Password: in.Password,
			MemberID: inv.MemberID, Approver: inv.Approver})
		if err != nil {
			return err
		}
		res := tx.Model(&Invitation{}).Where("id = ? AND used_at IS NULL", inv.ID).Updates(map[string]any{"used_at": now, "used_by": u.ID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		return tx.Create(&AuditEvent{At: now, UserID: &u.ID, MemberID: inv.MemberID, Action: AuditInvitationUsed,
			Subject: fmt.Sprintf("invitation %d", inv.ID), Detail: "account " + u.Username + " created"}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	return u, nil
}

// Invitations lists invitations not yet used, newest first.
func (s *Store) Invitations(ctx context.Context) ([]Invitation, error) {
	var out []Invitation
	if err := s.r.WithContext(ctx).Preload("Member").Where("used_at IS NULL AND revoked_at IS NULL").Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// RevokeInvitation makes a pending invitation unusable. An invitation that
// was used, revoked or never existed is ErrNotFound.
func (s *Store) RevokeInvitation(ctx context.Context, id uint, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var inv Invitation
		if err := tx.Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", id).Limit(1).Find(&inv).Error; err != nil {
			return err
		}
		if inv.ID == 0 {
			return ErrNotFound
		}
		now := s.Now()
		res := tx.Model(&Invitation{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: inv.MemberID, Action: AuditInvitationRevoked,
			Subject: fmt.Sprintf("invitation %d", inv.ID), Detail: "role " + inv.Role}).Error
	})
	if err != nil {
		return fmt.Errorf("revoke invitation %d: %w", id, err)
	}
	return nil
}

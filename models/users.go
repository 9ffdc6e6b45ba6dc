package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// ErrBadCredentials: unknown account, wrong password or revoked account.
// One error for all three, so a login page reveals nothing.
var ErrBadCredentials = errors.New("invalid username or password")

// AccountInput is what a person gives to create their account.
type AccountInput struct {
	Username string `form:"username" json:"username" field:"username" validate:"required,min=3,max=64,printascii,excludesall= "`
	Name     string `form:"name" json:"name" field:"name" validate:"required,max=120"`
	Password string `form:"password" json:"-" field:"password" validate:"required"`
	Confirm  string `form:"confirm" json:"-" field:"confirm" validate:"required"`
}

// CheckAccount validates an account form, including the password rules.
func (s *Store) CheckAccount(in *AccountInput) map[string]string {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	msgs := map[string]string{}
	if err := s.validate.Struct(in); err != nil {
		msgs = FieldMessages(err)
	}
	if _, bad := msgs["username"]; bad {
		msgs["username"] = "Use 3 to 64 characters without spaces."
	} else if msg := UsernameProblem(in.Username); msg != "" {
		msgs["username"] = msg
	}
	if msg := PasswordProblem(in.Password, in.Username, in.Name); msg != "" {
		msgs["password"] = msg
	} else if in.Confirm != in.Password {
		msgs["confirm"] = "The two passwords differ."
	} else {
		delete(msgs, "confirm")
	}
	if len(msgs) == 0 {
		return nil
	}
	return msgs
}

// UsernameProblem explains why a username is refused beyond the form's
// length and character rules, or returns "". A username starting with =,
// +, - or @ would be read as a formula by a spreadsheet opening the audit
// log; exports protect such cells, and refusing the name keeps it out of
// every other place it may be pasted.
func UsernameProblem(username string) string {
	if username != "" && strings.ContainsRune("=+-@", rune(username[0])) {
		return "A username cannot start with =, +, - or @."
	}
	return ""
}

// NewUser describes an account created directly (command line, demo, tests).
type NewUser struct {
	Username, Name, Role, Password string
	MemberID                       *uint
	// Approver makes a delegate its member's head of delegation (ignored
	// for other roles).
	Approver bool
}

// CreateUser creates an account after checking its password.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	var u *User
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		u, err = s.createUser(tx, nu)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", nu.Username, err)
	}
	return u, nil
}

func (s *Store) createUser(tx *gorm.DB, nu NewUser) (*User, error) {
	if msg := UsernameProblem(strings.TrimSpace(nu.Username)); msg != "" {
		return nil, &ValidationError{Fields: map[string]string{"username": msg}}
	}
	related := []string{nu.Name}
	if nu.MemberID != nil {
		var m Member
		if err := tx.Limit(1).Find(&m, *nu.MemberID).Error; err != nil {
			return nil, fmt.Errorf("load member %d: %w", *nu.MemberID, err)
		}
		related = append(related, m.Code, m.Name)
	}
	if msg := PasswordProblem(nu.Password, nu.Username, related...); msg != "" {
		return nil, &ValidationError{Fields: map[string]string{"password": msg}}
	}
	switch nu.Role {
	case RoleDelegate:
		if nu.MemberID == nil {
			return nil, &ValidationError{Fields: map[string]string{"member": "A delegate belongs to a member."}}
		}
	case RoleFacilitator, RoleObserver:
		nu.MemberID = nil
	default:
		return nil, &ValidationError{Fields: map[string]string{"role": "Unknown role."}}
	}
	h, err := s.hash(nu.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Username: strings.ToLower(nu.Username), Name: nu.Name, Role: nu.Role, MemberID: nu.MemberID, PasswordHash: h,
		Approver: nu.Approver && nu.Role == RoleDelegate}
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, &ValidationError{Fields: map[string]string{"username": "This username is taken."}}
		}
		return nil, err
	}
	return u, nil
}

// Authenticate checks a username and password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var u User
	err := s.r.WithContext(ctx).Preload("Member").Where("username = ?", strings.ToLower(strings.TrimSpace(username))).Limit(1).Find(&u).Error
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	if u.ID == 0 {
		_ = bcrypt.CompareHashAndPassword(dummyHash(s.cost()), []byte(password))
		return nil, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || !u.Active() {
		return nil, ErrBadCredentials
	}
	return &u, nil
}

// UserByID loads an account with its member.
func (s *Store) UserByID(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := s.r.WithContext(ctx).Preload("Member").First(&u, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("load user %d", id))
	}
	return &u, nil
}

// Users lists every account with its member, by role then username.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	if err := s.r.WithContext(ctx).Preload("Member").Order("role, username").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// FacilitatorExists reports whether any active facilitator account exists.
func (s *Store) FacilitatorExists(ctx context.Context) (bool, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&User{}).Where("role = ? AND revoked_at IS NULL", RoleFacilitator).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("count facilitators: %w", err)
	}
	return n > 0, nil
}

// Audit actions of accounts, sessions and invitations.
const (
	AuditInvitationRevoked = "invitation.revoked"
	AuditAccountRevoked    = "account.revoked"
	AuditRoleChanged       = "account.role_changed"
	AuditPasswordChanged   = "password.changed"
	AuditSessionsEnded     = "sessions.ended"
	AuditLoginLocked       = "login.locked"
	AuditExported          = "audit.exported"
)

// loadActiveOther loads an active account that a facilitator may act on:
// never their own (so no facilitator locks themselves out).
func loadActiveOther(tx *gorm.DB, id, by uint) (*User, error) {
	var u User
	if err := tx.Preload("Member").Where("id = ?", id).Limit(1).Find(&u).Error; err != nil {
		return nil, err
	}
	switch {
	case u.ID == 0:
		return nil, ErrNotFound
	case !u.Active():
		return nil, &ConflictError{Message: "This account is already revoked."}
	case u.ID == by:
		return nil, &ConflictError{Message: "You cannot change or revoke your own account; ask another facilitator."}
	}
	return &u, nil
}

// RevokeUser revokes an account: it can no longer sign in, and its
// sessions end in the same transaction. (API tokens are refused as soon as
// their account is inactive.)
func (s *Store) RevokeUser(ctx context.Context, id uint, by uint) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := loadActiveOther(tx, id, by)
		if err != nil {
			return err
		}
		now := s.Now()
		res := tx.Model(&User{}).Where("id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "This account is already revoked."}
		}
		ended := tx.Where("user_id = ?", u.ID).Delete(&Session{})
		if ended.Error != nil {
			return ended.Error
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: u.MemberID, Action: AuditAccountRevoked,
			Subject: "user " + u.Username, Detail: fmt.Sprintf("role %s; %d session(s) ended", u.Role, ended.RowsAffected)}).Error
	})
	if err != nil {
		return fmt.Errorf("revoke user %d: %w", id, err)
	}
	return nil
}

// SetRole changes the role (and, for a delegate, the member) of an active
// account. The account's sessions end and its API tokens are revoked, so
// its holder signs in again with exactly the new rights.
func (s *Store) SetRole(ctx context.Context, id uint, role string, memberID *uint, by uint) error {
	switch role {
	case RoleDelegate:
		if memberID == nil {
			return &ValidationError{Fields: map[string]string{"member": "A delegate belongs to a member."}}
		}
	case RoleFacilitator, RoleObserver:
		memberID = nil
	default:
		return &ValidationError{Fields: map[string]string{"role": "Choose delegate, observer or facilitator."}}
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := loadActiveOther(tx, id, by)
		if err != nil {
			return err
		}
		var member *Member
		if memberID != nil {
			member = &Member{}
			if err := tx.Where("id = ?", *memberID).Limit(1).Find(member).Error; err != nil {
				return err
			}
			if member.ID == 0 {
				return &ValidationError{Fields: map[string]string{"member": "Choose the member this delegate will represent."}}
			}
		}
		if u.Role == role && sameMember(u.MemberID, memberID) {
			return &ConflictError{Field: "role", Message: "The account already has this role."}
		}
		now := s.Now()
		// Approving for a member is a right of the account as delegate of
		// that member: a new role or member ends it.
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"role": role, "member_id": memberID, "approver": false}).Error; err != nil {
			return err
		}
		ended := tx.Where("user_id = ?", u.ID).Delete(&Session{})
		if ended.Error != nil {
			return ended.Error
		}
		// New rights, new tokens: none made under the old role survives.
		if _, err := revokeAllAPITokens(tx, u, by, now, "role changed"); err != nil {
			return err
		}
		evMember := memberID
		if evMember == nil {
			evMember = u.MemberID
		}
		return tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: evMember, Action: AuditRoleChanged,
			Subject: "user " + u.Username,
			Detail: fmt.Sprintf("%s → %s; %d session(s) ended%s", describeRole(u.Role, u.Member), describeRole(role, member),
				ended.RowsAffected, map[bool]string{true: "; no longer head of delegation"}[u.Approver])}).Error
	})
	if err != nil {
		return fmt.Errorf("change role of user %d: %w", id, err)
	}
	return nil
}

func sameMember(a, b *uint) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func describeRole(role string, m *Member) string {
	if m != nil && m.ID != 0 {
		return role + " of " + m.Code
	}
	return role
}

// PasswordChange is the form a signed-in person fills to change their
// password.
type PasswordChange struct {
	Current  string `form:"current"`
	Password string `form:"password"`
	Confirm  string `form:"confirm"`
}

// PasswordChangeError is a rejected password change: a message per field.
// WrongCurrent tells that the current password was wrong, which counts as
// a failed sign-in.
type PasswordChangeError struct {
	ValidationError
	WrongCurrent bool
}

// Unwrap lets errors.As find the ValidationError.
func (e *PasswordChangeError) Unwrap() error { return &e.ValidationError }

// ChangePassword sets a new password after checking the current one, and
// in the same transaction ends every other session of the account (the one
// the change is made from, keepSession, stays) and revokes its API tokens.
func (s *Store) ChangePassword(ctx context.Context, userID uint, in PasswordChange, keepSession uint) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !u.Active() {
		return ErrNotFound
	}
	msgs := map[string]string{}
	wrong := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Current)) != nil
	if in.Current == "" {
		msgs["current"] = "Enter your current password."
	} else if wrong {
		msgs["current"] = "The current password is not correct."
	}
	related := []string{u.Name}
	if u.Member != nil {
		related = append(related, u.Member.Code, u.Member.Name)
	}
	if msg := PasswordProblem(in.Password, u.Username, related...); msg != "" {
		msgs["password"] = msg
	} else if in.Password == in.Current {
		msgs["password"] = "Choose a password different from the current one."
	} else if in.Confirm != in.Password {
		msgs["confirm"] = "The two passwords differ."
	}
	if len(msgs) > 0 {
		return &PasswordChangeError{ValidationError: ValidationError{Fields: msgs}, WrongCurrent: wrong && in.Current != ""}
	}
	h, err := s.hash(in.Password)
	if err != nil {
		return err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND password_hash = ? AND revoked_at IS NULL", u.ID, u.PasswordHash).
			Update("password_hash", h)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Field: "current", Message: "The password was changed meanwhile; sign in again."}
		}
		ended := tx.Where("user_id = ? AND id <> ?", u.ID, keepSession).Delete(&Session{})
		if ended.Error != nil {
			return ended.Error
		}
		now := s.Now()
		revoked, err := revokeAllAPITokens(tx, u, u.ID, now, "password changed")
		if err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: now, UserID: &u.ID, MemberID: u.MemberID, Action: AuditPasswordChanged,
			Subject: "user " + u.Username, Detail: fmt.Sprintf("%d other session(s) ended; %d API token(s) revoked", ended.RowsAffected, revoked)}).Error
	})
	if err != nil {
		return fmt.Errorf("change password of user %d: %w", userID, err)
	}
	return nil
}

// VerifyPassword checks the password of an active account; it returns
// ErrBadCredentials when it is wrong (or the account is not active).
func (s *Store) VerifyPassword(ctx context.Context, userID uint, password string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrBadCredentials
		}
		return err
	}
	if !u.Active() || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return ErrBadCredentials
	}
	return nil
}

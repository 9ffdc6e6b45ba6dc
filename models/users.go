package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// ErrBadCredentials: unknown account, wrong password or revoked account.
// One error for all three, so a login page reveals nothing.
var ErrBadCredentials = errors.New("invalid username or password")

// Password rules.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72 // bcrypt reads at most 72 bytes
)

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
	}
	if msg := PasswordProblem(in.Password, in.Username); msg != "" {
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

// PasswordProblem explains why a password is not acceptable, or returns "".
func PasswordProblem(password, username string) string {
	n := len([]rune(password))
	switch {
	case n < MinPasswordLen:
		return fmt.Sprintf("Use at least %d characters; a few unrelated words make a strong password.", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Sprintf("Use at most %d bytes.", MaxPasswordLen)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return "The password must not contain the username."
	case isCommonPassword(password):
		return "This password is too common; choose another."
	}
	return ""
}

// SetPasswordCost sets the bcrypt cost (tests use bcrypt.MinCost).
func (s *Store) SetPasswordCost(cost int) { s.bcryptCost = cost }

func (s *Store) hash(password string) (string, error) {
	cost := s.bcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// NewUser describes an account created directly (command line, demo, tests).
type NewUser struct {
	Username, Name, Role, Password string
	MemberID                       *uint
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
	if msg := PasswordProblem(nu.Password, nu.Username); msg != "" {
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
	u := &User{Username: strings.ToLower(nu.Username), Name: nu.Name, Role: nu.Role, MemberID: nu.MemberID, PasswordHash: h}
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, &ValidationError{Fields: map[string]string{"username": "This username is taken."}}
		}
		return nil, err
	}
	return u, nil
}

// dummyHash keeps the time of a failed login independent of whether the
// account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("concord-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate checks a username and password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var u User
	err := s.r.WithContext(ctx).Preload("Member").Where("username = ?", strings.ToLower(strings.TrimSpace(username))).Limit(1).Find(&u).Error
	if err != nil {
		return nil, fmt.Errorf("load user: %w", err)
	}
	if u.ID == 0 {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
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

// NewToken returns a random URL-safe token and the hash stored for it.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a session, invitation or API token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SessionPolicy bounds the life of a session.
type SessionPolicy struct {
	Idle     time.Duration // ends after this long without a request
	Absolute time.Duration // ends this long after login, whatever happens
}

// CreateSession starts a session and returns its cookie token.
func (s *Store) CreateSession(ctx context.Context, userID uint, policy SessionPolicy, userAgent string) (string, *Session, error) {
	token, hash := NewToken()
	csrf, _ := NewToken()
	now := s.Now()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	sess := &Session{TokenHash: hash, UserID: userID, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(policy.Absolute), UserAgent: userAgent}
	if err := s.w.WithContext(ctx).Create(sess).Error; err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, sess, nil
}

// SessionByToken returns the live session for a cookie token and its user.
// A session past its idle or absolute limit, or of a revoked account, is
// deleted and reported as ErrNotFound. Activity is recorded at most once a
// minute to spare the writer.
func (s *Store) SessionByToken(ctx context.Context, token string, policy SessionPolicy) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var sess Session
	if err := s.r.WithContext(ctx).Where("token_hash = ?", HashToken(token)).Limit(1).Find(&sess).Error; err != nil {
		return nil, nil, fmt.Errorf("load session: %w", err)
	}
	if sess.ID == 0 {
		return nil, nil, ErrNotFound
	}
	now := s.Now()
	u, err := s.UserByID(ctx, sess.UserID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, err
	}
	if u == nil || !u.Active() || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= policy.Idle {
		if err := s.w.WithContext(ctx).Delete(&Session{}, sess.ID).Error; err != nil {
			return nil, nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, nil, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt = now
		if err := s.w.WithContext(ctx).Model(&sess).Update("last_seen_at", now).Error; err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &sess, u, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if err := s.w.WithContext(ctx).Where("token_hash = ?", HashToken(token)).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// CreateInvitation makes a one-time link token for a new account.
func (s *Store) CreateInvitation(ctx context.Context, role string, memberID *uint, by *uint, ttl time.Duration) (string, *Invitation, error) {
	if role == RoleDelegate && memberID == nil {
		return "", nil, &ValidationError{Fields: map[string]string{"member": "A delegate belongs to a member."}}
	}
	token, hash := NewToken()
	now := s.Now()
	inv := &Invitation{TokenHash: hash, Role: role, MemberID: memberID, CreatedBy: by, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(inv).Error; err != nil {
			return err
		}
		return tx.Create(&AuditEvent{At: now, UserID: by, MemberID: memberID, Action: AuditInvitationNew,
			Subject: fmt.Sprintf("invitation %d", inv.ID), Detail: "role " + role + ", expires " + inv.ExpiresAt.Format(time.RFC3339)}).Error
	})
	if err != nil {
		return "", nil, fmt.Errorf("create invitation: %w", err)
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
		u, err = s.createUser(tx, NewUser{Username: in.Username, Name: in.Name, Role: inv.Role, Password: in.Password, MemberID: inv.MemberID})
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

package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Audit actions of API tokens.
const (
	AuditAPITokenNew     = "api.token.created"
	AuditAPITokenUsed    = "api.token.used"
	AuditAPITokenRevoked = "api.token.revoked"
)

// APITokenPrefix starts every API token, so that a token pasted in the
// wrong place (a chat, a repository) is recognisable by secret scanners.
const APITokenPrefix = "concord_"

// Limits of API tokens.
const (
	// MaxAPITokens is how many usable tokens one account may hold.
	MaxAPITokens = 20
	// apiTouchEvery spaces the writes of last_used_at.
	apiTouchEvery = time.Minute
	// apiAuditEvery spaces the "api.token.used" audit events of a token.
	apiAuditEvery = time.Hour
)

// ErrBadToken: the API token is unknown, revoked, expired, or belongs to a
// revoked account. One error for all, so a caller learns nothing more.
var ErrBadToken = errors.New("invalid API token")

// APIToken is a bearer token for the JSON API. It carries the rights of the
// account that created it. Only the SHA-256 of the token is stored.
type APIToken struct {
	ID        uint   `gorm:"primaryKey"`
	UserID    uint   `gorm:"not null;index"`
	Name      string `gorm:"not null"`
	TokenHash string `gorm:"uniqueIndex;not null"`
	// Hint is the start of the token, enough for its owner to tell tokens
	// apart and far too little to use.
	Hint        string `gorm:"not null"`
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	LastUsedAt  *time.Time
	LastAuditAt *time.Time
	RevokedAt   *time.Time
}

// Revoked reports whether the token was revoked by its owner.
func (t *APIToken) Revoked() bool { return t.RevokedAt != nil }

// Expired reports whether the token has an expiry at or before now.
func (t *APIToken) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// Usable reports whether the token authenticates requests at now.
func (t *APIToken) Usable(now time.Time) bool { return !t.Revoked() && !t.Expired(now) }

// Token lifetimes offered when creating a token.
var APITokenLifetimes = []APITokenLifetime{
	{"30", "30 days", 30 * 24 * time.Hour},
	{"90", "90 days", 90 * 24 * time.Hour},
	{"365", "One year", 365 * 24 * time.Hour},
	{"never", "No expiry", 0},
}

// APITokenLifetime is one choice of lifetime; a zero Duration never expires.
type APITokenLifetime struct {
	Value    string
	Label    string
	Duration time.Duration
}

// APITokenInput is what a user gives to create a token. Current is the
// account's password: a token outlives the session it was made from, so
// a borrowed session alone must not be enough to make one.
type APITokenInput struct {
	Name    string `form:"name" json:"name" field:"name" validate:"required,max=100"`
	Expires string `form:"expires" json:"expires" field:"expires" validate:"required,oneof=30 90 365 never"`
	Current string `form:"current" json:"-"`
}

func lifetime(value string) (time.Duration, bool) {
	for _, l := range APITokenLifetimes {
		if l.Value == value {
			return l.Duration, true
		}
	}
	return 0, false
}

// CreateAPIToken creates a token for a user and returns it in clear, once.
// The creation is audited in the same transaction.
func (s *Store) CreateAPIToken(ctx context.Context, userID uint, in APITokenInput) (string, *APIToken, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Expires = strings.TrimSpace(in.Expires)
	if err := s.validate.Struct(in); err != nil {
		msgs := FieldMessages(err)
		if _, bad := msgs["name"]; bad {
			msgs["name"] = "Give the token a name of at most 100 characters."
		}
		if _, bad := msgs["expires"]; bad {
			msgs["expires"] = "Choose how long the token stays valid."
		}
		return "", nil, &ValidationError{Fields: msgs}
	}
	ttl, _ := lifetime(in.Expires) // validated above
	random, _ := NewToken()
	token := APITokenPrefix + random
	now := s.Now()
	t := &APIToken{UserID: userID, Name: in.Name, TokenHash: HashToken(token),
		Hint: token[:len(APITokenPrefix)+4], CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load user %d", userID))
		}
		if !u.Active() {
			return &ConflictError{Field: "name", Message: "This account is revoked and cannot create tokens."}
		}
		var n int64
		err := tx.Model(&APIToken{}).
			Where("user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", userID, now).
			Count(&n).Error
		if err != nil {
			return fmt.Errorf("count tokens: %w", err)
		}
		if n >= MaxAPITokens {
			return &ValidationError{Fields: map[string]string{"name": fmt.Sprintf(
				"You already have %d usable tokens. Revoke one you no longer need first.", MaxAPITokens)}}
		}
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return tx.Create(&AuditEvent{At: now, UserID: &userID, MemberID: u.MemberID, Action: AuditAPITokenNew,
			Subject: fmt.Sprintf("API token %d", t.ID), Detail: tokenDetail(t)}).Error
	})
	if err != nil {
		var verr *ValidationError
		if errors.As(err, &verr) {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("create API token for user %d: %w", userID, err)
	}
	return token, t, nil
}

func tokenDetail(t *APIToken) string {
	d := fmt.Sprintf("%q (%s…)", t.Name, t.Hint)
	if t.ExpiresAt != nil {
		d += ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	} else {
		d += ", no expiry"
	}
	return d
}

// APITokens lists a user's tokens, newest first, revoked ones included.
func (s *Store) APITokens(ctx context.Context, userID uint) ([]APIToken, error) {
	var out []APIToken
	if err := s.r.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
	}
	return out, nil
}

// RevokeAPIToken revokes one of the user's tokens. A token of another user
// is reported as ErrNotFound; revoking a revoked token changes nothing.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, tokenID uint) (*APIToken, error) {
	var t APIToken
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND user_id = ?", tokenID, userID).First(&t).Error; err != nil {
			return notFound(err, fmt.Sprintf("load API token %d", tokenID))
		}
		if t.Revoked() {
			return nil
		}
		now := s.Now()
		t.RevokedAt = &now
		if err := tx.Model(&t).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("mark revoked: %w", err)
		}
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return notFound(err, fmt.Sprintf("load user %d", userID))
		}
		return tx.Create(&AuditEvent{At: now, UserID: &userID, MemberID: u.MemberID, Action: AuditAPITokenRevoked,
			Subject: fmt.Sprintf("API token %d", t.ID), Detail: tokenDetail(&t)}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("revoke API token %d: %w", tokenID, err)
	}
	return &t, nil
}

// revokeAllAPITokens revokes, inside tx, every usable token of an account
// and audits it with the reason; it returns how many it revoked. A token
// made from a hijacked session must not outlive the victim's clean-up.
func revokeAllAPITokens(tx *gorm.DB, u *User, by uint, now time.Time, reason string) (int64, error) {
	res := tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", now)
	if res.Error != nil {
		return 0, fmt.Errorf("revoke API tokens of user %d: %w", u.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return 0, nil
	}
	err := tx.Create(&AuditEvent{At: now, UserID: &by, MemberID: u.MemberID, Action: AuditAPITokenRevoked,
		Subject: "user " + u.Username, Detail: fmt.Sprintf("all %d usable token(s): %s", res.RowsAffected, reason)}).Error
	return res.RowsAffected, err
}

// AuthenticateAPIToken returns the token and its account for a bearer
// token. The account is read on every call, so revoking an account stops
// its tokens at once. Use is recorded at most once a minute (last_used_at)
// and audited at most once an hour per token, to spare the writer.
func (s *Store) AuthenticateAPIToken(ctx context.Context, token string) (*APIToken, *User, error) {
	if !strings.HasPrefix(token, APITokenPrefix) || len(token) > 200 {
		return nil, nil, ErrBadToken
	}
	var t APIToken
	if err := s.r.WithContext(ctx).Where("token_hash = ?", HashToken(token)).Limit(1).Find(&t).Error; err != nil {
		return nil, nil, fmt.Errorf("load API token: %w", err)
	}
	now := s.Now()
	if t.ID == 0 || !t.Usable(now) {
		return nil, nil, ErrBadToken
	}
	u, err := s.UserByID(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrBadToken
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Active() {
		return nil, nil, ErrBadToken
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= apiTouchEvery {
		if err := s.touchAPIToken(ctx, &t, u, now); err != nil {
			return nil, nil, err
		}
	}
	return &t, u, nil
}

// touchAPIToken records a use of the token. The conditional updates make
// concurrent requests record one use and one audit event, not several.
func (s *Store) touchAPIToken(ctx context.Context, t *APIToken, u *User, now time.Time) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&APIToken{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", t.ID, now.Add(-apiTouchEvery)).
			Update("last_used_at", now).Error
		if err != nil {
			return fmt.Errorf("mark used: %w", err)
		}
		res := tx.Model(&APIToken{}).
			Where("id = ? AND (last_audit_at IS NULL OR last_audit_at <= ?)", t.ID, now.Add(-apiAuditEvery)).
			Update("last_audit_at", now)
		if res.Error != nil {
			return fmt.Errorf("mark audited: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return tx.Create(&AuditEvent{At: now, UserID: &u.ID, MemberID: u.MemberID, Action: AuditAPITokenUsed,
			Subject: fmt.Sprintf("API token %d", t.ID), Detail: fmt.Sprintf("%q (%s…)", t.Name, t.Hint)}).Error
	})
	if err != nil {
		return fmt.Errorf("record use of API token %d: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return nil
}

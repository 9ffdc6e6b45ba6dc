package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

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
		// Cut at 200 bytes without leaving half a character behind.
		userAgent = strings.ToValidUTF8(userAgent[:200], "")
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

// UserSessions lists the live sessions of an account, most recently used
// first. Sessions past their idle or absolute limit are left out.
func (s *Store) UserSessions(ctx context.Context, userID uint, policy SessionPolicy) ([]Session, error) {
	now := s.Now()
	var out []Session
	err := s.r.WithContext(ctx).Where("user_id = ? AND expires_at > ? AND last_seen_at > ?", userID, now, now.Add(-policy.Idle)).
		Order("last_seen_at DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %d: %w", userID, err)
	}
	return out, nil
}

// EndSessions ends sessions of an account: all of them when only is 0
// (and then its API tokens are revoked too), else the one session with
// that ID (which must belong to the account).
// It returns how many ended and records the event.
func (s *Store) EndSessions(ctx context.Context, userID uint, only uint) (int64, error) {
	var n int64
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.Where("id = ?", userID).Limit(1).Find(&u).Error; err != nil {
			return err
		}
		if u.ID == 0 {
			return ErrNotFound
		}
		q := tx.Where("user_id = ?", userID)
		what := "every session"
		if only != 0 {
			q = q.Where("id = ?", only)
			what = fmt.Sprintf("session %d", only)
		}
		res := q.Delete(&Session{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if only != 0 && n == 0 {
			return ErrNotFound
		}
		now := s.Now()
		detail := fmt.Sprintf("%s: %d ended", what, n)
		if only == 0 {
			// Signing out everywhere is what a person does after a
			// suspected theft: tokens made meanwhile stop too.
			revoked, err := revokeAllAPITokens(tx, &u, u.ID, now, "signed out everywhere")
			if err != nil {
				return err
			}
			detail += fmt.Sprintf("; %d API token(s) revoked", revoked)
		}
		return tx.Create(&AuditEvent{At: now, UserID: &u.ID, MemberID: u.MemberID, Action: AuditSessionsEnded,
			Subject: "user " + u.Username, Detail: detail}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return n, nil
}

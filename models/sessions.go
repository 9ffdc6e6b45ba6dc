package models

import (
	"context"
	"database/sql"
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
	sess, u, err := s.sessionWithUser(ctx, HashToken(token))
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	if u == nil || !u.Active() || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= policy.Idle {
		if err := s.w.WithContext(ctx).Delete(&Session{}, sess.ID).Error; err != nil {
			return nil, nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, nil, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt = now
		if err := s.w.WithContext(ctx).Model(sess).Update("last_seen_at", now).Error; err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return sess, u, nil
}

// sessionQuery reads a session, its account and the account's member in
// one statement: every request signed in runs it, and three queries
// through gorm (session, user, member preloaded) cost it several times as
// much. The columns are those of Session, User and Member, in the order
// sessionWithUser scans them (TestSessionQueryColumns checks the lists);
// user_agent, added to the table after its first sessions, may be NULL.
const sessionQuery = `SELECT s.id, s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
	COALESCE(s.user_agent, ''),
	u.id, u.username, u.name, u.role, u.member_id, u.password_hash, u.approver, u.revoked_at, u.created_at,
	m.id, m.code, m.name, m.accession
	FROM sessions s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN members m ON m.id = u.member_id
	WHERE s.token_hash = ? LIMIT 1`

// sessionWithUser returns the session whose token has the given hash, its
// account with its member, or a nil account when the session's account is
// gone; ErrNotFound when there is no such session.
func (s *Store) sessionWithUser(ctx context.Context, tokenHash string) (*Session, *User, error) {
	rows, err := rawQuery(s.r.WithContext(ctx), sessionQuery, tokenHash)
	if err != nil {
		return nil, nil, fmt.Errorf("load session: %w", err)
	}
	var (
		sess                                    Session
		userID, memberID, mID, accession        sql.NullInt64
		username, name, role, hash, code, mName sql.NullString
		approver                                sql.NullBool
		revokedAt, createdAt                    sql.NullTime
	)
	err = scanOne(rows, &sess.ID, &sess.TokenHash, &sess.UserID, &sess.CSRFToken, &sess.CreatedAt, &sess.LastSeenAt,
		&sess.ExpiresAt, &sess.UserAgent,
		&userID, &username, &name, &role, &memberID, &hash, &approver, &revokedAt, &createdAt,
		&mID, &code, &mName, &accession)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load session: %w", err)
	}
	if !userID.Valid {
		return &sess, nil, nil
	}
	u := &User{ID: uint(userID.Int64), Username: username.String, Name: name.String, Role: role.String,
		PasswordHash: hash.String, Approver: approver.Bool, CreatedAt: createdAt.Time}
	if revokedAt.Valid {
		t := revokedAt.Time
		u.RevokedAt = &t
	}
	if memberID.Valid {
		id := uint(memberID.Int64)
		u.MemberID = &id
		if mID.Valid {
			u.Member = &Member{ID: uint(mID.Int64), Code: code.String, Name: mName.String, Accession: int(accession.Int64)}
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

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
//
// A live session is answered from the cache while the accounts counter
// has not moved (see counters.go); ending a session and recording its
// activity are decided on the stored row, because recording activity does
// not move the counter (another instance may have recorded it since).
func (s *Store) SessionByToken(ctx context.Context, token string, policy SessionPolicy) (*Session, *User, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	hash := HashToken(token)
	version, err := s.counter(ctx, counterAccounts)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	if e, ok := s.sessions.get(hash, version); ok && e.live(now, policy) && now.Sub(e.session.LastSeenAt) <= time.Minute {
		sess, u := e.copies()
		return sess, u, nil
	}
	sess, u, err := s.sessionWithUser(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	e := sessionWithAccount{session: *sess, user: u}
	if !e.live(now, policy) {
		if err := s.w.WithContext(ctx).Delete(&Session{}, sess.ID).Error; err != nil {
			return nil, nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, nil, ErrNotFound
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.w.WithContext(ctx).Model(sess).Update("last_seen_at", now).Error; err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		e.session.LastSeenAt = now
	}
	s.sessions.put(hash, version, e)
	sess, u = e.copies()
	return sess, u, nil
}

// sessionWithAccount is a session and its account (nil when the account
// is gone), as the session cache keeps them.
type sessionWithAccount struct {
	session Session
	user    *User
}

// live reports whether the session may go on: its account exists and is
// not revoked, and it is within its idle and absolute limits.
func (e sessionWithAccount) live(now time.Time, policy SessionPolicy) bool {
	return e.user != nil && e.user.Active() && now.Before(e.session.ExpiresAt) && now.Sub(e.session.LastSeenAt) < policy.Idle
}

// copies returns copies of the session and its account that the caller
// may change.
func (e sessionWithAccount) copies() (*Session, *User) {
	sess := e.session
	if e.user == nil {
		return &sess, nil
	}
	u := *e.user
	if u.MemberID != nil {
		id := *u.MemberID
		u.MemberID = &id
	}
	if u.Member != nil {
		m := *u.Member
		u.Member = &m
	}
	if u.RevokedAt != nil {
		t := *u.RevokedAt
		u.RevokedAt = &t
	}
	return &sess, &u
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

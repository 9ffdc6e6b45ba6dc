package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The audit log is a hash chain. Each entry's link holds
//
//	hash(n) = SHA-256( hash(n−1) ‖ canonical(entry n) )
//
// where hash(n−1) is the 32 bytes of the previous linked entry's hash (32
// zero bytes for the first entry) and canonical is the encoding written by
// CanonicalAuditContent. Changing, removing or inserting an entry changes
// every later hash, so a head (entry ID and hash) recorded outside the
// database pins down the whole log up to it.
//
// Writers are not serialised for the chain: they insert events as before,
// and a linker (LinkAudit, run in the background by AuditLinker) links the
// committed events afterwards, in id order, into the append-only table
// audit_links. Verification (VerifyAudit) covers the linked entries and
// reports how many are not linked yet.

// AuditLink is the chain link of one audit event. Rows are only ever
// inserted: like audit_events, the table refuses UPDATE and DELETE.
type AuditLink struct {
	// EventID is the ID of the audit event this link covers.
	EventID uint `gorm:"primaryKey;autoIncrement:false"`
	// PrevID is the EventID of the previous link, 0 for the first. It is
	// unique, so two linkers can never both extend the chain from the same
	// entry (the chain cannot fork).
	PrevID uint `gorm:"not null;uniqueIndex"`
	// Hash is hash(n) in lower-case hexadecimal (64 characters).
	Hash     string    `gorm:"not null;size:64"`
	LinkedAt time.Time `gorm:"not null"`
}

// auditCanonicalVersion starts every canonical encoding, so that a later
// change of the encoding can be told apart.
const auditCanonicalVersion = "concord-audit-v1"

// CanonicalAuditContent is the byte string an audit event contributes to
// its hash. Fields are written in a fixed order — id, at, user_id, action,
// member_id, subject, detail — each as its name, "=", its length in bytes
// in decimal, ":", its value and a line feed, after the line
// "concord-audit-v1". Lengths make the encoding unambiguous whatever the
// text holds. at is the time in whole microseconds since 1970-01-01 UTC
// (the precision both SQLite and PostgreSQL keep; Record stores times
// truncated to it); an absent user or member is the empty string (IDs are
// never 0).
func CanonicalAuditContent(ev *AuditEvent) []byte {
	var b strings.Builder
	b.WriteString(auditCanonicalVersion)
	b.WriteByte('\n')
	field := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(len(value)))
		b.WriteByte(':')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	optional := func(id *uint) string {
		if id == nil {
			return ""
		}
		return strconv.FormatUint(uint64(*id), 10)
	}
	field("id", strconv.FormatUint(uint64(ev.ID), 10))
	field("at", strconv.FormatInt(ev.At.UTC().UnixMicro(), 10))
	field("user_id", optional(ev.UserID))
	field("action", ev.Action)
	field("member_id", optional(ev.MemberID))
	field("subject", ev.Subject)
	field("detail", ev.Detail)
	return []byte(b.String())
}

// auditGenesis is hash(0), the predecessor of the first entry.
var auditGenesis [sha256.Size]byte

// ChainAuditHash is hash(n) of an event given hash(n−1) in hexadecimal
// ("" for the first entry).
func ChainAuditHash(prevHex string, ev *AuditEvent) (string, error) {
	prev := auditGenesis[:]
	if prevHex != "" {
		p, err := hex.DecodeString(prevHex)
		if err != nil || len(p) != sha256.Size {
			return "", fmt.Errorf("previous audit hash %q is not a SHA-256 in hexadecimal", prevHex)
		}
		prev = p
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(CanonicalAuditContent(ev))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BeforeCreate stores an audit event's time in UTC, truncated to whole
// microseconds: the time that is hashed is then exactly the time stored,
// in SQLite as in PostgreSQL.
func (ev *AuditEvent) BeforeCreate(*gorm.DB) error {
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	return nil
}

// AuditHead is the newest linked entry of the chain.
type AuditHead struct {
	ID   uint   // entry (event) ID; 0 when nothing is linked yet
	Hash string // its hash, hexadecimal
	// Pending counts the entries written after the head, not linked yet.
	Pending int64
}

// String is the head as "ID:HASH", the form `concord audit verify -expect`
// takes; "" when nothing is linked.
func (h AuditHead) String() string {
	if h.ID == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%s", h.ID, h.Hash)
}

// ParseAuditHead reads "ID:HASH" as printed by AuditHead.String.
func ParseAuditHead(s string) (AuditHead, error) {
	idText, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	id, err := strconv.ParseUint(idText, 10, 64)
	hash = strings.ToLower(hash)
	if !ok || err != nil || id == 0 || len(hash) != 2*sha256.Size {
		return AuditHead{}, fmt.Errorf("%q is not ID:HASH (an entry number, a colon and 64 hexadecimal digits)", s)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return AuditHead{}, fmt.Errorf("%q is not ID:HASH: the hash is not hexadecimal", s)
	}
	return AuditHead{ID: uint(id), Hash: hash}, nil
}

// AuditChainHead returns the newest link and the number of entries after it.
func (s *Store) AuditChainHead(ctx context.Context) (AuditHead, error) {
	var head AuditHead
	err := s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		link, err := lastLink(tx)
		if err != nil {
			return err
		}
		head.ID, head.Hash = link.EventID, link.Hash
		if err := tx.Model(&AuditEvent{}).Where("id > ?", head.ID).Count(&head.Pending).Error; err != nil {
			return fmt.Errorf("count unlinked audit events: %w", err)
		}
		return nil
	})
	if err != nil {
		return AuditHead{}, fmt.Errorf("read audit chain head: %w", err)
	}
	return head, nil
}

// lastLink is the link with the highest event ID, or a zero link.
func lastLink(tx *gorm.DB) (AuditLink, error) {
	var links []AuditLink
	if err := tx.Order("event_id DESC").Limit(1).Find(&links).Error; err != nil {
		return AuditLink{}, fmt.Errorf("read last audit link: %w", err)
	}
	if len(links) == 0 {
		return AuditLink{}, nil
	}
	return links[0], nil
}

// auditLinkBatch is the most events LinkAudit links in one transaction.
const auditLinkBatch = 500

// errLinkRace: another linker extended the chain first.
var errLinkRace = errors.New("another linker extended the audit chain first")

// LinkAudit links the committed, unlinked audit events after the head, in
// id order, at most auditLinkBatch of them, in one write transaction; it
// returns how many it linked. It is safe to run from several processes at
// once: each link is inserted only if its entry is still unlinked and its
// predecessor is still the head with the hash that was read, and prev_id is
// unique, so a linker that lost a race links nothing (and returns 0 without
// error) instead of forking the chain.
//
// Events are linked in id order as committed. On SQLite ids are given out
// under the database's single write lock, so a committed id is never
// followed later by the commit of a smaller one. On PostgreSQL ids are
// given out at insert and transactions commit in any order, so the linker
// first reads the highest id in a transaction holding the store's write
// lock exclusively (see postgres.go): every transaction that took an id
// until then has ended, committed or not, so no id up to that horizon can
// still appear. It then links up to the horizon in a transaction holding
// the lock shared, beside the saves, so that the saves wait only for the
// horizon's read, not for the linking.
func (s *Store) LinkAudit(ctx context.Context) (int, error) {
	n := 0
	db, horizon := s.w, uint(0)
	if s.pg != nil {
		err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return tx.Raw(`SELECT COALESCE(MAX(id), 0) FROM audit_events`).Scan(&horizon).Error
		})
		if err != nil {
			return 0, fmt.Errorf("link audit events: read the horizon: %w", err)
		}
		db = s.pg.saver
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		head, err := lastLink(tx)
		if err != nil {
			return err
		}
		q := tx.Where("id > ?", head.EventID)
		if s.pg != nil {
			q = q.Where("id <= ?", horizon)
		}
		var events []AuditEvent
		if err := q.Order("id").Limit(auditLinkBatch).Find(&events).Error; err != nil {
			return fmt.Errorf("read unlinked audit events: %w", err)
		}
		n, err = insertLinks(tx, head, events, s.Now())
		return err
	})
	if errors.Is(err, errLinkRace) || errors.Is(err, gorm.ErrDuplicatedKey) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("link audit events: %w", err)
	}
	return n, nil
}

// insertLinks chains events (in id order) after head, each insert guarded
// by the conditions LinkAudit states.
func insertLinks(tx *gorm.DB, head AuditLink, events []AuditEvent, now time.Time) (int, error) {
	for i := range events {
		ev := &events[i]
		hash, err := ChainAuditHash(head.Hash, ev)
		if err != nil {
			return 0, err
		}
		res := tx.Exec(`INSERT INTO audit_links (event_id, prev_id, hash, linked_at)
			SELECT ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM audit_links WHERE event_id = ? OR prev_id = ?)
			AND (? = 0 OR EXISTS (SELECT 1 FROM audit_links WHERE event_id = ? AND hash = ?))
			AND NOT EXISTS (SELECT 1 FROM audit_links WHERE event_id > ?)`,
			ev.ID, head.EventID, hash, now,
			ev.ID, head.EventID,
			head.EventID, head.EventID, head.Hash,
			head.EventID)
		if res.Error != nil {
			return 0, fmt.Errorf("link audit event %d: %w", ev.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return 0, errLinkRace
		}
		head = AuditLink{EventID: ev.ID, PrevID: head.EventID, Hash: hash}
	}
	return len(events), nil
}

// AuditVerification is the outcome of VerifyAudit.
type AuditVerification struct {
	// Verified counts the linked entries whose recomputed hash matched,
	// from the first entry on, up to the first problem.
	Verified int
	// Head is the last entry verified (ID 0 when none).
	Head AuditHead
	// Unlinked counts the entries after the last link, not linked yet
	// (not covered by the verification), whatever the outcome.
	Unlinked int64
	// ProblemID is the first entry that does not match (0 when none);
	// Problem says how, in a sentence.
	ProblemID uint
	Problem   string
	// ExpectChecked: an expected head was given and its entry was found in
	// the chain and compared.
	ExpectChecked bool
}

// OK reports whether every linked entry verified (and the expected head,
// when one was given, matched).
func (v AuditVerification) OK() bool { return v.Problem == "" }

// VerifyAudit recomputes the hash chain from the audit events, without
// writing anything, and compares it with the stored links. It stops at the
// first entry that does not match:
//   - an edited entry: its recomputed hash differs from its link;
//   - a deleted entry: its link remains without it, or the next link names
//     a predecessor that is no longer there;
//   - an inserted entry: an event between two linked ones has no link.
//
// With expect (ID non-zero), the stored and the recomputed hash of entry
// expect.ID must both equal expect.Hash: this catches an edit followed by
// a recomputation of every later link, which plain verification cannot.
func (s *Store) VerifyAudit(ctx context.Context, expect AuditHead) (AuditVerification, error) {
	var v AuditVerification
	err := s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !tx.Migrator().HasTable(&AuditLink{}) {
			// A database not migrated since the chain was introduced:
			// nothing is linked yet.
			if err := tx.Model(&AuditEvent{}).Count(&v.Unlinked).Error; err != nil {
				return fmt.Errorf("count audit events: %w", err)
			}
		} else {
			if err := verifyChain(tx, expect, &v); err != nil {
				return err
			}
			// Counted after the last link, whether or not the chain
			// verified up to it.
			last, err := lastLink(tx)
			if err != nil {
				return err
			}
			if err := tx.Model(&AuditEvent{}).Where("id > ?", last.EventID).Count(&v.Unlinked).Error; err != nil {
				return fmt.Errorf("count unlinked audit events: %w", err)
			}
		}
		if expect.ID != 0 && v.Problem == "" && !v.ExpectChecked {
			v.ProblemID = expect.ID
			v.Problem = fmt.Sprintf("entry %d, recorded earlier as a head, is not in the chain (which ends at entry %d): entries were deleted", expect.ID, v.Head.ID)
		}
		return nil
	})
	if err != nil {
		return AuditVerification{}, fmt.Errorf("verify audit log: %w", err)
	}
	return v, nil
}

// verifyBatch is the number of links read at a time by verifyChain.
const verifyBatch = 1000

func verifyChain(tx *gorm.DB, expect AuditHead, v *AuditVerification) error {
	prevID, prevHash := uint(0), ""
	fail := func(id uint, format string, args ...any) {
		v.ProblemID, v.Problem = id, fmt.Sprintf(format, args...)
	}
	for {
		var links []AuditLink
		if err := tx.Where("event_id > ?", prevID).Order("event_id").Limit(verifyBatch).Find(&links).Error; err != nil {
			return fmt.Errorf("read audit links: %w", err)
		}
		if len(links) == 0 {
			break
		}
		var events []AuditEvent
		if err := tx.Where("id > ? AND id <= ?", prevID, links[len(links)-1].EventID).Order("id").Find(&events).Error; err != nil {
			return fmt.Errorf("read audit events: %w", err)
		}
		e := 0 // next event to consume
		for _, l := range links {
			if e < len(events) && events[e].ID < l.EventID {
				fail(events[e].ID, "entry %d has no link although entry %d after it has: it was inserted afterwards, or its link was removed", events[e].ID, l.EventID)
				return nil
			}
			if l.PrevID != prevID {
				if prevID == 0 {
					fail(l.EventID, "entry %d was linked after entry %d, which is missing: it was deleted", l.EventID, l.PrevID)
				} else {
					fail(l.EventID, "entry %d was linked after entry %d, but the entry before it is %d: entry %d was deleted", l.EventID, l.PrevID, prevID, l.PrevID)
				}
				return nil
			}
			if e >= len(events) || events[e].ID != l.EventID {
				fail(l.EventID, "entry %d is missing but its link remains: it was deleted", l.EventID)
				return nil
			}
			hash, err := ChainAuditHash(prevHash, &events[e])
			if err != nil {
				return err
			}
			if hash != l.Hash {
				fail(l.EventID, "entry %d does not match its recorded hash: it was changed after it was linked", l.EventID)
				return nil
			}
			if expect.ID == l.EventID {
				v.ExpectChecked = true
			}
			if expect.ID == l.EventID && hash != expect.Hash {
				fail(l.EventID, "entry %d's hash is %s, not the %s recorded earlier: the log was changed at or before entry %d", l.EventID, hash, expect.Hash, l.EventID)
				return nil
			}
			e++
			v.Verified++
			v.Head = AuditHead{ID: l.EventID, Hash: hash}
			prevID, prevHash = l.EventID, hash
		}
	}
	return nil
}

// migrateAudit creates the chain's table and makes the database refuse to
// change or remove audit events and links.
func migrateAudit(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&AuditLink{}); err != nil {
		return fmt.Errorf("migrate audit links: %w", err)
	}
	if err := protectAudit(tx); err != nil {
		return err
	}
	if isPostgres(tx) {
		return appendOnlyPostgres(tx, "audit_links", "the audit chain is append-only")
	}
	for _, stmt := range []string{
		`CREATE TRIGGER IF NOT EXISTS audit_links_no_update BEFORE UPDATE ON audit_links
			BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END`,
		`CREATE TRIGGER IF NOT EXISTS audit_links_no_delete BEFORE DELETE ON audit_links
			BEGIN SELECT RAISE(ABORT, 'the audit chain is append-only'); END`,
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("protect audit chain: %w", err)
		}
	}
	return nil
}

// AuditLinker runs LinkAudit in the background: at start, on every tick,
// and once more when stopped, so that the entries written until shutdown
// are linked.
type AuditLinker struct {
	Store *Store
	Log   *slog.Logger
	// Ticks wakes the linker; nil means a ticker of AuditLinkEvery.
	Ticks <-chan time.Time
}

// AuditLinkEvery is how often the server's linker looks for new entries:
// an entry is linked within about this long of being written.
const AuditLinkEvery = 2 * time.Second

// Run links until ctx is done, then makes a last pass (bounded by five
// seconds) and returns. Failures are logged and retried on the next tick.
func (l *AuditLinker) Run(ctx context.Context) {
	ticks := l.Ticks
	if ticks == nil {
		t := time.NewTicker(AuditLinkEvery)
		defer t.Stop()
		ticks = t.C
	}
	for {
		l.catchUp(ctx)
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			l.catchUp(last)
			cancel()
			return
		case <-ticks:
		}
	}
}

// catchUp links batches until none is left (or a pass fails).
func (l *AuditLinker) catchUp(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := l.Store.LinkAudit(ctx)
		if err != nil {
			if l.Log != nil && ctx.Err() == nil {
				l.Log.Error("link audit log", "err", err)
			}
			return
		}
		if n < auditLinkBatch {
			return
		}
	}
}

// OpenReadOnly opens an existing SQLite database for reading only: any
// write through the returned Store fails, and a missing file is an error
// rather than a new database. It serves `concord audit verify`.
func OpenReadOnly(path string) (*Store, error) {
	if IsPostgresDSN(path) {
		return openPostgres(path, Options{readOnly: true})
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_query_only", "true")
	reader, err := openGorm(sqliteURI(path, q), 4)
	if err != nil {
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	return &Store{w: reader, r: reader, validate: NewValidator(), now: time.Now}, nil
}

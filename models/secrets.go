package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// SetPasswordCost sets the bcrypt cost (tests use bcrypt.MinCost).
func (s *Store) SetPasswordCost(cost int) { s.bcryptCost = cost }

func (s *Store) hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHashes keeps the time of a failed login independent of whether the
// account exists: an unknown username costs one bcrypt comparison at the
// same cost as a real one. Hashes are made once per cost.
var dummyHashes sync.Map // cost → []byte

func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("concord-timing-equaliser"), cost) // fails only for a cost out of range
	dummyHashes.Store(cost, h)
	return h
}

func (s *Store) cost() int {
	if s.bcryptCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.bcryptCost
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

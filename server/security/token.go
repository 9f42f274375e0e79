package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Signed values. A broker signs three kinds of values with the cluster's
// key (an HMAC-SHA256 key held in the metadata group, so every broker has
// it): the bearer tokens clients send, the SCRAM sessions carried between
// StartScram and FinishScram, and the principal a broker vouches for when it
// forwards a client's request to another broker. Each names the kind (a
// value of one kind is never accepted as another), the key that signed it,
// when it expires, and its fields.

// Kind says what a signed value is for.
type Kind byte

const (
	// KindToken is a bearer token: fields are the principal.
	KindToken Kind = 't'
	// KindSession is a SCRAM session between its two calls.
	KindSession Kind = 's'
	// KindForwarded is a principal a broker forwards a request as: fields
	// are the principal and the forwarding broker's id.
	KindForwarded Kind = 'f'
)

// TokenPrefix starts every bearer token: a version, so the format can change.
const TokenPrefix = "sl1."

var (
	// ErrExpired is a signed value past its expiry.
	ErrExpired = errors.New("expired")
	// ErrBadSignature is a value not signed by a key of this cluster (or
	// changed since).
	ErrBadSignature = errors.New("not signed by this cluster")
	// ErrUnknownKey names a key the cluster no longer (or never) had.
	ErrUnknownKey = errors.New("signed by a key this cluster does not hold (rotated out, or another cluster's)")
	// ErrMalformed is a value that does not parse.
	ErrMalformed = errors.New("malformed")
)

// Key is one HMAC key with its id.
type Key struct {
	ID     uint32
	Secret []byte
}

// Sign encodes and signs a value: key id (4 bytes), kind, expiry (unix
// milliseconds, 8 bytes), each field length-prefixed, then the HMAC-SHA256
// of all that.
func Sign(k Key, kind Kind, expires time.Time, fields ...string) []byte {
	b := make([]byte, 0, 64)
	b = binary.BigEndian.AppendUint32(b, k.ID)
	b = append(b, byte(kind))
	b = binary.BigEndian.AppendUint64(b, uint64(expires.UnixMilli()))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	m := hmac.New(sha256.New, k.Secret)
	m.Write(b)
	return m.Sum(b)
}

// Verify checks a signed value of the kind against the keys (found by id)
// at now and returns its expiry and fields. An expired value is reported
// (with its expiry) only once its signature checked.
func Verify(signed []byte, kind Kind, key func(id uint32) ([]byte, bool), now time.Time) (time.Time, []string, error) {
	const head = 4 + 1 + 8
	if len(signed) < head+sha256.Size {
		return time.Time{}, nil, ErrMalformed
	}
	body, mac := signed[:len(signed)-sha256.Size], signed[len(signed)-sha256.Size:]
	secret, ok := key(binary.BigEndian.Uint32(body))
	if !ok {
		return time.Time{}, nil, ErrUnknownKey
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), mac) {
		return time.Time{}, nil, ErrBadSignature
	}
	if Kind(body[4]) != kind {
		return time.Time{}, nil, ErrMalformed
	}
	expires := time.UnixMilli(int64(binary.BigEndian.Uint64(body[5:head])))
	var fields []string
	for rest := body[head:]; len(rest) > 0; {
		n, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < n {
			return time.Time{}, nil, ErrMalformed
		}
		fields = append(fields, string(rest[w:w+int(n)]))
		rest = rest[w+int(n):]
	}
	if !now.Before(expires) {
		return expires, fields, fmt.Errorf("%w at %s", ErrExpired, expires.UTC().Format(time.RFC3339))
	}
	return expires, fields, nil
}

// EncodeToken makes a signed value a bearer token's text.
func EncodeToken(signed []byte) string {
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(signed)
}

// DecodeToken reads a bearer token's text.
func DecodeToken(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok {
		return nil, ErrMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, ErrMalformed
	}
	return b, nil
}

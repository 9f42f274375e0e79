package engine

import (
	"errors"
	"strings"
)

// StorageError is an error of the storage all groups share (a batch commit
// failed): the engine stops, since no group can make anything durable.
type StorageError struct{ Err error }

func (e *StorageError) Error() string { return "storage failed: " + e.Err.Error() }

func (e *StorageError) Unwrap() error { return e.Err }

// redact keeps the first line of err's message: below it, badger dumps
// the key or value it refused, which may be a client's record bytes, and
// those never go into a log or an error message. Unwrap still reaches err.
func redact(err error) error {
	if err == nil || !strings.Contains(err.Error(), "\n") {
		return err
	}
	return &redacted{err}
}

type redacted struct{ err error }

func (r *redacted) Error() string {
	msg, _, _ := strings.Cut(r.err.Error(), "\n")
	return strings.TrimSuffix(msg, ":")
}

func (r *redacted) Unwrap() error { return r.err }

// isStorage reports whether err is the shared storage's.
func isStorage(err error) bool {
	var se *StorageError
	return errors.As(err, &se)
}

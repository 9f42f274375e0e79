package security

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/xdg-go/scram"
	"github.com/xdg-go/stringprep"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// SCRAM credentials (RFC 5802, RFC 7677) are what a broker stores of a
// password: a random salt, an iteration count, StoredKey = H(ClientKey) and
// ServerKey, from which the password cannot be recovered short of guessing
// it through PBKDF2 at that iteration count.

const (
	// MinIterations is the least PBKDF2 iteration count accepted (RFC 7677).
	MinIterations = 4096
	// DefaultIterations is the count of credentials derived by the broker
	// or the CLI when none is asked for.
	DefaultIterations = 8192
	// MaxIterations bounds what a credential may ask a broker to compute
	// (Basic authentication pays it on each cache miss).
	MaxIterations = 1 << 20
	saltBytes     = 16
)

// Hash returns the hash of a SCRAM mechanism; UNSPECIFIED is SHA-256.
func Hash(m sluicev1.ScramMechanism) (scram.HashGeneratorFcn, error) {
	switch m {
	case sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, sluicev1.ScramMechanism_SCRAM_MECHANISM_UNSPECIFIED:
		return scram.SHA256, nil
	case sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512:
		return scram.SHA512, nil
	}
	return nil, fmt.Errorf("unknown SCRAM mechanism %d (SHA_256 or SHA_512)", m)
}

// MechanismName is the mechanism as SASL names it: "SCRAM-SHA-256".
func MechanismName(m sluicev1.ScramMechanism) string {
	if m == sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512 {
		return "SCRAM-SHA-512"
	}
	return "SCRAM-SHA-256"
}

// ParseMechanism reads "SCRAM-SHA-256" or "SCRAM-SHA-512" (case and the
// "SCRAM-" prefix optional).
func ParseMechanism(s string) (sluicev1.ScramMechanism, error) {
	switch strings.TrimPrefix(strings.ToUpper(s), "SCRAM-") {
	case "SHA-256", "SHA256", "":
		return sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, nil
	case "SHA-512", "SHA512":
		return sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512, nil
	}
	return 0, fmt.Errorf("unknown SCRAM mechanism %q: SCRAM-SHA-256 or SCRAM-SHA-512", s)
}

// CheckUserName refuses names SCRAM cannot carry plainly or a person
// cannot read, and names SASLprep (RFC 4013) would change: a SCRAM client
// sends the prepared name, which must be the stored one.
func CheckUserName(name string) error {
	if name == "" || len(name) > 255 {
		return errors.New("must be 1 to 255 characters")
	}
	for _, r := range name {
		if r == ',' || r == '=' || r == ':' || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("must not contain %q (no ',', '=', ':', spaces, control or format characters)", r)
		}
	}
	if prepped, err := stringprep.SASLprep.Prepare(name); err != nil || prepped != name {
		return errors.New("must be a name SASLprep (RFC 4013) leaves as it is: no characters unassigned in Unicode 3.2 (emoji), none it maps to others")
	}
	return nil
}

// DeriveCredential salts and iterates a password into the credential a
// broker stores (iterations 0: DefaultIterations).
func DeriveCredential(m sluicev1.ScramMechanism, user, password string, iterations int) (*sluicev1.ScramCredential, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if err := checkIterations(iterations); err != nil {
		return nil, err
	}
	h, err := Hash(m)
	if err != nil {
		return nil, err
	}
	c, err := h.NewClient(user, password, "")
	if err != nil {
		return nil, fmt.Errorf("prepare password: %w", err)
	}
	salt := make([]byte, saltBytes)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails on supported platforms
	sc, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iterations})
	if err != nil {
		return nil, fmt.Errorf("derive credential: %w", err)
	}
	return &sluicev1.ScramCredential{Salt: salt, Iterations: int32(iterations), StoredKey: sc.StoredKey, ServerKey: sc.ServerKey}, nil
}

// CheckCredential refuses a credential a client derived that a broker
// cannot use.
func CheckCredential(m sluicev1.ScramMechanism, c *sluicev1.ScramCredential) error {
	h, err := Hash(m)
	if err != nil {
		return err
	}
	if len(c.GetSalt()) < 8 {
		return errors.New("salt must be at least 8 bytes")
	}
	if err := checkIterations(int(c.GetIterations())); err != nil {
		return err
	}
	size := h().Size()
	if len(c.GetStoredKey()) != size || len(c.GetServerKey()) != size {
		return fmt.Errorf("stored_key and server_key must be %d bytes for %s", size, MechanismName(m))
	}
	return nil
}

func checkIterations(n int) error {
	if n < MinIterations || n > MaxIterations {
		return fmt.Errorf("iterations %d: must be %d to %d", n, MinIterations, MaxIterations)
	}
	return nil
}

// CheckPassword reports whether password derives the credential (the
// PBKDF2 cost of the credential's iterations, each call).
func CheckPassword(m sluicev1.ScramMechanism, c *sluicev1.ScramCredential, user, password string) bool {
	h, err := Hash(m)
	if err != nil {
		return false
	}
	cl, err := h.NewClient(user, password, "")
	if err != nil {
		return false
	}
	sc, err := cl.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(c.GetSalt()), Iters: int(c.GetIterations())})
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(sc.StoredKey, c.GetStoredKey()) == 1
}

// Stored is the form the SCRAM library looks credentials up in.
func Stored(c *sluicev1.ScramCredential) scram.StoredCredentials {
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(c.GetSalt()), Iters: int(c.GetIterations())},
		StoredKey:  c.GetStoredKey(), ServerKey: c.GetServerKey(),
	}
}

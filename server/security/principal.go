// Package security says who is calling. The doors (gRPC interceptors, later
// the Kafka listener's SASL) resolve every call to a Principal and put it in
// the call's context; the broker core's authorizer reads it from there. The
// doors never decide access themselves.
package security

import (
	"context"
	"strings"
)

// Principal is who a request runs as, in Kafka's form "Type:Name"
// ("User:alice"). Brokers calling each other are principals too.
type Principal struct {
	Type string
	Name string
}

// UserType is the type of every principal a person or client application
// authenticates as.
const UserType = "User"

// User returns the principal User:name.
func User(name string) Principal { return Principal{Type: UserType, Name: name} }

// Anonymous is the principal of a call that presented no credentials. With
// authentication off, every call runs as it.
var Anonymous = User("ANONYMOUS")

// String formats the principal as Kafka does: "User:alice".
func (p Principal) String() string { return p.Type + ":" + p.Name }

// ParsePrincipal reads "Type:Name"; a string without a colon is a user name.
func ParsePrincipal(s string) Principal {
	if t, n, ok := strings.Cut(s, ":"); ok && t != "" {
		return Principal{Type: t, Name: n}
	}
	return User(s)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p as the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller ctx carries, and Anonymous when it carries
// none.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok {
		return p
	}
	return Anonymous
}

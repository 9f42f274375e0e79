// Package quota holds client quotas in Kafka's model and the per-broker
// usage they are enforced against. A Table (built from the metadata's
// quotas) says which limit applies to a call and whose usage it counts
// against; a Tracker keeps that usage, a token bucket per key, and says how
// long a call must be held back. The broker's doors do the holding back.
package quota

import (
	"cmp"
	"slices"
)

// Kind is the shape of one part of an entity.
type Kind uint8

const (
	// None: the entity has no such part.
	None Kind = iota
	// Named: the part names one user or client id.
	Named
	// Default: Kafka's <default>, every user or client id not named.
	Default
)

// Part is one part of an entity (its user or its client id).
type Part struct {
	Kind Kind
	Name string // with Named only
}

// Name returns a Named part.
func Name(s string) Part { return Part{Kind: Named, Name: s} }

// Any is the Default part.
var Any = Part{Kind: Default}

// Entity is whom a quota applies to. User holds principals in their string
// form ("User:alice").
type Entity struct {
	User, ClientID Part
}

// Type is a kind of quota.
type Type uint8

const (
	// ProduceBytes limits bytes of produce requests per second.
	ProduceBytes Type = iota
	// FetchBytes limits bytes of fetch responses per second.
	FetchBytes
	// Requests limits requests per second.
	Requests
	numTypes
)

func (t Type) String() string {
	switch t {
	case ProduceBytes:
		return "produce_bytes_rate"
	case FetchBytes:
		return "fetch_bytes_rate"
	case Requests:
		return "request_rate"
	}
	return "unknown"
}

// Limits are an entity's limits per Type, per second; 0 means none.
type Limits [numTypes]float64

// Config is one entity's limits.
type Config struct {
	Entity Entity
	Limits Limits
}

// Key names the usage a call counts against: the entity whose limit
// applies, with its default parts replaced by the caller's names (every
// user and client id a default matches has its own usage), and the type.
type Key struct {
	Entity Entity
	Type   Type
}

// Table resolves the limit of a call. It is immutable; build a new one when
// the quotas change.
type Table struct {
	byEntity map[Entity]*Limits
	// has says, per type, whether any entity sets it: a table without any
	// limit of a type costs a call one array read.
	has [numTypes]bool
}

// NewTable indexes configs; a later config of the same entity replaces an
// earlier one.
func NewTable(configs []Config) *Table {
	t := &Table{byEntity: make(map[Entity]*Limits, len(configs))}
	for _, c := range configs {
		l := c.Limits
		t.byEntity[c.Entity] = &l
		for typ, v := range l {
			if v > 0 {
				t.has[typ] = true
			}
		}
	}
	return t
}

// Empty reports whether the table sets no limit at all.
func (t *Table) Empty() bool {
	return t == nil || t.has == [numTypes]bool{}
}

// Resolve returns the limit of type typ for a call by user (a principal's
// string form) naming clientID ("" when it names none), and the key of the
// usage it counts against; ok is false when no entity sets that limit. The
// most specific entity that sets it wins, in Kafka's order:
//
//  1. user and client id
//  2. user and default client id
//  3. user
//  4. default user and client id
//  5. default user and default client id
//  6. default user
//  7. client id
//  8. default client id
//
// A call without a client id matches only the default client id.
func (t *Table) Resolve(user, clientID string, typ Type) (limit float64, key Key, ok bool) {
	if t == nil || !t.has[typ] {
		return 0, Key{}, false
	}
	u, c := Name(user), Name(clientID)
	for _, e := range candidates(u, c) {
		if l := t.byEntity[e]; l != nil && l[typ] > 0 {
			return l[typ], Key{Entity: usageEntity(e, u, c), Type: typ}, true
		}
	}
	return 0, Key{}, false
}

// candidates lists the entities a call may match, most specific first. A
// call without a client id has c = Name(""), which no entity names.
func candidates(u, c Part) [8]Entity {
	none := Part{}
	return [...]Entity{
		{u, c}, {u, Any}, {u, none},
		{Any, c}, {Any, Any}, {Any, none},
		{none, c}, {none, Any},
	}
}

// usageEntity replaces e's default parts by the caller's names.
func usageEntity(e Entity, u, c Part) Entity {
	if e.User.Kind == Default {
		e.User = u
	}
	if e.ClientID.Kind == Default {
		e.ClientID = c
	}
	return e
}

// Compare orders entities as ListQuotas lists them: by user, then client
// id; within a part, none first, then the default, then names.
func Compare(a, b Entity) int {
	return cmp.Or(comparePart(a.User, b.User), comparePart(a.ClientID, b.ClientID))
}

func comparePart(a, b Part) int {
	return cmp.Or(cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), cmp.Compare(a.Name, b.Name))
}

var kindOrder = [...]int{None: 0, Default: 1, Named: 2}

// SortConfigs sorts configs by entity (Compare).
func SortConfigs(cs []Config) {
	slices.SortFunc(cs, func(a, b Config) int { return Compare(a.Entity, b.Entity) })
}

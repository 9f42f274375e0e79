// Package authz decides whether a principal may perform an operation on a
// resource, in Kafka's ACL model: an ACL allows or denies one operation (or
// ALL) to a principal (or every user, "User:*") from a host (or any, "*")
// on the resources its pattern matches (a literal name, the literal "*", or
// a prefix). A matching deny wins over any allow; READ, WRITE, DELETE and
// ALTER allow DESCRIBE too, and ALTER_CONFIGS allows DESCRIBE_CONFIGS (an
// implied operation is never denied by a deny of the operation implying
// it); super users may do everything; and when no ACL matches, the answer
// is no, unless AllowIfNoACL is set and the resource has no ACL at all.
//
// The package is the decision alone: the ACLs come from the metadata (each
// broker holds them all), the principal from the call's context, and the
// broker asks for every resource a request touches.
package authz

import (
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/security"
)

// ClusterName is the name of the cluster resource (Kafka's "kafka-cluster").
const ClusterName = "sluice-cluster"

// Wildcard is the literal resource name, and the host, that match all.
const Wildcard = "*"

// WildcardPrincipal matches every principal.
const WildcardPrincipal = "User:*"

// Config sets up an Authorizer.
type Config struct {
	// SuperUsers are principals ("User:admin") allowed everything.
	SuperUsers []string
	// AllowIfNoACL allows an operation on a resource that no ACL at all
	// names (Kafka's allow.everyone.if.no.acl.found); off by default.
	AllowIfNoACL bool
}

// Authorizer answers access questions against the current ACLs.
type Authorizer struct {
	super        map[string]bool
	allowIfNoACL bool
	source       func() []*sluicev1.AclBinding
	idx          atomic.Pointer[Index]
}

// New returns an Authorizer reading the ACLs from source, which must return
// the same slice while the ACLs do not change (the metadata state's list):
// the index is rebuilt only when the slice changes.
func New(cfg Config, source func() []*sluicev1.AclBinding) *Authorizer {
	a := &Authorizer{super: map[string]bool{}, allowIfNoACL: cfg.AllowIfNoACL, source: source}
	for _, s := range cfg.SuperUsers {
		if s = strings.TrimSpace(s); s != "" {
			a.super[security.ParsePrincipal(s).String()] = true
		}
	}
	return a
}

// IsSuperUser reports whether p is one of the configured super users.
func (a *Authorizer) IsSuperUser(p security.Principal) bool { return a.super[p.String()] }

// index returns the index of the current ACLs, building it when they changed.
func (a *Authorizer) index() *Index {
	acls := a.source()
	if idx := a.idx.Load(); idx != nil && sameSlice(idx.src, acls) {
		return idx
	}
	idx := NewIndex(acls)
	a.idx.Store(idx)
	return idx
}

func sameSlice(a, b []*sluicev1.AclBinding) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Authorize reports whether p, calling from host, may perform op on the
// resource of type rt named name.
func (a *Authorizer) Authorize(p security.Principal, host string, op sluicev1.AclOperation, rt sluicev1.AclResourceType, name string) bool {
	ps := p.String()
	if a.super[ps] {
		return true
	}
	allowed, none := a.index().decide(ps, host, op, rt, name)
	return allowed || (none && a.allowIfNoACL)
}

// AuthorizeAny reports whether p may perform op on at least one resource of
// type rt, present or future (Kafka's authorizeByResourceType): some allow
// ACL grants it that no deny ACL covers wholly. InitProducer asks it for
// WRITE on any topic.
func (a *Authorizer) AuthorizeAny(p security.Principal, host string, op sluicev1.AclOperation, rt sluicev1.AclResourceType) bool {
	if a.super[p.String()] {
		return true
	}
	ti := a.index().types[rt]
	if ti == nil {
		return a.allowIfNoACL
	}
	ps := p.String()
	if denies(ti.literal[Wildcard], ps, host, op) {
		return false
	}
	// A prefix deny covers every allowed name that starts with it.
	covered := func(name string) bool {
		for _, l := range ti.prefixLens {
			if l <= len(name) && denies(ti.prefixed[name[:l]], ps, host, op) {
				return true
			}
		}
		return false
	}
	for name, es := range ti.literal {
		if allows(es, ps, host, op) && (name == Wildcard || (!denies(es, ps, host, op) && !covered(name))) {
			return true
		}
	}
	for prefix, es := range ti.prefixed {
		if allows(es, ps, host, op) && !covered(prefix) {
			return true
		}
	}
	return false
}

// Index holds ACLs by resource type and name, so that a decision looks at
// the ACLs of its resource only: the literal name's, the wildcard's, and
// those of the prefixes of the name (one map lookup per prefix length in
// use).
type Index struct {
	src   []*sluicev1.AclBinding
	types map[sluicev1.AclResourceType]*typeIndex
}

type typeIndex struct {
	literal    map[string][]entry
	prefixed   map[string][]entry
	prefixLens []int // the distinct lengths of the keys of prefixed, ascending
}

type entry struct {
	principal, host string
	op              sluicev1.AclOperation
	allow           bool
}

// NewIndex indexes acls, which must be valid (Validate).
func NewIndex(acls []*sluicev1.AclBinding) *Index {
	idx := &Index{src: acls, types: map[sluicev1.AclResourceType]*typeIndex{}}
	for _, b := range acls {
		ti := idx.types[b.GetResourceType()]
		if ti == nil {
			ti = &typeIndex{literal: map[string][]entry{}, prefixed: map[string][]entry{}}
			idx.types[b.GetResourceType()] = ti
		}
		e := entry{principal: b.GetPrincipal(), host: hostOf(b.GetHost()), op: b.GetOperation(), allow: b.GetPermission() == sluicev1.AclPermission_ACL_PERMISSION_ALLOW}
		name := b.GetResourceName()
		if b.GetPatternType() == sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED {
			if _, ok := ti.prefixed[name]; !ok && !slices.Contains(ti.prefixLens, len(name)) {
				ti.prefixLens = append(ti.prefixLens, len(name))
			}
			ti.prefixed[name] = append(ti.prefixed[name], e)
		} else {
			ti.literal[name] = append(ti.literal[name], e)
		}
	}
	for _, ti := range idx.types {
		sort.Ints(ti.prefixLens)
	}
	return idx
}

func hostOf(h string) string {
	if h == "" {
		return Wildcard
	}
	return h
}

// decide returns whether the ACLs allow the operation, and whether no ACL
// at all names the resource.
func (idx *Index) decide(principal, host string, op sluicev1.AclOperation, rt sluicev1.AclResourceType, name string) (allowed, none bool) {
	ti := idx.types[rt]
	if ti == nil {
		return false, true
	}
	var buf [8][]entry // on the stack: a decision allocates nothing
	lists := buf[:0]
	if es := ti.literal[name]; len(es) > 0 {
		lists = append(lists, es)
	}
	if name != Wildcard {
		if es := ti.literal[Wildcard]; len(es) > 0 {
			lists = append(lists, es)
		}
	}
	for _, l := range ti.prefixLens {
		if l > len(name) {
			break
		}
		if es := ti.prefixed[name[:l]]; len(es) > 0 {
			lists = append(lists, es)
		}
	}
	if len(lists) == 0 {
		return false, true
	}
	for _, es := range lists {
		if denies(es, principal, host, op) {
			return false, false
		}
	}
	for _, es := range lists {
		if allows(es, principal, host, op) {
			return true, false
		}
	}
	return false, false
}

func (e entry) matches(principal, host string) bool {
	return (e.principal == principal || e.principal == WildcardPrincipal) && (e.host == Wildcard || e.host == host)
}

func denies(es []entry, principal, host string, op sluicev1.AclOperation) bool {
	for _, e := range es {
		if !e.allow && e.matches(principal, host) && (e.op == op || e.op == sluicev1.AclOperation_ACL_OPERATION_ALL) {
			return true
		}
	}
	return false
}

func allows(es []entry, principal, host string, op sluicev1.AclOperation) bool {
	for _, e := range es {
		if e.allow && e.matches(principal, host) && grants(e.op, op) {
			return true
		}
	}
	return false
}

// grants reports whether an allow of have allows want.
func grants(have, want sluicev1.AclOperation) bool {
	if have == want || have == sluicev1.AclOperation_ACL_OPERATION_ALL {
		return true
	}
	switch want {
	case sluicev1.AclOperation_ACL_OPERATION_DESCRIBE:
		switch have {
		case sluicev1.AclOperation_ACL_OPERATION_READ, sluicev1.AclOperation_ACL_OPERATION_WRITE,
			sluicev1.AclOperation_ACL_OPERATION_DELETE, sluicev1.AclOperation_ACL_OPERATION_ALTER:
			return true
		}
	case sluicev1.AclOperation_ACL_OPERATION_DESCRIBE_CONFIGS:
		return have == sluicev1.AclOperation_ACL_OPERATION_ALTER_CONFIGS
	}
	return false
}

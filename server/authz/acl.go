package authz

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// InvalidError is an ACL or filter field that cannot be used.
type InvalidError struct {
	Field, Reason string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Normalize returns b with its defaults filled in (host "*"), as stored.
func Normalize(b *sluicev1.AclBinding) *sluicev1.AclBinding {
	return &sluicev1.AclBinding{
		ResourceType: b.GetResourceType(), ResourceName: b.GetResourceName(), PatternType: b.GetPatternType(),
		Principal: b.GetPrincipal(), Host: hostOf(b.GetHost()), Operation: b.GetOperation(), Permission: b.GetPermission(),
	}
}

// Length limits of ACL fields: a resource name is at most the longest group
// id (topic names are shorter); principals may be long distinguished names.
const (
	MaxResourceNameBytes = 255
	MaxPrincipalBytes    = 512
	MaxHostBytes         = 255
)

// checkLengths refuses fields over their limits, before anything quotes them.
func checkLengths(at, name, principal, host string) error {
	switch {
	case len(name) > MaxResourceNameBytes:
		return invalid(at+".resource_name", "%d bytes is over the limit of %d", len(name), MaxResourceNameBytes)
	case len(principal) > MaxPrincipalBytes:
		return invalid(at+".principal", "%d bytes is over the limit of %d", len(principal), MaxPrincipalBytes)
	case len(host) > MaxHostBytes:
		return invalid(at+".host", "%d bytes is over the limit of %d", len(host), MaxHostBytes)
	}
	return nil
}

// Validate checks a binding to create; field names are prefixed with at.
func Validate(at string, b *sluicev1.AclBinding) error {
	if err := checkLengths(at, b.GetResourceName(), b.GetPrincipal(), b.GetHost()); err != nil {
		return err
	}
	switch b.GetResourceType() {
	case sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC, sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP,
		sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TRANSACTIONAL_ID:
	case sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER:
		if b.GetResourceName() != ClusterName || b.GetPatternType() != sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL {
			return invalid(at+".resource_name", "the cluster resource is the literal name %q (got %q)", ClusterName, b.GetResourceName())
		}
	default:
		return invalid(at+".resource_type", "must be TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID (got %v)", b.GetResourceType())
	}
	if b.GetResourceName() == "" {
		return invalid(at+".resource_name", "is required (use \"*\" with the LITERAL pattern type for every resource)")
	}
	switch b.GetPatternType() {
	case sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL:
	case sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED:
		if b.GetResourceName() == Wildcard {
			return invalid(at+".resource_name", "the prefix \"*\" is not a wildcard; use \"*\" with the LITERAL pattern type for every resource")
		}
	default:
		return invalid(at+".pattern_type", "must be LITERAL or PREFIXED (got %v)", b.GetPatternType())
	}
	if err := validPrincipal(at+".principal", b.GetPrincipal()); err != nil {
		return err
	}
	if b.GetOperation() == sluicev1.AclOperation_ACL_OPERATION_UNSPECIFIED || sluicev1.AclOperation_name[int32(b.GetOperation())] == "" {
		return invalid(at+".operation", "is required (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE or ALL)")
	}
	switch b.GetPermission() {
	case sluicev1.AclPermission_ACL_PERMISSION_ALLOW, sluicev1.AclPermission_ACL_PERMISSION_DENY:
	default:
		return invalid(at+".permission", "must be ALLOW or DENY (got %v)", b.GetPermission())
	}
	return nil
}

func validPrincipal(field, p string) error {
	t, n, ok := strings.Cut(p, ":")
	if !ok || t == "" || n == "" {
		return invalid(field, "must be \"Type:Name\", e.g. \"User:alice\" or \"User:*\" (got %q)", p)
	}
	return nil
}

// ValidateFilter checks a filter.
func ValidateFilter(at string, f *sluicev1.AclFilter) error {
	if err := checkLengths(at, f.GetResourceName(), f.GetPrincipal(), f.GetHost()); err != nil {
		return err
	}
	if f.GetPrincipal() != "" {
		if err := validPrincipal(at+".principal", f.GetPrincipal()); err != nil {
			return err
		}
	}
	if f.GetPatternType() == sluicev1.AclPatternType_ACL_PATTERN_TYPE_MATCH && f.GetResourceName() == "" {
		return invalid(at+".resource_name", "is required with the MATCH pattern type")
	}
	return nil
}

// Matches reports whether filter f selects binding b.
func Matches(f *sluicev1.AclFilter, b *sluicev1.AclBinding) bool {
	if f.GetResourceType() != 0 && f.GetResourceType() != b.GetResourceType() {
		return false
	}
	switch f.GetPatternType() {
	case sluicev1.AclPatternType_ACL_PATTERN_TYPE_UNSPECIFIED:
		if f.GetResourceName() != "" && f.GetResourceName() != b.GetResourceName() {
			return false
		}
	case sluicev1.AclPatternType_ACL_PATTERN_TYPE_MATCH:
		name := f.GetResourceName()
		switch b.GetPatternType() {
		case sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL:
			if b.GetResourceName() != name && b.GetResourceName() != Wildcard {
				return false
			}
		case sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED:
			if !strings.HasPrefix(name, b.GetResourceName()) {
				return false
			}
		}
	default:
		if f.GetPatternType() != b.GetPatternType() || (f.GetResourceName() != "" && f.GetResourceName() != b.GetResourceName()) {
			return false
		}
	}
	return (f.GetPrincipal() == "" || f.GetPrincipal() == b.GetPrincipal()) &&
		(f.GetHost() == "" || f.GetHost() == hostOf(b.GetHost())) &&
		(f.GetOperation() == 0 || f.GetOperation() == b.GetOperation()) &&
		(f.GetPermission() == 0 || f.GetPermission() == b.GetPermission())
}

// Key is a binding's identity: two bindings with the same key are the same ACL.
type Key struct {
	ResourceType    sluicev1.AclResourceType
	Name            string
	Pattern         sluicev1.AclPatternType
	Principal, Host string
	Operation       sluicev1.AclOperation
	Permission      sluicev1.AclPermission
}

// KeyOf returns the identity of b (its host defaulted).
func KeyOf(b *sluicev1.AclBinding) Key {
	return Key{b.GetResourceType(), b.GetResourceName(), b.GetPatternType(), b.GetPrincipal(), hostOf(b.GetHost()), b.GetOperation(), b.GetPermission()}
}

// Sort orders bindings by resource type, name, pattern type, principal,
// host, operation and permission.
func Sort(acls []*sluicev1.AclBinding) {
	slices.SortFunc(acls, func(x, y *sluicev1.AclBinding) int {
		a, b := KeyOf(x), KeyOf(y)
		return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Pattern, b.Pattern),
			cmp.Compare(a.Principal, b.Principal), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Operation, b.Operation),
			cmp.Compare(a.Permission, b.Permission))
	})
}

package authz

import (
	"fmt"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/security"
)

const (
	topic   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC
	group   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP
	cluster = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER

	literal  = sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL
	prefixed = sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED

	opAll       = sluicev1.AclOperation_ACL_OPERATION_ALL
	opRead      = sluicev1.AclOperation_ACL_OPERATION_READ
	opWrite     = sluicev1.AclOperation_ACL_OPERATION_WRITE
	opCreate    = sluicev1.AclOperation_ACL_OPERATION_CREATE
	opDelete    = sluicev1.AclOperation_ACL_OPERATION_DELETE
	opAlter     = sluicev1.AclOperation_ACL_OPERATION_ALTER
	opDescribe  = sluicev1.AclOperation_ACL_OPERATION_DESCRIBE
	opDescCfg   = sluicev1.AclOperation_ACL_OPERATION_DESCRIBE_CONFIGS
	opAlterCfg  = sluicev1.AclOperation_ACL_OPERATION_ALTER_CONFIGS
	opIdemWrite = sluicev1.AclOperation_ACL_OPERATION_IDEMPOTENT_WRITE

	allow = sluicev1.AclPermission_ACL_PERMISSION_ALLOW
	deny  = sluicev1.AclPermission_ACL_PERMISSION_DENY
)

func acl(rt sluicev1.AclResourceType, name string, pt sluicev1.AclPatternType, principal, host string, op sluicev1.AclOperation, perm sluicev1.AclPermission) *sluicev1.AclBinding {
	return &sluicev1.AclBinding{ResourceType: rt, ResourceName: name, PatternType: pt, Principal: principal, Host: host, Operation: op, Permission: perm}
}

func fixed(acls ...*sluicev1.AclBinding) func() []*sluicev1.AclBinding {
	return func() []*sluicev1.AclBinding { return acls }
}

type ask struct {
	principal, host string
	op              sluicev1.AclOperation
	rt              sluicev1.AclResourceType
	name            string
	want            bool
}

func TestDecisions(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		acls []*sluicev1.AclBinding
		asks []ask
	}{
		{
			name: "no ACL denies; a literal allow allows that name only",
			acls: []*sluicev1.AclBinding{acl(topic, "orders", literal, "User:alice", "*", opWrite, allow)},
			asks: []ask{
				{"User:alice", "10.0.0.1", opWrite, topic, "orders", true},
				{"User:alice", "10.0.0.1", opWrite, topic, "orders2", false},
				{"User:alice", "10.0.0.1", opRead, topic, "orders", false},
				{"User:bob", "10.0.0.1", opWrite, topic, "orders", false},
				{"User:alice", "10.0.0.1", opWrite, group, "orders", false},
			},
		},
		{
			name: "deny wins over allow, whichever pattern each has",
			acls: []*sluicev1.AclBinding{
				acl(topic, "*", literal, "User:*", "*", opAll, allow),
				acl(topic, "secret-", prefixed, "User:bob", "*", opRead, deny),
				acl(topic, "public", literal, "User:*", "*", opAll, deny),
			},
			asks: []ask{
				{"User:bob", "h", opRead, topic, "orders", true},
				{"User:bob", "h", opRead, topic, "secret-plans", false},
				{"User:bob", "h", opWrite, topic, "secret-plans", true},
				{"User:alice", "h", opRead, topic, "secret-plans", true},
				{"User:alice", "h", opRead, topic, "public", false},
			},
		},
		{
			name: "prefixed ACLs match names that start with the prefix, of every length in use",
			acls: []*sluicev1.AclBinding{
				acl(topic, "team-a.", prefixed, "User:alice", "*", opRead, allow),
				acl(topic, "team-a.billing.", prefixed, "User:bob", "*", opRead, allow),
				acl(topic, "t", prefixed, "User:carol", "*", opRead, allow),
			},
			asks: []ask{
				{"User:alice", "h", opRead, topic, "team-a.orders", true},
				{"User:alice", "h", opRead, topic, "team-a.", true},
				{"User:alice", "h", opRead, topic, "team-a", false},
				{"User:alice", "h", opRead, topic, "team-b.orders", false},
				{"User:bob", "h", opRead, topic, "team-a.billing.x", true},
				{"User:bob", "h", opRead, topic, "team-a.orders", false},
				{"User:carol", "h", opRead, topic, "team-a.billing.x", true},
				{"User:carol", "h", opRead, topic, "orders", false},
			},
		},
		{
			name: "READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; no other",
			acls: []*sluicev1.AclBinding{
				acl(topic, "r", literal, "User:u", "*", opRead, allow),
				acl(topic, "w", literal, "User:u", "*", opWrite, allow),
				acl(topic, "d", literal, "User:u", "*", opDelete, allow),
				acl(topic, "a", literal, "User:u", "*", opAlter, allow),
				acl(topic, "ac", literal, "User:u", "*", opAlterCfg, allow),
				acl(topic, "c", literal, "User:u", "*", opCreate, allow),
				acl(topic, "dc", literal, "User:u", "*", opDescCfg, allow),
			},
			asks: []ask{
				{"User:u", "h", opDescribe, topic, "r", true},
				{"User:u", "h", opDescribe, topic, "w", true},
				{"User:u", "h", opDescribe, topic, "d", true},
				{"User:u", "h", opDescribe, topic, "a", true},
				{"User:u", "h", opDescCfg, topic, "ac", true},
				{"User:u", "h", opDescribe, topic, "ac", false},
				{"User:u", "h", opDescribe, topic, "c", false},
				{"User:u", "h", opDescribe, topic, "dc", false},
				{"User:u", "h", opRead, topic, "w", false},
				{"User:u", "h", opWrite, topic, "r", false},
			},
		},
		{
			name: "a deny of an operation does not deny what it implies; a deny of DESCRIBE does not deny READ",
			acls: []*sluicev1.AclBinding{
				acl(topic, "t", literal, "User:u", "*", opAll, allow),
				acl(topic, "t", literal, "User:u", "*", opRead, deny),
				acl(topic, "t2", literal, "User:u", "*", opAll, allow),
				acl(topic, "t2", literal, "User:u", "*", opDescribe, deny),
			},
			asks: []ask{
				{"User:u", "h", opRead, topic, "t", false},
				{"User:u", "h", opDescribe, topic, "t", true},
				{"User:u", "h", opDescribe, topic, "t2", false},
				{"User:u", "h", opRead, topic, "t2", true},
			},
		},
		{
			name: "ALL allows and denies every operation",
			acls: []*sluicev1.AclBinding{
				acl(group, "g", literal, "User:u", "*", opAll, allow),
				acl(group, "g", literal, "User:v", "*", opAll, deny),
				acl(group, "*", literal, "User:v", "*", opRead, allow),
			},
			asks: []ask{
				{"User:u", "h", opRead, group, "g", true},
				{"User:u", "h", opDelete, group, "g", true},
				{"User:v", "h", opRead, group, "g", false},
				{"User:v", "h", opRead, group, "other", true},
			},
		},
		{
			name: "host: literal addresses and \"*\"; an empty host means any",
			acls: []*sluicev1.AclBinding{
				acl(topic, "t", literal, "User:u", "10.0.0.1", opRead, allow),
				acl(topic, "t", literal, "User:u", "10.0.0.9", opRead, deny),
				acl(topic, "t2", literal, "User:u", "", opRead, allow),
			},
			asks: []ask{
				{"User:u", "10.0.0.1", opRead, topic, "t", true},
				{"User:u", "10.0.0.2", opRead, topic, "t", false},
				{"User:u", "10.0.0.9", opRead, topic, "t", false},
				{"User:u", "10.0.0.9", opRead, topic, "t2", true},
			},
		},
		{
			name: "User:* is every principal",
			acls: []*sluicev1.AclBinding{acl(topic, "t", literal, "User:*", "*", opRead, allow)},
			asks: []ask{
				{"User:anyone", "h", opRead, topic, "t", true},
				{security.Anonymous.String(), "h", opRead, topic, "t", true},
			},
		},
		{
			name: "super users may do everything, even against a deny",
			cfg:  Config{SuperUsers: []string{"User:admin", " carol "}},
			acls: []*sluicev1.AclBinding{acl(topic, "*", literal, "User:*", "*", opAll, deny)},
			asks: []ask{
				{"User:admin", "h", opDelete, topic, "t", true},
				{"User:admin", "h", opAlter, cluster, ClusterName, true},
				{"User:carol", "h", opWrite, topic, "t", true},
				{"User:bob", "h", opWrite, topic, "t", false},
			},
		},
		{
			name: "AllowIfNoACL allows a resource no ACL names, for anyone, and no other",
			cfg:  Config{AllowIfNoACL: true},
			acls: []*sluicev1.AclBinding{acl(topic, "t", literal, "User:alice", "*", opRead, allow)},
			asks: []ask{
				{"User:bob", "h", opWrite, topic, "free", true},
				{"User:bob", "h", opRead, topic, "t", false},
				{"User:alice", "h", opWrite, topic, "t", false},
				{"User:bob", "h", opCreate, cluster, ClusterName, true},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(tc.cfg, fixed(tc.acls...))
			for _, q := range tc.asks {
				got := a.Authorize(security.ParsePrincipal(q.principal), q.host, q.op, q.rt, q.name)
				if got != q.want {
					t.Errorf("%s from %s: %v %v %q: allowed=%v, want %v", q.principal, q.host, q.op, q.rt, q.name, got, q.want)
				}
			}
		})
	}
}

func TestAuthorizeAnyFindsAnAllowNoDenyCovers(t *testing.T) {
	for _, tc := range []struct {
		name string
		acls []*sluicev1.AclBinding
		want bool
	}{
		{"no ACL", nil, false},
		{"write on one topic", []*sluicev1.AclBinding{acl(topic, "t", literal, "User:u", "*", opWrite, allow)}, true},
		{"write on a prefix", []*sluicev1.AclBinding{acl(topic, "p.", prefixed, "User:u", "*", opWrite, allow)}, true},
		{"read only", []*sluicev1.AclBinding{acl(topic, "t", literal, "User:u", "*", opRead, allow)}, false},
		{"write on one topic, denied on it", []*sluicev1.AclBinding{
			acl(topic, "t", literal, "User:u", "*", opWrite, allow), acl(topic, "t", literal, "User:u", "*", opWrite, deny)}, false},
		{"write on a prefix, denied on a shorter prefix", []*sluicev1.AclBinding{
			acl(topic, "p.q", prefixed, "User:u", "*", opWrite, allow), acl(topic, "p.", prefixed, "User:*", "*", opAll, deny)}, false},
		{"write on a prefix, denied on a longer one", []*sluicev1.AclBinding{
			acl(topic, "p.", prefixed, "User:u", "*", opWrite, allow), acl(topic, "p.q", prefixed, "User:*", "*", opAll, deny)}, true},
		{"write everywhere, denied everywhere", []*sluicev1.AclBinding{
			acl(topic, "*", literal, "User:u", "*", opWrite, allow), acl(topic, "*", literal, "User:u", "*", opWrite, deny)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Config{}, fixed(tc.acls...))
			if got := a.AuthorizeAny(security.User("u"), "h", opWrite, topic); got != tc.want {
				t.Fatalf("AuthorizeAny = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIndexFollowsTheACLList(t *testing.T) {
	list := []*sluicev1.AclBinding{acl(topic, "t", literal, "User:u", "*", opRead, allow)}
	a := New(Config{}, func() []*sluicev1.AclBinding { return list })
	if !a.Authorize(security.User("u"), "h", opRead, topic, "t") {
		t.Fatal("allowed ACL not honoured")
	}
	list = nil // the metadata replaces the list on every change
	if a.Authorize(security.User("u"), "h", opRead, topic, "t") {
		t.Fatal("removed ACL still honoured")
	}
}

func TestFiltersSelectBindings(t *testing.T) {
	lit := acl(topic, "orders", literal, "User:alice", "*", opRead, allow)
	wild := acl(topic, "*", literal, "User:alice", "*", opRead, allow)
	pre := acl(topic, "ord", prefixed, "User:bob", "10.0.0.1", opWrite, deny)
	other := acl(group, "orders", literal, "User:alice", "*", opRead, allow)
	all := []*sluicev1.AclBinding{lit, wild, pre, other}
	for _, tc := range []struct {
		name string
		f    *sluicev1.AclFilter
		want []*sluicev1.AclBinding
	}{
		{"empty filter: all", &sluicev1.AclFilter{}, all},
		{"by resource type", &sluicev1.AclFilter{ResourceType: group}, []*sluicev1.AclBinding{other}},
		{"by name, any pattern: that exact name", &sluicev1.AclFilter{ResourceType: topic, ResourceName: "orders"}, []*sluicev1.AclBinding{lit}},
		{"by name and LITERAL", &sluicev1.AclFilter{ResourceName: "ord", PatternType: literal}, nil},
		{"by name and PREFIXED", &sluicev1.AclFilter{ResourceName: "ord", PatternType: prefixed}, []*sluicev1.AclBinding{pre}},
		{"MATCH: every binding that applies to the name", &sluicev1.AclFilter{ResourceType: topic, ResourceName: "orders",
			PatternType: sluicev1.AclPatternType_ACL_PATTERN_TYPE_MATCH}, []*sluicev1.AclBinding{lit, wild, pre}},
		{"by principal, host, operation, permission", &sluicev1.AclFilter{Principal: "User:bob", Host: "10.0.0.1", Operation: opWrite, Permission: deny}, []*sluicev1.AclBinding{pre}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []*sluicev1.AclBinding
			for _, b := range all {
				if Matches(tc.f, b) {
					got = append(got, b)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("matched %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestValidateRefusesUnusableBindings(t *testing.T) {
	good := acl(topic, "t", literal, "User:u", "", opRead, allow)
	if err := Validate("acls[0]", good); err != nil {
		t.Fatalf("valid binding refused: %v", err)
	}
	for field, b := range map[string]*sluicev1.AclBinding{
		"acls[0].resource_type": acl(0, "t", literal, "User:u", "*", opRead, allow),
		"acls[0].resource_name": acl(topic, "", literal, "User:u", "*", opRead, allow),
		"acls[0].pattern_type":  acl(topic, "t", 0, "User:u", "*", opRead, allow),
		"acls[0].principal":     acl(topic, "t", literal, "alice", "*", opRead, allow),
		"acls[0].operation":     acl(topic, "t", literal, "User:u", "*", 0, allow),
		"acls[0].permission":    acl(topic, "t", literal, "User:u", "*", opRead, 0),
		"acls[0].host":          acl(topic, "t", literal, "User:u", string(make([]byte, MaxHostBytes+1)), opRead, allow),
	} {
		err := Validate("acls[0]", b)
		ie, ok := err.(*InvalidError)
		if !ok || ie.Field != field {
			t.Errorf("binding %v: got %v, want an error about %s", b, err, field)
		}
	}
	if err := Validate("a", acl(topic, "t", literal, "User:u", "*", 99, allow)); err == nil {
		t.Error("unknown operation 99 accepted")
	}
	if err := Validate("a", acl(topic, "p", prefixed, "User:u", "*", opRead, 7)); err == nil {
		t.Error("unknown permission 7 accepted")
	}
	if err := Validate("a", acl(cluster, "other", literal, "User:u", "*", opAlter, allow)); err == nil {
		t.Error("cluster ACL with a name other than sluice-cluster accepted")
	}
}

// benchACLs is a thousand ACLs of the shape a cluster has: most literal
// topic grants, some prefixed ones, some denies, group grants.
func benchACLs(n int) []*sluicev1.AclBinding {
	var acls []*sluicev1.AclBinding
	for i := range n {
		p := fmt.Sprintf("User:app%d", i%50)
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			acls = append(acls, acl(topic, fmt.Sprintf("topic-%d", i), literal, p, "*", opWrite, allow))
		case 5, 6:
			acls = append(acls, acl(topic, fmt.Sprintf("team-%d.", i), prefixed, p, "*", opRead, allow))
		case 7:
			acls = append(acls, acl(topic, fmt.Sprintf("topic-%d", i-7), literal, p, "*", opDelete, deny))
		default:
			acls = append(acls, acl(group, fmt.Sprintf("group-%d", i), literal, p, "*", opRead, allow))
		}
	}
	return acls
}

// BenchmarkAuthorize is the cost of one decision against 1,000 ACLs:
// what every resource of every request pays with authorization on.
func BenchmarkAuthorize(b *testing.B) {
	acls := benchACLs(1000)
	a := New(Config{SuperUsers: []string{"User:admin"}}, fixed(acls...))
	p := security.User("app0")
	if !a.Authorize(p, "10.0.0.1", opWrite, topic, "topic-0") {
		b.Fatal("benchmark ACL does not allow")
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Authorize(p, "10.0.0.1", opWrite, topic, "topic-0")
	}
}

// BenchmarkAuthorizeDenied is a decision that finds no ACL for the
// principal: a prefix lookup per prefix length, then no.
func BenchmarkAuthorizeDenied(b *testing.B) {
	a := New(Config{}, fixed(benchACLs(1000)...))
	p := security.User("stranger")
	b.ReportAllocs()
	for b.Loop() {
		a.Authorize(p, "10.0.0.1", opRead, topic, "team-5.orders")
	}
}

// BenchmarkIndex is the cost of indexing 1,000 ACLs, paid once per ACL
// change by each broker.
func BenchmarkIndex(b *testing.B) {
	acls := benchACLs(1000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(acls)
	}
}

package server

import (
	"context"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc/peer"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/authz"
	"github.com/sluice-io/sluice/server/security"
)

// BenchmarkRequestACLCheck is what a request pays for one resource with
// authorization on and 1,000 ACLs: the caller and its host read from the
// call's context, then the decision (docs/security.md).
func BenchmarkRequestACLCheck(b *testing.B) {
	var acls []*sluicev1.AclBinding
	for i := range 1000 {
		pt := sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL
		name := fmt.Sprintf("topic-%d", i)
		if i%4 == 0 {
			pt, name = sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED, fmt.Sprintf("team-%d.", i)
		}
		acls = append(acls, &sluicev1.AclBinding{ResourceType: resTopic, ResourceName: name, PatternType: pt,
			Principal: fmt.Sprintf("User:app%d", i%50), Host: "*", Operation: opWrite, Permission: sluicev1.AclPermission_ACL_PERMISSION_ALLOW})
	}
	br := &Broker{authz: authz.New(authz.Config{}, func() []*sluicev1.AclBinding { return acls })}
	ctx := security.WithPrincipal(context.Background(), security.User("app1"))
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 51234}})
	if err := br.authorize(ctx, opWrite, resTopic, "topic-1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := br.authorize(ctx, opWrite, resTopic, "topic-1"); err != nil {
			b.Fatal(err)
		}
	}
}

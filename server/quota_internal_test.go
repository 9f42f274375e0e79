package server

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/quota"
	"github.com/sluice-io/sluice/server/security"
)

// TestQuotaCallerIsThePrincipalAndClientID: a call counts as the principal
// its context carries (User:ANONYMOUS without one) and the client id of its
// metadata, and a user quota set for "alice" matches User:alice's calls.
func TestQuotaCallerIsThePrincipalAndClientID(t *testing.T) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(clientIDKey, "app"))
	anon, err := callerOf(ctx)
	if err != nil || anon.user != "User:ANONYMOUS" || anon.clientID != "app" || anon.exempt {
		t.Fatalf("without a principal: %+v, %v", anon, err)
	}
	alice, err := callerOf(security.WithPrincipal(ctx, security.User("alice")))
	if err != nil || alice.user != "User:alice" {
		t.Fatalf("as alice: %+v, %v", alice, err)
	}
	e, err := normalQuotaEntity(userQuotaEntityForTest("alice"))
	if err != nil {
		t.Fatal(err)
	}
	var l quota.Limits
	l[quota.ProduceBytes] = 1 << 20
	tab := quota.NewTable([]quota.Config{{Entity: quotaEntity(e), Limits: l}})
	if got, _, ok := tab.Resolve(alice.user, alice.clientID, quota.ProduceBytes); !ok || got != 1<<20 {
		t.Fatalf("alice's quota: %v (ok %v)", got, ok)
	}
	if _, _, ok := tab.Resolve(anon.user, anon.clientID, quota.ProduceBytes); ok {
		t.Fatal("alice's quota applied to an anonymous call")
	}
	forwarded := metadata.NewIncomingContext(context.Background(), metadata.Pairs(forwardedKey, "1"))
	if c, _ := callerOf(forwarded); !c.exempt {
		t.Fatal("a call forwarded by another broker is counted again")
	}
}

func userQuotaEntityForTest(name string) *sluicev1.QuotaEntity {
	return &sluicev1.QuotaEntity{User: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: name}}}
}

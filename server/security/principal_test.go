package security

import (
	"context"
	"testing"
)

func TestPrincipalRoundTripsThroughContextAndText(t *testing.T) {
	if got := PrincipalFrom(context.Background()); got != Anonymous {
		t.Fatalf("no principal in context: got %v, want %v", got, Anonymous)
	}
	ctx := WithPrincipal(context.Background(), User("alice"))
	if got := PrincipalFrom(ctx); got.String() != "User:alice" {
		t.Fatalf("got %v, want User:alice", got)
	}
	for in, want := range map[string]Principal{"User:bob": User("bob"), "carol": User("carol"), "Broker:2": {Type: "Broker", Name: "2"}} {
		if got := ParsePrincipal(in); got != want {
			t.Errorf("ParsePrincipal(%q) = %v, want %v", in, got, want)
		}
	}
}

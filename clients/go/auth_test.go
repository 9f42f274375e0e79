package sluice_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// startAuthBroker runs `sluice serve --authentication scram` with the
// bootstrap user admin and tokens that last a second.
func startAuthBroker(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte("admin-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := startBroker(filepath.Join(dir, "data"), "127.0.0.1:0", "--authentication", "scram",
		"--bootstrap-user", "admin", "--bootstrap-password-file", pwFile, "--token-lifetime", "1s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.kill)
	if err := b.waitServing(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	return b.addr
}

func TestWithSCRAMAuthenticatesAndRenewsItsToken(t *testing.T) {
	addr := startAuthBroker(t)
	ctx := t.Context()

	anon, err := sluice.NewClient([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if _, err := sluice.NewAdmin(anon).ListTopics(ctx); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no credentials: %v, want UNAUTHENTICATED", err)
	}
	wrong, err := sluice.NewClient([]string{addr}, sluice.WithSCRAM("admin", "wrong", sluice.ScramSHA256))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := sluice.NewAdmin(wrong).ListTopics(ctx); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong password: %v, want UNAUTHENTICATED", err)
	}

	client, err := sluice.NewClient([]string{addr}, sluice.WithSCRAM("admin", "admin-pw", sluice.ScramSHA256))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: "secured", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	producer, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	if _, err := producer.ProduceSync(ctx, &sluice.Record{Topic: "secured", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	// The token lasts a second: the client takes a new one before it
	// expires, and no call fails meanwhile.
	first := sluice.CurrentToken(client)
	deadline := time.Now().Add(10 * time.Second)
	for sluice.CurrentToken(client) == first {
		if time.Now().After(deadline) {
			t.Fatal("the client kept its first token for 10 s; it lasts 1 s")
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := admin.ListTopics(cctx)
		cancel()
		if err != nil {
			t.Fatalf("a call while the token is renewed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A token a broker refuses (a rotated key, say) is replaced at once:
	// the call is retried with a new one.
	sluice.SpoilToken(client)
	if _, err := admin.ListTopics(ctx); err != nil {
		t.Fatalf("a call with a refused token: %v", err)
	}
	if tok := sluice.CurrentToken(client); tok == "sl1.spoilt" || tok == "" {
		t.Fatalf("the refused token was kept: %q", tok)
	}
	consumer, err := sluice.NewConsumer(client, sluice.ConsumerConfig{Topic: "secured"})
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	rec, err := consumer.Next(ctx)
	if err != nil || string(rec.Value) != "v" {
		t.Fatalf("consume with the renewed token: %v %v", rec, err)
	}
}

package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/storage"
)

// TestUserCommandsOverMutualTLS: with TLS flags and --user, a client command
// runs its SCRAM exchange over TLS too (a broker that serves only TLS has no
// plaintext AuthService), so `sluice user create` and a new user's commands
// work against a broker with mTLS and SCRAM both on.
func TestUserCommandsOverMutualTLS(t *testing.T) {
	f := writePKI(t)
	opts := storage.DefaultOptions("")
	opts.InMemory = true
	b, err := server.New(server.Config{Storage: opts, TickInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		TLS: security.TLSFiles{CertFile: f.brokerCert, KeyFile: f.brokerKey, ClientCAFile: f.ca, ClientAuth: security.ClientAuthRequired},
		Authentication: server.AuthConfig{Mechanisms: []string{server.AuthSCRAM},
			BootstrapUsers: []server.BootstrapUser{{Name: "admin", Password: "admin-pw"}}}})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(context.Background(), lis) }()
	t.Cleanup(func() { b.Shutdown(); <-done })
	tlsFlags := []string{"--broker", lis.Addr().String(), "--tls-ca", f.ca, "--tls-cert", f.clientCert, "--tls-key", f.clientKey}
	admin := append(tlsFlags, "--user", "admin", "--password", "admin-pw")

	deadline := time.Now().Add(20 * time.Second)
	for {
		r := runCLI(t, strings.NewReader("bob-pw\n"), append(admin, "user", "create", "bob", "--password-stdin")...)
		if r.code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("user create over mTLS as admin: %+v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := runCLI(t, nil, append(tlsFlags, "--user", "bob", "--password", "bob-pw", "topic", "create", "bobs")...); r.code != 0 {
		t.Fatalf("bob over mTLS: %+v", r)
	}
	if r := runCLI(t, strings.NewReader("hello\n"), append(tlsFlags, "--user", "bob", "--password", "bob-pw", "produce", "bobs")...); r.code != 0 {
		t.Fatalf("bob produces over mTLS through the SDK: %+v", r)
	}
	if r := runCLI(t, nil, append(tlsFlags, "topic", "list")...); r.code == 0 || !strings.Contains(r.stderr, "authentication required") {
		t.Fatalf("no credentials over mTLS: %+v", r)
	}
}

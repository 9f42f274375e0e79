package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/storage"
)

// startAuthBroker serves an in-memory broker with SCRAM authentication on
// 127.0.0.1 and the bootstrap user admin.
func startAuthBroker(t *testing.T) string {
	t.Helper()
	opts := storage.DefaultOptions("")
	opts.InMemory = true
	b, err := server.New(server.Config{Storage: opts, TickInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
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
	addr := lis.Addr().String()
	deadline := time.Now().Add(20 * time.Second)
	for runCLI(t, nil, "--broker", addr, "--user", "admin", "--password", "admin-pw", "topic", "list").code != 0 {
		if time.Now().After(deadline) {
			t.Fatal("broker not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

func TestUserCommandsAndCLICredentials(t *testing.T) {
	addr := startAuthBroker(t)
	admin := []string{"--broker", addr, "--user", "admin", "--password", "admin-pw"}

	if r := runCLI(t, nil, "--broker", addr, "topic", "list"); r.code == 0 || !strings.Contains(r.stderr, "authentication required") {
		t.Fatalf("no credentials: code %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "--broker", addr, "--user", "admin", "--password", "wrong", "topic", "list"); r.code == 0 || !strings.Contains(r.stderr, "wrong user name or password") {
		t.Fatalf("wrong password: code %d, stderr %q", r.code, r.stderr)
	}
	r := runCLI(t, strings.NewReader("bob-pw\n"), append(admin, "user", "create", "bob", "--password-stdin", "--mechanism", "SCRAM-SHA-512")...)
	if r.code != 0 || !strings.Contains(r.stdout, "created user bob (SCRAM-SHA-512)") {
		t.Fatalf("user create: %+v", r)
	}
	// Bob authenticates, from the environment this time.
	t.Setenv(userEnv, "bob")
	t.Setenv(passwordEnv, "bob-pw")
	if r := runCLI(t, nil, "--broker", addr, "--auth-mechanism", "SCRAM-SHA-512", "topic", "create", "bobs"); r.code != 0 {
		t.Fatalf("bob from the environment: %+v", r)
	}
	if r := runCLI(t, strings.NewReader("hello\n"), "--broker", addr, "--auth-mechanism", "SCRAM-SHA-512", "produce", "bobs"); r.code != 0 {
		t.Fatalf("bob produces through the SDK: %+v", r)
	}
	r = runCLI(t, nil, append(admin, "user", "list")...)
	if r.code != 0 || !strings.Contains(r.stdout, "admin") || !strings.Contains(r.stdout, "bob    SCRAM-SHA-512") {
		t.Fatalf("user list: %+v", r)
	}
	if r := runCLI(t, nil, append(admin, "user", "delete", "bob")...); r.code != 0 {
		t.Fatalf("user delete: %+v", r)
	}
	if r := runCLI(t, nil, "--broker", addr, "--auth-mechanism", "SCRAM-SHA-512", "topic", "list"); r.code == 0 || !strings.Contains(r.stderr, "wrong user name or password") {
		t.Fatalf("deleted bob: code %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, append(admin, "user", "create", "a,b", "--new-password", "x")...); r.code == 0 || !strings.Contains(r.stderr, "must not contain") {
		t.Fatalf("bad name: %+v", r)
	}
}

package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/storage"
)

const (
	testAdmin         = "admin"
	testAdminPassword = "admin-secret"
)

// startAuthBroker serves one in-memory broker with SCRAM authentication on
// 127.0.0.1 and returns it and a connection without credentials.
func startAuthBroker(t testing.TB, adjust func(*AuthConfig)) (*Broker, *grpc.ClientConn) {
	t.Helper()
	opts := storage.DefaultOptions("")
	opts.InMemory = true
	cfg := Config{Storage: opts, TickInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	cfg.Authentication = AuthConfig{Mechanisms: []string{AuthSCRAM}, BootstrapUsers: []BootstrapUser{{Name: testAdmin, Password: testAdminPassword}}}
	if adjust != nil {
		adjust(&cfg.Authentication)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(context.Background(), lis) }()
	t.Cleanup(func() {
		b.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !b.ready.Load() {
		if time.Now().After(deadline) {
			t.Fatal("broker not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return b, conn
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func withAuthorization(ctx context.Context, v string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", v)
}

func checkCode(t *testing.T, err error, code codes.Code, substr string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code || !strings.Contains(st.Message(), substr) {
		t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), code, substr)
	}
}

func TestStoredCredentialHoldsNoPassword(t *testing.T) {
	b, conn := startAuthBroker(t, nil)
	const password = "correct horse battery staple"
	admin := sluicev1.NewAdminServiceClient(conn)
	ctx := withAuthorization(t.Context(), basicHeader(testAdmin, testAdminPassword))
	for _, m := range []sluicev1.ScramMechanism{sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512} {
		if _, err := admin.CreateUser(ctx, &sluicev1.CreateUserRequest{Name: "dave", Mechanism: m, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := admin.CreateUser(ctx, &sluicev1.CreateUserRequest{Name: "eve", Password: password, Iterations: 1000})
	checkCode(t, err, codes.InvalidArgument, "iterations: 1000 is not 4096 to")
	_, err = admin.CreateUser(ctx, &sluicev1.CreateUserRequest{Name: "a,b", Password: password})
	checkCode(t, err, codes.InvalidArgument, "must not contain")

	st := b.meta.State()
	raw, err := proto.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{password, testAdminPassword} {
		if bytes.Contains(raw, []byte(pw)) || bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString([]byte(pw)))) {
			t.Fatalf("the metadata state holds the password %q", pw)
		}
	}
	dave := b.meta.User("dave")
	if len(dave.GetCredentials()) != 2 {
		t.Fatalf("dave has %d credentials, want SHA-256 and SHA-512", len(dave.GetCredentials()))
	}
	for _, mc := range dave.GetCredentials() {
		c := mc.GetCredential()
		if c.GetIterations() < security.MinIterations || len(c.GetSalt()) < 16 || len(c.GetStoredKey()) == 0 || len(c.GetServerKey()) == 0 {
			t.Fatalf("%v credential: %v", mc.GetMechanism(), c)
		}
		if !security.CheckPassword(mc.GetMechanism(), c, "dave", password) || security.CheckPassword(mc.GetMechanism(), c, "dave", "wrong") {
			t.Fatalf("%v credential does not check the password", mc.GetMechanism())
		}
	}
	if string(dave.GetCredentials()[0].GetCredential().GetSalt()) == string(dave.GetCredentials()[1].GetCredential().GetSalt()) {
		t.Fatal("two credentials share a salt")
	}
	// ListUsers shows mechanisms, never credentials.
	users, err := admin.ListUsers(ctx, &sluicev1.ListUsersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := proto.Marshal(users)
	if bytes.Contains(out, dave.GetCredentials()[0].GetCredential().GetStoredKey()) || bytes.Contains(out, dave.GetCredentials()[0].GetCredential().GetSalt()) {
		t.Fatal("ListUsers returns credentials")
	}
}

func TestExpiredTokenIsUnauthenticatedSayingSo(t *testing.T) {
	b, conn := startAuthBroker(t, nil)
	key, err := b.auth.signingKey()
	if err != nil {
		t.Fatal(err)
	}
	expired := security.EncodeToken(security.Sign(key, security.KindToken, time.Now().Add(-time.Second), "User:admin"))
	admin := sluicev1.NewAdminServiceClient(conn)
	_, err = admin.ListTopics(withAuthorization(t.Context(), "Bearer "+expired), &sluicev1.ListTopicsRequest{})
	checkCode(t, err, codes.Unauthenticated, "bearer token expired at")
	valid := security.EncodeToken(security.Sign(key, security.KindToken, time.Now().Add(time.Minute), "User:admin"))
	if _, err := admin.ListTopics(withAuthorization(t.Context(), "Bearer "+valid), &sluicev1.ListTopicsRequest{}); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	// A SCRAM session is not a token, nor the other way round.
	session := security.EncodeToken(security.Sign(key, security.KindSession, time.Now().Add(time.Minute), "User:admin"))
	_, err = admin.ListTopics(withAuthorization(t.Context(), "Bearer "+session), &sluicev1.ListTopicsRequest{})
	checkCode(t, err, codes.Unauthenticated, "invalid bearer token")
	_, err = admin.ListTopics(withAuthorization(t.Context(), "Digest abc"), &sluicev1.ListTopicsRequest{})
	checkCode(t, err, codes.Unauthenticated, `authorization scheme "Digest" is not supported`)
}

func TestForwardedPrincipalIsTheClientsAndCannotBeForged(t *testing.T) {
	b, _ := startAuthBroker(t, nil)
	v, ok := b.auth.forwardHeader(security.User("alice"))
	if !ok {
		t.Fatal("no forward header")
	}
	if p, err := b.auth.forwarded(v); err != nil || p != security.User("alice") {
		t.Fatalf("forwarded principal %v, %v; want User:alice", p, err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	raw[len(raw)/2] ^= 1
	if _, err := b.auth.forwarded(base64.RawURLEncoding.EncodeToString(raw)); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a changed forward header: %v, want UNAUTHENTICATED", err)
	}
	b.auth.now = func() time.Time { return time.Now().Add(2 * forwardedPrincipalLife) }
	if _, err := b.auth.forwarded(v); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a stale forward header: %v, want UNAUTHENTICATED", err)
	}
}

func TestBasicVerificationCacheEndsWithAPasswordChange(t *testing.T) {
	b, conn := startAuthBroker(t, nil)
	admin := sluicev1.NewAdminServiceClient(conn)
	ctx := withAuthorization(t.Context(), basicHeader(testAdmin, testAdminPassword))
	if _, err := admin.CreateUser(ctx, &sluicev1.CreateUserRequest{Name: "frank", Password: "old"}); err != nil {
		t.Fatal(err)
	}
	old := basicHeader("frank", "old")
	for range 2 {
		if _, err := admin.ListTopics(withAuthorization(t.Context(), old), &sluicev1.ListTopicsRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.auth.basics.m) == 0 {
		t.Fatal("a verified Basic credential is not cached")
	}
	if _, err := admin.CreateUser(ctx, &sluicev1.CreateUserRequest{Name: "frank", Password: "new"}); err != nil {
		t.Fatal(err)
	}
	_, err := admin.ListTopics(withAuthorization(t.Context(), old), &sluicev1.ListTopicsRequest{})
	checkCode(t, err, codes.Unauthenticated, "wrong user name or password")
	if _, err := admin.ListTopics(withAuthorization(t.Context(), basicHeader("frank", "new")), &sluicev1.ListTopicsRequest{}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestBasicCacheStaysBounded(t *testing.T) {
	c := basicCache{m: map[[32]byte]basicEntry{}}
	now := time.Now()
	for i := range basicCacheEntries + 10 {
		var k [32]byte
		k[0], k[1] = byte(i), byte(i>>8)
		c.put(k, []byte("key"), now, now.Add(time.Minute))
		if len(c.m) > basicCacheEntries {
			t.Fatalf("%d entries after %d puts, limit %d", len(c.m), i+1, basicCacheEntries)
		}
	}
	var last [32]byte
	n := basicCacheEntries + 9
	last[0], last[1] = byte(n), byte(n>>8)
	if !c.hit(last, []byte("key"), now) || c.hit(last, []byte("other key"), now) || c.hit(last, []byte("key"), now.Add(time.Minute)) {
		t.Fatal("the last entry put: a hit with its key until it expires, and only then")
	}
}

func TestKeyRotationKeepsTheKeyBeforeVerifying(t *testing.T) {
	const every = 300 * time.Millisecond
	b, conn := startAuthBroker(t, func(c *AuthConfig) { c.KeyRotation, c.TokenLifetime = every, every })
	first, err := b.auth.signingKey()
	if err != nil {
		t.Fatal(err)
	}
	tok := security.EncodeToken(security.Sign(first, security.KindToken, time.Now().Add(time.Hour), "User:admin"))
	admin := sluicev1.NewAdminServiceClient(conn)
	waitKey := func(id uint32) {
		deadline := time.Now().Add(10 * time.Second)
		for k, _ := b.auth.signingKey(); k.ID < id; k, _ = b.auth.signingKey() {
			if time.Now().After(deadline) {
				t.Fatalf("no key %d after 10 s (rotation every %s)", id, every)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitKey(first.ID + 1)
	if _, err := admin.ListTopics(withAuthorization(t.Context(), "Bearer "+tok), &sluicev1.ListTopicsRequest{}); err != nil {
		t.Fatalf("a token of the key before the signing one: %v", err)
	}
	waitKey(first.ID + 2)
	_, err = admin.ListTopics(withAuthorization(t.Context(), "Bearer "+tok), &sluicev1.ListTopicsRequest{})
	checkCode(t, err, codes.Unauthenticated, "rotated out")
}

// BenchmarkAuthInterceptor is the cost the interceptor adds to a call: none
// (authentication off: no interceptor), a token (an HMAC and a map
// lookup), Basic credentials verified before (a hash and a cache lookup),
// and Basic credentials not in the cache (PBKDF2 at 8192 iterations).
func BenchmarkAuthInterceptor(b *testing.B) {
	br, _ := startAuthBroker(b, nil)
	unary, _ := br.authInterceptors()
	chain := unary[0]
	info := &grpc.UnaryServerInfo{FullMethod: "/sluice.v1.AdminService/ListTopics"}
	handler := func(ctx context.Context, _ any) (any, error) { return security.PrincipalFrom(ctx), nil }
	key, err := br.auth.signingKey()
	if err != nil {
		b.Fatal(err)
	}
	tok := security.EncodeToken(security.Sign(key, security.KindToken, time.Now().Add(time.Hour), "User:admin"))
	in := func(v string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
	}
	run := func(b *testing.B, ctx context.Context, call grpc.UnaryServerInterceptor, reset func()) {
		b.ReportAllocs()
		for b.Loop() {
			if reset != nil {
				reset()
			}
			if _, err := call(ctx, nil, info, handler); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("none", func(b *testing.B) {
		run(b, context.Background(), func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}, nil)
	})
	b.Run("token", func(b *testing.B) { run(b, in("Bearer "+tok), chain, nil) })
	b.Run("basic-cached", func(b *testing.B) { run(b, in(basicHeader(testAdmin, testAdminPassword)), chain, nil) })
	b.Run("basic-uncached", func(b *testing.B) {
		run(b, in(basicHeader(testAdmin, testAdminPassword)), chain, func() { br.auth.basics.mu.Lock(); clear(br.auth.basics.m); br.auth.basics.mu.Unlock() })
	})
}

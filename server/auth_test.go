package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// basicCreds sends Basic credentials on every call, as grpcurl -H does.
type basicCreds struct{ user, password string }

func (c basicCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password))}, nil
}

func (basicCreds) RequireTransportSecurity() bool { return false }

const (
	adminUser     = "admin"
	adminPassword = "admin-secret"
)

// withSCRAM turns authentication on with the bootstrap user admin.
func withSCRAM(cfg *server.Config) {
	cfg.Authentication = server.AuthConfig{
		Mechanisms:     []string{server.AuthSCRAM},
		BootstrapUsers: []server.BootstrapUser{{Name: adminUser, Password: adminPassword}},
	}
}

// startAuthCluster is n brokers with authentication on; the test's
// connections (c.conn) authenticate as admin with Basic credentials.
func startAuthCluster(t *testing.T, n int) *testCluster {
	return startClusterDialing(t, n, withSCRAM, grpc.WithPerRPCCredentials(basicCreds{adminUser, adminPassword}))
}

// rawConn is a connection without credentials.
func (c *testCluster) rawConn(id uint64) *grpc.ClientConn {
	conn, err := grpc.NewClient(c.addrs[id], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// splitConn sends StartScram to one broker and everything else to another.
type splitConn struct{ start, rest grpc.ClientConnInterface }

func (s splitConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if strings.HasSuffix(method, "/StartScram") {
		return s.start.Invoke(ctx, method, args, reply, opts...)
	}
	return s.rest.Invoke(ctx, method, args, reply, opts...)
}

func (s splitConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return s.rest.NewStream(ctx, desc, method, opts...)
}

func TestAuthenticationAcrossBrokers(t *testing.T) {
	c := startAuthCluster(t, 3)
	ctx := t.Context()
	listTopics := func(conn grpc.ClientConnInterface, ctx context.Context) error {
		_, err := sluicev1.NewAdminServiceClient(conn).ListTopics(ctx, &sluicev1.ListTopicsRequest{})
		return err
	}

	t.Run("NoCredentialsIsUnauthenticated", func(t *testing.T) {
		err := listTopics(c.rawConn(1), ctx)
		checkStatus(t, err, codes.Unauthenticated, "authentication required: send a bearer token from AuthService or Basic credentials")
		// Health and AuthService answer without credentials.
		h, err := healthpb.NewHealthClient(c.rawConn(1)).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health without credentials: %v %v", h, err)
		}
		if _, err := sluice.SCRAMExchange(ctx, c.rawConn(1), adminUser, adminPassword, sluice.ScramSHA256); err != nil {
			t.Fatalf("AuthService without credentials: %v", err)
		}
		refl, err := reflectionpb.NewServerReflectionClient(c.rawConn(1)).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := refl.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		if resp, err := refl.Recv(); err != nil || len(resp.GetListServicesResponse().GetService()) == 0 {
			t.Fatalf("reflection without credentials: %v %v", resp, err)
		}
	})

	t.Run("WrongPasswordIsUnauthenticated", func(t *testing.T) {
		_, err := sluice.SCRAMExchange(ctx, c.rawConn(2), adminUser, "not-the-password", sluice.ScramSHA256)
		checkStatus(t, err, codes.Unauthenticated, "wrong user name or password")
		_, err = sluice.SCRAMExchange(ctx, c.rawConn(2), "nobody", "whatever", sluice.ScramSHA256)
		checkStatus(t, err, codes.Unauthenticated, "wrong user name or password")
		wrong := dialWith(t, c.addrs[2], grpc.WithPerRPCCredentials(basicCreds{adminUser, "not-the-password"}))
		checkStatus(t, listTopics(wrong, ctx), codes.Unauthenticated, `authentication failed for user "admin"`)
		checkStatus(t, listTopics(c.rawConn(2), bearer(ctx, "sl1.forged")), codes.Unauthenticated, "invalid bearer token")
	})

	t.Run("RightPasswordWorks", func(t *testing.T) {
		if err := listTopics(c.conn(3), ctx); err != nil {
			t.Fatalf("Basic credentials: %v", err)
		}
		resp, err := sluice.SCRAMExchange(ctx, c.rawConn(3), adminUser, adminPassword, sluice.ScramSHA256)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetPrincipal() != "User:admin" {
			t.Errorf("principal %q, want User:admin", resp.GetPrincipal())
		}
		if life := time.Until(resp.GetExpireTime().AsTime()); life < 59*time.Minute || life > time.Hour {
			t.Errorf("token lives %s, want the default hour", life)
		}
		if err := listTopics(c.rawConn(3), bearer(ctx, resp.GetToken())); err != nil {
			t.Fatalf("token: %v", err)
		}
	})

	t.Run("TokenIssuedByOneBrokerIsAcceptedByEvery", func(t *testing.T) {
		// The exchange itself starts on broker 1 and finishes on broker 2.
		resp, err := sluice.SCRAMExchange(ctx, splitConn{start: c.rawConn(1), rest: c.rawConn(2)}, adminUser, adminPassword, sluice.ScramSHA256)
		if err != nil {
			t.Fatalf("SCRAM started on broker 1, finished on broker 2: %v", err)
		}
		for id := uint64(1); id <= 3; id++ {
			if err := listTopics(c.rawConn(id), bearer(ctx, resp.GetToken())); err != nil {
				t.Fatalf("broker %d refused broker 2's token: %v", id, err)
			}
		}
	})

	t.Run("UserCreatedOnOneBrokerAuthenticatesOnEveryWithinASecond", func(t *testing.T) {
		for _, mech := range []sluice.Mechanism{sluice.ScramSHA256, sluice.ScramSHA512} {
			name := "carol-" + strings.ToLower(string(mech))
			m := sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256
			if mech == sluice.ScramSHA512 {
				m = sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_512
			}
			if _, err := sluicev1.NewAdminServiceClient(c.conn(3)).CreateUser(ctx, &sluicev1.CreateUserRequest{Name: name, Mechanism: m, Password: "carol-pw"}); err != nil {
				t.Fatal(err)
			}
			created := time.Now()
			for id := uint64(1); id <= 3; id++ {
				for {
					_, err := sluice.SCRAMExchange(ctx, c.rawConn(id), name, "carol-pw", mech)
					if err == nil {
						break
					}
					if time.Since(created) > time.Second {
						t.Fatalf("%s created on broker 3 cannot authenticate on broker %d after %s: %v", name, id, time.Since(created), err)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
		}
		users, err := sluicev1.NewAdminServiceClient(c.conn(1)).ListUsers(ctx, &sluicev1.ListUsersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range users.GetUsers() {
			names = append(names, u.GetName())
		}
		if fmt.Sprint(names) != "[admin carol-scram-sha-256 carol-scram-sha-512]" {
			t.Fatalf("ListUsers: %v", names)
		}
		// Deleting a user ends its tokens on every broker.
		resp, err := sluice.SCRAMExchange(ctx, c.rawConn(1), "carol-scram-sha-256", "carol-pw", sluice.ScramSHA256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sluicev1.NewAdminServiceClient(c.conn(2)).DeleteUser(ctx, &sluicev1.DeleteUserRequest{Name: "carol-scram-sha-256"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the deleted user's token to be refused by broker 3", func() bool {
			return listTopics(c.rawConn(3), bearer(ctx, resp.GetToken())) != nil
		})
		checkStatus(t, listTopics(c.rawConn(3), bearer(ctx, resp.GetToken())), codes.Unauthenticated, "no longer exists")
		_, err = sluicev1.NewAdminServiceClient(c.conn(2)).DeleteUser(ctx, &sluicev1.DeleteUserRequest{Name: "carol-scram-sha-256"})
		checkStatus(t, err, codes.NotFound, "user not found")
	})

	t.Run("ProduceAndFetchThroughANonLeaderKeepThePrincipal", func(t *testing.T) {
		admin := sluicev1.NewAdminServiceClient(c.conn(1))
		if _, err := admin.CreateTopic(ctx, &sluicev1.CreateTopicRequest{Name: "spread", Partitions: 1, ReplicationFactor: 1}); err != nil {
			t.Fatal(err)
		}
		lead := c.leaderOf("spread", 0)
		tok, err := sluice.SCRAMExchange(ctx, c.rawConn(1), adminUser, adminPassword, sluice.ScramSHA256)
		if err != nil {
			t.Fatal(err)
		}
		tokenConn := func(id uint64) *grpc.ClientConn {
			return dialWith(t, c.addrs[id], grpc.WithPerRPCCredentials(bearerCreds(tok.GetToken())))
		}
		n := 0
		for id := uint64(1); id <= 3; id++ {
			if id == lead {
				continue
			}
			// The broker without the partition forwards to the leader, which
			// accepts the principal it vouches for.
			produceN(t, tokenConn(id), "spread", fmt.Sprintf("via-%d", id), 5)
			n += 5
			err := produceOneRecord(ctx, c.rawConn(id), "spread")
			checkStatus(t, err, codes.Unauthenticated, "authentication required")
			// Fetch relays through it too.
			if got := readAll(t, tokenConn(id), "spread"); len(got) != n {
				t.Fatalf("read %d records through broker %d, want %d", len(got), id, n)
			}
		}
		// Group requests reach the group's coordinator from any broker.
		for id := uint64(1); id <= 3; id++ {
			groups := sluicev1.NewGroupCoordinatorServiceClient(tokenConn(id))
			waitFor(t, fmt.Sprintf("FetchOffsets through broker %d", id), func() bool {
				_, err := groups.FetchOffsets(ctx, &sluicev1.FetchOffsetsRequest{GroupId: "g"})
				if status.Code(err) == codes.Unauthenticated {
					t.Fatalf("FetchOffsets through broker %d: %v", id, err)
				}
				return err == nil
			})
		}
		// A client cannot claim to be a forwarding broker.
		fctx := metadata.AppendToOutgoingContext(ctx, "x-sluice-forwarded", "1", "x-sluice-principal", base64.RawURLEncoding.EncodeToString([]byte("User:admin")))
		checkStatus(t, produceOneRecord(fctx, c.rawConn(lead), "spread"), codes.Unauthenticated, "forwarded principal not vouched for")
	})
}

type bearerCreds string

func (b bearerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearerCreds) RequireTransportSecurity() bool { return false }

func dialWith(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// produceOneRecord produces one record to partition 0 and returns the error.
func produceOneRecord(ctx context.Context, conn *grpc.ClientConn, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		return err
	}
	// A stream the broker ended says why on Recv (Send then sees io.EOF).
	_ = stream.Send(&sluicev1.ProduceRequest{Topic: topic, Partition: proto.Int32(0), Records: []*sluicev1.Record{{Value: []byte("x")}}})
	resp, err := stream.Recv()
	if err != nil {
		return err
	}
	if e := resp.GetError(); e != nil {
		return fmt.Errorf("produce: %s", e.GetMessage())
	}
	return nil
}

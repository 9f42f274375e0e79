package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

var publicServices = []string{
	"sluice.v1.AdminService",
	"sluice.v1.FetchService",
	"sluice.v1.GroupCoordinatorService",
	"sluice.v1.ProduceService",
}

// TestHealth: the standard health service reports the broker and each
// public service as SERVING.
func TestHealth(t *testing.T) {
	b := servertest.Start(t)
	health := healthpb.NewHealthClient(b.Conn)
	for _, svc := range append([]string{""}, publicServices...) {
		t.Run("service "+svc, func(t *testing.T) {
			resp, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("status %v, want SERVING", resp.GetStatus())
			}
		})
	}
	_, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "sluice.v1.NoSuchService"})
	checkStatus(t, err, codes.NotFound)
}

// TestReflection: grpcurl and other reflection clients see the four public
// services, with their descriptors, and none of the brokers' internal ones.
func TestReflection(t *testing.T) {
	b := servertest.Start(t)
	stream, err := reflectionpb.NewServerReflectionClient(b.Conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ask := func(req *reflectionpb.ServerReflectionRequest) *reflectionpb.ServerReflectionResponse {
		t.Helper()
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := recvTimeout(t, stream.Recv)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	list := ask(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, s := range list.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range append(slices.Clone(publicServices), "grpc.health.v1.Health") {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %q, missing %q", names, want)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "sluice.internal.") {
			t.Errorf("reflection lists internal service %q", n)
		}
	}

	for _, svc := range publicServices {
		t.Run(svc, func(t *testing.T) {
			resp := ask(&reflectionpb.ServerReflectionRequest{
				MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: svc}})
			files := resp.GetFileDescriptorResponse().GetFileDescriptorProto()
			if len(files) == 0 {
				t.Fatalf("no descriptor for %s: %v", svc, resp.GetErrorResponse())
			}
			if !describesService(t, files, svc) {
				t.Errorf("descriptors returned for %s do not define it", svc)
			}
		})
	}
}

func describesService(t *testing.T, files [][]byte, svc string) bool {
	t.Helper()
	for _, raw := range files {
		fd := &descriptorpb.FileDescriptorProto{}
		if err := proto.Unmarshal(raw, fd); err != nil {
			t.Fatal(err)
		}
		for _, s := range fd.GetService() {
			if fd.GetPackage()+"."+s.GetName() == svc {
				return len(s.GetMethod()) > 0
			}
		}
	}
	return false
}

// TestGroupServiceAnswers: a new broker lists no groups, and hides the
// offsets topic it created for them from ListTopics unless asked.
func TestGroupServiceAnswers(t *testing.T) {
	b := servertest.Start(t)
	resp, err := b.GroupClient.ListGroups(t.Context(), &sluicev1.ListGroupsRequest{})
	if err != nil || len(resp.GetGroups()) != 0 {
		t.Fatalf("ListGroups = %v, %v; want no groups", resp, err)
	}
}

// TestShutdownEndsFollowFetch: Shutdown with a follow stream open returns
// promptly, and the stream ends with UNAVAILABLE, so the consumer reconnects.
func TestShutdownEndsFollowFetch(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.ShutdownTimeout = 5 * time.Second }))
	b.CreateTopic(t, "t", 2)
	b.Produce(t, "t", 0, valueRecords("v", 2)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t"})
	f.readN(t, 2) // the stream is open on the broker and waiting

	took := shutdown(t, b)
	if took > 2*time.Second {
		t.Errorf("Shutdown took %v with a follow stream open", took)
	}
	checkStatus(t, streamEnd(t, f.stream.Recv), codes.Unavailable)
}

// TestShutdownWithIdleProduceStream: Shutdown with a produce stream open
// (a producer between two sends) returns promptly; the producer's stream
// ends so that it reconnects.
func TestShutdownWithIdleProduceStream(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.ShutdownTimeout = 2 * time.Second }))
	b.CreateTopic(t, "t", 1)
	ps := openProduce(t, b)
	if resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Records: valueRecords("v", 1)}); resp.GetError() != nil {
		t.Fatal(resp.GetError())
	}
	took := shutdown(t, b)
	if took > time.Second {
		t.Errorf("Shutdown took %v with an idle produce stream open (the shutdown timeout is 2s)", took)
	}
	if err := streamEnd(t, ps.stream.Recv); err == nil {
		t.Error("the produce stream ended without an error; the producer cannot tell the broker went away")
	}
}

// TestShutdownAnswersProduceInFlight: requests a producer sent before
// Shutdown each get exactly one answer or the stream fails; none is
// acknowledged without being stored.
func TestShutdownAnswersProduceInFlight(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) { c.ShutdownTimeout = 5 * time.Second }))
	b.CreateTopic(t, "t", 1)
	ps := openProduce(t, b)
	const n = 100
	for i := range n {
		req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: "t", Partition: proto.Int32(0), Records: valueRecords("v", 1)}
		if err := ps.stream.Send(req); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	done := make(chan time.Duration, 1)
	go func() { done <- shutdown(t, b) }()
	acked := map[int64]bool{}
	answered := map[uint64]bool{}
	for {
		resp, err := recvTimeout(t, ps.stream.Recv)
		if err != nil {
			break
		}
		if answered[resp.GetSequence()] {
			t.Fatalf("sequence %d answered twice", resp.GetSequence())
		}
		answered[resp.GetSequence()] = true
		if len(resp.GetResults()) == 1 && resp.GetResults()[0].GetError() == nil && resp.GetError() == nil {
			acked[resp.GetResults()[0].GetBaseOffset()] = true
		}
	}
	if took := <-done; took > 4*time.Second {
		t.Errorf("Shutdown took %v", took)
	}
	b.Restart()
	stored := b.FetchAll(t, "t", 0, 0)
	for off := range acked {
		if off >= int64(len(stored)) {
			t.Errorf("offset %d was acknowledged but only %d records are stored", off, len(stored))
		}
	}
	t.Logf("%d of %d requests acknowledged before shutdown, %d stored", len(acked), n, len(stored))
}

// shutdown calls the broker's Shutdown and returns how long it took, giving
// up on a Shutdown that hangs after 2*ShutdownTimeout + 1s.
func shutdown(t *testing.T, b *servertest.Broker) time.Duration {
	timeout := b.Config().ShutdownTimeout
	if timeout == 0 {
		timeout = 10 * time.Second // the broker's default
	}
	bound := 2*timeout + time.Second
	start := time.Now()
	done := make(chan struct{})
	go func() {
		b.Server().Shutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(bound):
		t.Errorf("Shutdown did not return within %v", bound)
	}
	return time.Since(start)
}

// TestBrokerWithFailedStorageStops: when the raft engine fails (here: the
// in-memory store refuses an entry over its 64 KiB value limit), the producer
// hears of it, Serve returns the error, and Shutdown still returns, so that
// `sluice serve` exits and can be restarted.
func TestBrokerWithFailedStorageStops(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.ShutdownTimeout = time.Second }))
	b.CreateTopic(t, "t", 1)
	ps := openProduce(t, b)
	if err := ps.stream.Send(&sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{Value: make([]byte, 200<<10)}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := recvTimeout(t, ps.stream.Recv)
	if err == nil && resp.GetError() == nil && resp.GetResults()[0].GetError() == nil {
		t.Skip("storage accepted a 200 KiB entry: no storage fault to inject this way")
	}
	if err == nil {
		t.Logf("producer told: %v", resp)
	} else {
		checkStatus(t, err, codes.Unavailable)
	}
	serveErr, ok := b.ServeErr(10 * time.Second)
	if !ok || serveErr == nil {
		t.Fatalf("Serve still running or returned no error (%v) after its raft engine failed", serveErr)
	}
	if took := shutdown(t, b); took > 3*time.Second {
		t.Errorf("Shutdown took %v after the engine failed", took)
	}
}

// TestShutdownRightAfterRestart: a broker stopped while its partitions are
// still settling (electing, reporting their leaders to the metadata), right
// after it created a topic or restarted, stops as promptly as an idle one.
func TestShutdownRightAfterRestart(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) { c.ShutdownTimeout = 3 * time.Second }))
	b.CreateTopic(t, "t", 8)
	for round := range 3 {
		if took := shutdown(t, b); took > time.Second {
			t.Errorf("round %d: Shutdown took %v", round, took)
		}
		b.RestartNoReadyWait()
	}
}

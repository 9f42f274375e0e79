// Package servertest runs a Sluice broker inside a test: Start serves a
// single-broker cluster on 127.0.0.1 with ready clients, and stops it when
// the test ends. Helpers create topics, produce and read records, and poll
// for conditions (never sleep for a fixed time).
//
// Every helper that talks to the broker fails the test on an unexpected
// error, so a test reads as the steps a user takes.
package servertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/storage"
)

// readyTimeout bounds how long Start and Restart wait for the broker to
// register itself and lead its partitions.
const readyTimeout = 20 * time.Second

// Option adjusts the broker Start runs.
type Option func(*settings)

type settings struct {
	cfg     server.Config
	onDisk  bool
	noReady bool
	dial    []grpc.DialOption
}

// WithConfig lets a test set broker configuration (limits, timeouts). The
// harness fills in Storage and Logger unless the function sets them.
func WithConfig(fn func(*server.Config)) Option {
	return func(s *settings) { fn(&s.cfg) }
}

// WithDialOptions sets the options the harness's client connection is made
// with (TLS credentials for a broker that serves TLS); without it the
// connection is plaintext.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(s *settings) { s.dial = opts }
}

// OnDisk keeps the broker's data in a t.TempDir() directory rather than in
// memory, so that Restart finds it again. Tests that send requests over
// 1 MiB to one partition need it too: in-memory storage takes raft entries
// of at most 1 MiB less 1 KiB, so the broker refuses larger ones.
func OnDisk() Option {
	return func(s *settings) { s.onDisk = true }
}

// NoReadyWait makes Start return as soon as the broker serves, without
// waiting for it to register in the metadata: for tests of what a client
// meets right after a broker starts.
func NoReadyWait() Option {
	return func(s *settings) { s.noReady = true }
}

// Broker is a running broker and its clients. Conn and the clients are
// replaced by Restart; read them from the Broker after a restart.
type Broker struct {
	// Addr is the host:port the broker listens on (127.0.0.1).
	Addr          string
	Conn          *grpc.ClientConn
	AdminClient   sluicev1.AdminServiceClient
	ProduceClient sluicev1.ProduceServiceClient
	FetchClient   sluicev1.FetchServiceClient
	GroupClient   sluicev1.GroupCoordinatorServiceClient

	t       testing.TB
	cfg     server.Config
	noReady bool
	dial    []grpc.DialOption
	logs    *testLog
	srv     *server.Broker
	served  chan struct{} // closed when Serve returns

	mu           sync.Mutex
	serveErr     error // Serve's result, once served is closed
	serveErrSeen bool  // the test took serveErr
	stopped      bool  // between a Stop and the next start
}

// Start runs a broker on 127.0.0.1:0 and returns once it is registered in
// its cluster metadata and answers requests. It stops when the test ends.
func Start(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	s := settings{}
	for _, o := range opts {
		o(&s)
	}
	b := &Broker{t: t, cfg: s.cfg, logs: newTestLog(t), noReady: s.noReady, dial: s.dial}
	if b.cfg.Logger == nil {
		b.cfg.Logger = b.logs.logger
	}
	if b.cfg.Storage == (storage.Options{}) {
		b.cfg.Storage = storage.DefaultOptions("")
		b.cfg.Storage.InMemory = !s.onDisk
		if s.onDisk {
			b.cfg.Storage.Dir = t.TempDir()
		}
	}
	if b.cfg.Storage.Logger == nil {
		b.cfg.Storage.Logger = b.logs.logger
	}
	t.Cleanup(func() {
		b.Stop()
		b.logs.close()
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	b.Addr = lis.Addr().String()
	b.start(lis)
	return b
}

// Server is the broker under test, for tests that call its methods directly
// (Shutdown in particular).
func (b *Broker) Server() *server.Broker { return b.srv }

// Config is the broker's configuration as the harness completed it.
func (b *Broker) Config() server.Config { return b.cfg }

func (b *Broker) start(lis net.Listener) {
	b.t.Helper()
	srv, err := server.New(b.cfg)
	if err != nil {
		_ = lis.Close()
		b.t.Fatalf("start broker: %v", err)
	}
	b.srv = srv
	b.served = make(chan struct{})
	b.serveErr, b.serveErrSeen = nil, false
	served := b.served
	go func() {
		err := srv.Serve(context.Background(), lis)
		b.mu.Lock()
		b.serveErr = err
		b.mu.Unlock()
		close(served)
	}()
	dial := b.dial
	if dial == nil {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(b.Addr, append(dial, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))...)
	if err != nil {
		b.t.Fatalf("dial %s: %v", b.Addr, err)
	}
	b.Conn = conn
	b.AdminClient = sluicev1.NewAdminServiceClient(conn)
	b.ProduceClient = sluicev1.NewProduceServiceClient(conn)
	b.FetchClient = sluicev1.NewFetchServiceClient(conn)
	b.GroupClient = sluicev1.NewGroupCoordinatorServiceClient(conn)
	b.mu.Lock()
	b.stopped = false
	b.mu.Unlock()
	if !b.noReady {
		b.waitReady()
	}
}

// waitReady waits until the broker is registered with its address, the
// cluster has a controller, and every partition of every topic has a local
// replica that knows its leader.
func (b *Broker) waitReady() {
	b.t.Helper()
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		err := b.ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("broker at %s not ready after %v: %v", b.Addr, readyTimeout, err)
		}
		select {
		case <-b.served:
			serr, _ := b.ServeErr(0)
			b.t.Fatalf("broker at %s: Serve returned %v before it was ready", b.Addr, serr)
		case <-tick.C:
		}
	}
}

var errNotReady = errors.New("not ready")

func (b *Broker) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cl, err := b.AdminClient.DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{})
	if err != nil {
		return err
	}
	registered := false
	for _, br := range cl.GetBrokers() {
		registered = registered || (br.GetId() == b.nodeID() && br.GetAddress() == b.advertised())
	}
	if !registered || cl.GetControllerId() == 0 {
		return errNotReady
	}
	topics, err := b.AdminClient.ListTopics(ctx, &sluicev1.ListTopicsRequest{})
	if err != nil {
		return err
	}
	for _, tp := range topics.GetTopics() {
		// ListOffsets answers only once the broker's replicas are open.
		_, err := b.AdminClient.ListOffsets(ctx, &sluicev1.ListOffsetsRequest{Topic: tp.GetName(),
			Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}})
		if err != nil {
			return err
		}
		d, err := b.AdminClient.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: tp.GetName()})
		if err != nil {
			return err
		}
		for _, p := range d.GetTopic().GetPartitions() {
			if p.GetLeaderId() == 0 {
				return errNotReady
			}
		}
	}
	return nil
}

// advertised is the address the broker registers.
func (b *Broker) advertised() string {
	if b.cfg.AdvertiseAddr != "" {
		return b.cfg.AdvertiseAddr
	}
	return b.Addr
}

func (b *Broker) nodeID() uint64 {
	if b.cfg.NodeID == 0 {
		return 1
	}
	return b.cfg.NodeID
}

// Stop shuts the broker down gracefully and checks that Shutdown returns in
// time and that Serve returned without error (unless the test took Serve's
// error with ServeErr). Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	b.t.Helper()
	b.mu.Lock()
	if b.stopped || b.srv == nil {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	b.mu.Unlock()
	_ = b.Conn.Close()
	// A Shutdown that hangs must not hang the whole test binary: give up
	// on it (leaking the broker) and report.
	bound := 2*b.shutdownTimeout() + 2*time.Second
	done := make(chan struct{})
	go func() {
		b.srv.Shutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(bound):
		b.t.Errorf("broker at %s: Shutdown did not return within %v", b.Addr, bound)
		return
	}
	select {
	case <-b.served:
		b.mu.Lock()
		err, seen := b.serveErr, b.serveErrSeen
		b.mu.Unlock()
		switch {
		case err == nil || seen:
		case b.noReady:
			// Stopped before it registered, perhaps: Serve says so.
			b.t.Logf("broker at %s: Serve returned %v", b.Addr, err)
		default:
			b.t.Errorf("broker at %s: Serve returned %v", b.Addr, err)
		}
	case <-time.After(bound):
		b.t.Errorf("broker at %s: Serve did not return within %v of Shutdown", b.Addr, bound)
	}
}

func (b *Broker) shutdownTimeout() time.Duration {
	if b.cfg.ShutdownTimeout > 0 {
		return b.cfg.ShutdownTimeout
	}
	return 10 * time.Second // the broker's default
}

// ServeErr waits up to timeout for Serve to return and returns its error;
// ok is false if Serve still runs. Stop then leaves the error to the test.
func (b *Broker) ServeErr(timeout time.Duration) (err error, ok bool) {
	select {
	case <-b.served:
		b.mu.Lock()
		defer b.mu.Unlock()
		b.serveErrSeen = true
		return b.serveErr, true
	case <-time.After(timeout):
		return nil, false
	}
}

// Restart stops the broker gracefully and starts a new one on the same
// address and data directory (the broker must have been started OnDisk). It
// returns once the new broker is ready; Conn and the clients are new.
func (b *Broker) Restart() {
	b.t.Helper()
	b.restart(true)
}

// RestartNoReadyWait is Restart returning as soon as the new broker serves,
// for tests of what clients meet while a broker starts.
func (b *Broker) RestartNoReadyWait() {
	b.t.Helper()
	b.restart(false)
}

func (b *Broker) restart(wait bool) {
	b.t.Helper()
	if b.cfg.Storage.InMemory {
		b.t.Fatal("Restart needs a broker started with servertest.OnDisk()")
	}
	b.Stop()
	b.noReady = !wait
	var lis net.Listener
	listen := func() bool {
		var err error
		lis, err = net.Listen("tcp", b.Addr)
		return err == nil
	}
	if !poll(readyTimeout, listen) {
		b.t.Fatalf("listen again on %s: address stays in use", b.Addr)
	}
	b.start(lis)
}

// CreateTopic creates a topic with default replication and the given
// configs (key, value pairs) and returns its description.
func (b *Broker) CreateTopic(t testing.TB, name string, partitions int32, configs ...string) *sluicev1.TopicDescription {
	t.Helper()
	if len(configs)%2 != 0 {
		t.Fatalf("CreateTopic: configs must be key, value pairs: %q", configs)
	}
	req := &sluicev1.CreateTopicRequest{Name: name, Partitions: partitions}
	if len(configs) > 0 {
		req.Configs = map[string]string{}
		for i := 0; i < len(configs); i += 2 {
			req.Configs[configs[i]] = configs[i+1]
		}
	}
	resp, err := b.AdminClient.CreateTopic(t.Context(), req)
	if err != nil {
		t.Fatalf("create topic %q: %v", name, err)
	}
	return resp.GetTopic()
}

// Produce appends records to one partition in one request (acks all) and
// returns the offset each record got, in order.
func (b *Broker) Produce(t testing.TB, topic string, partition int32, records ...*sluicev1.Record) []int64 {
	t.Helper()
	offsets, err := b.TryProduce(t.Context(), topic, partition, records...)
	if err != nil {
		t.Fatal(err)
	}
	return offsets
}

// TryProduce is Produce for goroutines other than the test's: it returns
// the error instead of failing the test.
func (b *Broker) TryProduce(ctx context.Context, topic string, partition int32, records ...*sluicev1.Record) ([]int64, error) {
	resp, err := b.TryProduceRequest(ctx, &sluicev1.ProduceRequest{Topic: topic, Partition: proto.Int32(partition), Records: records})
	if err != nil {
		return nil, err
	}
	if resp.GetError() != nil {
		return nil, fmt.Errorf("produce to %s/%d: %v", topic, partition, resp.GetError())
	}
	if len(resp.GetResults()) != 1 {
		return nil, fmt.Errorf("produce to %s/%d: %d results, want 1: %v", topic, partition, len(resp.GetResults()), resp)
	}
	res := resp.GetResults()[0]
	if res.GetError() != nil || res.GetPartition() != partition || int(res.GetRecordCount()) != len(records) {
		return nil, fmt.Errorf("produce to %s/%d: result %v", topic, partition, res)
	}
	offsets := make([]int64, len(records))
	for i := range offsets {
		offsets[i] = res.GetBaseOffset() + int64(i)
	}
	return offsets, nil
}

// ProduceRequest sends one request on a new stream and returns its
// response, which may carry an error.
func (b *Broker) ProduceRequest(t testing.TB, req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	t.Helper()
	resp, err := b.TryProduceRequest(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TryProduceRequest is ProduceRequest returning the error of the stream
// instead of failing the test.
func (b *Broker) TryProduceRequest(ctx context.Context, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	stream, err := b.ProduceClient.Produce(ctx)
	if err != nil {
		return nil, fmt.Errorf("open produce stream: %w", err)
	}
	if err := stream.Send(req); err != nil {
		if errors.Is(err, io.EOF) {
			// The stream ended before the request went out (a broker
			// stopping, say); its status is what Recv returns.
			_, err = stream.Recv()
		}
		return nil, fmt.Errorf("send produce request: %w", err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, fmt.Errorf("close produce stream: %w", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, fmt.Errorf("produce response: %w", err)
	}
	if extra, err := stream.Recv(); err != io.EOF {
		return nil, fmt.Errorf("after the only response: got %v, %v; want the stream to end", extra, err)
	}
	return resp, nil
}

// FetchAll reads one partition from offset from up to its high watermark
// (follow=false) and returns the records.
func (b *Broker) FetchAll(t testing.TB, topic string, partition int32, from int64) []*sluicev1.Record {
	t.Helper()
	recs, err := b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: topic, Partitions: []*sluicev1.FetchPartition{{
		Partition: partition, Start: &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: from}},
	}}})
	if err != nil {
		t.Fatalf("fetch %s/%d from %d: %v", topic, partition, from, err)
	}
	return recs[partition]
}

// FetchAllErr runs a bounded fetch to its end and returns the records by
// partition, or the error that ended the stream. It checks that each
// partition's offsets are consecutive.
func (b *Broker) FetchAllErr(t testing.TB, req *sluicev1.FetchRequest) (map[int32][]*sluicev1.Record, error) {
	t.Helper()
	if req.GetFollow() {
		t.Fatal("FetchAllErr reads bounded fetches only (follow=false)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	stream, err := b.FetchClient.Fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	out := map[int32][]*sluicev1.Record{}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		p := resp.GetPartition()
		for _, r := range resp.GetRecords() {
			if prev := out[p]; len(prev) > 0 && r.GetOffset() != prev[len(prev)-1].GetOffset()+1 {
				t.Fatalf("partition %d: offset %d follows %d", p, r.GetOffset(), prev[len(prev)-1].GetOffset())
			}
			out[p] = append(out[p], r)
		}
	}
}

// HighWatermarks returns each partition's high watermark from DescribeTopic.
func (b *Broker) HighWatermarks(t testing.TB, topic string) []int64 {
	t.Helper()
	d, err := b.AdminClient.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: topic})
	if err != nil {
		t.Fatalf("describe %q: %v", topic, err)
	}
	var out []int64
	for _, p := range d.GetTopic().GetPartitions() {
		out = append(out, p.GetHighWatermark())
	}
	return out
}

// WaitFor polls cond every few milliseconds until it holds, failing the
// test if it does not within timeout.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("condition not met within %v", timeout)
	}
}

func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// testLog sends the broker's warnings and errors to the test's log until
// the test ends (a log call after that would panic).
type testLog struct {
	mu     sync.Mutex
	t      testing.TB
	done   bool
	logger *slog.Logger
}

func newTestLog(t testing.TB) *testLog {
	l := &testLog{t: t}
	l.logger = slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return l
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(string(p))
	}
	return len(p), nil
}

func (l *testLog) close() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

package server_test

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
	"github.com/sluice-io/sluice/storage"
)

// TestStreamsOfVanishedClientReturnTheirMemory opens produce and fetch
// streams whose client then vanishes without closing its connection (its
// host died, its network went away: no FIN, no RST), as a proxy that stops
// forwarding shows the broker. The broker must find the connection dead,
// end its streams and free what they held.
func TestStreamsOfVanishedClientReturnTheirMemory(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) {
		c.KeepaliveTime = time.Second // gRPC's least
		c.KeepaliveTimeout = time.Second
	}))
	b.CreateTopic(t, "churn", 1)
	value := make([]byte, 32<<10)
	for range 64 {
		b.Produce(t, "churn", 0, &sluicev1.Record{Value: value})
	}
	goroutines, heap := settledGoroutines(), inUseHeap()

	const streams = 50
	p := newFreezingProxy(t, b.Addr)
	conn, err := grpc.NewClient(p.addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	openIdleStreams(t, conn, streams, value)
	// The broker now holds every stream, and each fetch stream a window's
	// worth of records it cannot send.
	if n := runtime.NumGoroutine(); n < goroutines+3*streams {
		t.Fatalf("%d goroutines with %d streams open, from %d: the streams are not open", n, 2*streams, goroutines)
	}
	p.freeze()
	_ = conn.Close() // the client's own goroutines; the broker sees nothing

	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > goroutines+5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 30 s after the client vanished, %d before its %d streams", runtime.NumGoroutine(), goroutines, 2*streams)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if grown := inUseHeap() - heap; grown > 16<<20 {
		t.Fatalf("in-use heap is %d MiB above its level before the streams, after they ended", grown>>20)
	}
}

// openIdleStreams opens n produce streams, each with one request sent, and n
// fetch streams that follow the topic from its start, and reads nothing.
func openIdleStreams(t *testing.T, conn *grpc.ClientConn, n int, value []byte) {
	t.Helper()
	ctx := t.Context()
	produce, fetch := sluicev1.NewProduceServiceClient(conn), sluicev1.NewFetchServiceClient(conn)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			st, err := produce.Produce(ctx)
			if err == nil {
				err = st.Send(&sluicev1.ProduceRequest{Sequence: uint64(i), Topic: "churn", Records: []*sluicev1.Record{{Value: value}}})
			}
			if err == nil {
				_, err = st.Recv()
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			st, err := fetch.Fetch(ctx, &sluicev1.FetchRequest{Topic: "churn", Follow: true, MaxRecords: 1})
			if err == nil {
				_, err = st.Recv()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("open stream: %v", err)
		}
	}
}

// settledGoroutines is the goroutine count once it stops falling.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}

// inUseHeap is the heap in use after two collections: pools (sync.Pool,
// gRPC's buffer pools) keep what they hold for one more.
func inUseHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// freezingProxy forwards TCP connections to a broker until freeze, after
// which it forwards nothing and closes nothing: to the broker, a client
// that vanished.
type freezingProxy struct {
	lis   net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newFreezingProxy(t *testing.T, target string) *freezingProxy {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{lis: lis}
	p.wg.Add(1)
	go p.accept(target)
	t.Cleanup(p.close)
	return p
}

func (p *freezingProxy) addr() string { return p.lis.Addr().String() }

func (p *freezingProxy) accept(target string) {
	defer p.wg.Done()
	for {
		c, err := p.lis.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies until freeze stops it with a deadline.
func (p *freezingProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze stops forwarding, keeping every connection open.
func (p *freezingProxy) freeze() {
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.SetDeadline(time.Now())
	}
	p.mu.Unlock()
	_ = p.lis.Close()
	p.wg.Wait()
}

func (p *freezingProxy) close() {
	_ = p.lis.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestPartitionCachesShareTheBrokerBudget writes to many partitions and
// checks that their caches (the raft log tails and the replicas' recent
// batches) hold what the broker's budgets allow, not what each partition
// may hold times the number of partitions; every record still reads back,
// the last partition written from memory or not.
func TestPartitionCachesShareTheBrokerBudget(t *testing.T) {
	const (
		partitions = 32
		perPart    = 20
		budget     = 4 << 20
	)
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) {
		c.Limits.CacheBudgetBytes = budget
		c.Storage = storage.DefaultOptions(t.TempDir())
		c.Storage.TailCacheBudgetBytes = budget
	}))
	b.CreateTopic(t, "many", partitions)
	heap := inUseHeap()
	// Over the value threshold, so that the data goes to badger's value
	// log (mapped files) rather than its memtables (heap).
	value := make([]byte, 100<<10)
	for p := range int32(partitions) {
		for i := range perPart {
			value[0], value[1] = byte(p), byte(i)
			b.Produce(t, "many", p, &sluicev1.Record{Value: value})
		}
	}
	written := int64(partitions * perPart * len(value))
	// Without the budgets, each partition keeps all its 2 MB twice over.
	grown := inUseHeap() - heap
	t.Logf("in-use heap grew by %.1f MiB", float64(grown)/(1<<20))
	if grown > 4*budget {
		t.Fatalf("in-use heap grew by %d MiB after %d MiB written to %d partitions; the cache budgets are %d MiB each",
			grown>>20, written>>20, partitions, budget>>20)
	}
	for _, p := range []int32{0, partitions - 1} {
		recs := b.FetchAll(t, "many", p, 0)
		if len(recs) != perPart {
			t.Fatalf("partition %d: read %d records, want %d", p, len(recs), perPart)
		}
		for i, r := range recs {
			if v := r.GetValue(); len(v) != len(value) || v[0] != byte(p) || v[1] != byte(i) {
				t.Fatalf("partition %d record %d: wrong value (%d bytes, starts % x)", p, i, len(v), v[:2])
			}
		}
	}
}

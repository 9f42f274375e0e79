package server_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/engine"
)

// dirSize returns the disk space the files under dir take (allocated blocks,
// as du counts them: badger preallocates sparse files) and their apparent size.
func dirSize(t *testing.T, dir string) (allocated, apparent int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // badger deleted it meanwhile
		}
		if err != nil {
			return err
		}
		apparent += info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			allocated += st.Blocks * 512
		} else {
			allocated += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return allocated, apparent
}

// logFiles logs the size of each file under dir.
func logFiles(t *testing.T, dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			t.Logf("%s: %d bytes", path, info.Size())
		}
		return nil
	})
}

// produceBytes writes total bytes of recSize-byte records, perReq records a
// request, to partition 0 of topic, pipelining up to 32 requests.
func produceBytes(t *testing.T, conn *grpc.ClientConn, topic string, total, recSize, perReq int) {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, recSize)
	recs := make([]*sluicev1.Record, perReq)
	for i := range recs {
		recs[i] = &sluicev1.Record{Value: value}
	}
	n := total / (recSize * perReq)
	recvErr := make(chan error, 1)
	go func() {
		for range n {
			resp, err := stream.Recv()
			if err == nil && (resp.GetError() != nil || resp.GetResults()[0].GetError() != nil) {
				err = fmt.Errorf("produce failed: %v", resp)
			}
			if err != nil {
				recvErr <- err
				return
			}
		}
		recvErr <- nil
	}()
	for i := range n {
		req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: topic, Partition: proto.Int32(0), Records: recs}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := <-recvErr; err != nil {
		t.Fatal(err)
	}
}

func listOffset(t *testing.T, conn *grpc.ClientConn, topic string, bd sluicev1.Boundary) int64 {
	t.Helper()
	resp, err := sluicev1.NewAdminServiceClient(conn).ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{
		Topic: topic, Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: bd},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetOffsets()[0].GetOffset()
}

// fetchFrom reads partition 0 of topic from offset to the high watermark and
// returns the first offset read and the number of value bytes; err is the
// stream's error.
func fetchFrom(t *testing.T, conn *grpc.ClientConn, topic string, offset int64) (first int64, size int64, err error) {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), &sluicev1.FetchRequest{
		Topic: topic, Partitions: []*sluicev1.FetchPartition{{Partition: 0, Start: atOffset(offset)}},
	})
	if err != nil {
		return 0, 0, err
	}
	first = -1
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return first, size, nil
		}
		if err != nil {
			return first, size, err
		}
		for _, r := range resp.GetRecords() {
			if first < 0 {
				first = r.GetOffset()
			}
			size += int64(len(r.GetValue()))
		}
	}
}

// TestRetentionBytesFreesDisk: a partition with retention.bytes = 10 MiB
// that receives 200 MiB keeps its data directory under 3x the retained size;
// it still holds at least retention.bytes; reading before the log start is
// OUT_OF_RANGE with the valid range.
func TestRetentionBytesFreesDisk(t *testing.T) {
	const (
		retained = 10 << 20
		written  = 200 << 20
	)
	// 256 KiB requests, pipelined: the leader coalesces them into entries of
	// up to 1 MiB, which badger keeps in its value log.
	const recSize, perReq = 16 << 10, 16
	c := startClusterWith(t, 1, func(cfg *server.Config) { cfg.RetentionCheckInterval = 50 * time.Millisecond })
	conn := c.conn(1)
	_, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{
		Name: "ret", Partitions: 1, Configs: map[string]string{"retention.bytes": strconv.Itoa(retained)},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	produceBytes(t, conn, "ret", written, recSize, perReq)
	t.Logf("produced %d MiB in %v", written>>20, time.Since(start).Round(time.Millisecond))

	// Retention runs in the background: wait until the log is down
	// to its limit (plus at most a segment, an eighth of the limit)
	// and the disk space came back.
	var alloc, apparent int64
	settled := func() bool {
		alloc, apparent = dirSize(t, c.dirs[1])
		ls := listOffset(t, conn, "ret", sluicev1.Boundary_BOUNDARY_EARLIEST)
		hw := listOffset(t, conn, "ret", sluicev1.Boundary_BOUNDARY_LATEST)
		return alloc < 3*retained && (hw-ls)*int64(recSize) < retained+retained/4
	}
	deadline := time.Now().Add(30 * time.Second)
	for !settled() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("data directory after %v: %.1f MiB on disk (%.1f MiB apparent)",
		time.Since(start).Round(time.Millisecond), float64(alloc)/(1<<20), float64(apparent)/(1<<20))
	if alloc >= 3*retained {
		logFiles(t, c.dirs[1])
		t.Fatalf("data directory takes %d bytes, want under %d", alloc, 3*retained)
	}

	logStart := listOffset(t, conn, "ret", sluicev1.Boundary_BOUNDARY_EARLIEST)
	hw := listOffset(t, conn, "ret", sluicev1.Boundary_BOUNDARY_LATEST)
	if want := int64(written / recSize); hw != want {
		t.Fatalf("high watermark %d, want %d", hw, want)
	}
	first, size, err := fetchFrom(t, conn, "ret", logStart)
	if err != nil || first != logStart {
		t.Fatalf("read from log start %d: first offset %d, %v", logStart, first, err)
	}
	if size < retained || size > 2*retained {
		t.Fatalf("the log holds %d bytes of values, want at least retention.bytes (%d) and not much more", size, retained)
	}
	for _, off := range []int64{0, logStart - 1} {
		_, _, err = fetchFrom(t, conn, "ret", off)
		checkBeforeLogStart(t, checkStatus(t, err, codes.OutOfRange), off, logStart, hw)
	}
}

// checkBeforeLogStart checks the detail of an OUT_OF_RANGE read of offset,
// below the log start logStart read earlier. Retention may still move the
// log start on meanwhile (the test waits only until the log is near its
// limit), never back, so the detail's log start is at least logStart.
func checkBeforeLogStart(t *testing.T, st *status.Status, offset, logStart, hw int64) {
	t.Helper()
	for _, d := range st.Details() {
		if got, ok := d.(*sluicev1.OffsetOutOfRangeDetail); ok {
			if got.GetRequestedOffset() != offset || got.GetLogStartOffset() < logStart || got.GetHighWatermark() != hw {
				t.Errorf("OffsetOutOfRangeDetail %v, want offset %d, log start at least %d, high watermark %d", got, offset, logStart, hw)
			}
			return
		}
	}
	t.Errorf("no OffsetOutOfRangeDetail in %v", st.Details())
}

// readValues reads partition 0 of topic through conn from offset to the high
// watermark, returning each record's value by offset.
func readValues(t *testing.T, conn *grpc.ClientConn, topic string, from int64) (map[int64]string, error) {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), &sluicev1.FetchRequest{
		Topic: topic, Partitions: []*sluicev1.FetchPartition{{Partition: 0, Start: atOffset(from)}},
	})
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		for _, r := range resp.GetRecords() {
			out[r.GetOffset()] = string(r.GetValue())
		}
	}
}

// produceValues appends n records of about size bytes, value i = prefix-i
// padded, one request each, pipelined; requests that fail with a retryable
// error (a leadership change under the test's network faults) are sent again.
func produceValues(t *testing.T, conn *grpc.ClientConn, topic, prefix string, n, size int) {
	t.Helper()
	todo := make([]int, n)
	for i := range todo {
		todo[i] = i
	}
	for round := 0; len(todo) > 0; round++ {
		if round == 100 {
			t.Fatalf("%d records still not produced after %d rounds", len(todo), round)
		}
		if round > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		todo = produceRound(t, conn, topic, prefix, todo, size)
	}
}

// produceRound sends the records todo and returns those to send again.
func produceRound(t *testing.T, conn *grpc.ClientConn, topic, prefix string, todo []int, size int) []int {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range todo {
		v := fmt.Appendf(nil, "%s-%d ", prefix, i)
		v = append(v, make([]byte, size-len(v))...)
		req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: topic, Partition: proto.Int32(0),
			Records: []*sluicev1.Record{{Value: v}}}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var again []int
	for range todo {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		e := resp.GetError()
		if e == nil {
			e = resp.GetResults()[0].GetError()
		}
		switch {
		case e == nil:
		case e.GetRetryable():
			again = append(again, int(resp.GetSequence()))
		default:
			t.Fatalf("produce failed: %v", resp)
		}
	}
	return again
}

// TestFollowerBehindLogStartInstallsSnapshot: a follower cut off while
// retention moves the leader's log start (and compacts its raft log) past
// what the follower holds comes back, installs the metadata-only snapshot,
// receives the entries after it, and then serves exactly the leader's
// records from its own log start on, including records produced later.
func TestFollowerBehindLogStartInstallsSnapshot(t *testing.T) {
	faults := &netFaults{cut: map[[2]uint64]bool{}}
	var snapsMu sync.Mutex
	snapsTo := map[uint64]int{} // snapshots sent, by receiving broker
	c := startClusterWith(t, 3, func(cfg *server.Config) {
		cut := faults.wrap(cfg.NodeID)
		cfg.WrapTransport = func(next engine.Transport) engine.Transport {
			next = cut(next)
			return engine.TransportFunc(func(msgs []engine.Envelope) {
				for _, m := range msgs {
					if m.Group != 0 && m.Msg.GetType() == raftpb.MsgSnap {
						snapsMu.Lock()
						snapsTo[m.Msg.GetTo()]++
						snapsMu.Unlock()
					}
				}
				next.Send(msgs)
			})
		}
		cfg.RetentionCheckInterval = 50 * time.Millisecond
	})
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{
			Name: "lag", Partitions: 1, ReplicationFactor: 3,
			Configs: map[string]string{"retention.bytes": strconv.Itoa(1 << 20)},
		})
		return err == nil
	})
	lead := c.leaderOf("lag", 0)
	produceValues(t, c.conn(lead), "lag", "a", 50, 4<<10)
	var follower uint64
	for id := range c.brokers {
		if id != lead {
			follower = id
			break
		}
	}
	waitFor(t, "the follower to hold the first records", func() bool {
		return listOffset(t, c.conn(follower), "lag", sluicev1.Boundary_BOUNDARY_LATEST) == 50
	})
	faults.isolate(follower, []uint64{1, 2, 3})

	// 8 MiB through a partition that retains 1 MiB: the leader's log start
	// moves far past offset 50, where the follower stopped.
	lead = c.leaderOf("lag", 0)
	produceValues(t, c.conn(lead), "lag", "b", 2048, 4<<10)
	waitFor(t, "the leader's log start to pass the follower", func() bool {
		return listOffset(t, c.conn(lead), "lag", sluicev1.Boundary_BOUNDARY_EARLIEST) > 1000
	})
	snapsMu.Lock()
	before := snapsTo[follower]
	snapsMu.Unlock()
	faults.heal()
	produceValues(t, c.conn(lead), "lag", "c", 20, 4<<10)
	// Retried requests may have committed twice (no idempotence here), so the
	// leader says where the log ends.
	lead = c.leaderOf("lag", 0)
	hw := listOffset(t, c.conn(lead), "lag", sluicev1.Boundary_BOUNDARY_LATEST)
	if hw < 50+2048+20 {
		t.Fatalf("the leader's high watermark %d is below the %d records acknowledged", hw, 50+2048+20)
	}

	fconn := c.conn(follower)
	waitFor(t, "the follower to catch up", func() bool {
		return listOffset(t, fconn, "lag", sluicev1.Boundary_BOUNDARY_LATEST) == hw
	})
	// Retention may still move the log start while the last records apply:
	// read again until the follower and the leader agree on it.
	var fstart int64
	var got, want map[int64]string
	waitFor(t, "the follower to serve the leader's records", func() bool {
		fstart = listOffset(t, fconn, "lag", sluicev1.Boundary_BOUNDARY_EARLIEST)
		if listOffset(t, c.conn(lead), "lag", sluicev1.Boundary_BOUNDARY_EARLIEST) != fstart {
			return false
		}
		var err1, err2 error
		got, err1 = readValues(t, fconn, "lag", fstart)
		want, err2 = readValues(t, c.conn(lead), "lag", fstart)
		return err1 == nil && err2 == nil && int64(len(got)) == hw-fstart && len(want) == len(got)
	})
	if fstart <= 50 {
		t.Fatalf("the follower's log starts at %d: it did not skip the removed records", fstart)
	}
	for off, v := range want {
		if got[off] != v {
			t.Fatalf("offset %d: follower has %.20q, leader %.20q", off, got[off], v)
		}
	}
	snapsMu.Lock()
	sent := snapsTo[follower] - before
	snapsMu.Unlock()
	if sent == 0 {
		t.Fatal("the follower caught up without a snapshot: the leader's log was not compacted past it")
	}
	t.Logf("the follower stopped at offset 50 and came back through %d snapshot(s) with log start %d, high watermark %d", sent, fstart, hw)
	_, err := readValues(t, fconn, "lag", 50)
	checkStatus(t, err, codes.OutOfRange, "offset 50")
}

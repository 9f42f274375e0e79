package server_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/servertest"
)

// These tests send what once stopped the raft engine (and with it the
// broker): requests whose raft entry would not fit badger's 16 MiB value
// limit. Each must be refused at the edge with INVALID_ARGUMENT naming the
// limit, leave the broker serving, keep every earlier record, and put no
// record bytes in the logs.

// syncBuffer is a log sink safe for the broker's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged starts an on-disk broker (badger's real limits) whose logs
// the test can read.
func startLogged(t *testing.T) (*servertest.Broker, *syncBuffer) {
	logs := &syncBuffer{}
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}))
	return b, logs
}

// payload is a record value that cannot be mistaken in a log: 'Z' bytes.
func payload(n int) []byte { return bytes.Repeat([]byte{'Z'}, n) }

// checkNoRecordBytes fails if the logs hold record bytes, as text or as
// badger's hex dump of a value.
func checkNoRecordBytes(t *testing.T, logs *syncBuffer) {
	t.Helper()
	if s := logs.String(); strings.Contains(s, "ZZZZZZZZ") || strings.Contains(s, "5a 5a 5a 5a") {
		i := max(strings.Index(s, "ZZZZZZZZ"), strings.Index(s, "5a 5a 5a 5a"))
		t.Errorf("the logs hold record bytes: ...%s...", s[max(0, i-200):i])
	}
}

// checkStillServes produces one more record to partition 0 of topic and
// reads the partition back: earlier records byte for byte, then the new one.
func checkStillServes(t *testing.T, b *servertest.Broker, topic string, earlier []*sluicev1.Record) {
	t.Helper()
	after := &sluicev1.Record{Value: []byte("after")}
	if got := b.Produce(t, topic, 0, after); got[0] != int64(len(earlier)) {
		t.Fatalf("record after the refused request got offset %d, want %d", got[0], len(earlier))
	}
	got := b.FetchAll(t, topic, 0, 0)
	want := append(append([]*sluicev1.Record{}, earlier...), after)
	if len(got) != len(want) {
		t.Fatalf("partition holds %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].GetValue(), want[i].GetValue()) || !bytes.Equal(got[i].GetKey(), want[i].GetKey()) {
			t.Fatalf("record %d: value of %d bytes, want %d", i, len(got[i].GetValue()), len(want[i].GetValue()))
		}
	}
}

func bigRecords(n, size int) []*sluicev1.Record {
	out := make([]*sluicev1.Record, n)
	for i := range out {
		out[i] = &sluicev1.Record{Key: fmt.Appendf(nil, "k%d", i), Value: payload(size)}
	}
	return out
}

// TestProduceRequestOverEntryLimitIsRefused: 17 records of 1,000,000 bytes
// for one partition (each under the record limit, together under the
// request limit) make an entry over what the storage takes.
func TestProduceRequestOverEntryLimitIsRefused(t *testing.T) {
	b, logs := startLogged(t)
	b.CreateTopic(t, "t", 1)
	earlier := bigRecords(3, 1_000_000)
	b.Produce(t, "t", 0, earlier...)

	ps := openProduce(t, b)
	resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Records: bigRecords(17, 1_000_000)})
	st := status.New(codes.Code(resp.GetError().GetCode()), resp.GetError().GetMessage())
	checkStatus(t, st.Err(), codes.InvalidArgument, "records", "raft entry", "MaxEntryBytes")
	if resp.GetError().GetRetryable() {
		t.Errorf("the refusal is marked retryable: %v", resp.GetError())
	}
	checkStillServes(t, b, "t", earlier)
	checkNoRecordBytes(t, logs)
}

// TestCompressionBombIsRefused: a few KB of zstd that decompress to 40 MB,
// for a topic that stores records uncompressed, are refused while being
// decompressed (at the limit, not after).
func TestCompressionBombIsRefused(t *testing.T) {
	b, logs := startLogged(t)
	b.CreateTopic(t, "t", 1, "compression.type", "uncompressed")
	earlier := bigRecords(2, 1000)
	b.Produce(t, "t", 0, earlier...)

	bomb, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, bigRecords(40, 1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if len(bomb.GetCompressedRecords()) > 64<<10 {
		t.Fatalf("the batch is %d bytes compressed; the test wants a small one", len(bomb.GetCompressedRecords()))
	}
	ps := openProduce(t, b)
	resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Batch: bomb})
	st := status.New(codes.Code(resp.GetError().GetCode()), resp.GetError().GetMessage())
	checkStatus(t, st.Err(), codes.InvalidArgument, "batch.compressed_records", "MaxDecompressedBytes")
	checkStillServes(t, b, "t", earlier)
	checkNoRecordBytes(t, logs)
}

// TestCommitMetadataIsLimited: commit metadata is capped at 4 KiB, Kafka's
// offset.metadata.max.bytes, so that neither a commit's raft entry nor a
// group's FetchOffsets answer outgrows its limit; 4 KiB is accepted.
func TestCommitMetadataIsLimited(t *testing.T) {
	b, logs := startLogged(t)
	b.CreateTopic(t, "t", 1)
	earlier := bigRecords(2, 1000)
	b.Produce(t, "t", 0, earlier...)
	commit := func(metadata string) error {
		_, err := b.GroupClient.CommitOffsets(t.Context(), &sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: []*sluicev1.CommittedOffset{
			{Topic: "t", Partition: 0, Offset: 1, Metadata: metadata},
		}})
		return err
	}
	if err := commit(strings.Repeat("m", 4096)); err != nil {
		t.Fatalf("commit with 4 KiB of metadata: %v", err)
	}
	for _, size := range []int{4097, 4 << 20, 17 << 20} {
		st := checkStatus(t, commit(strings.Repeat("Z", size)), codes.InvalidArgument, "offsets[0].metadata", "4096", fmt.Sprint(size))
		checkBadRequest(t, st, "offsets[0].metadata")
	}
	resp, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
	if err != nil || len(resp.GetOffsets()) != 1 || len(resp.GetOffsets()[0].GetMetadata()) != 4096 {
		t.Fatalf("FetchOffsets = %v, %v; want the 4 KiB commit", resp, err)
	}
	checkStillServes(t, b, "t", earlier)
	checkNoRecordBytes(t, logs)
}

// TestOversizedRequestLeavesReplicatedClusterUp: on three brokers with a
// partition of replication factor 3, the oversized request is refused
// before the leader proposes it (it once reached every follower, and all
// three brokers stopped); every broker stays up and serves the earlier
// records byte for byte.
func TestOversizedRequestLeavesReplicatedClusterUp(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	var err error
	waitFor(t, "the topic to be created", func() bool {
		_, err = admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "r3", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("r3", 0)
	stream, err := sluicev1.NewProduceServiceClient(c.conn(lead)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ps := &produceStream{t: t, stream: stream}
	// Each batch in one request: one entry, so its order is its offsets'.
	var want []string
	batch := func(prefix string) {
		req := &sluicev1.ProduceRequest{Topic: "r3", Partition: proto.Int32(0)}
		for i := range 20 {
			v := fmt.Sprintf("%s-%d", prefix, i)
			req.Records = append(req.Records, &sluicev1.Record{Value: []byte(v)})
			want = append(want, v)
		}
		if resp := ps.roundTrip(t, req); resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			t.Fatalf("produce %s: %v", prefix, resp)
		}
	}
	batch("a")
	resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "r3", Partition: proto.Int32(0), Records: bigRecords(17, 1_000_000)})
	st := status.New(codes.Code(resp.GetError().GetCode()), resp.GetError().GetMessage())
	checkStatus(t, st.Err(), codes.InvalidArgument, "raft entry", "MaxEntryBytes")
	batch("b")
	for id := range c.brokers {
		select {
		case err := <-c.done[id]:
			t.Fatalf("broker %d stopped: %v", id, err)
		default:
		}
		waitFor(t, fmt.Sprintf("broker %d to hold all records", id), func() bool {
			return len(readAll(t, c.conn(id), "r3")) == len(want)
		})
		got := readAll(t, c.conn(id), "r3")
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("broker %d offset %d = %q, want %q (all: %q)", id, i, got[i], want[i], got)
			}
		}
	}
}

// TestGoSDKDefaultBatchesFitOneEntry: the Go SDK's default batches (1,000
// records or 1 MiB, a record alone up to its 1 MiB limit) are stored by a
// broker with the default limits: none is refused as too large an entry.
func TestGoSDKDefaultBatchesFitOneEntry(t *testing.T) {
	b, _ := startLogged(t)
	b.CreateTopic(t, "t", 1)
	c, err := sluice.NewClient([]string{b.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := sluice.NewProducer(c, sluice.ProducerConfig{Linger: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var (
		mu     sync.Mutex
		failed []error
	)
	done := func(_ sluice.RecordMetadata, err error) {
		if err != nil {
			mu.Lock()
			failed = append(failed, err)
			mu.Unlock()
		}
	}
	const small = 3000
	for range small { // 1,000 records a batch, then 1 MiB a batch
		p.Produce(t.Context(), &sluice.Record{Topic: "t", Value: payload(1000)}, done)
	}
	p.Produce(t.Context(), &sluice.Record{Topic: "t", Value: payload(1<<20 - 100)}, done)
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Fatalf("%d records failed, the first with %v", len(failed), failed[0])
	}
	if hw := b.HighWatermarks(t, "t"); hw[0] != small+1 {
		t.Fatalf("high watermark %d, want %d", hw[0], small+1)
	}
}

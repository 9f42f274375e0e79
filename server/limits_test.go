package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/servertest"
	"github.com/sluice-io/sluice/storage"
)

// smallLimits keeps the requests of the limit tests small.
func smallLimits(c *server.Config) {
	c.Limits = server.Limits{MaxEntryBytes: 64 << 10, MaxRecordBytes: 32 << 10, MaxRecordHeaders: 4, MaxRequestBytes: 1 << 20}
}

func withHeaders(n int) *sluicev1.Record {
	r := &sluicev1.Record{Value: []byte("v")}
	for i := range n {
		r.Headers = append(r.Headers, &sluicev1.Header{Key: fmt.Sprintf("h%d", i), Value: []byte("x")})
	}
	return r
}

func at(ts time.Time) *sluicev1.Record {
	return &sluicev1.Record{Value: []byte("v"), TimestampMs: ts.UnixMilli()}
}

// TestLimitsAtTheEdge sends one request past each limit of server.Limits
// (and the fixed ones of ids and configs) to a real broker: each is refused
// with the right code and a message naming the field, the limit and the
// value; nothing stored changes and the broker keeps serving (produce
// refusals leave their stream usable for the next request).
func TestLimitsAtTheEdge(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(smallLimits))
	b.CreateTopic(t, "t", 3)
	b.Produce(t, "t", 0, valueRecords("a", 3)...)
	b.Produce(t, "t", 1, valueRecords("b", 2)...)
	b.CreateTopic(t, "recent", 1, "message.timestamp.before.max.ms", "86400000")
	b.CreateTopic(t, "zstd", 1, "compression.type", "zstd")
	b.CreateTopic(t, "canary", 1)

	ps := openProduce(t, b)
	produce := func(req *sluicev1.ProduceRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status { return produceFailure(t, ps, req) }
	}
	commit := func(req *sluicev1.CommitOffsetsRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			_, err := b.GroupClient.CommitOffsets(t.Context(), req)
			return unary(err)
		}
	}
	offsets := func(n, metadata int) []*sluicev1.CommittedOffset {
		out := make([]*sluicev1.CommittedOffset, n)
		for i := range out {
			out[i] = &sluicev1.CommittedOffset{Topic: "t", Partition: int32(i % 3), Offset: 1, Metadata: strings.Repeat("m", metadata)}
		}
		return out
	}
	zeros, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, []*sluicev1.Record{
		{Value: make([]byte, 30000)}, {Value: make([]byte, 30000)}, {Value: make([]byte, 30000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p0 := proto.Int32(0)
	cases := []badCase{
		{name: "entry bytes", call: produce(&sluicev1.ProduceRequest{Topic: "t", Partition: p0, Records: []*sluicev1.Record{
			{Value: make([]byte, 30000)}, {Value: make([]byte, 30000)}, {Value: make([]byte, 30000)},
		}}), code: codes.InvalidArgument, field: "records", inStream: true, msg: []string{"MaxEntryBytes 65536", "65280", "partition 0"}},
		{name: "decompressed bytes", call: produce(&sluicev1.ProduceRequest{Topic: "t", Partition: p0, Batch: zeros}),
			code: codes.InvalidArgument, field: "batch.compressed_records", inStream: true, msg: []string{"MaxDecompressedBytes", "65536"}},
		{name: "decompressed bytes of a part the broker compresses", call: produce(&sluicev1.ProduceRequest{Topic: "zstd", Records: []*sluicev1.Record{
			{Value: make([]byte, 30000)}, {Value: make([]byte, 30000)}, {Value: make([]byte, 30000)},
		}}), code: codes.InvalidArgument, field: "records", inStream: true, msg: []string{"uncompressed", "MaxDecompressedBytes", "65536"}},
		{name: "headers per record", call: produce(&sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{withHeaders(1), withHeaders(5)}}),
			code: codes.InvalidArgument, field: "records[1].headers", inStream: true, msg: []string{"more than 4 headers", "MaxRecordHeaders"}},
		{name: "timestamp ahead", call: produce(&sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{at(now.Add(2 * time.Hour))}}),
			code: codes.InvalidArgument, field: "records[0].timestamp_ms", inStream: true, msg: []string{"after the broker's clock", "message.timestamp.after.max.ms=3600000"}},
		{name: "timestamp behind topic limit", call: produce(&sluicev1.ProduceRequest{Topic: "recent", Records: []*sluicev1.Record{at(now), at(now.Add(-48 * time.Hour))}}),
			code: codes.InvalidArgument, field: "records[1].timestamp_ms", inStream: true, msg: []string{"before the broker's clock", "message.timestamp.before.max.ms=86400000"}},
		{name: "commit metadata", call: commit(&sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: offsets(1, 4097)}),
			code: codes.InvalidArgument, field: "offsets[0].metadata", msg: []string{"4097", "4096", "offset.metadata.max.bytes"}},
		{name: "commit entry bytes", call: commit(&sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: offsets(20, 4000)}),
			code: codes.InvalidArgument, field: "offsets", msg: []string{"raft entry", "65280"}},
		{name: "commit offsets count", call: commit(&sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: offsets(10001, 0)}),
			code: codes.InvalidArgument, field: "offsets", msg: []string{"10001", "10000"}},
		{name: "member id", call: commit(&sluicev1.CommitOffsetsRequest{GroupId: "g", MemberId: strings.Repeat("m", 1000), Offsets: offsets(1, 0)}),
			code: codes.InvalidArgument, field: "member_id", msg: []string{"1000", "510"}},
		{name: "config value", call: func(t *testing.T) *status.Status {
			_, err := b.AdminClient.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "new", Partitions: 1,
				Configs: map[string]string{"retention.ms": strings.Repeat("0", 300) + "1"}})
			return unary(err)
		}, code: codes.InvalidArgument, field: "configs[retention.ms]", msg: []string{"301", "256"}},
		{name: "config key", call: func(t *testing.T) *status.Status {
			_, err := b.AdminClient.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "t",
				SetConfigs: map[string]string{strings.Repeat("k", 100000): "1"}})
			st := unary(err)
			if strings.Contains(st.Message(), "kkkkkkkk") {
				t.Errorf("the error repeats the key: %d bytes", len(st.Message()))
			}
			return st
		}, code: codes.InvalidArgument, field: "set_configs", msg: []string{"100000 bytes"}},
		{name: "config deleted twice", call: func(t *testing.T) *status.Status {
			del := make([]string, 50000)
			for i := range del {
				del[i] = "retention.ms"
			}
			_, err := b.AdminClient.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "t", DeleteConfigs: del})
			return unary(err)
		}, code: codes.InvalidArgument, field: "delete_configs[1]", msg: []string{"listed twice"}},
		{name: "joining broker address", call: func(t *testing.T) *status.Status {
			_, err := internalv1.NewClusterServiceClient(b.Conn).Join(t.Context(), &internalv1.JoinRequest{NodeId: 9, Address: strings.Repeat("a", 5000)})
			return unary(err)
		}, code: codes.InvalidArgument, field: "address", msg: []string{"5000", "512"}},
		{name: "request bytes", call: func(t *testing.T) *status.Status {
			own := openProduce(t, b)
			if err := own.stream.Send(&sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{Value: make([]byte, 1500000)}}}); err != nil {
				t.Fatal(err)
			}
			_, err := recvTimeout(t, own.stream.Recv)
			return unary(err)
		}, code: codes.ResourceExhausted, msg: []string{"1048576"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := captureLogs(t, b, "canary")
			checkFailure(t, tc.call(t), tc)
			checkLogsUnchanged(t, before, captureLogs(t, b, "canary"))
		})
	}
}

// TestLimitsLetThroughWhatFits: what the limits allow is stored: a request
// whose parts each fit an entry (though together they would not), records
// with as many headers as allowed, old timestamps where the topic sets no
// bound (Kafka's default), future ones on a LogAppendTime topic, and a
// commit whose metadata is at the limit.
func TestLimitsLetThroughWhatFits(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(smallLimits))
	b.CreateTopic(t, "t", 3)
	b.CreateTopic(t, "appended", 1, "message.timestamp.type", "LogAppendTime")
	var spread []*sluicev1.Record
	for i := range 6 { // keys k0..k5 reach all three partitions
		spread = append(spread, &sluicev1.Record{Key: fmt.Appendf(nil, "k%d", i), Value: make([]byte, 20000)})
	}
	for _, req := range []*sluicev1.ProduceRequest{
		{Topic: "t", Records: spread},
		{Topic: "t", Records: []*sluicev1.Record{withHeaders(4)}},
		{Topic: "t", Records: []*sluicev1.Record{at(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)), at(time.Now().Add(30 * time.Minute))}},
		{Topic: "appended", Records: []*sluicev1.Record{at(time.Now().Add(48 * time.Hour))}},
	} {
		resp := b.ProduceRequest(t, req)
		if resp.GetError() != nil {
			t.Fatalf("request to %s refused: %v", req.GetTopic(), resp.GetError())
		}
		for _, r := range resp.GetResults() {
			if r.GetError() != nil {
				t.Fatalf("request to %s: partition %d refused: %v", req.GetTopic(), r.GetPartition(), r.GetError())
			}
		}
	}
	if hw := b.HighWatermarks(t, "t"); hw[0]+hw[1]+hw[2] != 9 {
		t.Fatalf("high watermarks %v, want 9 records in all", hw)
	}
	_, err := b.GroupClient.CommitOffsets(t.Context(), &sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: []*sluicev1.CommittedOffset{
		{Topic: "t", Partition: 0, Offset: 1, Metadata: strings.Repeat("m", 4096)},
	}})
	if err != nil {
		t.Fatalf("commit with 4096 bytes of metadata: %v", err)
	}
}

// TestBrokerRefusesEntryLimitAboveStorage: a broker whose entry limit the
// storage cannot hold does not start (its first such entry would stop the
// raft engine); the storage's own limit is accepted.
func TestBrokerRefusesEntryLimitAboveStorage(t *testing.T) {
	opts := storage.DefaultOptions(t.TempDir())
	_, err := server.New(server.Config{Storage: opts, Limits: server.Limits{MaxEntryBytes: 16 << 20}})
	if err == nil || !strings.Contains(err.Error(), "MaxEntryBytes 16777216") || !strings.Contains(err.Error(), "value log file") {
		t.Fatalf("New with MaxEntryBytes 16 MiB over 16 MiB value log files: %v", err)
	}
	_, err = server.New(server.Config{Storage: opts, Limits: server.Limits{MaxEntryBytes: 1 << 20, MaxRecordBytes: 2 << 20}})
	if err == nil || !strings.Contains(err.Error(), "MaxRecordBytes") {
		t.Fatalf("New with records larger than entries: %v", err)
	}
	opts.ValueLogFileSize = 32 << 20
	b, err := server.New(server.Config{Storage: opts, Limits: server.Limits{MaxEntryBytes: 16 << 20}})
	if err != nil {
		t.Fatalf("New with 16 MiB entries over 32 MiB value log files: %v", err)
	}
	b.Shutdown()
}

// TestLimitsThatContradictEachOtherAreRefused: limits that would let an
// entry through that a request or the storage cannot carry stop New.
func TestLimitsThatContradictEachOtherAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  server.Limits
		says string
	}{
		{"request under entry", server.Limits{MaxRequestBytes: 256 << 10, MaxEntryBytes: 512 << 10}, "MaxRequestBytes 262144 is less than MaxEntryBytes 524288"},
		{"no room for records", server.Limits{MaxEntryBytes: 100}, "MaxEntryBytes 100 leaves no room"},
		{"negative headers", server.Limits{MaxRecordHeaders: -1}, "MaxRecordHeaders (-1)"},
		{"negative timestamp bound", server.Limits{TimestampAfterMaxMs: -5}, "TimestampAfterMaxMs (-5)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server.New(server.Config{Storage: storage.Options{InMemory: true}, Limits: tc.lim})
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.says)
			}
		})
	}
}

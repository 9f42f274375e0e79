package server_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
	"github.com/sluice-io/sluice/storage"
)

// catchUpTimeout bounds how long a restarted follower may take to catch up
// on a few MiB over loopback (it takes well under a second when it works).
const catchUpTimeout = 60 * time.Second

// TestFollowerCatchesUpFromBeyondTheRequestLimit: a follower stopped while
// several times the broker's request limit is produced catches up once it
// restarts, and then holds every record byte for byte. The leader's backlog
// to it is far more than one gRPC message may carry, so this holds only if
// the appends raft keeps in flight, the transport's batches and the peers'
// receive limit fit together.
func TestFollowerCatchesUpFromBeyondTheRequestLimit(t *testing.T) {
	const limit = 2 << 20 // MaxRequestBytes: the client limit, small to keep the data small
	c := startClusterWith(t, 3, func(cfg *server.Config) { cfg.Limits.MaxRequestBytes, cfg.Limits.MaxEntryBytes = limit, limit/2 })
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "lag", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("lag", 0)
	follower := lead%3 + 1
	c.stop(follower)

	// 4 x limit in requests of 256 KiB (64 records of 4 KiB), each under the limit.
	var want []*sluicev1.Record
	const perRequest, recordBytes = 64, 4 << 10
	for req := range 4 * limit / (perRequest * recordBytes) {
		recs := make([]*sluicev1.Record, perRequest)
		for i := range recs {
			v := bytes.Repeat([]byte{byte(req), byte(i)}, recordBytes/2)
			recs[i] = &sluicev1.Record{Key: fmt.Appendf(nil, "k-%d-%d", req, i), Value: v}
		}
		produceRecords(t, c, lead, "lag", recs)
		want = append(want, recs...)
	}

	c.restart(follower)
	leadAdmin := sluicev1.NewAdminServiceClient(c.conn(lead))
	followerAdmin := sluicev1.NewAdminServiceClient(c.conn(follower))
	leadHW := describeHW(t, leadAdmin, "lag")
	if leadHW != int64(len(want)) {
		t.Fatalf("leader's high watermark %d, want %d", leadHW, len(want))
	}
	deadline := time.Now().Add(catchUpTimeout)
	for hw := describeHW(t, followerAdmin, "lag"); hw != leadHW; hw = describeHW(t, followerAdmin, "lag") {
		if time.Now().After(deadline) {
			t.Fatalf("follower %d at high watermark %d after %v, leader at %d", follower, hw, catchUpTimeout, leadHW)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The follower's own replica serves the fetch (brokers read locally).
	got := fetchLocal(t, c, follower, "lag", int64(len(want)))
	if len(got) != len(want) {
		t.Fatalf("follower holds %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].GetOffset() != int64(i) || !bytes.Equal(got[i].GetKey(), want[i].GetKey()) || !bytes.Equal(got[i].GetValue(), want[i].GetValue()) {
			t.Fatalf("follower's record at position %d (offset %d) differs from the one produced", i, got[i].GetOffset())
		}
	}
}

func produceRecords(t *testing.T, c *testCluster, id uint64, topic string, recs []*sluicev1.Record) {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(c.conn(id)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&sluicev1.ProduceRequest{Topic: topic, Partition: proto.Int32(0), Records: recs}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetError() != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetError() != nil {
		t.Fatalf("produce failed: %v", resp)
	}
	_ = stream.CloseSend()
}

// describeHW is one broker's own replica's high watermark of partition 0.
func describeHW(t *testing.T, admin sluicev1.AdminServiceClient, topic string) int64 {
	t.Helper()
	resp, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: topic})
	if err != nil {
		t.Fatalf("describe %q: %v", topic, err)
	}
	return resp.GetTopic().GetPartitions()[0].GetHighWatermark()
}

// fetchLocal reads partition 0 up to end from one broker.
func fetchLocal(t *testing.T, c *testCluster, id uint64, topic string, end int64) []*sluicev1.Record {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(c.conn(id)).Fetch(t.Context(), &sluicev1.FetchRequest{
		Topic: topic, Partitions: []*sluicev1.FetchPartition{{Partition: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*sluicev1.Record
	for int64(len(out)) < end {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("fetch from broker %d: %v", id, err)
		}
		out = append(out, resp.GetRecords()...)
	}
	return out
}

// TestClientRequestsHeldToMaxRequestBytes: the server accepts the peers'
// larger messages, yet a client's request over MaxRequestBytes is still
// refused as gRPC's own limit would refuse it (RESOURCE_EXHAUSTED), on a
// stream and on a unary call, and the broker goes on serving.
func TestClientRequestsHeldToMaxRequestBytes(t *testing.T) {
	const limit = 1 << 20
	b := servertest.Start(t, servertest.OnDisk(), servertest.WithConfig(func(c *server.Config) { c.Limits.MaxRequestBytes, c.Limits.MaxEntryBytes = limit, limit/2 }))
	b.CreateTopic(t, "t", 1)
	big := make([]*sluicev1.Record, 3)
	for i := range big {
		big[i] = &sluicev1.Record{Value: bytes.Repeat([]byte{'v'}, limit/2)}
	}
	_, err := b.TryProduceRequest(t.Context(), &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Records: big})
	checkStatus(t, err, codes.ResourceExhausted, "max request bytes", fmt.Sprint(limit))

	_, err = b.AdminClient.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "u", Partitions: 1,
		Configs: map[string]string{"retention.ms": strings.Repeat("1", limit+1)}})
	checkStatus(t, err, codes.ResourceExhausted, "max request bytes", fmt.Sprint(limit))

	want := []*sluicev1.Record{{Value: bytes.Repeat([]byte{'w'}, limit/4)}}
	b.Produce(t, "t", 0, want...)
	got := b.FetchAll(t, "t", 0, 0)
	if len(got) != 1 || !bytes.Equal(got[0].GetValue(), want[0].GetValue()) {
		t.Fatalf("after the refusals: read %d records, want the one produced", len(got))
	}
}

// TestPeerLimitsThatCannotWorkAreRefusedAtStartup: a broker does not start
// with an in-flight window smaller than one append (raft could not send a
// full one) or with limits whose peer receive limit gRPC cannot carry.
func TestPeerLimitsThatCannotWorkAreRefusedAtStartup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		adjust func(*server.Config)
		says   string
	}{
		{"in-flight under one append", func(c *server.Config) { c.Limits.MaxInflightBytes = 1 << 20 }, "max in-flight bytes 1048576"},
		{"peer limit over gRPC's", func(c *server.Config) { c.Limits.MaxRequestBytes = 3 << 30 }, "peer receive limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{Storage: storage.DefaultOptions(t.TempDir())}
			tc.adjust(&cfg)
			b, err := server.New(cfg)
			if err == nil {
				b.Shutdown()
				t.Fatal("New accepted the limits")
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("New: %v; want it to say %q", err, tc.says)
			}
		})
	}
}

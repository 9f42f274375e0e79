package server_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// TestBadInputThroughForwardingBrokers sends bad requests to every broker of
// a three-broker cluster, so that each reaches partitions and groups led
// elsewhere (produce and group calls are forwarded, fetches relayed): the
// code is the one a single broker gives, never Internal or Unknown, every
// broker stays up, and the records stored before read back unchanged.
func TestBadInputThroughForwardingBrokers(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "t", Partitions: 3, ReplicationFactor: 1})
		return err == nil || status.Code(err) == codes.AlreadyExists
	})
	for p := range int32(3) {
		waitFor(t, fmt.Sprintf("partition %d to take records", p), func() bool {
			resp, err := produceOnceVia(t, c.conn(1), &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(p), Records: valueRecords(fmt.Sprint(p), 2)})
			return err == nil && resp.GetError() == nil && len(resp.GetResults()) == 1 && resp.GetResults()[0].GetError() == nil
		})
	}
	before := clusterRecords(t, c.conn(1))

	big := make([]*sluicev1.Record, 17)
	for i := range big {
		big[i] = &sluicev1.Record{Value: make([]byte, 1000000)}
	}
	miscounted, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, valueRecords("m", 3))
	if err != nil {
		t.Fatal(err)
	}
	miscounted.RecordCount = 2
	bad, nf := codes.InvalidArgument, codes.NotFound
	for id := uint64(1); id <= 3; id++ {
		conn := c.conn(id)
		a, g := sluicev1.NewAdminServiceClient(conn), sluicev1.NewGroupCoordinatorServiceClient(conn)
		var cases []edgeCase
		for p := range int32(3) {
			produce := func(req *sluicev1.ProduceRequest) func(t *testing.T) error {
				return func(t *testing.T) error { return produceErrVia(t, conn, req) }
			}
			fetch := func(req *sluicev1.FetchRequest) func(t *testing.T) error {
				return func(t *testing.T) error { _, err := fetchAllFrom(t, conn, req); return err }
			}
			pp := proto.Int32(p)
			cases = append(cases,
				edgeCase{fmt.Sprintf("produce %d/timestamp min int64", p), produce(&sluicev1.ProduceRequest{Topic: "t", Partition: pp,
					Records: []*sluicev1.Record{{Value: []byte("v"), TimestampMs: math.MinInt64}}}), bad},
				edgeCase{fmt.Sprintf("produce %d/miscounted batch", p), produce(&sluicev1.ProduceRequest{Topic: "t", Partition: pp, Batch: miscounted}), bad},
				edgeCase{fmt.Sprintf("produce %d/17 records of 1000000 bytes", p), produce(&sluicev1.ProduceRequest{Topic: "t", Partition: pp, Records: big}), bad},
				edgeCase{fmt.Sprintf("produce %d/never-issued producer", p), produce(&sluicev1.ProduceRequest{Topic: "t", Partition: pp,
					Records: valueRecords("x", 1), ProducerId: 99999}), codes.FailedPrecondition},
				edgeCase{fmt.Sprintf("fetch %d/offset max int64", p), fetch(&sluicev1.FetchRequest{Topic: "t",
					Partitions: []*sluicev1.FetchPartition{{Partition: p, Start: atOffset(math.MaxInt64)}}}), codes.OutOfRange},
				edgeCase{fmt.Sprintf("fetch %d/timestamp max int64", p), fetch(&sluicev1.FetchRequest{Topic: "t",
					Partitions: []*sluicev1.FetchPartition{{Partition: p, Start: &sluicev1.StartPosition{
						Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: math.MaxInt64}}}}}), codes.OK},
			)
		}
		cases = append(cases,
			edgeCase{"produce/partition that does not exist", func(t *testing.T) error {
				return produceErrVia(t, conn, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(3), Records: valueRecords("x", 1)})
			}, nf},
			edgeCase{"list offsets/timestamp -1", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "t",
				Spec: &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: -1}}), bad},
		)
		// Several groups, so that some have their coordinator elsewhere.
		for i := range 4 {
			grp := fmt.Sprintf("g%d", i)
			cases = append(cases,
				edgeCase{grp + "/17 MiB commit metadata", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: grp,
					Offsets: []*sluicev1.CommittedOffset{{Topic: "t", Offset: 1, Metadata: strings.Repeat("m", 17<<20)}}}), bad},
				edgeCase{grp + "/commit to a partition that does not exist", unaryCall(g.CommitOffsets, commitOne(grp, "", "t", 3, 0)), nf},
				edgeCase{grp + "/commit of an unknown member", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: grp, MemberId: "m",
					Generation: math.MaxInt64, Offsets: []*sluicev1.CommittedOffset{{Topic: "t", Offset: 1}}}), codes.FailedPrecondition},
				edgeCase{grp + "/fetch offsets of a negative partition", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: grp,
					Partitions: []*sluicev1.TopicPartitions{{Topic: "t", Partitions: []int32{-1}}}}), bad},
				edgeCase{grp + "/reset partition twice", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: grp, Topic: "t",
					Partitions: []int32{0, 0}, To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad},
				edgeCase{grp + "/reset past the log end", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: grp, Topic: "t",
					To: &sluicev1.ResetOffsetsRequest_Offset{Offset: math.MaxInt64}}), codes.OK},
				edgeCase{grp + "/describe unknown", unaryCall(g.DescribeGroup, &sluicev1.DescribeGroupRequest{GroupId: grp + "\x00"}), nf},
				edgeCase{grp + "/delete unknown", unaryCall(g.DeleteGroup, &sluicev1.DeleteGroupRequest{GroupId: grp + "\x00"}), nf},
			)
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("broker %d/%s", id, tc.name), func(t *testing.T) {
				err := tc.call(t)
				got := status.Code(err)
				if got != tc.want {
					t.Errorf("code %v, want %v (%v)", got, tc.want, short(err))
				}
				if got == codes.Internal || got == codes.Unknown {
					t.Errorf("answered %v: %v", got, short(err))
				}
				for other := uint64(1); other <= 3; other++ {
					ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
					_, err := sluicev1.NewAdminServiceClient(c.conn(other)).DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{})
					cancel()
					if err != nil {
						t.Fatalf("broker %d does not answer: %v", other, err)
					}
				}
			})
		}
	}
	after := clusterRecords(t, c.conn(1))
	for p := range before {
		if len(after[p]) != len(before[p]) {
			t.Errorf("partition %d: %d records, had %d", p, len(after[p]), len(before[p]))
			continue
		}
		for i := range before[p] {
			if !proto.Equal(after[p][i], before[p][i]) {
				t.Errorf("partition %d: record %d changed from %v to %v", p, i, before[p][i], after[p][i])
			}
		}
	}
}

// produceOnceVia sends one request on a fresh produce stream.
func produceOnceVia(t *testing.T, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		return nil, err
	}
	req.Sequence = 1
	if err := stream.Send(req); err != nil {
		return nil, err
	}
	return stream.Recv()
}

// produceErrVia returns the error of a request or of its first failed part.
func produceErrVia(t *testing.T, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) error {
	resp, err := produceOnceVia(t, conn, req)
	if err != nil {
		t.Fatalf("produce stream ended: %v", err)
	}
	if e := resp.GetError(); e != nil {
		return status.Error(codes.Code(e.GetCode()), e.GetMessage())
	}
	for _, r := range resp.GetResults() {
		if e := r.GetError(); e != nil {
			return status.Error(codes.Code(e.GetCode()), e.GetMessage())
		}
	}
	return nil
}

// fetchAllFrom runs a bounded fetch to its end.
func fetchAllFrom(t *testing.T, conn *grpc.ClientConn, req *sluicev1.FetchRequest) (map[int32][]*sluicev1.Record, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(ctx, req)
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
		out[resp.GetPartition()] = append(out[resp.GetPartition()], resp.GetRecords()...)
	}
}

// clusterRecords reads every record of topic t.
func clusterRecords(t *testing.T, conn *grpc.ClientConn) map[int32][]*sluicev1.Record {
	t.Helper()
	recs, err := fetchAllFrom(t, conn, &sluicev1.FetchRequest{Topic: "t", StartAll: atOffset(0)})
	if err != nil {
		t.Fatalf("read topic t: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("records of %d partitions, want 3", len(recs))
	}
	return recs
}

package server_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// paddedRecords returns n records with values of 100 bytes that start with
// their index.
func paddedRecords(from, n int) []*sluicev1.Record {
	out := make([]*sluicev1.Record, n)
	for i := range out {
		v := fmt.Sprintf("v-%03d-", from+i)
		out[i] = &sluicev1.Record{Value: []byte(v + strings.Repeat("x", 100-len(v))), TimestampMs: 1}
	}
	return out
}

// fetchResponses runs a bounded fetch to its end and returns its responses.
func fetchResponses(t *testing.T, b *servertest.Broker, req *sluicev1.FetchRequest) ([]*sluicev1.FetchResponse, error) {
	t.Helper()
	stream, err := b.FetchClient.Fetch(t.Context(), req)
	if err != nil {
		return nil, err
	}
	var out []*sluicev1.FetchResponse
	for {
		resp, err := recvTimeout(t, stream.Recv)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp)
	}
}

// TestFetchBounded reads a topic holding three batches of five records in
// partition 0, four records in partition 1 and none in partition 2, from
// several start positions and with each limit; it runs once with reads
// served from the replica's cache of recent batches and once from storage.
func TestFetchBounded(t *testing.T) {
	for _, mode := range []struct {
		name  string
		cache int
	}{{"cache", 0}, {"storage", 1}} {
		t.Run(mode.name, func(t *testing.T) {
			b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Limits.CacheBytes = mode.cache }))
			b.CreateTopic(t, "t", 3)
			for i := range 3 {
				b.Produce(t, "t", 0, paddedRecords(5*i, 5)...)
			}
			b.Produce(t, "t", 1, paddedRecords(0, 4)...)
			fetchBoundedCases(t, b, map[int32]int64{0: 15, 1: 4, 2: 0})
		})
	}
}

func fetchBoundedCases(t *testing.T, b *servertest.Broker, hw map[int32]int64) {
	part := func(p int32, start *sluicev1.StartPosition) *sluicev1.FetchPartition {
		return &sluicev1.FetchPartition{Partition: p, Start: start}
	}
	earliest, latest := atBoundary(sluicev1.Boundary_BOUNDARY_EARLIEST), atBoundary(sluicev1.Boundary_BOUNDARY_LATEST)
	recordSize := proto.Size(&sluicev1.Record{Offset: 14, Value: paddedRecords(0, 1)[0].GetValue(), TimestampMs: 1}) + 3
	cases := []struct {
		name string
		req  *sluicev1.FetchRequest
		want map[int32][]int64 // offsets read, by partition
		// Limits of each response: records, and bytes of the message.
		maxRecords, maxBytes int
		minResponses         int
	}{
		{name: "no start is earliest", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, nil)}},
			want: map[int32][]int64{0: span(0, 15)}},
		{name: "earliest", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, earliest)}},
			want: map[int32][]int64{0: span(0, 15)}},
		{name: "all partitions from earliest", req: &sluicev1.FetchRequest{StartAll: earliest},
			want: map[int32][]int64{0: span(0, 15), 1: span(0, 4)}},
		{name: "all partitions, no start", req: &sluicev1.FetchRequest{},
			want: map[int32][]int64{0: span(0, 15), 1: span(0, 4)}},
		{name: "latest ends at once", req: &sluicev1.FetchRequest{StartAll: latest}, want: map[int32][]int64{}},
		{name: "middle of a batch", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(7))}},
			want: map[int32][]int64{0: span(7, 8)}},
		{name: "last offset", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(14))}},
			want: map[int32][]int64{0: {14}}},
		{name: "at the high watermark", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(15))}},
			want: map[int32][]int64{}},
		{name: "empty partition", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(2, atOffset(0))}},
			want: map[int32][]int64{}},
		{name: "own start per partition", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(10)), part(1, atOffset(2))}},
			want: map[int32][]int64{0: span(10, 5), 1: span(2, 2)}},
		{name: "max_records", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(1))}, MaxRecords: 4},
			want: map[int32][]int64{0: span(1, 14)}, maxRecords: 4, minResponses: 4},
		{name: "max_records 1", req: &sluicev1.FetchRequest{StartAll: earliest, MaxRecords: 1},
			want: map[int32][]int64{0: span(0, 15), 1: span(0, 4)}, maxRecords: 1, minResponses: 19},
		{name: "max_bytes", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, nil)}, MaxBytes: 350},
			want: map[int32][]int64{0: span(0, 15)}, maxBytes: 350 + recordSize + 16, minResponses: 4},
		{name: "max_bytes below one record", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(12))}, MaxBytes: 10},
			want: map[int32][]int64{0: span(12, 3)}, maxRecords: 1, minResponses: 3},
		{name: "max_total_records", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, atOffset(3))}, MaxTotalRecords: 6},
			want: map[int32][]int64{0: span(3, 6)}},
		{name: "max_total_records with max_records", req: &sluicev1.FetchRequest{Partitions: []*sluicev1.FetchPartition{part(0, nil)}, MaxRecords: 4, MaxTotalRecords: 10},
			want: map[int32][]int64{0: span(0, 10)}, maxRecords: 4, minResponses: 3},
		{name: "max_total_records above the data", req: &sluicev1.FetchRequest{StartAll: earliest, MaxTotalRecords: 100},
			want: map[int32][]int64{0: span(0, 15), 1: span(0, 4)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Topic = "t"
			resps, err := fetchResponses(t, b, tc.req)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			got := map[int32][]int64{}
			for _, r := range resps {
				checkResponseBounds(t, r, hw, tc.maxRecords, tc.maxBytes)
				for _, rec := range r.GetRecords() {
					if want := fmt.Sprintf("v-%03d-", rec.GetOffset()); !strings.HasPrefix(string(rec.GetValue()), want) {
						t.Fatalf("partition %d offset %d holds %.8q", r.GetPartition(), rec.GetOffset(), rec.GetValue())
					}
				}
				got[r.GetPartition()] = append(got[r.GetPartition()], offsets(r.GetRecords())...)
			}
			for p := range int32(3) {
				if !slices.Equal(got[p], tc.want[p]) {
					t.Errorf("partition %d: read offsets %v, want %v", p, got[p], tc.want[p])
				}
			}
			if len(resps) < tc.minResponses {
				t.Errorf("%d responses, want at least %d", len(resps), tc.minResponses)
			}
		})
	}
}

func checkResponseBounds(t *testing.T, r *sluicev1.FetchResponse, hw map[int32]int64, maxRecords, maxBytes int) {
	t.Helper()
	if len(r.GetRecords()) == 0 {
		t.Errorf("a response without records: %v", r)
	}
	if maxRecords > 0 && len(r.GetRecords()) > maxRecords {
		t.Errorf("response of %d records, limit %d", len(r.GetRecords()), maxRecords)
	}
	if maxBytes > 0 && proto.Size(r) > maxBytes {
		t.Errorf("response of %d bytes, limit about %d", proto.Size(r), maxBytes)
	}
	if r.GetHighWatermark() != hw[r.GetPartition()] || r.GetLogStartOffset() != 0 {
		t.Errorf("partition %d: response says high watermark %d and log start %d, want %d and 0",
			r.GetPartition(), r.GetHighWatermark(), r.GetLogStartOffset(), hw[r.GetPartition()])
	}
}

// TestFetchFollow: a follow stream reads what is stored, then each record
// as it commits, in order, none skipped or repeated, until the client
// cancels.
func TestFetchFollow(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	b.Produce(t, "t", 0, valueRecords("old", 3)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t", Partitions: []*sluicev1.FetchPartition{{Start: atOffset(1)}}})
	got := f.readN(t, 2)

	var want []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			if _, err := b.TryProduce(t.Context(), "t", 0, valueRecords(fmt.Sprintf("new%d", i), 3)...); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for i := range 20 {
		want = append(want, values(valueRecords(fmt.Sprintf("new%d", i), 3))...)
	}
	got = append(got, f.readN(t, 60)...)
	wg.Wait()
	want = append([]string{"old-1", "old-2"}, want...)
	if !slices.Equal(values(got), want) || !slices.Equal(offsets(got), span(1, 62)) {
		t.Fatalf("read %q at %v,\nwant %q at 1..62", values(got), offsets(got), want)
	}

	f.cancel()
	if err := streamEnd(t, f.stream.Recv); err == nil {
		t.Fatal("a cancelled follow stream ended normally")
	} else {
		checkStatus(t, err, codes.Canceled)
	}
}

// TestFetchFollowFromLatest: from latest, a follow stream reads only
// records produced after it started, from the first one it sees on without
// a gap.
func TestFetchFollowFromLatest(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	b.Produce(t, "t", 0, valueRecords("old", 5)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t", StartAll: atBoundary(sluicev1.Boundary_BOUNDARY_LATEST)})

	// The stream's start is resolved on the broker at some point after the
	// call returns, so produce until the stream sees a record, then 20 more.
	first := make(chan struct{})
	last := make(chan int64, 1)
	go func() {
		var off []int64
		var err error
		for seen := false; !seen && err == nil; {
			off, err = b.TryProduce(t.Context(), "t", 0, valueRecords("before", 1)...)
			select {
			case <-first:
				seen = true
			default:
			}
		}
		for i := 0; i < 20 && err == nil; i++ {
			off, err = b.TryProduce(t.Context(), "t", 0, valueRecords("after", 1)...)
		}
		if err != nil {
			t.Error(err)
			off = []int64{-1}
		}
		last <- off[0]
	}()
	resp, err := recvTimeout(t, f.stream.Recv)
	if err != nil {
		t.Fatal(err)
	}
	close(first)
	got := resp.GetRecords()
	if got[0].GetOffset() < 5 {
		t.Fatalf("from latest read offset %d, stored before the stream started", got[0].GetOffset())
	}
	end := <-last
	if end < 0 {
		t.FailNow()
	}
	for got[len(got)-1].GetOffset() < end {
		resp, err := recvTimeout(t, f.stream.Recv)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetRecords()...)
	}
	if want := span(got[0].GetOffset(), int(end-got[0].GetOffset()+1)); !slices.Equal(offsets(got), want) {
		t.Fatalf("read offsets %v, want %v", offsets(got), want)
	}
}

// TestFetchFollowPartitions: one follow stream of several partitions keeps
// each partition's order.
func TestFetchFollowPartitions(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 3)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t"})
	const perPartition = 12
	var wg sync.WaitGroup
	for p := range int32(3) {
		wg.Go(func() {
			for i := range perPartition / 3 {
				if _, err := b.TryProduce(t.Context(), "t", p, valueRecords(fmt.Sprintf("p%d-%d", p, i), 3)...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := map[int32][]*sluicev1.Record{}
	for n := 0; n < 3*perPartition; {
		resp, err := recvTimeout(t, f.stream.Recv)
		if err != nil {
			t.Fatalf("after %d records: %v", n, err)
		}
		got[resp.GetPartition()] = append(got[resp.GetPartition()], resp.GetRecords()...)
		n += len(resp.GetRecords())
	}
	wg.Wait()
	for p := range int32(3) {
		var want []string
		for i := range perPartition / 3 {
			want = append(want, values(valueRecords(fmt.Sprintf("p%d-%d", p, i), 3))...)
		}
		if !slices.Equal(values(got[p]), want) || !slices.Equal(offsets(got[p]), span(0, perPartition)) {
			t.Errorf("partition %d: read %q at %v, want %q at 0..%d", p, values(got[p]), offsets(got[p]), want, perPartition-1)
		}
	}
}

// TestFetchFollowMaxTotalRecords: a follow stream ends once it sent
// max_total_records, even while records keep coming.
func TestFetchFollowMaxTotalRecords(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	b.Produce(t, "t", 0, valueRecords("old", 3)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "t", MaxTotalRecords: 5})
	got := f.readN(t, 3)
	b.Produce(t, "t", 0, valueRecords("new", 4)...)
	for {
		resp, err := recvTimeout(t, f.stream.Recv)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("stream ended with %v", err)
		}
		got = append(got, resp.GetRecords()...)
	}
	if !slices.Equal(offsets(got), span(0, 5)) {
		t.Fatalf("read offsets %v, want 0..4", offsets(got))
	}
}

// TestFetchFollowDeletedTopic: deleting the topic ends a follow stream with
// NOT_FOUND naming the topic.
func TestFetchFollowDeletedTopic(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "gone", 2)
	b.Produce(t, "gone", 1, valueRecords("v", 1)...)
	f := openFollow(t, b, &sluicev1.FetchRequest{Topic: "gone"})
	f.readN(t, 1)
	if _, err := b.AdminClient.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	err := streamEnd(t, f.stream.Recv)
	checkStatus(t, err, codes.NotFound, `"gone"`)
}

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestBenchProduceCLI(t *testing.T) {
	admin := &fakeAdmin{}
	producer := &fakeProducer{window: 2}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, admin)
		sluicev1.RegisterProduceServiceServer(s, producer)
	})
	res := runCLI(t, nil, "--broker", addr, "bench", "produce", "--topic", "b", "--records", "2500",
		"--record-size", "64", "--partitions", "3", "--producers", "2", "--batch-size", "100",
		"--max-in-flight", "2", "--acks", "leader", "--json", "--quiet")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("bench produce = %+v", res)
	}
	var s produceSummary
	if err := json.Unmarshal([]byte(res.stdout), &s); err != nil {
		t.Fatalf("output %q: %v", res.stdout, err)
	}
	if s.Records != 2500 || s.Bytes != 2500*64 || s.Requests != 25 || s.Failed != 0 || s.Latency.Count != 25 {
		t.Errorf("summary = %+v", s)
	}
	if admin.created.GetName() != "b" || admin.created.GetPartitions() != 3 {
		t.Errorf("created topic %v, want b with 3 partitions", admin.created)
	}
	if producer.overflow.Load() {
		t.Error("more than --max-in-flight requests were unanswered on a stream")
	}
	perPartition := map[int32]int{}
	for _, req := range producer.requests {
		if req.Partition == nil || req.GetTopic() != "b" || req.GetAcks() != sluicev1.Acks_ACKS_LEADER ||
			len(req.GetRecords()) != 100 {
			t.Fatalf("request %v", req)
		}
		for _, r := range req.GetRecords() {
			if len(r.GetValue()) != 64 || r.Key != nil {
				t.Fatalf("record with %d-byte value, key %q", len(r.GetValue()), r.GetKey())
			}
		}
		perPartition[req.GetPartition()]++
	}
	if len(perPartition) != 3 {
		t.Errorf("requests per partition = %v, want all 3 partitions used", perPartition)
	}
}

func TestBenchProduceFailures(t *testing.T) {
	producer := &fakeProducer{window: 4, answer: func(req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
		return &sluicev1.ProduceResponse{Sequence: req.GetSequence(), Error: &sluicev1.Error{Code: 5, Message: "no such topic"}}
	}}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, &fakeAdmin{})
		sluicev1.RegisterProduceServiceServer(s, producer)
	})
	res := runCLI(t, nil, "--broker", addr, "bench", "produce", "--topic", "b", "--records", "10",
		"--batch-size", "4", "--quiet")
	if res.code != 1 || res.stderr != "sluice: 10 records failed: no such topic\n" ||
		!strings.Contains(res.stdout, "acknowledged 0 records") ||
		!strings.Contains(res.stdout, "failed 10 records: no such topic\n") {
		t.Errorf("bench produce = %+v", res)
	}
}

func TestBenchConsumeCLI(t *testing.T) {
	admin := &fakeAdmin{topic: &sluicev1.TopicDescription{Name: "b", Partitions: []*sluicev1.PartitionDescription{
		{Partition: 0}, {Partition: 1},
	}}}
	fetcher := &fakeFetcher{responses: []*sluicev1.FetchResponse{
		{Records: []*sluicev1.Record{{Offset: 0, Value: []byte("abcd")}, {Offset: 1, Key: []byte("k"), Value: []byte("xy")}}},
		{Records: []*sluicev1.Record{{Offset: 2, Value: []byte("z")}}},
	}}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, admin)
		sluicev1.RegisterFetchServiceServer(s, fetcher)
	})
	for _, decode := range []string{"--decode=false", "--decode=true"} {
		res := runCLI(t, nil, "--broker", addr, "bench", "consume", "--topic", "b", "--max-bytes", "4096",
			"--json", "--quiet", decode)
		var s consumeSummary
		if err := json.Unmarshal([]byte(res.stdout), &s); res.code != 0 || err != nil {
			t.Fatalf("bench consume %s = %+v (%v)", decode, res, err)
		}
		// The fake serves the same records for each of the 2 partitions.
		if s.Records != 6 || s.Bytes != 16 || len(s.Partitions) != 2 {
			t.Errorf("summary = %+v, want 6 records, 16 bytes, 2 partitions", s)
		}
	}
	req := fetcher.req
	if req.GetFollow() || req.GetMaxBytes() != 4096 || len(req.GetPartitions()) != 1 ||
		req.GetPartitions()[0].GetStart().GetBoundary() != sluicev1.Boundary_BOUNDARY_EARLIEST {
		t.Errorf("fetch request %v", req)
	}

	res := runCLI(t, nil, "--broker", addr, "bench", "consume", "--topic", "b", "--partitions", "1", "--quiet")
	want := "consume b: 1 partition, max bytes default, records scanned\nfetched 3 records in "
	if res.code != 0 || !strings.HasPrefix(res.stdout, want) {
		t.Errorf("bench consume = %+v, want stdout starting %q", res, want)
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "produce"},
		{"bench", "produce", "--topic", "t", "--batch-size", "0"},
		{"bench", "consume"},
		{"bench", "e2e", "--topic", "t", "--record-size", "4"},
	} {
		res := runCLI(t, nil, append([]string{"--broker", "127.0.0.1:1"}, args...)...)
		if res.code != 1 || !strings.HasPrefix(res.stderr, "sluice: ") || strings.Contains(res.stderr, "unavailable") {
			t.Errorf("%v = %+v, want a flag error before connecting", args, res)
		}
	}
}

// TestBenchE2EProcess runs bench e2e against a real broker and checks that
// every acknowledged record reaches the follow consumer.
func TestBenchE2EProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	out := b.mustCLI("", "bench", "e2e", "--topic", "e2e", "--rate", "200", "--duration", "1s",
		"--json", "--quiet")
	var s e2eSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if s.Records != 200 || s.Received != 200 || s.Missing != 0 || s.Failed != 0 ||
		s.AckToReceive.Count != 200 || s.SendToReceive.Count != 200 || s.ProduceLatency.Count != 200 {
		t.Errorf("summary = %s", out)
	}
}

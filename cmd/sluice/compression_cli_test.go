package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

func TestProduceCompressed(t *testing.T) {
	f := &fakeLeader{}
	addr := startLeader(t, f)
	before := time.Now().UnixMilli()
	res := runCLI(t, strings.NewReader("a\nb\nc\n"), "--broker", addr, "produce", "t", "--batch-size", "2", "--compression", "zstd")
	if res.code != 0 || res.stdout != "3 records acknowledged\n" {
		t.Fatalf("produce = %+v", res)
	}
	var values []string
	reqs, _ := f.sent()
	for i, req := range reqs {
		if len(req.GetRecords()) != 0 || req.GetBatch().GetCompression() != sluicev1.Compression_COMPRESSION_ZSTD {
			t.Fatalf("request %d is not one zstd batch: %v", i, req)
		}
		recs, err := compress.BatchRecords(req.GetBatch(), 0)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		for _, r := range recs {
			if r.GetTimestampMs() < before {
				t.Errorf("record %q has timestamp %d, want this machine's time", r.GetValue(), r.GetTimestampMs())
			}
			values = append(values, string(r.GetValue()))
		}
	}
	if !slices.Equal(values, []string{"a", "b", "c"}) {
		t.Errorf("broker got values %q", values)
	}

	res = runCLI(t, strings.NewReader("a\n"), "--broker", addr, "produce", "t", "--compression", "brotli")
	if res.code == 0 || !strings.Contains(res.stderr, "--compression") {
		t.Errorf("--compression brotli = %+v, want an error naming the flag", res)
	}
}

func TestBenchProduceCompressedJSON(t *testing.T) {
	producer := &fakeProducer{window: 2}
	addr := startServer(t, func(s *grpc.Server) {
		sluicev1.RegisterAdminServiceServer(s, &fakeAdmin{})
		sluicev1.RegisterProduceServiceServer(s, producer)
	})
	res := runCLI(t, nil, "--broker", addr, "bench", "produce", "--topic", "b", "--records", "250",
		"--batch-size", "100", "--compression", "lz4", "--values", "json", "--quiet")
	if res.code != 0 || !strings.Contains(res.stdout, "JSON records of about 1 KiB, lz4") {
		t.Fatalf("bench produce = %+v", res)
	}
	total := 0
	for _, req := range producer.requests {
		if len(req.GetRecords()) != 0 || req.GetBatch().GetCompression() != sluicev1.Compression_COMPRESSION_LZ4 {
			t.Fatalf("request is not one lz4 batch: %v", req)
		}
		recs, err := compress.BatchRecords(req.GetBatch(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if !json.Valid(r.GetValue()) || r.GetTimestampMs() == 0 {
				t.Fatalf("record %q (timestamp %d) is not a stamped JSON event", r.GetValue(), r.GetTimestampMs())
			}
		}
		total += len(recs)
	}
	if total != 250 {
		t.Errorf("sent %d records, want 250", total)
	}
}

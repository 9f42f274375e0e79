package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestParseFrom(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	tests := []struct {
		in      string
		want    *sluicev1.StartPosition
		wantErr bool
	}{
		{in: "earliest", want: boundaryStart(sluicev1.Boundary_BOUNDARY_EARLIEST)},
		{in: "latest", want: boundaryStart(sluicev1.Boundary_BOUNDARY_LATEST)},
		{in: "0", want: offsetStart(0)},
		{in: "42", want: offsetStart(42)},
		{in: "2024-05-06T07:08:09.123Z", want: timeStart(ts.UnixMilli())},
		{in: "2024-05-06T09:08:09.123+02:00", want: timeStart(ts.UnixMilli())},
		{in: "2024-05-06T07:08:09Z", want: timeStart(ts.Truncate(time.Second).UnixMilli())},
		{in: "-1", wantErr: true},
		{in: "", wantErr: true},
		{in: "Earliest", wantErr: true},
		{in: "2024-05-06", wantErr: true},
		{in: "yesterday", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseFrom(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseFrom(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFrom(%q): %v", tt.in, err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("parseFrom(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func offsetStart(off int64) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: off}}
}

func timeStart(ms int64) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: ms}}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []*sluicev1.Header
		wantErr bool
	}{
		{name: "none", in: nil, want: nil},
		{name: "one", in: []string{"a=1"}, want: []*sluicev1.Header{{Key: "a", Value: []byte("1")}}},
		{
			name: "order and repeats kept",
			in:   []string{"b=2", "a=1", "b=3"},
			want: []*sluicev1.Header{
				{Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("3")},
			},
		},
		{name: "split at first =", in: []string{"q=x=y"}, want: []*sluicev1.Header{{Key: "q", Value: []byte("x=y")}}},
		{name: "empty value", in: []string{"e="}, want: []*sluicev1.Header{{Key: "e", Value: []byte("")}}},
		{name: "commas kept", in: []string{"l=a,b"}, want: []*sluicev1.Header{{Key: "l", Value: []byte("a,b")}}},
		{name: "no =", in: []string{"novalue"}, wantErr: true},
		{name: "empty key", in: []string{"=v"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeaders(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHeaders(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("parseHeaders(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if !proto.Equal(got[i], tt.want[i]) {
					t.Errorf("header %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseConfigs(t *testing.T) {
	got, err := parseConfigs([]string{"retention.ms=1000", "cleanup.policy=delete"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["retention.ms"] != "1000" || got["cleanup.policy"] != "delete" {
		t.Errorf("parseConfigs = %v", got)
	}
	if _, err := parseConfigs([]string{"a=1", "a=2"}); err == nil {
		t.Error("a key given twice was accepted")
	}
	if _, err := parseConfigs([]string{"a"}); err == nil {
		t.Error("a config without = was accepted")
	}
}

func TestParseAcks(t *testing.T) {
	tests := []struct {
		in      string
		want    sluicev1.Acks
		wantErr bool
	}{
		{in: "all", want: sluicev1.Acks_ACKS_ALL},
		{in: "leader", want: sluicev1.Acks_ACKS_LEADER},
		{in: "none", want: sluicev1.Acks_ACKS_NONE},
		{in: "1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseAcks(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseAcks(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestConsumeRequest(t *testing.T) {
	earliest := boundaryStart(sluicev1.Boundary_BOUNDARY_EARLIEST)
	tests := []struct {
		name    string
		opts    consumeOptions
		want    *sluicev1.FetchRequest
		wantErr bool
	}{
		{
			name: "all partitions",
			opts: consumeOptions{from: "earliest"},
			want: &sluicev1.FetchRequest{Topic: "t", StartAll: earliest},
		},
		{
			name: "some partitions, max and follow",
			opts: consumeOptions{partitions: []int{2, 0, 2}, from: "7", max: 10, follow: true},
			want: &sluicev1.FetchRequest{
				Topic: "t",
				Partitions: []*sluicev1.FetchPartition{
					{Partition: 2, Start: offsetStart(7)},
					{Partition: 0, Start: offsetStart(7)},
				},
				Follow:          true,
				MaxTotalRecords: 10,
			},
		},
		{name: "negative partition", opts: consumeOptions{partitions: []int{-1}, from: "earliest"}, wantErr: true},
		{name: "partition over int32", opts: consumeOptions{partitions: []int{1 << 31}, from: "earliest"}, wantErr: true},
		{name: "negative max", opts: consumeOptions{from: "earliest", max: -1}, wantErr: true},
		{name: "bad from", opts: consumeOptions{from: "soon"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.request("t")
			if (err != nil) != tt.wantErr {
				t.Fatalf("request() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && !proto.Equal(got, tt.want) {
				t.Errorf("request() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProduceConfig(t *testing.T) {
	valid := produceOptions{acks: "all", batchSize: 1000, linger: 5 * time.Millisecond, deliveryTimeout: time.Minute, idempotence: true, compression: "none"}
	tests := []struct {
		name          string
		mutate        func(*produceOptions)
		partitionSet  bool
		wantPartition *int32
		wantTS        int64
		wantErr       bool
	}{
		{name: "defaults", mutate: func(*produceOptions) {}},
		{name: "partition 0 set", mutate: func(*produceOptions) {}, partitionSet: true, wantPartition: proto.Int32(0)},
		{name: "partition 3", mutate: func(o *produceOptions) { o.partition = 3 }, partitionSet: true, wantPartition: proto.Int32(3)},
		{name: "negative partition", mutate: func(o *produceOptions) { o.partition = -1 }, partitionSet: true, wantErr: true},
		{name: "bad acks", mutate: func(o *produceOptions) { o.acks = "some" }, wantErr: true},
		{name: "zero batch", mutate: func(o *produceOptions) { o.batchSize = 0 }, wantErr: true},
		{name: "negative linger", mutate: func(o *produceOptions) { o.linger = -time.Millisecond }, wantErr: true},
		{name: "zero delivery timeout", mutate: func(o *produceOptions) { o.deliveryTimeout = 0 }, wantErr: true},
		{name: "bad compression", mutate: func(o *produceOptions) { o.compression = "brotli" }, wantErr: true},
		{name: "key and separator", mutate: func(o *produceOptions) { o.key, o.keySeparator = "k", ":" }, wantErr: true},
		{name: "bad header", mutate: func(o *produceOptions) { o.headers = []string{"x"} }, wantErr: true},
		{name: "timestamp", mutate: func(o *produceOptions) { o.timestamp = "2026-11-23T10:00:00Z" }, wantTS: 1795428000000},
		{name: "timestamp with offset", mutate: func(o *produceOptions) { o.timestamp = "2026-11-23T11:00:00.5+01:00" }, wantTS: 1795428000500},
		{name: "bad timestamp", mutate: func(o *produceOptions) { o.timestamp = "yesterday" }, wantErr: true},
		{name: "timestamp before 1970", mutate: func(o *produceOptions) { o.timestamp = "1969-12-31T23:59:59Z" }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.mutate(&o)
			cfg, err := o.config("t", tt.partitionSet)
			if (err != nil) != tt.wantErr {
				t.Fatalf("config() error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if (cfg.partition == nil) != (tt.wantPartition == nil) ||
				(cfg.partition != nil && *cfg.partition != *tt.wantPartition) {
				t.Errorf("partition = %v, want %v", cfg.partition, tt.wantPartition)
			}
			if cfg.parser.timestampMs != tt.wantTS {
				t.Errorf("timestamp = %d, want %d", cfg.parser.timestampMs, tt.wantTS)
			}
		})
	}
}

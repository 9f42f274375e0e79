package compress

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress/sample"
)

// jsonRecords returns n stored records (length-delimited sluice.v1.Record
// encodings with a timestamp, a key and a value) whose values are JSON
// events of about 1 KiB (package sample). The seed is fixed, so every run
// compresses the same bytes.
func jsonRecords(tb testing.TB, n int) []byte {
	var out []byte
	ts := int64(1_790_000_000_000)
	for i, v := range sample.JSONValues(1, n) {
		rec := &sluicev1.Record{TimestampMs: ts + int64(i), Key: fmt.Appendf(nil, "user-%d", i%5000), Value: v}
		b, err := proto.Marshal(rec)
		if err != nil {
			tb.Fatal(err)
		}
		out = protowire.AppendBytes(out, b)
	}
	return out
}

// BenchmarkCompression measures each codec on a batch of 1,000 JSON-like
// records of about 1 KiB each (about 1 MiB, the broker's default entry size):
// compress and decompress throughput (MB/s of uncompressed bytes) and the
// compression ratio (uncompressed/compressed).
func BenchmarkCompression(b *testing.B) {
	src := jsonRecords(b, 1000)
	for _, c := range codecs {
		enc, err := Encode(c, src)
		if err != nil {
			b.Fatal(err)
		}
		ratio := float64(len(src)) / float64(len(enc))
		b.Run("compress/"+Name(c), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encode(c, src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(ratio, "ratio")
			b.ReportMetric(float64(len(src))/1000, "B/record")
		})
		b.Run("decompress/"+Name(c), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(c, enc, len(src)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(ratio, "ratio")
		})
	}
}

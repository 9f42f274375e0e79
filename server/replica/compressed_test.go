package replica

import (
	"testing"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestCompressedEntryMatchesProto holds the codec field to ProduceBatch, and
// checks that entries written without it (before compression existed) read
// as uncompressed.
func TestCompressedEntryMatchesProto(t *testing.T) {
	p := proposalID{node: 1, incarnation: 2, seq: 3}
	data := appendCompression(encodeBatch(p, 4, 5, [][]byte{[]byte("zz")}), sluicev1.Compression_COMPRESSION_ZSTD)
	var pb internalv1.ProduceBatch
	if err := proto.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	if pb.GetCompression() != sluicev1.Compression_COMPRESSION_ZSTD || string(pb.GetRecords()) != "zz" {
		t.Fatalf("proto view: %v", &pb)
	}
	e, err := decodeBatch(data)
	if err != nil || e.codec != sluicev1.Compression_COMPRESSION_ZSTD || e.count != 4 {
		t.Fatalf("decoded %+v, %v", e, err)
	}
	old, err := decodeBatch(encodeBatch(p, 4, 5, [][]byte{[]byte("zz")}))
	if err != nil || old.codec != sluicev1.Compression_COMPRESSION_UNSPECIFIED {
		t.Fatalf("an entry without a codec decoded as %+v, %v", old, err)
	}
	if got := appendCompression(nil, sluicev1.Compression_COMPRESSION_UNSPECIFIED); len(got) != 0 {
		t.Errorf("an uncompressed entry got a codec field: %x", got)
	}
}

// TestCompressedRequestsTravelAlone checks that Proposals never puts a
// compressed request into an entry with another request: compressed streams
// cannot be concatenated.
func TestCompressedRequestsTravelAlone(t *testing.T) {
	r := &Replica{cfg: Config{MaxEntryBytes: 1 << 20, CoalesceBytes: 1 << 20}, inflight: map[uint64][]*request{}}
	done := func(int64, error) {}
	r.pending = []*request{
		{records: []byte("a"), count: 1, done: done},
		{records: []byte("b"), count: 1, done: done},
		{records: []byte("c"), codec: sluicev1.Compression_COMPRESSION_LZ4, count: 1, done: done},
		{records: []byte("d"), codec: sluicev1.Compression_COMPRESSION_LZ4, count: 1, done: done},
		{records: []byte("e"), count: 1, done: done},
	}
	var got []string
	for _, d := range r.Proposals() {
		e, err := decodeBatch(d)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(e.records)+"/"+e.codec.String())
	}
	want := []string{"ab/COMPRESSION_UNSPECIFIED", "c/COMPRESSION_LZ4", "d/COMPRESSION_LZ4", "e/COMPRESSION_UNSPECIFIED"}
	if len(got) != len(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("entries %q, want %q", got, want)
		}
	}
}

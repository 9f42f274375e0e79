package replica

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// TestEntryMatchesProto holds the hand-written entry encoding to the
// ProduceBatch message in proto/sluice/internal/v1.
func TestEntryMatchesProto(t *testing.T) {
	p := proposalID{node: 3, incarnation: 1 << 40, seq: 77}
	data := encodeBatch(p, 2, 1700000000123, [][]byte{[]byte("ab"), []byte("cde")})
	var pb internalv1.ProduceBatch
	if err := proto.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	if pb.GetProposal().GetNode() != 3 || pb.GetProposal().GetIncarnation() != 1<<40 || pb.GetProposal().GetSeq() != 77 ||
		pb.GetRecordCount() != 2 || pb.GetMaxTimestampMs() != 1700000000123 || string(pb.GetRecords()) != "abcde" {
		t.Fatalf("proto view: %v", &pb)
	}
	again, err := proto.Marshal(&pb)
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeBatch(again)
	if err != nil {
		t.Fatal(err)
	}
	if e.proposal != p || e.count != 2 || e.maxTS != 1700000000123 || !bytes.Equal(e.records, []byte("abcde")) {
		t.Fatalf("decoded %+v", e)
	}
}

func TestDecodeBatchRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0xff}, {0x10}, encodeBatch(proposalID{}, 0, 0, nil)} {
		if _, err := decodeBatch(b); err == nil {
			t.Errorf("decodeBatch(%x) succeeded", b)
		}
	}
}

// TestTruncateMatchesProto holds the retention entry to the TruncatePrefix
// message.
func TestTruncateMatchesProto(t *testing.T) {
	data := encodeTruncate(1234567)
	var pb internalv1.ProduceBatch
	if err := proto.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	if pb.GetTruncatePrefix().GetLogStartOffset() != 1234567 || pb.GetRecordCount() != 0 {
		t.Fatalf("proto view: %v", &pb)
	}
	again, err := proto.Marshal(&pb)
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeBatch(again)
	if err != nil {
		t.Fatal(err)
	}
	if !e.isTrunc || e.truncate != 1234567 {
		t.Fatalf("decoded %+v", e)
	}
}

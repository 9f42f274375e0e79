package replica

import (
	"bytes"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

// fuzzEntries are produce entries as a leader proposes them.
func fuzzEntries() [][]byte {
	p := proposalID{node: 3, incarnation: 1 << 40, seq: 77}
	plain := encodeBatch(p, 2, 1_700_000_000_123, [][]byte{[]byte("\x02ab"), []byte("\x03cde")})
	idem := appendProducer(encodeBatch(p, 1, 5, [][]byte{[]byte("\x01x")}), &Producer{ID: 9, Epoch: 2, BaseSequence: 40})
	return [][]byte{
		plain,
		appendCompression(encodeBatch(p, 3, 0, [][]byte{[]byte("zstd bytes")}), sluicev1.Compression_COMPRESSION_ZSTD),
		idem,
		appendCompression(idem, sluicev1.Compression_COMPRESSION_LZ4),
		appendProducer(encodeBatch(p, 1, 5, nil), &Producer{ID: -1, Epoch: -1, BaseSequence: -1}),
		encodeTruncate(1234567),
	}
}

// FuzzDecodeEntry decodes raft entries as every replica does at apply.
// An entry it accepts must mean what the generated ProduceBatch decoder says
// it means, and encode again to an entry that decodes the same.
func FuzzDecodeEntry(f *testing.F) {
	for _, e := range fuzzEntries() {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeBatch(data)
		if err != nil {
			return
		}
		var pb internalv1.ProduceBatch
		if err := proto.Unmarshal(data, &pb); err != nil {
			t.Fatalf("replica accepted an entry the generated decoder refuses: %v", err)
		}
		checkEntryAgainstProto(t, e, &pb)
		again, err := decodeBatch(reencodeEntry(e))
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !sameEntry(again, e) {
			t.Fatalf("re-encoded entry decodes as %+v, was %+v", again, e)
		}
	})
}

func checkEntryAgainstProto(t *testing.T, e batchEntry, pb *internalv1.ProduceBatch) {
	t.Helper()
	p := pb.GetProposal()
	if e.proposal != (proposalID{p.GetNode(), p.GetIncarnation(), p.GetSeq()}) || e.count != int(pb.GetRecordCount()) ||
		e.maxTS != pb.GetMaxTimestampMs() || !bytes.Equal(e.records, pb.GetRecords()) || e.codec != pb.GetCompression() ||
		e.isTrunc != (pb.TruncatePrefix != nil) || e.truncate != pb.GetTruncatePrefix().GetLogStartOffset() {
		t.Fatalf("replica read %+v, the generated decoder %v", e, pb)
	}
	if (e.producer != nil) != (pb.Producer != nil) {
		t.Fatalf("replica producer %+v, generated %v", e.producer, pb.GetProducer())
	}
	if q := pb.GetProducer(); e.producer != nil &&
		*e.producer != (Producer{ID: q.GetProducerId(), Epoch: q.GetProducerEpoch(), BaseSequence: q.GetBaseSequence()}) {
		t.Fatalf("replica producer %+v, generated %v", e.producer, q)
	}
}

func reencodeEntry(e batchEntry) []byte {
	if e.isTrunc {
		return encodeTruncate(e.truncate)
	}
	b := encodeBatch(e.proposal, e.count, e.maxTS, [][]byte{e.records})
	if e.producer != nil {
		b = appendProducer(b, e.producer)
	}
	return appendCompression(b, e.codec)
}

// sameEntry compares what apply uses of two entries: of a retention entry,
// only the new log start.
func sameEntry(a, b batchEntry) bool {
	if a.isTrunc || b.isTrunc {
		return a.isTrunc == b.isTrunc && a.truncate == b.truncate
	}
	if (a.producer == nil) != (b.producer == nil) || a.producer != nil && *a.producer != *b.producer {
		return false
	}
	return a.proposal == b.proposal && a.count == b.count && a.maxTS == b.maxTS && bytes.Equal(a.records, b.records) &&
		a.codec == b.codec && a.truncate == b.truncate && a.isTrunc == b.isTrunc
}

// FuzzRestoreAndApply gives a replica a snapshot's state as a leader sends
// it (a peer message), then applies an entry, as a follower does. Neither
// may panic; a state that restores is the state the replica snapshots; an
// entry that applies moves the next offset by its count, or not at all
// (a duplicate or refused idempotent batch).
func FuzzRestoreAndApply(f *testing.F) {
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	st := &internalv1.PartitionState{AppliedIndex: 10, NextOffset: 100, NextPosition: 4000, MaxTimestampMs: 5,
		Producers: []*internalv1.ProducerState{{ProducerId: 9, Epoch: 2, LastIndex: 8,
			Batches: []*internalv1.ProducerBatch{{FirstSequence: 35, LastSequence: 39, BaseOffset: 90, RecordCount: 5}}}}}
	raw, err := proto.Marshal(st)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range fuzzEntries() {
		f.Add(raw, e)
	}
	f.Add([]byte{}, fuzzEntries()[0])
	f.Fuzz(func(t *testing.T, snapData, entry []byte) {
		r, err := Open(Config{Group: 7, Topic: "t", NodeID: 1, Incarnation: 1, DB: db, Notify: func(uint64) {}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b := db.NewBatch()
		defer b.Cancel()
		snap := &raftpb.Snapshot{Data: snapData, Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(10), Term: proto.Uint64(1)}}
		if err := r.Restore(b, snap); err != nil {
			return
		}
		var want internalv1.PartitionState
		_ = proto.Unmarshal(snapData, &want)
		want.AppliedIndex = 10
		got, err := r.SnapshotData()
		var gotSt internalv1.PartitionState
		if err != nil || proto.Unmarshal(got, &gotSt) != nil || !proto.Equal(&gotSt, &want) {
			t.Fatalf("restored state snapshots as %v (%v), was %v", &gotSt, err, &want)
		}
		before := r.st.GetNextOffset()
		ent := &raftpb.Entry{Index: proto.Uint64(11), Term: proto.Uint64(1), Type: raftpb.EntryNormal.Enum(), Data: entry}
		if err := r.Apply(b, []*raftpb.Entry{ent}); err != nil || len(entry) == 0 {
			return // an empty entry is a leader's, taking no offsets
		}
		e, err := decodeBatch(entry)
		if err != nil {
			t.Fatalf("an entry that does not decode (%v) applied", err)
		}
		if moved := r.st.GetNextOffset() - before; !e.isTrunc && moved != int64(e.count) && (e.producer == nil || moved != 0) {
			t.Fatalf("an entry of %d records moved the next offset by %d", e.count, moved)
		}
	})
}

// TestEntryRecordCountIsReadAsInt32: ProduceBatch.record_count is an int32,
// and a replica must read an oversized varint as every protobuf decoder
// does, not take more offsets than the index can count (found by
// FuzzDecodeEntry).
func TestEntryRecordCountIsReadAsInt32(t *testing.T) {
	data := []byte("\x10\xd0\x95\xff\xbc\x30") // record_count = 13,012,814,544 as a varint
	var pb internalv1.ProduceBatch
	if err := proto.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	e, err := decodeBatch(data)
	if err != nil || e.count != int(pb.GetRecordCount()) {
		t.Fatalf("decodeBatch: %d records, %v; protobuf reads %d", e.count, err, pb.GetRecordCount())
	}
}

// TestProducerWithNoRememberedBatchesStartsAfresh: a restored state may hold
// a producer with no batches; its next batch starts afresh instead of
// panicking the engine on every replica (found by FuzzRestoreAndApply).
func TestProducerWithNoRememberedBatchesStartsAfresh(t *testing.T) {
	r := &Replica{st: &internalv1.PartitionState{Producers: []*internalv1.ProducerState{{ProducerId: 9, Epoch: 2}}}}
	adm := r.admit(&Producer{ID: 9, Epoch: 2, BaseSequence: 40}, 3)
	if adm.err != nil || adm.duplicate || adm.state == nil {
		t.Fatalf("admission %+v, want the batch accepted for the known producer", adm)
	}
	if adm := r.admit(&Producer{ID: 9, Epoch: 1, BaseSequence: 40}, 3); adm.err == nil {
		t.Fatal("an older epoch was not fenced")
	}
}

package compress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// fuzzCodecs are the codecs a fuzz input picks from by its first argument;
// the last value is one no codec has.
var fuzzCodecs = []sluicev1.Compression{None, sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_SNAPPY,
	sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD, 9}

// fuzzMaxLimit bounds the decompressed-size limit a fuzz input asks for.
const fuzzMaxLimit = 1 << 20

// allocSlack is what a decode may allocate beyond a small multiple of its
// input and limit, whatever the input claims: a zstd frame may declare an
// 8 MiB window (the least a decoder must support), an lz4 frame blocks of
// up to 4 MiB of which the reader buffers two, or a pool made a decoder
// afresh.
const allocSlack = 10 << 20

// FuzzDecode feeds every codec arbitrary bytes under a decompressed-size
// limit: errors are ErrCorrupt, *TooLargeError or ErrUnknownCodec, never a
// panic; a result is at most the limit, decodes the same under a larger
// limit, and comes back unchanged through Encode and Decode; and a decode
// allocates in proportion to its input and limit, not to what the input
// claims to hold.
func FuzzDecode(f *testing.F) {
	bomb := make([]byte, 4<<20) // compresses to a few hundred bytes
	for i, c := range fuzzCodecs[:len(fuzzCodecs)-1] {
		for _, src := range [][]byte{nil, []byte("hello, hello, hello"), jsonRecords(f, 3), bomb} {
			enc, err := Encode(c, src)
			if err != nil {
				f.Fatal(err)
			}
			if len(enc) > 64<<10 {
				continue // the uncompressed bomb
			}
			f.Add(uint8(i), enc, uint32(len(src)))
			f.Add(uint8(i), enc, uint32(len(src)/2))
		}
		// Warm each codec's pool, so a decoder's setup is not counted below.
		enc, _ := Encode(c, []byte("warm"))
		_, _ = Decode(c, enc, 10)
	}
	f.Fuzz(func(t *testing.T, codec uint8, src []byte, limit uint32) {
		c := fuzzCodecs[int(codec)%len(fuzzCodecs)]
		lim := int(limit%fuzzMaxLimit) + 1
		out, alloc, err := decodeCounting(c, src, lim)
		if bound := 4*(len(src)+lim) + allocSlack; alloc > uint64(bound) {
			t.Fatalf("%s: decoding %d bytes under a limit of %d allocated %d bytes (bound %d)", Name(c), len(src), lim, alloc, bound)
		}
		var tooLarge *TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			if tooLarge.Limit != lim {
				t.Fatalf("%s: TooLargeError names limit %d, was %d", Name(c), tooLarge.Limit, lim)
			}
			return
		case errors.Is(err, ErrUnknownCodec):
			if Known(c) {
				t.Fatalf("%s: known codec refused as unknown: %v", Name(c), err)
			}
			return
		case errors.Is(err, ErrCorrupt):
			return
		case err != nil:
			t.Fatalf("%s: error %v is neither ErrCorrupt, TooLargeError nor ErrUnknownCodec", Name(c), err)
		}
		if len(out) > lim {
			t.Fatalf("%s: %d bytes decoded under a limit of %d", Name(c), len(out), lim)
		}
		out = bytes.Clone(out)
		again, err := Decode(c, src, 2*lim)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("%s: a larger limit gave %d bytes, %v; first %d bytes", Name(c), len(again), err, len(out))
		}
		enc, err := Encode(c, out)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", Name(c), err)
		}
		back, err := Decode(c, enc, max(len(out), 1))
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("%s: re-encoded %d bytes decode to %d bytes, %v", Name(c), len(out), len(back), err)
		}
	})
}

// decodeCounting is Decode, also returning the bytes it allocated.
func decodeCounting(c sluicev1.Compression, src []byte, limit int) ([]byte, uint64, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := Decode(c, src, limit)
	runtime.ReadMemStats(&after)
	return out, after.TotalAlloc - before.TotalAlloc, err
}

// FuzzBatchRecords reads a fetched compressed batch as the SDK does: a
// batch it accepts holds as many records as it says, at consecutive
// offsets, and a batch made again of them (NewBatch) reads back the same.
func FuzzBatchRecords(f *testing.F) {
	recs := []*sluicev1.Record{
		{TimestampMs: 5, Key: []byte("k"), Value: []byte("v"), Headers: []*sluicev1.Header{{Key: "h", Value: []byte("x")}}},
		{TimestampMs: 6, Value: []byte{}},
		{Key: []byte{}},
	}
	for i, c := range fuzzCodecs[:len(fuzzCodecs)-1] {
		b, err := NewBatch(c, recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b.GetCompressedRecords(), b.GetRecordCount(), int64(40))
	}
	f.Fuzz(func(t *testing.T, codec uint8, data []byte, count int32, base int64) {
		c := fuzzCodecs[int(codec)%len(fuzzCodecs)]
		in := &sluicev1.RecordBatch{Compression: c, RecordCount: count, BaseOffset: base, CompressedRecords: data}
		got, err := BatchRecords(in, fuzzMaxLimit)
		if err != nil {
			var tooLarge *TooLargeError
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownCodec) && !errors.As(err, &tooLarge) {
				t.Fatalf("error %v is neither ErrCorrupt, TooLargeError nor ErrUnknownCodec", err)
			}
			return
		}
		if len(got) != int(count) {
			t.Fatalf("batch says %d records, BatchRecords returned %d", count, len(got))
		}
		for i, r := range got {
			if r.GetOffset() != base+int64(i) {
				t.Fatalf("record %d at offset %d, want %d", i, r.GetOffset(), base+int64(i))
			}
		}
		again, err := NewBatch(c, got)
		if err != nil {
			t.Fatalf("NewBatch of the records read: %v", err)
		}
		again.BaseOffset = base
		back, err := BatchRecords(again, 0)
		if err != nil || len(back) != len(got) {
			t.Fatalf("re-made batch: %d records, %v; want %d", len(back), err, len(got))
		}
		for i := range back {
			if !proto.Equal(back[i], got[i]) {
				t.Fatalf("record %d re-made as %v, was %v", i, back[i], got[i])
			}
		}
	})
}

// TestZstdFrameClaimingMoreThanTheLimitAllocatesLittle: a zstd frame header
// declares its content size or window, and a decoder allocates for it up
// front. A few bytes that claim hundreds of megabytes must be refused
// without allocating them (found by FuzzDecode's allocation bound).
func TestZstdFrameClaimingMoreThanTheLimitAllocatesLittle(t *testing.T) {
	// An RLE block: last block, type 1, 100,000 bytes of 'a'.
	bh := uint32(1) | 1<<1 | 100_000<<3
	block := []byte{byte(bh), byte(bh >> 8), byte(bh >> 16), 'a'}
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	// Single segment, an 8-byte content size of 400 MiB.
	sized := binary.LittleEndian.AppendUint64(append(bytes.Clone(magic), 0xe0), 400<<20)
	// No content size, a window descriptor of 256 MiB (exponent 18+10).
	windowed := append(bytes.Clone(magic), 0x00, 18<<3)
	const limit = 1 << 20
	for name, src := range map[string][]byte{"content size": append(sized, block...), "window": append(windowed, block...)} {
		_, alloc, err := decodeCounting(sluicev1.Compression_COMPRESSION_ZSTD, src, limit)
		var tooLarge *TooLargeError
		if !errors.As(err, &tooLarge) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want TooLargeError or ErrCorrupt", name, err)
		}
		if alloc > 4*limit+allocSlack {
			t.Errorf("%s: %d bytes claiming hundreds of MiB allocated %d bytes under a limit of %d", name, len(src), alloc, limit)
		}
	}
}

// TestZstdStreamWithAnEightMiBWindowDecodesUnderASmallLimit: streaming
// encoders declare their window whatever the content's size; a frame with
// the 8 MiB window every decoder should support decodes under any limit its
// content fits.
func TestZstdStreamWithAnEightMiBWindowDecodesUnderASmallLimit(t *testing.T) {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	src := bytes.Repeat([]byte("small batch "), 100)
	// A flush before the end writes the header without the content size.
	if _, err := w.Write(src[:600]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(src[600:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var h zstd.Header
	if err := h.Decode(buf.Bytes()); err != nil || h.SingleSegment || h.WindowSize != 8<<20 {
		t.Fatalf("frame header %+v, %v: want an 8 MiB window", h, err)
	}
	out, err := Decode(sluicev1.Compression_COMPRESSION_ZSTD, buf.Bytes(), 4096)
	if err != nil || !bytes.Equal(out, src) {
		t.Fatalf("decoded %d bytes, %v; want the %d sent", len(out), err, len(src))
	}
}

// TestBatchRecordsRefusesANegativeCount: a fetched batch whose record count
// is negative is corrupt, not a reason to panic (found by FuzzBatchRecords).
func TestBatchRecordsRefusesANegativeCount(t *testing.T) {
	b := &sluicev1.RecordBatch{RecordCount: -72, CompressedRecords: []byte{0}}
	if _, err := BatchRecords(b, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}

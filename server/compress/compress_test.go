package compress

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

var codecs = []sluicev1.Compression{
	sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_SNAPPY,
	sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD,
}

func TestRoundTripEveryCodec(t *testing.T) {
	src := jsonRecords(t, 200)
	for _, c := range append(codecs, None) {
		t.Run(Name(c), func(t *testing.T) {
			enc, err := Encode(c, src)
			if err != nil {
				t.Fatal(err)
			}
			if c != None && len(enc) >= len(src)*3/4 {
				t.Errorf("%d bytes compressed to %d: JSON-like data should compress", len(src), len(enc))
			}
			for range 2 { // pooled decoders are reused correctly
				dec, err := Decode(c, enc, len(src))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(dec, src) {
					t.Fatal("decompressed bytes differ from the original")
				}
			}
			empty, err := Encode(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dec, err := Decode(c, empty, 10); err != nil || len(dec) != 0 {
				t.Errorf("empty input: got %d bytes, %v", len(dec), err)
			}
		})
	}
}

func TestDecodeRefusesCorruptData(t *testing.T) {
	src := jsonRecords(t, 20)
	for _, c := range codecs {
		t.Run(Name(c), func(t *testing.T) {
			enc, err := Encode(c, src)
			if err != nil {
				t.Fatal(err)
			}
			cases := map[string][]byte{
				"garbage":   []byte("this is not compressed at all, not in any format"),
				"truncated": enc[:len(enc)/2],
				"trailing":  append(bytes.Clone(enc), "junk after the stream"...),
				"nothing":   nil,
			}
			for name, data := range cases {
				if c == sluicev1.Compression_COMPRESSION_SNAPPY && name == "nothing" {
					continue // snappy encodes empty input as one byte; nothing is checked below
				}
				out, err := Decode(c, data, 0)
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("%s: got %d bytes and error %v, want ErrCorrupt", name, len(out), err)
				}
			}
		})
	}
	if _, err := Decode(sluicev1.Compression_COMPRESSION_SNAPPY, nil, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("snappy of nothing: %v, want ErrCorrupt", err)
	}
}

func TestDecodeStopsAtTheLimit(t *testing.T) {
	src := bytes.Repeat([]byte("a"), 1<<20) // compresses to almost nothing
	for _, c := range codecs {
		enc, err := Encode(c, src)
		if err != nil {
			t.Fatal(err)
		}
		var tl *TooLargeError
		if _, err := Decode(c, enc, 1<<16); !errors.As(err, &tl) || tl.Limit != 1<<16 {
			t.Errorf("%s: got %v, want TooLargeError with limit %d", Name(c), err, 1<<16)
		}
		if _, err := Decode(c, enc, 1<<20); err != nil {
			t.Errorf("%s at exactly the limit: %v", Name(c), err)
		}
	}
}

func TestUnknownCodec(t *testing.T) {
	if _, err := Encode(9, nil); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("Encode: %v", err)
	}
	if _, err := Decode(9, nil, 0); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("Decode: %v", err)
	}
	if _, err := Parse("brotli"); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("Parse: %v", err)
	}
	for _, c := range append(codecs, None) {
		if got, err := Parse(Name(c)); err != nil || got != c {
			t.Errorf("Parse(%q) = %v, %v", Name(c), got, err)
		}
	}
}

func TestBatchRecordsRoundTrip(t *testing.T) {
	recs := []*sluicev1.Record{
		{TimestampMs: 5, Key: []byte("k"), Value: []byte("v"), Headers: []*sluicev1.Header{{Key: "h", Value: []byte("x")}}},
		{TimestampMs: 6, Value: []byte{}},
		{TimestampMs: 7, Offset: 99},
	}
	for _, c := range codecs {
		b, err := NewBatch(c, recs)
		if err != nil {
			t.Fatal(err)
		}
		b.BaseOffset = 40
		got, err := BatchRecords(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			want := proto.CloneOf(recs[i])
			want.Offset = 40 + int64(i)
			if !proto.Equal(r, want) {
				t.Errorf("%s record %d: got %v, want %v", Name(c), i, r, want)
			}
		}
		b.RecordCount = 4
		if _, err := BatchRecords(b, 0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: a wrong record count gave %v", Name(c), err)
		}
	}
}

// TestZstdWindowIsBounded: a frame declaring zstd's largest window (512
// MiB) over four bytes of data is refused before its window is allocated
// (it cost 512 MiB), while the windows real encoders use still decode.
func TestZstdWindowIsBounded(t *testing.T) {
	frame := func(windowLog byte) []byte {
		// Magic, no content size, the window descriptor, then one raw last block of "abcd".
		return []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3, 0x21, 0, 0, 'a', 'b', 'c', 'd'}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(sluicev1.Compression_COMPRESSION_ZSTD, frame(29), 1<<20)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "window") {
		t.Errorf("a 512 MiB window: %v, want a corrupt-data error naming the window", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2*MaxZstdWindow {
		t.Errorf("refusing it allocated %d bytes", n)
	}
	out, err := Decode(sluicev1.Compression_COMPRESSION_ZSTD, frame(23), 1<<20)
	if err != nil || string(out) != "abcd" {
		t.Errorf("an 8 MiB window: %q, %v", out, err)
	}
}

// Package compress compresses and decompresses record batches with the codecs
// of sluice.v1.Compression: gzip, snappy (block format) and zstd from
// github.com/klauspost/compress, lz4 (frame format) from
// github.com/pierrec/lz4/v4. The broker, the Go SDK and the CLI share it, so a
// batch is encoded the same way everywhere.
//
// Encoders and decoders are expensive to set up and cheap to reuse, so they
// are pooled; every function is safe for concurrent use.
package compress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// None is no compression.
const None = sluicev1.Compression_COMPRESSION_UNSPECIFIED

var (
	// ErrUnknownCodec is a Compression value this package does not know.
	ErrUnknownCodec = errors.New("unknown compression codec")
	// ErrCorrupt means compressed bytes do not decompress.
	ErrCorrupt = errors.New("compressed data is corrupt")
)

// TooLargeError means data decompresses to more than a limit.
type TooLargeError struct {
	Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("decompresses to more than %d bytes", e.Limit)
}

// names are the codecs' names in configs and flags (Kafka's compression.type
// values); "none" is no compression.
var names = map[sluicev1.Compression]string{
	None:                                    "none",
	sluicev1.Compression_COMPRESSION_GZIP:   "gzip",
	sluicev1.Compression_COMPRESSION_SNAPPY: "snappy",
	sluicev1.Compression_COMPRESSION_LZ4:    "lz4",
	sluicev1.Compression_COMPRESSION_ZSTD:   "zstd",
}

// Known reports whether c is a codec this package handles (None included).
func Known(c sluicev1.Compression) bool {
	_, ok := names[c]
	return ok
}

// Name is the codec's name: none, gzip, snappy, lz4 or zstd.
func Name(c sluicev1.Compression) string {
	if n, ok := names[c]; ok {
		return n
	}
	return fmt.Sprintf("codec %d", int32(c))
}

// Parse returns the codec named name (case-insensitive); "none" and
// "uncompressed" are None.
func Parse(name string) (sluicev1.Compression, error) {
	name = strings.ToLower(name)
	if name == "uncompressed" {
		return None, nil
	}
	for c, n := range names {
		if n == name {
			return c, nil
		}
	}
	return None, fmt.Errorf("%w %q (known: none, gzip, snappy, lz4, zstd)", ErrUnknownCodec, name)
}

// Encode returns src compressed with c (src itself for None).
func Encode(c sluicev1.Compression, src []byte) ([]byte, error) {
	switch c {
	case None:
		return src, nil
	case sluicev1.Compression_COMPRESSION_SNAPPY:
		return snappy.Encode(nil, src), nil
	case sluicev1.Compression_COMPRESSION_ZSTD:
		e, err := zstdEncoder()
		if err != nil {
			return nil, err
		}
		return e.EncodeAll(src, make([]byte, 0, len(src)/2+64)), nil
	case sluicev1.Compression_COMPRESSION_GZIP:
		return encodeStream(&gzipWriters, src)
	case sluicev1.Compression_COMPRESSION_LZ4:
		return encodeStream(&lz4Writers, src)
	}
	return nil, fmt.Errorf("%w %d", ErrUnknownCodec, int32(c))
}

// Decode returns src decompressed with c (src itself for None). With limit >
// 0 it fails with a *TooLargeError, having decompressed at most limit+1
// bytes, when the result would be larger than limit.
func Decode(c sluicev1.Compression, src []byte, limit int) ([]byte, error) {
	var (
		out []byte
		err error
	)
	switch c {
	case None:
		out = src
	case sluicev1.Compression_COMPRESSION_SNAPPY:
		out, err = decodeSnappy(src, limit)
	case sluicev1.Compression_COMPRESSION_ZSTD:
		out, err = decodeZstd(src, limit)
	case sluicev1.Compression_COMPRESSION_GZIP:
		out, err = decodeGzip(src, limit)
	case sluicev1.Compression_COMPRESSION_LZ4:
		out, err = decodeLZ4(src, limit)
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownCodec, int32(c))
	}
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(out) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return out, nil
}

func corrupt(c sluicev1.Compression, err error) error {
	return fmt.Errorf("%w (%s: %w)", ErrCorrupt, Name(c), err)
}

func decodeSnappy(src []byte, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return nil, corrupt(sluicev1.Compression_COMPRESSION_SNAPPY, err)
	}
	if limit > 0 && n > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	out, err := snappy.Decode(nil, src)
	if err != nil {
		return nil, corrupt(sluicev1.Compression_COMPRESSION_SNAPPY, err)
	}
	return out, nil
}

// readAll reads r to its end, or to limit+1 bytes when limit > 0, so that
// a small input that expands enormously costs at most limit+1 bytes.
func readAll(c sluicev1.Compression, r io.Reader, srcLen, limit int) ([]byte, error) {
	hint := srcLen * 4
	if limit > 0 {
		r = io.LimitReader(r, int64(limit)+1)
		hint = min(hint, limit+1)
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, corrupt(c, err)
	}
	if limit > 0 && buf.Len() > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return buf.Bytes(), nil
}

// Trailing bytes after the compressed stream would be stored and served as
// they are, so a stream must end exactly where the data ends.
var errTrailing = errors.New("data after the end of the compressed stream")

// MaxZstdWindow is the largest zstd window decoded. A decoder allocates
// the window a frame declares before it reads any data, so without a bound
// a 13-byte frame declaring zstd's largest window (512 MiB) made the
// broker allocate 512 MiB, and the pooled decoder kept it. 8 MiB is the
// window of every zstd level up to 19 and the default of klauspost's
// streaming encoder; only the "ultra" levels 20 to 22 use more.
const MaxZstdWindow = 8 << 20

// zstdPools hold decoders by the decoded size they are capped at: pool i
// caps at 1<<i bytes, pool 0 is uncapped (limit 0). A zstd frame header
// declares its content size or window, and a decoder allocates for it
// before it decodes a byte (a 17-byte frame claiming 400 MB allocated 400
// MB), so Decode under a limit uses a decoder capped at the power of two
// above it: a header claiming more fails at once, and what a decode
// allocates stays within about twice the limit.
var zstdPools [64]sync.Pool

// zstdMinCapLog is the smallest cap, 8 MiB: the window every decoder
// should support (RFC 8878), which streaming encoders use whatever the
// content's size, so a small limit still reads their frames.
const zstdMinCapLog = 23

func zstdCapLog(limit int) int {
	if limit <= 0 {
		return 0
	}
	return max(bits.Len(uint(limit)), zstdMinCapLog) // 1<<Len(limit) > limit
}

func getZstdDecoder(capLog int) (*zstd.Decoder, error) {
	if d, ok := zstdPools[capLog].Get().(*zstd.Decoder); ok {
		return d, nil
	}
	// Concurrency 1 decodes on the caller's goroutine: a pooled decoder
	// that the pool drops leaves no goroutine behind.
	opts := []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(MaxZstdWindow)}
	if capLog > 0 {
		opts = append(opts, zstd.WithDecoderMaxMemory(1<<capLog))
	}
	return zstd.NewReader(nil, opts...)
}

func decodeZstd(src []byte, limit int) ([]byte, error) {
	capLog := zstdCapLog(limit)
	d, err := getZstdDecoder(capLog)
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	defer zstdPools[capLog].Put(d)
	if len(src) == 0 {
		// A zstd stream of no frames decodes to nothing; no encoder makes one.
		return nil, corrupt(sluicev1.Compression_COMPRESSION_ZSTD, io.ErrUnexpectedEOF)
	}
	if err := d.Reset(bytes.NewReader(src)); err != nil {
		return nil, zstdError(err, limit)
	}
	defer func() { _ = d.Reset(nil) }()
	out, err := readAll(sluicev1.Compression_COMPRESSION_ZSTD, d, len(src), limit)
	if err != nil {
		return nil, zstdError(err, limit)
	}
	return out, nil
}

// zstdError is a *TooLargeError when a capped decoder refused a frame for
// its size (its cap is above the limit), else err as corrupt data.
func zstdError(err error, limit int) error {
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return fmt.Errorf("%w (zstd: the frame's window is over %d bytes, the most decoded here; compress with a level below 20)", ErrCorrupt, MaxZstdWindow)
	}
	if limit > 0 && errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return &TooLargeError{Limit: limit}
	}
	var tl *TooLargeError
	if errors.Is(err, ErrCorrupt) || errors.As(err, &tl) {
		return err
	}
	return corrupt(sluicev1.Compression_COMPRESSION_ZSTD, err)
}

var gzipReaders sync.Pool

func decodeGzip(src []byte, limit int) ([]byte, error) {
	br := bytes.NewReader(src)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, corrupt(sluicev1.Compression_COMPRESSION_GZIP, err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	out, err := readAll(sluicev1.Compression_COMPRESSION_GZIP, zr, len(src), limit)
	if err == nil && br.Len() > 0 {
		err = corrupt(sluicev1.Compression_COMPRESSION_GZIP, errTrailing)
	}
	return out, err
}

var lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

func decodeLZ4(src []byte, limit int) ([]byte, error) {
	zr, _ := lz4Readers.Get().(*lz4.Reader)
	defer lz4Readers.Put(zr)
	zr.Reset(bytes.NewReader(src))
	out, err := readAll(sluicev1.Compression_COMPRESSION_LZ4, zr, len(src), limit)
	if err == nil && len(src) == 0 {
		err = corrupt(sluicev1.Compression_COMPRESSION_LZ4, io.ErrUnexpectedEOF)
	}
	return out, err
}

// zstdEncoder is shared: EncodeAll is safe for concurrent use and starts no
// goroutines.
var zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
})

// streamWriter is a pooled stream compressor.
type streamWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	lz4Writers  = sync.Pool{New: func() any { return lz4.NewWriter(nil) }}
)

func encodeStream(pool *sync.Pool, src []byte) ([]byte, error) {
	w, _ := pool.Get().(streamWriter)
	defer pool.Put(w)
	var buf bytes.Buffer
	buf.Grow(len(src)/2 + 64)
	w.Reset(&buf)
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

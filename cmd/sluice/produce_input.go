package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// maxLineBytes is the longest input line accepted: the broker's 1 MiB record
// limit. Longer lines are refused here rather than buffered without bound.
const maxLineBytes = 1 << 20

// lineReader reads newline-terminated lines from a bufio.Reader. ReadSlice
// avoids a copy per line; lines longer than the reader's buffer are assembled
// in long.
type lineReader struct {
	r    *bufio.Reader
	long []byte
	n    int // lines returned so far, for error messages
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its trailing "\n" (only that byte is
// stripped, so "\r" and spaces are part of the value). A last line without a
// newline is still a line. The slice is valid until the next call. At the end
// of input next returns io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	lr.long = lr.long[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			lr.long = append(lr.long, chunk...)
			if len(lr.long) > maxLineBytes {
				return nil, fmt.Errorf("line %d is longer than the %d-byte record limit", lr.n+1, maxLineBytes)
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && len(chunk) == 0 && len(lr.long) == 0 {
			return nil, io.EOF
		}
		line := chunk
		if len(lr.long) > 0 {
			lr.long = append(lr.long, chunk...)
			line = lr.long
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if len(line) > maxLineBytes {
			return nil, fmt.Errorf("line %d is longer than the %d-byte record limit", lr.n+1, maxLineBytes)
		}
		lr.n++
		return line, nil
	}
}

// drained reports whether the next read would have to wait for the input. The
// producer sends its batch then, so a slow source (a terminal, tail -f) gets
// each line out at once, while a fast one still fills whole batches.
func (lr *lineReader) drained() bool {
	return lr.r.Buffered() == 0
}

// lineParser turns input lines into records, applying --key, --key-separator
// and --header.
type lineParser struct {
	key       []byte // the same key for every record; nil for none
	separator []byte // when set, each line is "key SEP value"
	headers   []*sluicev1.Header
	// timestampMs is every record's create time; 0 lets the broker stamp it.
	timestampMs int64
}

// parse builds the record for one line. The record owns a copy of the line,
// since the line's buffer is reused; key and headers are shared by all records,
// which is safe because sending only reads them.
func (p *lineParser) parse(line []byte) (*sluicev1.Record, error) {
	data := bytes.Clone(line)
	rec := &sluicev1.Record{Key: p.key, Value: data, Headers: p.headers, TimestampMs: p.timestampMs}
	if p.separator != nil {
		k, v, ok := bytes.Cut(data, p.separator)
		if !ok {
			return nil, fmt.Errorf("key separator %q not found", p.separator)
		}
		rec.Key, rec.Value = k, v
	}
	return rec, nil
}

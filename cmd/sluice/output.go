package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// recordPrinter writes consumed records as text (the raw value and a newline)
// or as JSON lines. Output is buffered; the consumer flushes after each fetch
// response so a following reader sees records promptly.
type recordPrinter struct {
	w   *bufio.Writer
	enc *json.Encoder // nil for text
}

func newRecordPrinter(out io.Writer, format string) (*recordPrinter, error) {
	p := &recordPrinter{w: bufio.NewWriterSize(out, 64<<10)}
	switch format {
	case "text":
	case "json":
		p.enc = json.NewEncoder(p.w)
		// Values are data, not HTML: keep <, > and & readable.
		p.enc.SetEscapeHTML(false)
	default:
		return nil, fmt.Errorf("invalid --format %q: want text or json", format)
	}
	return p, nil
}

func (p *recordPrinter) print(partition int32, r *sluicev1.Record) error {
	if p.enc != nil {
		return p.enc.Encode(newJSONRecord(partition, r))
	}
	p.w.Write(r.GetValue())
	return p.w.WriteByte('\n') // a bufio.Writer keeps its first error and returns it here
}

func (p *recordPrinter) flush() error {
	return p.w.Flush()
}

// jsonRecord is the JSON form of a record. Bytes that are valid UTF-8 appear as
// strings; others are base64 in a field with a "_base64" suffix, so a reader
// knows which it got without guessing. An empty key (no key) is left out.
type jsonRecord struct {
	Offset      int64        `json:"offset"`
	Partition   int32        `json:"partition"`
	Timestamp   string       `json:"timestamp"`
	Key         *string      `json:"key,omitempty"`
	KeyBase64   *string      `json:"key_base64,omitempty"`
	Value       *string      `json:"value,omitempty"`
	ValueBase64 *string      `json:"value_base64,omitempty"`
	Headers     []jsonHeader `json:"headers"`
}

// jsonHeader keeps headers as a list: keys may repeat and order matters.
type jsonHeader struct {
	Key         string  `json:"key"`
	Value       *string `json:"value,omitempty"`
	ValueBase64 *string `json:"value_base64,omitempty"`
}

func newJSONRecord(partition int32, r *sluicev1.Record) jsonRecord {
	j := jsonRecord{
		Offset:    r.GetOffset(),
		Partition: partition,
		Timestamp: time.UnixMilli(r.GetTimestampMs()).UTC().Format(time.RFC3339Nano),
		Headers:   make([]jsonHeader, 0, len(r.GetHeaders())),
	}
	if len(r.GetKey()) > 0 {
		j.Key, j.KeyBase64 = textOrBase64(r.GetKey())
	}
	j.Value, j.ValueBase64 = textOrBase64(r.GetValue())
	for _, h := range r.GetHeaders() {
		jh := jsonHeader{Key: h.GetKey()}
		jh.Value, jh.ValueBase64 = textOrBase64(h.GetValue())
		j.Headers = append(j.Headers, jh)
	}
	return j
}

// textOrBase64 returns b as a string if it is valid UTF-8, else as base64;
// exactly one of the results is set.
func textOrBase64(b []byte) (text, b64 *string) {
	if utf8.Valid(b) {
		s := string(b)
		return &s, nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return nil, &s
}

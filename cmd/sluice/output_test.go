package main

import (
	"bytes"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestPrintJSON(t *testing.T) {
	tests := []struct {
		name string
		rec  *sluicev1.Record
		want string
	}{
		{
			name: "text value, no key",
			rec:  &sluicev1.Record{Offset: 5, TimestampMs: 1714979289123, Value: []byte("hello")},
			want: `{"offset":5,"partition":3,"timestamp":"2024-05-06T07:08:09.123Z","value":"hello","headers":[]}`,
		},
		{
			name: "key, headers, html kept",
			rec: &sluicev1.Record{
				Offset: 0, TimestampMs: 0, Key: []byte("k"), Value: []byte(`<a&b> "q"`),
				Headers: []*sluicev1.Header{{Key: "h", Value: []byte("1")}, {Key: "h", Value: []byte{0xff}}},
			},
			want: `{"offset":0,"partition":3,"timestamp":"1970-01-01T00:00:00Z","key":"k","value":"<a&b> \"q\"",` +
				`"headers":[{"key":"h","value":"1"},{"key":"h","value_base64":"/w=="}]}`,
		},
		{
			name: "binary key and value",
			rec:  &sluicev1.Record{Offset: 9, TimestampMs: 1000, Key: []byte{0xc3, 0x28}, Value: []byte{0, 1, 0xfe}},
			want: `{"offset":9,"partition":3,"timestamp":"1970-01-01T00:00:01Z","key_base64":"wyg=","value_base64":"AAH+","headers":[]}`,
		},
		{
			name: "empty value, unicode",
			rec:  &sluicev1.Record{Offset: 1, TimestampMs: 1, Key: []byte("ключ")},
			want: `{"offset":1,"partition":3,"timestamp":"1970-01-01T00:00:00.001Z","key":"ключ","value":"","headers":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := printOne(t, "json", tt.rec); got != tt.want+"\n" {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPrintText(t *testing.T) {
	rec := &sluicev1.Record{Key: []byte("ignored"), Value: []byte("a\x00b")}
	if got := printOne(t, "text", rec); got != "a\x00b\n" {
		t.Errorf("got %q", got)
	}
}

func TestPrintBadFormat(t *testing.T) {
	if _, err := newRecordPrinter(&bytes.Buffer{}, "yaml"); err == nil {
		t.Error("format yaml accepted")
	}
}

func printOne(t *testing.T, format string, rec *sluicev1.Record) string {
	t.Helper()
	var buf bytes.Buffer
	p, err := newRecordPrinter(&buf, format)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.print(3, rec); err != nil {
		t.Fatal(err)
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

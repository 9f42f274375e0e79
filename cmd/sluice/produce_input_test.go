package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's 64 KiB buffer
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "empty input", in: "", want: nil},
		{name: "lines", in: "a\nbb\n", want: []string{"a", "bb"}},
		{name: "last line without newline", in: "a\nb", want: []string{"a", "b"}},
		{name: "empty lines are records", in: "\n\na\n", want: []string{"", "", "a"}},
		{name: "only the newline is stripped", in: "a\r\n b \n", want: []string{"a\r", " b "}},
		{name: "long line", in: "s\n" + long + "\nt", want: []string{"s", long, "t"}},
		{name: "long last line", in: long, want: []string{long}},
		{name: "line at the limit", in: strings.Repeat("y", maxLineBytes) + "\n", want: []string{strings.Repeat("y", maxLineBytes)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAllLines(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %.20q (len %d), want %.20q (len %d)", i, got[i], len(got[i]), tt.want[i], len(tt.want[i]))
				}
			}
		})
	}
}

func TestLineReaderTooLong(t *testing.T) {
	for _, in := range []string{
		"ok\n" + strings.Repeat("z", maxLineBytes+1) + "\n",
		"ok\n" + strings.Repeat("z", maxLineBytes+1),
	} {
		got, err := readAllLines(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("got %d lines and error %v, want a line 2 too long error", len(got), err)
		}
	}
}

func readAllLines(r io.Reader) ([]string, error) {
	lr := newLineReader(r)
	var lines []string
	for {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
		lines = append(lines, string(line))
	}
}

func TestLineParser(t *testing.T) {
	hdrs := []*sluicev1.Header{{Key: "h", Value: []byte("v")}}
	tests := []struct {
		name    string
		parser  lineParser
		line    string
		want    *sluicev1.Record
		wantErr bool
	}{
		{name: "value only", line: "hello", want: &sluicev1.Record{Value: []byte("hello")}},
		{name: "fixed key", parser: lineParser{key: []byte("k")}, line: "v", want: &sluicev1.Record{Key: []byte("k"), Value: []byte("v")}},
		{name: "headers", parser: lineParser{headers: hdrs}, line: "v", want: &sluicev1.Record{Value: []byte("v"), Headers: hdrs}},
		{name: "separator", parser: lineParser{separator: []byte(":")}, line: "k:v", want: &sluicev1.Record{Key: []byte("k"), Value: []byte("v")}},
		{name: "split at first separator", parser: lineParser{separator: []byte(":")}, line: "k:v:w", want: &sluicev1.Record{Key: []byte("k"), Value: []byte("v:w")}},
		{name: "multi-byte separator", parser: lineParser{separator: []byte("::")}, line: "a:b::c", want: &sluicev1.Record{Key: []byte("a:b"), Value: []byte("c")}},
		{name: "empty key", parser: lineParser{separator: []byte("\t")}, line: "\tv", want: &sluicev1.Record{Key: []byte{}, Value: []byte("v")}},
		{name: "empty value", parser: lineParser{separator: []byte("\t")}, line: "k\t", want: &sluicev1.Record{Key: []byte("k"), Value: []byte{}}},
		{name: "separator missing", parser: lineParser{separator: []byte("\t")}, line: "kv", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := []byte(tt.line)
			got, err := tt.parser.parse(line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parse(%q) error = %v, wantErr %v", tt.line, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("parse(%q) = %v, want %v", tt.line, got, tt.want)
			}
			// The line's buffer is reused by the reader: the record must not share it.
			copy(line, bytes.Repeat([]byte{'#'}, len(line)))
			if !proto.Equal(got, tt.want) {
				t.Errorf("record changed with the input buffer: %v", got)
			}
		})
	}
}

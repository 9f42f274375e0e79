package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// streamTimeout bounds how long a test waits for one message of a stream.
const streamTimeout = 10 * time.Second

// valueRecords returns n records with values prefix-0, prefix-1, ...
func valueRecords(prefix string, n int) []*sluicev1.Record {
	out := make([]*sluicev1.Record, n)
	for i := range out {
		out[i] = &sluicev1.Record{Value: fmt.Appendf(nil, "%s-%d", prefix, i)}
	}
	return out
}

// values returns the records' values as strings.
func values(recs []*sluicev1.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.GetValue())
	}
	return out
}

func offsets(recs []*sluicev1.Record) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.GetOffset()
	}
	return out
}

// span returns from, from+1, ... n offsets.
func span(from int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func atOffset(off int64) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: off}}
}

func atBoundary(bd sluicev1.Boundary) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: bd}}
}

// checkStatus fails the test unless err is a status with the code and a
// message containing every one of substrs.
func checkStatus(t *testing.T, err error, code codes.Code, substrs ...string) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || err == nil {
		t.Fatalf("got error %v, want status %v", err, code)
	}
	if st.Code() != code {
		t.Fatalf("got %v %q, want %v", st.Code(), st.Message(), code)
	}
	for _, s := range substrs {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("message %q does not mention %q", st.Message(), s)
		}
	}
	return st
}

// badRequestFields lists the fields of a status's BadRequest details.
func badRequestFields(st *status.Status) []string {
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func checkBadRequest(t *testing.T, st *status.Status, field string) {
	t.Helper()
	if fields := badRequestFields(st); !slices.Contains(fields, field) {
		t.Errorf("BadRequest fields %q, want %q (details %v)", fields, field, st.Details())
	}
}

// recvTimeout receives one message, failing the test if none comes in time.
func recvTimeout[T any](t *testing.T, recv func() (*T, error)) (*T, error) {
	t.Helper()
	type result struct {
		msg *T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := recv()
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		return r.msg, r.err
	case <-time.After(streamTimeout):
		t.Fatalf("no message within %v", streamTimeout)
		return nil, nil
	}
}

// produceStream is a client's produce stream with a sequence counter.
type produceStream struct {
	t      *testing.T
	stream grpc.BidiStreamingClient[sluicev1.ProduceRequest, sluicev1.ProduceResponse]
	seq    uint64
}

func openProduce(t *testing.T, b *servertest.Broker) *produceStream {
	t.Helper()
	stream, err := b.ProduceClient.Produce(t.Context())
	if err != nil {
		t.Fatalf("open produce stream: %v", err)
	}
	return &produceStream{t: t, stream: stream}
}

// roundTrip sends req with the next sequence and returns its response.
func (p *produceStream) roundTrip(t *testing.T, req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	t.Helper()
	p.seq++
	req.Sequence = p.seq
	if err := p.stream.Send(req); err != nil {
		t.Fatalf("send produce request: %v", err)
	}
	resp, err := recvTimeout(t, p.stream.Recv)
	if err != nil {
		t.Fatalf("produce stream ended: %v", err)
	}
	if resp.GetSequence() != p.seq {
		t.Errorf("response sequence %d, want the request's %d", resp.GetSequence(), p.seq)
	}
	return resp
}

// followFetch is a follow Fetch stream that a test cancels.
type followFetch struct {
	stream grpc.ServerStreamingClient[sluicev1.FetchResponse]
	cancel context.CancelFunc
}

func openFollow(t *testing.T, b *servertest.Broker, req *sluicev1.FetchRequest) *followFetch {
	t.Helper()
	req.Follow = true
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	stream, err := b.FetchClient.Fetch(ctx, req)
	if err != nil {
		t.Fatalf("open fetch stream: %v", err)
	}
	return &followFetch{stream: stream, cancel: cancel}
}

// readN reads until it has n records (by partition order of arrival).
func (f *followFetch) readN(t *testing.T, n int) []*sluicev1.Record {
	t.Helper()
	var out []*sluicev1.Record
	for len(out) < n {
		resp, err := recvTimeout(t, f.stream.Recv)
		if err != nil {
			t.Fatalf("follow stream ended after %d of %d records: %v", len(out), n, err)
		}
		out = append(out, resp.GetRecords()...)
	}
	if len(out) > n {
		t.Fatalf("got %d records, want %d", len(out), n)
	}
	return out
}

// streamEnd waits for a stream to end and returns the error (nil for a
// normal end).
func streamEnd[T any](t *testing.T, recv func() (*T, error)) error {
	t.Helper()
	for {
		m, err := recvTimeout(t, recv)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		_ = m
	}
}

// equalRecords fails the test unless got and want hold equal records.
func equalRecords(t *testing.T, got, want []*sluicev1.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

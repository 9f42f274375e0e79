package server

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/wire"
)

// A Fetch stream may name partitions this broker has no replica of: those are
// read through a relay, a Fetch stream of their own to a broker that has one,
// whose responses are passed on untouched. The sink merges the local fetcher
// and the relays into the client's stream.

// sink serialises the responses of a Fetch stream's sources and enforces
// max_total_records across them.
type sink struct {
	mu     sync.Mutex
	stream grpc.ServerStream
	total  int64 // 0: no limit
	sent   int64
	// throttle counts a response of n bytes against the client's fetch
	// quota and returns how long to hold it (nil: no quotas); hold waits.
	// owed is a throttle time the next response reports as well (the
	// request's own, waited out before the first response).
	throttle func(n int) time.Duration
	hold     func(ctx context.Context, d time.Duration) error
	owed     time.Duration
}

// remaining is how many more records may be sent; -1 means no limit.
func (s *sink) remaining() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total == 0 {
		return -1
	}
	return s.total - s.sent
}

// send passes on a response of n records, trimmed to the total limit, and
// reports whether the limit is now reached.
func (s *sink) send(resp []byte, n int) (full bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total > 0 {
		left := s.total - s.sent
		if left <= 0 {
			return true, nil
		}
		if int64(n) > left {
			resp, n = wire.TrimRecords(resp, int(left)), int(left)
		}
	}
	if s.throttle != nil {
		// Held with the sink's lock: the stream's other sources wait, so
		// the whole stream is throttled, and nobody else's.
		d := s.throttle(len(resp))
		if err := s.hold(s.stream.Context(), d); err != nil {
			return false, err
		}
		if ms := throttleMs(d + s.owed); ms > 0 {
			resp = wire.AppendThrottleTime(resp, ms)
		}
		s.owed = 0
	}
	if err := s.stream.SendMsg(&rawMessage{b: resp}); err != nil {
		return false, err
	}
	s.sent += int64(n)
	return s.total > 0 && s.sent >= s.total, nil
}

// relay reads some partitions from another broker into the sink until that
// stream ends, the limit is reached, or ctx ends.
func (s *fetchService) relay(ctx context.Context, addr string, req *sluicev1.FetchRequest, sk *sink) error {
	conn, err := s.b.clientConn(addr)
	if err != nil {
		return err
	}
	codec, err := newRawCodec()
	if err != nil {
		return err
	}
	ctx = metadata.AppendToOutgoingContext(ctx, forwardedKey, "1")
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(ctx, req, grpc.ForceCodecV2(codec))
	if err != nil {
		return err
	}
	for {
		var m rawMessage
		if err := stream.RecvMsg(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n, err := wire.CountRecords(m.b)
		if err != nil {
			return err
		}
		// A long follow stream is held to the ACLs as they change.
		if err := s.b.authorize(ctx, opRead, resTopic, req.GetTopic()); err != nil {
			return err
		}
		if full, err := sk.send(m.b, n); err != nil || full {
			return err
		}
	}
}

// relayRequest is the request for the partitions read through one relay.
func relayRequest(req *sluicev1.FetchRequest, parts []*sluicev1.FetchPartition) *sluicev1.FetchRequest {
	r := proto.CloneOf(req)
	r.Partitions, r.StartAll = parts, nil
	r.AcceptCompression = acceptedCodecs(req)
	return r
}

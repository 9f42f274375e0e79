package sluice

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// brokerConn sends one broker's batches on one pipelined Produce stream,
// opened when needed and reopened after it breaks. Its goroutine does the
// sending (which may block on gRPC flow control) so that a slow broker never
// holds up the others; each stream has a reader goroutine that matches
// answers to batches by sequence.
type brokerConn struct {
	p      *Producer
	addr   string
	notify chan struct{}
	quit   chan struct{}
	done   chan struct{}

	mu    sync.Mutex
	queue []*batch

	cur *produceStream // owned by the sending goroutine
	seq uint64
}

func newBrokerConn(p *Producer, addr string) *brokerConn {
	bc := &brokerConn{p: p, addr: addr, notify: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go bc.run()
	return bc
}

func (bc *brokerConn) enqueue(bs []*batch) {
	bc.mu.Lock()
	bc.queue = append(bc.queue, bs...)
	bc.mu.Unlock()
	select {
	case bc.notify <- struct{}{}:
	default:
	}
}

// close ends the stream once the broker answered what is in flight (the
// producer closes it only when nothing is), and stops the goroutines.
func (bc *brokerConn) close() {
	close(bc.quit)
	<-bc.done
}

func (bc *brokerConn) run() {
	defer close(bc.done)
	for {
		select {
		case <-bc.notify:
		case <-bc.quit:
			if s := bc.cur; s != nil {
				s.finish()
			}
			return
		}
		bc.mu.Lock()
		queue := bc.queue
		bc.queue = nil
		bc.mu.Unlock()
		for _, b := range queue {
			bc.send(b)
		}
	}
}

func (bc *brokerConn) send(b *batch) {
	s, err := bc.stream()
	if err != nil {
		bc.p.complete(b, nil, err)
		return
	}
	var rb *sluicev1.RecordBatch
	if c := bc.p.cfg.Compression; c != CompressionNone {
		if rb, err = b.compressedBatch(c); err != nil {
			bc.p.complete(b, nil, &Error{Code: codes.Internal, Message: "compress batch: " + err.Error()})
			return
		}
	}
	bc.seq++
	if !s.register(bc.seq, b) {
		bc.p.complete(b, nil, s.failure())
		return
	}
	req := &sluicev1.ProduceRequest{
		Sequence: bc.seq, Topic: b.tp.topic, Partition: proto.Int32(b.tp.partition), Acks: bc.p.cfg.Acks.toProto(),
		ProducerId: b.producerID, ProducerEpoch: b.producerEpoch, BaseSequence: b.baseSequence,
	}
	if rb != nil {
		req.Batch = rb
	} else {
		req.Records = make([]*sluicev1.Record, len(b.records))
		for i, r := range b.records {
			req.Records[i] = r.rec
		}
	}
	if err := s.stream.Send(req); err != nil {
		// The reader sees the stream's real error and fails what it holds,
		// this batch included.
		s.abandon(fromRPC(err))
	}
}

// stream returns the open stream, opening a new one if the last broke.
func (bc *brokerConn) stream() (*produceStream, error) {
	if bc.cur != nil && !bc.cur.broken() {
		return bc.cur, nil
	}
	conn, err := bc.p.c.conn(bc.addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(bc.p.ctx)
	st, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		cancel()
		return nil, fromRPC(err)
	}
	s := &produceStream{p: bc.p, stream: st, cancel: cancel, inflight: map[uint64]*batch{}, readerDone: make(chan struct{})}
	go s.read()
	bc.cur = s
	return s, nil
}

// produceStream is one Produce call.
type produceStream struct {
	p          *Producer
	stream     sluicev1.ProduceService_ProduceClient
	cancel     context.CancelFunc
	readerDone chan struct{}

	mu       sync.Mutex
	inflight map[uint64]*batch
	err      error // set once the stream broke
}

func (s *produceStream) register(seq uint64, b *batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	s.inflight[seq] = b
	b.stream.Store(s)
	return true
}

func (s *produceStream) broken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil
}

func (s *produceStream) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// abandon cancels the stream; the reader then fails every batch in flight
// with err (or the stream's own error).
func (s *produceStream) abandon(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// read matches answers to batches until the stream ends, then fails the
// batches still waiting: retryable, since they may or may not have been
// stored.
func (s *produceStream) read() {
	defer close(s.readerDone)
	for {
		resp, err := s.stream.Recv()
		if err != nil {
			s.fail(err)
			return
		}
		s.mu.Lock()
		b := s.inflight[resp.GetSequence()]
		delete(s.inflight, resp.GetSequence())
		s.mu.Unlock()
		if b != nil {
			s.p.complete(b, resp, nil)
		}
	}
}

func (s *produceStream) fail(err error) {
	s.mu.Lock()
	if s.err != nil {
		err = s.err // the reason we abandoned it, rather than "canceled"
	} else {
		err = streamError(err)
		s.err = err
	}
	waiting := s.inflight
	s.inflight = map[uint64]*batch{}
	s.mu.Unlock()
	s.cancel()
	for _, b := range waiting {
		s.p.complete(b, nil, err)
	}
}

// streamError classifies the error that ended a stream: whatever it was, the
// batches in flight may be sent again, unless the broker refused the stream
// itself (unimplemented, unauthenticated...).
func streamError(err error) error {
	e := fromRPC(err)
	var se *Error
	if errors.As(e, &se) {
		switch se.Code {
		case codes.Unimplemented, codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument:
		default:
			se.Retryable = true
		}
		return se
	}
	return &Error{Code: codes.Unavailable, Message: "produce stream ended: " + err.Error(), Retryable: true}
}

// finish half-closes the stream and waits (a bounded time) for the broker to
// end it after its last answer.
func (s *produceStream) finish() {
	_ = s.stream.CloseSend()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-s.readerDone:
	case <-t.C:
		s.abandon(&Error{Code: codes.Canceled, Message: "the producer is closed"})
		<-s.readerDone
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// recordSource supplies the records of produce requests.
type recordSource interface {
	// batch returns the encoded records field of a request holding n records
	// and their size in bytes (keys and values). The caller does not modify
	// it; it may be shared by several requests.
	batch(n int) (records []byte, size int64)
}

// producerLoad is what a group of benchmark producers sends, and how.
type producerLoad struct {
	topic       string
	partitions  int32
	acks        sluicev1.Acks
	producers   int
	batchSize   int
	maxInFlight int
	rate        float64       // records per second over all producers; 0 = no limit
	records     int64         // records to send in total; 0 = no limit
	duration    time.Duration // stop sending after this; 0 = no limit

	// leaders, when set, is the broker address of each partition's leader:
	// each producer then has a stream per leader. Otherwise every request
	// goes to --broker, which forwards what it does not lead.
	leaders []string

	source recordSource
	// onAck, when set, is called by each producer's receiving goroutine for
	// every successful response.
	onAck func(resp *sluicev1.ProduceResponse, now time.Time)
}

// produceTotals is the outcome of runProducers.
type produceTotals struct {
	acked, ackedBytes int64
	failed            int64
	requests          int64 // answered
	elapsed           time.Duration
	firstErr          string
	interrupted       bool // ctx was cancelled (Ctrl-C)
}

// sentRequest is a request waiting for its response.
type sentRequest struct {
	at      time.Time
	records int
	bytes   int64
}

// benchProducer runs one pipelined Produce stream: a sending goroutine keeps
// up to maxInFlight requests unanswered, a receiving goroutine matches the
// responses to them, timing each.
type benchProducer struct {
	id      int
	load    *producerLoad
	streams []grpc.ClientStream
	route   []int         // partition -> index in streams
	slots   chan struct{} // one token per unanswered request
	dead    chan struct{} // closed when a receiver fails or all return
	lat     *latencyRecorder
	prog    *counters

	mu      sync.Mutex
	pending map[uint64]sentRequest

	// Counted by the receivers under statsMu, read once they returned.
	statsMu                             sync.Mutex
	acked, ackedBytes, failed, requests int64
	firstErr                            string
}

// runProducers sends load.records records (or until load.duration passes,
// or ctx is cancelled) from load.producers producers, each with its own
// connection and stream, and waits for the answers to what was sent.
func runProducers(ctx context.Context, g *globalOptions, load *producerLoad,
	lat *latencyRecorder, prog *counters) (*produceTotals, error) {
	codec, err := benchCallOption()
	if err != nil {
		return nil, err
	}
	// Streams outlive ctx so that after Ctrl-C the answers to what was sent
	// still arrive; they are cancelled if those take too long.
	streamCtx, cancelStreams := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStreams()
	producers := make([]*benchProducer, load.producers)
	for i := range producers {
		streams, route, closeConns, err := producerStreams(streamCtx, g, load.leaders, load.partitions, codec)
		if err != nil {
			return nil, err
		}
		defer closeConns()
		producers[i] = &benchProducer{
			id: i, load: load, streams: streams, route: route, lat: lat, prog: prog,
			slots:   make(chan struct{}, load.maxInFlight),
			dead:    make(chan struct{}),
			pending: make(map[uint64]sentRequest),
		}
	}

	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	if load.duration > 0 {
		sendCtx, stopSending = context.WithTimeout(sendCtx, load.duration)
		defer stopSending()
	}
	start := time.Now()
	budget := newRecordBudget(load.records)
	limiter := newRateLimiter(load.rate, start)
	var senders, receivers sync.WaitGroup
	for _, p := range producers {
		senders.Go(func() { p.send(sendCtx, budget, limiter) })
		receivers.Go(p.receive)
	}
	finished := make(chan struct{})
	go func() {
		senders.Wait()
		receivers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-sendCtx.Done():
		// Time is up or Ctrl-C: the answers to what was sent get
		// drainTimeout to arrive, then the streams are cut, which also
		// unblocks a sender stuck in flow control.
		drain := time.NewTimer(drainTimeout)
		defer drain.Stop()
		select {
		case <-finished:
		case <-drain.C:
			cancelStreams()
			<-finished
		}
	}
	t := &produceTotals{elapsed: time.Since(start), interrupted: ctx.Err() != nil}
	for _, p := range producers {
		t.add(p)
	}
	return t, nil
}

func (t *produceTotals) add(p *benchProducer) {
	t.acked += p.acked
	t.ackedBytes += p.ackedBytes
	t.failed += p.failed
	t.requests += p.requests
	if t.firstErr == "" {
		t.firstErr = p.firstErr
	}
}

// send is the sending goroutine. It stops when the budget is spent, ctx is
// done or the stream fails, then closes its side of the stream.
func (p *benchProducer) send(ctx context.Context, budget *recordBudget, limiter *rateLimiter) {
	// Closing our side tells the broker no more requests are coming: it ends
	// the stream once it has answered those sent. It always returns nil.
	defer func() {
		for _, s := range p.streams {
			_ = s.CloseSend()
		}
	}()
	for i := 0; ; i++ {
		n := budget.claim(p.load.batchSize)
		if n == 0 || limiter.wait(ctx, n) != nil {
			return
		}
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return
		case <-p.dead:
			return
		}
		partition := int32((p.id + i) % int(p.load.partitions))
		if p.sendRequest(uint64(i+1), partition, n) != nil {
			return // Recv reports why
		}
	}
}

// sendRequest sends one request of n records. It is registered as pending
// before it is sent, so its response always finds it.
func (p *benchProducer) sendRequest(seq uint64, partition int32, n int) error {
	records, size := p.load.source.batch(n)
	msg := &benchMessage{parts: [][]byte{
		produceHeader(seq, p.load.topic, partition, p.load.acks),
		records,
	}}
	p.mu.Lock()
	p.pending[seq] = sentRequest{at: time.Now(), records: n, bytes: size}
	p.mu.Unlock()
	return p.streams[p.route[partition]].SendMsg(msg)
}

// receive is the receiving goroutine: it handles the responses of every
// stream until they end, then counts what was never answered as failed. The
// first stream to fail stops the producer's sender.
func (p *benchProducer) receive() {
	var once sync.Once
	stop := func() { once.Do(func() { close(p.dead) }) }
	defer stop()
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var err error
	for _, s := range p.streams {
		wg.Go(func() {
			if e := p.receiveAll(s); e != nil {
				errMu.Lock()
				if err == nil {
					err = e
				}
				errMu.Unlock()
				stop()
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.pending {
		p.failed += int64(r.records)
	}
	if len(p.pending) > 0 && err == nil {
		err = fmt.Errorf("broker ended the stream with %d requests unanswered", len(p.pending))
	}
	clear(p.pending)
	if err != nil {
		p.noteError(streamErrorMessage(context.Background(), err))
	}
}

func (p *benchProducer) receiveAll(stream grpc.ClientStream) error {
	for {
		resp := new(sluicev1.ProduceResponse)
		err := stream.RecvMsg(resp)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		now := time.Now()
		p.mu.Lock()
		req, ok := p.pending[resp.GetSequence()]
		delete(p.pending, resp.GetSequence())
		p.mu.Unlock()
		if !ok {
			return fmt.Errorf("broker answered unknown request sequence %d", resp.GetSequence())
		}
		<-p.slots
		p.lat.record(now.Sub(req.at))
		p.statsMu.Lock()
		p.count(resp, req, now)
		p.statsMu.Unlock()
	}
}

// count adds one response to the totals.
func (p *benchProducer) count(resp *sluicev1.ProduceResponse, req sentRequest, now time.Time) {
	p.requests++
	failed := int64(0)
	if e := resp.GetError(); e != nil {
		failed = int64(req.records)
		p.noteError(protoErrorMessage(e))
	}
	for _, r := range resp.GetResults() {
		if e := r.GetError(); e != nil {
			failed += int64(max(r.GetRecordCount(), 1))
			p.noteError(protoErrorMessage(e))
		}
	}
	failed = min(failed, int64(req.records))
	p.failed += failed
	if failed > 0 {
		return
	}
	p.acked += int64(req.records)
	p.ackedBytes += req.bytes
	p.prog.add(int64(req.records), req.bytes)
	if p.load.onAck != nil {
		p.load.onAck(resp, now)
	}
}

func (p *benchProducer) noteError(msg string) {
	if p.firstErr == "" {
		p.firstErr = msg
	}
}

// streamErrorMessage describes why the stream failed, for the failure summary.
func streamErrorMessage(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "interrupted"
	}
	if st, ok := status.FromError(err); ok {
		return st.Message()
	}
	return err.Error()
}

// protoErrorMessage is the message of an error inside a response.
func protoErrorMessage(e *sluicev1.Error) string {
	if e.GetMessage() != "" {
		return e.GetMessage()
	}
	return codes.Code(e.GetCode()).String()
}

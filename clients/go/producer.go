package sluice

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Acks says when the broker acknowledges a produce request.
type Acks int

const (
	// AcksAll waits until the partition's raft group committed the records
	// (the default).
	AcksAll Acks = iota
	// AcksLeader waits until the leader persisted the records.
	AcksLeader
	// AcksNone is answered as soon as the request is accepted; offsets are -1.
	AcksNone
)

func (a Acks) toProto() sluicev1.Acks {
	switch a {
	case AcksLeader:
		return sluicev1.Acks_ACKS_LEADER
	case AcksNone:
		return sluicev1.Acks_ACKS_NONE
	}
	return sluicev1.Acks_ACKS_ALL
}

// ProducerConfig tunes a Producer. The zero value is usable: every zero field
// takes the default named in its comment.
type ProducerConfig struct {
	Acks Acks
	// BatchMaxRecords: a batch is sent once it holds this many records (1000).
	BatchMaxRecords int
	// BatchMaxBytes: a batch is sent once it holds about this many bytes (1 MiB).
	BatchMaxBytes int
	// Linger is how long a batch waits for more records before it is sent
	// (5 ms); negative sends each batch as soon as the partition is free.
	Linger time.Duration
	// MaxRetries is how many times a batch is sent again after a retryable
	// error (10); negative never retries.
	MaxRetries int
	// RetryBackoff is the wait before the first retry of a batch (100 ms),
	// doubled for each further one up to RetryBackoffMax (2 s).
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// DeliveryTimeout bounds the time from Produce to the record's report,
	// retries included (2 minutes).
	DeliveryTimeout time.Duration
	// RequestTimeout is how long a sent batch may wait for its answer before
	// the stream is abandoned and the batch retried (30 s).
	RequestTimeout time.Duration
	// BufferBytes bounds the bytes of records produced and not yet reported;
	// Produce blocks while it is reached (64 MiB).
	BufferBytes int
	// MaxRecordBytes refuses larger records at once, before they could fail a
	// whole batch at the broker (1 MiB, the broker's default limit).
	MaxRecordBytes int
	// DisableIdempotence turns off the idempotent producer, which is on by
	// default (except with AcksNone, where the producer never learns the
	// outcome): the producer takes an id from the cluster (InitProducer) and
	// numbers each partition's records, so a batch sent again after a
	// timeout or a leader change is stored once (see producer_idempotence.go).
	DisableIdempotence bool
	// Compression compresses each batch as a whole (CompressionNone: sent
	// uncompressed). The broker stores batches compressed (unless the topic's
	// compression.type says otherwise) and consumers decompress them, so it
	// saves network and disk for CPU on the producer. Records without a
	// Timestamp then get the producer's clock rather than the broker's.
	// BatchMaxBytes counts uncompressed bytes.
	Compression Compression
}

func (c ProducerConfig) withDefaults() ProducerConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.BatchMaxRecords, 1000)
	def(&c.BatchMaxBytes, 1<<20)
	def(&c.BufferBytes, 64<<20)
	def(&c.MaxRecordBytes, 1<<20)
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = 10
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	switch {
	case c.Linger == 0:
		c.Linger = 5 * time.Millisecond
	case c.Linger < 0:
		c.Linger = 0
	}
	defDur(&c.RetryBackoff, 100*time.Millisecond)
	defDur(&c.RetryBackoffMax, 2*time.Second)
	defDur(&c.DeliveryTimeout, 2*time.Minute)
	defDur(&c.RequestTimeout, 30*time.Second)
	return c
}

// Producer sends records to their partitions' leaders. Make it with
// NewProducer; it is safe for concurrent use. Close it to send what is
// buffered and release its streams.
//
// Each partition has at most one request in flight, so a batch that fails
// and is retried can never be overtaken by a later batch of its partition;
// the requests of all partitions a broker leads share one pipelined stream to
// it. A retried batch may have been stored by the first attempt (a stream that
// broke before the answer); the idempotent producer (the default) resends it
// with the same sequence numbers and the partition stores it once. Without
// idempotence delivery is at least once.
type Producer struct {
	c         *Client
	cfg       ProducerConfig
	wake      chan struct{}
	stop      chan struct{}
	runDone   chan struct{}
	ctx       context.Context // the streams' context, canceled once closed
	cancel    context.CancelFunc
	stopWatch func()

	mu          sync.Mutex
	acc         *accumulator
	closing     bool
	flushers    int
	outstanding int           // records accepted and not yet reported
	buffered    int           // their bytes
	idle        chan struct{} // closed when outstanding drops to 0
	space       chan struct{} // closed when buffered bytes shrink
	conns       map[string]*brokerConn
	sent        map[topicPartition]map[string]int // batches per broker address, for tests
	idem        idempotence
	bg          sync.WaitGroup // the producer id requests
	// aborted fails every record not yet reported, without retries, once
	// set by Shutdown.
	aborted error
}

// NewProducer returns a producer sending through c.
func NewProducer(c *Client, cfg ProducerConfig) (*Producer, error) {
	if c == nil {
		return nil, errors.New("sluice: NewProducer needs a Client")
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Producer{
		c: c, cfg: cfg, wake: make(chan struct{}, 1), stop: make(chan struct{}), runDone: make(chan struct{}),
		ctx: ctx, cancel: cancel, idle: make(chan struct{}), space: make(chan struct{}),
		conns: map[string]*brokerConn{}, sent: map[topicPartition]map[string]int{},
		idem: idempotence{enabled: !cfg.DisableIdempotence && cfg.Acks != AcksNone, seqs: map[topicPartition]*partitionSequence{}},
	}
	p.acc = newAccumulator(batchLimits{
		maxRecords: cfg.BatchMaxRecords, maxBytes: cfg.BatchMaxBytes, linger: cfg.Linger, deliveryTimeout: cfg.DeliveryTimeout,
	}, func(n int32) int32 { return rand.Int32N(n) })
	close(p.idle)
	p.stopWatch = c.watch(p.poke)
	go p.run()
	return p, nil
}

// Produce queues a record and returns; done (which may be nil) is called once
// with the record's partition and offset, or its error. Callbacks run on the
// producer's goroutines, for the records of one partition in offset order:
// keep them short, and do not call Flush or Close from one (nor Produce
// while the buffer may be full: it would wait for reports that the blocked
// callback holds up). done is called before Produce returns for a record that
// cannot be queued (a closed producer, an unknown topic, a record over
// MaxRecordBytes, ctx ending while the buffer is full).
//
// ctx bounds only the wait for the partition count of a topic seen for the
// first time and for buffer space; once queued, a record is bounded by
// DeliveryTimeout.
func (p *Producer) Produce(ctx context.Context, r *Record, done func(RecordMetadata, error)) {
	if done == nil {
		done = func(RecordMetadata, error) {}
	}
	if err := p.produce(ctx, r, done); err != nil {
		md := RecordMetadata{Offset: -1}
		if r != nil {
			md.Topic, md.Partition = r.Topic, r.Partition
		}
		done(md, err)
	}
}

func (p *Producer) produce(ctx context.Context, r *Record, done func(RecordMetadata, error)) error {
	if r == nil {
		return errors.New("sluice: Produce of a nil record")
	}
	if p.isClosing() {
		return ErrClosed
	}
	n, err := p.c.partitionCount(ctx, r.Topic)
	if err != nil {
		return err
	}
	part := int32(-1)
	switch {
	case r.ManualPartition:
		if r.Partition < 0 || r.Partition >= n {
			return &Error{Code: codes.InvalidArgument, Message: "partition: " + noSuchPartition(r.Topic, int(n), int64(r.Partition))}
		}
		part = r.Partition
	case r.Key != nil:
		part = PartitionForKey(r.Key, n)
	}
	pr := r.toProto()
	size := proto.Size(pr)
	if size > p.cfg.MaxRecordBytes {
		return &Error{Code: codes.InvalidArgument, Message: fmt.Sprintf("record is %d bytes, over the producer's MaxRecordBytes of %d", size, p.cfg.MaxRecordBytes)}
	}
	rec := &pendingRecord{rec: pr, size: size, done: done}
	p.mu.Lock()
	for p.outstanding > 0 && p.buffered+size > p.cfg.BufferBytes && !p.closing {
		space := p.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("sluice: waiting for buffer space: %w", ctx.Err())
		}
		p.mu.Lock()
	}
	if p.closing {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.outstanding == 0 {
		p.idle = make(chan struct{})
	}
	p.outstanding++
	p.buffered += size
	b, opened := p.acc.add(r.Topic, part, n, rec, time.Now())
	wake := opened || b.sealed
	p.mu.Unlock()
	if wake {
		p.poke()
	}
	return nil
}

// ProduceSync produces the records and waits for all their reports. It
// returns their metadata, in the order of records, and the first error; if
// ctx ends first, only ctx's error.
func (p *Producer) ProduceSync(ctx context.Context, records ...*Record) ([]RecordMetadata, error) {
	out := make([]RecordMetadata, len(records))
	errs := make([]error, len(records))
	var wg sync.WaitGroup
	wg.Add(len(records))
	for i, r := range records {
		p.Produce(ctx, r, func(md RecordMetadata, err error) {
			out[i], errs[i] = md, err
			wg.Done()
		})
	}
	if err := p.Flush(ctx); err != nil {
		return nil, err // the callbacks of records still in flight write to out later
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Flush sends every buffered record at once and waits until every record
// produced before the call (and any produced meanwhile) was reported, or ctx
// ends.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	p.flushers++
	idle := p.idle
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.flushers--
		p.mu.Unlock()
	}()
	p.poke()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends what is buffered, waits until every record was reported (each
// is bounded by DeliveryTimeout), then closes the producer's streams. Produce
// fails with ErrClosed afterwards.
func (p *Producer) Close() error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		<-p.runDone
		return nil
	}
	p.closing = true
	idle := p.idle
	close(p.space) // wakes blocked Produce calls, which now fail
	p.mu.Unlock()
	p.poke()
	<-idle
	close(p.stop)
	<-p.runDone
	p.stopWatch()
	p.mu.Lock()
	conns := p.conns
	p.conns = map[string]*brokerConn{}
	p.mu.Unlock()
	for _, bc := range conns {
		bc.close()
	}
	p.cancel()
	p.bg.Wait()
	return nil
}

// Shutdown is Close with a deadline: it sends what is buffered and waits
// for the records' reports until ctx ends. Records not reported by then fail
// at once with ctx's error (batches in flight may still have been stored),
// the producer is closed, and Shutdown returns ctx's error. It is what an
// interrupted command wants: deliver what can be delivered quickly, then
// stop, instead of waiting up to DeliveryTimeout.
func (p *Producer) Shutdown(ctx context.Context) error {
	closed := make(chan struct{})
	go func() {
		_ = p.Close() // always nil
		close(closed)
	}()
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	p.aborted = &Error{Code: codes.Canceled, Message: "the producer was shut down before the record was acknowledged: " + ctx.Err().Error()}
	p.mu.Unlock()
	p.poke()
	<-closed
	return ctx.Err()
}

func (p *Producer) isClosing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closing
}

// poke wakes the sender.
func (p *Producer) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run is the sender: it picks the batches that may go, hands each to its
// leader's stream, fails batches past their deadline, abandons streams that
// stopped answering, and sleeps until the next linger, backoff or deadline.
func (p *Producer) run() {
	defer close(p.runDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := p.dispatch(time.Now())
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), time.Millisecond))
		}
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.stop:
			return
		}
	}
}

// dispatch does one round of the sender's work and returns when the next is due.
func (p *Producer) dispatch(now time.Time) time.Time {
	var (
		next     time.Time
		expired  []*batch
		stale    []*produceStream
		sends    = map[*brokerConn][]*batch{}
		noLeader bool
		needID   bool
		suspect  bool // a batch waits long: is its leader still the leader?
		moved    = map[*produceStream]error{}
	)
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	p.mu.Lock()
	force := p.flushers > 0 || p.closing
	aborted := p.aborted
	for _, q := range p.acc.parts {
		if b := q.inFlight; b != nil {
			if aborted != nil {
				if s := b.stream.Load(); s != nil {
					stale = append(stale, s)
				}
				continue
			}
			s := b.stream.Load()
			due := b.sentAt.Add(p.cfg.RequestTimeout)
			if !now.Before(due) {
				if s != nil {
					stale = append(stale, s)
				}
				continue
			}
			soonest(due)
			if check := b.sentAt.Add(leaderCheckAfter); now.Before(check) {
				soonest(check)
			} else if err := p.leaderMovedLocked(b); err != nil && s != nil {
				moved[s] = err
			} else {
				suspect = true
				soonest(now.Add(leaderCheckAfter))
			}
			continue
		}
		for len(q.batches) > 0 && (aborted != nil || !now.Before(q.batches[0].deadline)) {
			expired = append(expired, p.acc.drop(q))
		}
		ok, when := p.acc.sendable(q, now, force)
		if !ok {
			soonest(when)
			if len(q.batches) > 0 {
				soonest(q.batches[0].deadline)
			}
			continue
		}
		_, addr, known := p.c.leader(q.tp.topic, q.tp.partition)
		if !known {
			noLeader = true
			soonest(now.Add(p.cfg.RetryBackoff))
			soonest(q.batches[0].deadline)
			continue
		}
		if !p.numberLocked(q.batches[0]) {
			// No producer id yet: fetched in the background, then poked.
			if err := p.idem.err; err != nil && !IsRetryable(err) {
				expired = append(expired, p.acc.drop(q))
				continue
			}
			needID = true
			soonest(now.Add(p.cfg.RetryBackoff)) // to fetch again after a failure
			soonest(q.batches[0].deadline)
			continue
		}
		b := p.acc.start(q, now)
		b.addr = addr
		if p.sent[q.tp] == nil {
			p.sent[q.tp] = map[string]int{}
		}
		p.sent[q.tp][addr]++
		bc := p.conns[addr]
		if bc == nil {
			bc = newBrokerConn(p, addr)
			p.conns[addr] = bc
		}
		sends[bc] = append(sends[bc], b)
		soonest(now.Add(p.cfg.RequestTimeout))
	}
	if needID {
		p.fetchIDLocked()
	}
	p.mu.Unlock()
	if noLeader || suspect {
		p.c.refreshSoon()
	}
	for s, err := range moved {
		s.abandon(err)
	}
	staleErr := aborted
	if staleErr == nil {
		staleErr = &Error{Code: codes.DeadlineExceeded, Message: fmt.Sprintf("no answer within the producer's RequestTimeout of %v", p.cfg.RequestTimeout), Retryable: true}
	}
	for _, s := range stale {
		s.abandon(staleErr)
	}
	for _, b := range expired {
		err := aborted
		if err == nil {
			err = deliveryTimeout(b)
		}
		p.report(b, -1, 0, err)
	}
	for bc, bs := range sends {
		bc.enqueue(bs)
	}
	return next
}

// leaderCheckAfter is how long a batch waits for its answer before the
// producer asks the cluster whether the broker it was sent to still leads
// the partition. A leader that hangs or is cut off stops answering without
// closing the connection; the other brokers elect a new one within a few
// seconds, and the producer must follow rather than wait out
// RequestTimeout. A batch that is merely slow costs one metadata refresh a
// second.
const leaderCheckAfter = time.Second

// leaderMovedLocked returns the error that abandons b's stream when the
// metadata names another leader for b's partition than the broker b went to.
func (p *Producer) leaderMovedLocked(b *batch) error {
	id, addr, ok := p.c.leader(b.tp.topic, b.tp.partition)
	if !ok || addr == b.addr {
		return nil
	}
	return &Error{Code: codes.Unavailable, Retryable: true,
		Message: fmt.Sprintf("no answer from %s for %v, and broker %d (%s) now leads %s/%d: sending again there", b.addr, leaderCheckAfter, id, addr, b.tp.topic, b.tp.partition)}
}

func deliveryTimeout(b *batch) error {
	if b.lastErr != nil {
		return fmt.Errorf("%w after %d attempts: %w", ErrDeliveryTimeout, b.attempts, b.lastErr)
	}
	if b.idErr != nil {
		return fmt.Errorf("%w: no producer id: %w", ErrDeliveryTimeout, b.idErr)
	}
	return fmt.Errorf("%w: the record could not be sent (no leader known for %s/%d)", ErrDeliveryTimeout, b.tp.topic, b.tp.partition)
}

// complete handles the answer to a sent batch: resp, or err when the stream
// broke. It retries the batch or reports its records.
func (p *Producer) complete(b *batch, resp *sluicev1.ProduceResponse, err error) {
	base, failure := outcome(b, resp, err)
	now := time.Now()
	p.mu.Lock()
	q := p.acc.parts[b.tp]
	if q == nil || q.inFlight != b {
		p.mu.Unlock()
		return // already settled
	}
	retry := failure != nil && IsRetryable(failure) && b.attempts <= p.cfg.MaxRetries && p.aborted == nil
	if retry {
		b.lastErr = failure
		wait := backoffFor(b.attempts, p.cfg.RetryBackoff, p.cfg.RetryBackoffMax)
		if now.Add(wait).After(b.deadline) {
			retry = false
			failure = fmt.Errorf("%w after %d attempts: %w", ErrDeliveryTimeout, b.attempts, failure)
		} else {
			p.acc.finish(q, false, now.Add(wait))
		}
	}
	if !retry {
		p.acc.finish(q, true, time.Time{})
	}
	p.mu.Unlock()
	if retry {
		var e *Error
		if errors.As(failure, &e) && e.NotLeader != nil && e.NotLeader.LeaderID != 0 && e.NotLeader.LeaderAddress != "" {
			p.c.noteLeader(e.NotLeader)
		} else {
			p.c.refreshSoon()
		}
		p.poke()
		return
	}
	p.report(b, base, time.Duration(resp.GetThrottleTimeMs())*time.Millisecond, failure)
	p.poke()
}

// outcome reads a batch's answer: the base offset, or an error.
func outcome(b *batch, resp *sluicev1.ProduceResponse, err error) (int64, error) {
	if err != nil {
		return -1, err
	}
	if e := resp.GetError(); e != nil {
		return -1, fromProto(e)
	}
	for _, r := range resp.GetResults() {
		if r.GetPartition() != b.tp.partition {
			continue
		}
		if e := r.GetError(); e != nil {
			return -1, fromProto(e)
		}
		if int(r.GetRecordCount()) != len(b.records) {
			return -1, &Error{Code: codes.Internal, Message: fmt.Sprintf("the broker stored %d records of a batch of %d", r.GetRecordCount(), len(b.records))}
		}
		return r.GetBaseOffset(), nil
	}
	return -1, &Error{Code: codes.Internal, Message: fmt.Sprintf("the broker's answer has no result for partition %d", b.tp.partition)}
}

// report calls the records' callbacks, in order, and releases their buffer
// space; throttle is how long the broker held the batch's answer back.
func (p *Producer) report(b *batch, base int64, throttle time.Duration, err error) {
	for i, r := range b.records {
		md := RecordMetadata{Topic: b.tp.topic, Partition: b.tp.partition, Offset: -1, Throttle: throttle}
		if err == nil && base >= 0 {
			md.Offset = base + int64(i)
		}
		r.done(md, err)
	}
	p.mu.Lock()
	if err != nil {
		p.forgetSequenceLocked(b)
	}
	p.outstanding -= len(b.records)
	p.buffered -= b.bytes
	if p.outstanding == 0 {
		close(p.idle)
	}
	if !p.closing {
		close(p.space)
		p.space = make(chan struct{})
	}
	p.mu.Unlock()
}

// noSuchPartition says that a topic of n partitions has no partition p.
func noSuchPartition(topic string, n int, p int64) string {
	if n == 1 {
		return fmt.Sprintf("topic %q has 1 partition (0); partition %d does not exist", topic, p)
	}
	return fmt.Sprintf("topic %q has %d partitions (0 to %d); partition %d does not exist", topic, n, n-1, p)
}

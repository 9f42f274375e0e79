package sluice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// ConsumerConfig says what a Consumer reads.
type ConsumerConfig struct {
	Topic string
	// Partitions to read; empty means every partition of the topic.
	Partitions []int32
	// Start is where each partition starts (the zero value is Earliest).
	Start Position
	// StartAt overrides Start for some partitions.
	StartAt map[int32]Position
	// Follow keeps reading new records as they commit, until Close or the
	// context of Next ends. Without it the read ends (Next returns io.EOF)
	// once every partition was read up to the high watermark it had when its
	// read reached it.
	Follow bool
	// MaxRecords stops the read after this many records in total (0: no limit).
	MaxRecords int64
	// FetchMaxRecords and FetchMaxBytes bound each response of the broker
	// (0: the broker's defaults, 10000 records and 1 MiB).
	FetchMaxRecords int32
	FetchMaxBytes   int32
	// MaxRetries is how many times in a row a broken read is reopened before
	// Next returns the error (10); negative retries forever. A read that gets
	// records again starts the count anew.
	MaxRetries int
	// RetryBackoff is the wait before the first reopening (100 ms), doubled
	// for each further one up to 2 s.
	RetryBackoff time.Duration
	// ResetOutOfRange restarts a partition whose position is outside its log
	// (retention removed the records there, or it is past the end) from
	// Start, which must then be Earliest or Latest, as Kafka's
	// auto.offset.reset does; without it the read ends with OUT_OF_RANGE.
	ResetOutOfRange bool
	// OnReset, when set, is told of each such restart. It is called from a
	// reading goroutine: keep it short.
	OnReset func(OffsetReset)
	// OnThrottle, when set, is told how long the broker held back each
	// response it throttled because the client is over a fetch or request
	// quota (throttle_time_ms); the records still come. It is called from a
	// reading goroutine: keep it short.
	OnThrottle func(time.Duration)
}

// OffsetReset is a partition whose position was outside its log and that
// restarted from the reset position (ConsumerConfig.ResetOutOfRange).
type OffsetReset struct {
	Topic     string
	Partition int32
	// Offset is the position refused; LogStart and HighWatermark are the
	// log's range when it was.
	Offset, LogStart, HighWatermark int64
	// To is where the partition restarts: Earliest or Latest.
	To Position
}

// Consumer reads records of one topic by offset, straight from each
// partition's leader: one Fetch stream per broker, merged. Records of one
// partition come in offset order. A stream that fails with a retryable
// error (the broker restarting, leadership moving) is reopened after a
// metadata refresh, from the offset after the last record received.
//
// Next and Records are for one goroutine; Close and Positions may be called
// from any.
type Consumer struct {
	c   *Client
	cfg ConsumerConfig

	ctx    context.Context
	cancel context.CancelFunc
	events chan fetchEvent
	wg     sync.WaitGroup

	started   bool
	err       error
	buf       []*Record
	delivered int64

	mu        sync.Mutex
	positions map[int32]int64
	closed    bool
}

// fetchEvent is the records of one Fetch response, or the error that ended
// the read.
type fetchEvent struct {
	partition int32
	records   []*sluicev1.Record
	err       error
}

// NewConsumer returns a consumer of cfg.Topic. It connects on the first Next.
func NewConsumer(c *Client, cfg ConsumerConfig) (*Consumer, error) {
	if c == nil {
		return nil, errors.New("sluice: NewConsumer needs a Client")
	}
	if cfg.Topic == "" {
		return nil, errors.New("sluice: ConsumerConfig.Topic is required")
	}
	if cfg.ResetOutOfRange && cfg.Start.kind != posEarliest && cfg.Start.kind != posLatest {
		return nil, errors.New("sluice: ConsumerConfig.ResetOutOfRange needs Start Earliest or Latest")
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 10
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = -1
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Consumer{c: c, cfg: cfg, ctx: ctx, cancel: cancel, events: make(chan fetchEvent, 16), positions: map[int32]int64{}}, nil
}

// Next returns the next record. It returns io.EOF at the end of a read
// without Follow (or after MaxRecords), ErrClosed after Close, ctx's error
// when ctx ends first, and otherwise the broker's error (an unknown topic, an
// offset out of range, a broker that stayed unreachable); the consumer is
// finished after any error but ctx's.
func (c *Consumer) Next(ctx context.Context) (*Record, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	for {
		if len(c.buf) > 0 {
			r := c.buf[0]
			c.buf = c.buf[1:]
			c.delivered++
			c.mu.Lock()
			c.positions[r.Partition] = r.Offset + 1
			c.mu.Unlock()
			if c.cfg.MaxRecords > 0 && c.delivered >= c.cfg.MaxRecords {
				c.buf = nil
				c.finish(io.EOF)
			}
			return r, nil
		}
		if c.err != nil {
			return nil, c.err
		}
		if !c.started {
			if err := c.start(ctx); err != nil {
				if ctx.Err() == nil {
					c.finish(err)
				}
				return nil, err
			}
		}
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.finish(c.endReason(io.EOF))
				continue
			}
			if ev.err != nil {
				c.finish(ev.err)
				continue
			}
			for _, pr := range ev.records {
				c.buf = append(c.buf, recordFromProto(c.cfg.Topic, ev.partition, pr))
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.ctx.Done():
			c.finish(c.endReason(ErrClosed))
		}
	}
}

// Records iterates over the records until the end of the read (without
// Follow), an error (yielded once, with a nil record), or ctx's end. Breaking
// out of the loop leaves the consumer usable: Records or Next continue after
// the last record returned.
func (c *Consumer) Records(ctx context.Context) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for {
			r, err := c.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// Positions returns, for each partition read from so far, the offset after
// the last record returned: where a new read would resume.
func (c *Consumer) Positions() map[int32]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.positions)
}

// Close stops the read and waits for its streams to end.
func (c *Consumer) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	return nil
}

// endReason is ErrClosed after Close, else err.
func (c *Consumer) endReason(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return err
}

func (c *Consumer) finish(err error) {
	if c.err == nil {
		c.err = err
	}
	c.cancel()
}

// start resolves the partitions and their start positions and opens the reads.
func (c *Consumer) start(ctx context.Context) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	n, err := c.c.partitionCount(ctx, c.cfg.Topic)
	if err != nil {
		return err
	}
	parts := slices.Clone(c.cfg.Partitions)
	if len(parts) == 0 {
		for p := range n {
			parts = append(parts, p)
		}
	}
	starts := map[int32]Position{}
	var latest []int32
	for _, p := range parts {
		if p < 0 || p >= n {
			return &Error{Code: codes.InvalidArgument, Message: "partitions: " + noSuchPartition(c.cfg.Topic, int(n), int64(p))}
		}
		pos, ok := c.cfg.StartAt[p]
		if !ok {
			pos = c.cfg.Start
		}
		starts[p] = pos
		if pos.kind == posLatest {
			latest = append(latest, p)
		}
	}
	// "Latest" becomes an offset now, so that a read reopened later resumes
	// from there and misses nothing committed in between.
	if len(latest) > 0 {
		req := &sluicev1.ListOffsetsRequest{Topic: c.cfg.Topic, Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}}
		offs, err := c.c.listOffsets(ctx, req, latest)
		if err != nil {
			return err
		}
		for _, o := range offs {
			starts[o.Partition] = AtOffset(o.Offset)
		}
	}
	c.started = true
	c.wg.Add(1)
	go func() {
		c.wg.Wait()
		close(c.events)
	}()
	go func() {
		defer c.wg.Done()
		c.read(starts)
	}()
	return nil
}

// read serves a set of partitions: it groups them by the broker to read them
// from, hands all but one group to new goroutines, and reads the remaining
// group on one Fetch stream, reopening it after retryable errors.
func (c *Consumer) read(parts map[int32]Position) {
	failures := 0
	var lastErr error
	for len(parts) > 0 {
		if failures > 0 {
			if c.cfg.MaxRetries >= 0 && failures > c.cfg.MaxRetries {
				c.emit(fetchEvent{err: lastErr})
				return
			}
			if sleepCtx(c.ctx, backoffFor(failures, c.cfg.RetryBackoff, 2*time.Second)) != nil {
				return
			}
			if err := c.c.refresh(c.ctx); err != nil && c.ctx.Err() == nil {
				lastErr = err
				failures++
				continue
			}
		}
		addr, mine := c.split(parts)
		if c.ctx.Err() != nil {
			return
		}
		if addr == "" {
			failures++
			lastErr = &Error{Code: codes.Unavailable, Message: fmt.Sprintf("no broker known for partitions %v of %q", slices.Sorted(maps.Keys(parts)), c.cfg.Topic), Retryable: true}
			continue
		}
		parts = mine
		progressed, err := c.fetch(addr, parts)
		if err == nil || c.ctx.Err() != nil {
			return
		}
		if !IsRetryable(err) {
			if c.resetOutOfRange(err, parts) {
				continue
			}
			c.emit(fetchEvent{err: err})
			return
		}
		if progressed {
			failures = 0
		}
		failures++
		lastErr = err
	}
}

// resetOutOfRange applies ResetOutOfRange: when err refuses the position of
// one of parts as outside its log, that partition restarts from Start, and
// the caller reopens the read at once. Earliest is asked as such, so the
// restart cannot be out of range again; Latest becomes the high watermark
// the broker reported, so that a reopened read misses nothing after it.
func (c *Consumer) resetOutOfRange(err error, parts map[int32]Position) bool {
	var e *Error
	if !c.cfg.ResetOutOfRange || !errors.As(err, &e) || e.Code != codes.OutOfRange || e.outOfRange == nil {
		return false
	}
	d := e.outOfRange
	if _, ok := parts[d.GetPartition()]; !ok {
		return false
	}
	to := Earliest
	if c.cfg.Start.kind == posLatest {
		to = Latest
		parts[d.GetPartition()] = AtOffset(d.GetHighWatermark())
	} else {
		parts[d.GetPartition()] = Earliest
	}
	if c.cfg.OnReset != nil {
		c.cfg.OnReset(OffsetReset{
			Topic: c.cfg.Topic, Partition: d.GetPartition(), Offset: d.GetRequestedOffset(),
			LogStart: d.GetLogStartOffset(), HighWatermark: d.GetHighWatermark(), To: to,
		})
	}
	return true
}

// split picks the broker of the first partition (by number) and starts new
// readers for the partitions of other brokers; it returns the partitions
// left to this reader. addr is empty when no broker is known for them.
func (c *Consumer) split(parts map[int32]Position) (addr string, mine map[int32]Position) {
	groups := map[string]map[int32]Position{}
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		a, _ := c.c.readAddr(c.cfg.Topic, p)
		if addr == "" && a != "" || len(groups) == 0 {
			addr = a
		}
		if groups[a] == nil {
			groups[a] = map[int32]Position{}
		}
		groups[a][p] = parts[p]
	}
	for a, g := range groups {
		if a == addr || a == "" {
			continue
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.read(g)
		}()
	}
	mine = groups[addr]
	if addr != "" && groups[""] != nil {
		// Partitions without a known broker wait with their own reader.
		unknown := groups[""]
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.read(unknown)
		}()
	}
	return addr, mine
}

// fetch reads parts from one broker until the stream ends. It updates parts
// as records arrive (each partition resumes after its last record; one read
// up to its end without Follow is dropped), and reports whether any record
// came.
func (c *Consumer) fetch(addr string, parts map[int32]Position) (progressed bool, err error) {
	conn, err := c.c.conn(addr)
	if err != nil {
		return false, err
	}
	req := &sluicev1.FetchRequest{
		Topic: c.cfg.Topic, Follow: c.cfg.Follow, MaxRecords: c.cfg.FetchMaxRecords, MaxBytes: c.cfg.FetchMaxBytes,
		MaxTotalRecords: c.cfg.MaxRecords, AcceptCompression: acceptedCodecs,
	}
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		req.Partitions = append(req.Partitions, &sluicev1.FetchPartition{Partition: p, Start: parts[p].toProto()})
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(ctx, req)
	if err != nil {
		return false, fromRPC(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return progressed, nil
		}
		if err != nil {
			return progressed, fromRPC(err)
		}
		if ms := resp.GetThrottleTimeMs(); ms > 0 && c.cfg.OnThrottle != nil {
			c.cfg.OnThrottle(time.Duration(ms) * time.Millisecond)
		}
		recs, err := fetchedRecords(resp)
		if err != nil {
			return progressed, err
		}
		if len(recs) == 0 {
			continue
		}
		progressed = true
		p := resp.GetPartition()
		next := recs[len(recs)-1].GetOffset() + 1
		if !c.cfg.Follow && next >= resp.GetHighWatermark() {
			delete(parts, p) // read to its end: not asked again after a reconnect
		} else {
			parts[p] = AtOffset(next)
		}
		if !c.emit(fetchEvent{partition: p, records: recs}) {
			return progressed, nil
		}
	}
}

// emit hands an event to Next; false once the consumer stopped.
func (c *Consumer) emit(ev fetchEvent) bool {
	select {
	case c.events <- ev:
		return true
	case <-c.ctx.Done():
		return false
	}
}

package server

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"google.golang.org/grpc"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/quota"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

type fetchService struct {
	sluicev1.UnimplementedFetchServiceServer
	b *Broker
	// quotas throttles clients over their fetch quotas (quota.go).
	quotas *quotaEnforcer
}

// cursor is the read position of a fetch stream in one partition.
type cursor struct {
	partition int32
	r         *replica.Replica
	next      int64
	done      bool // bounded reads: reached the high watermark
}

// fetchLimits are the bounds of one response.
type fetchLimits struct {
	records, bytes int
}

// Fetch streams committed records. Each response holds records of one
// partition; with several partitions the stream serves them in turn. Sending
// blocks while the client's flow-control window is full, so a slow consumer
// holds at most one response's worth of buffers on the broker. Partitions
// with no replica here are relayed from a broker that has one.
func (s *fetchService) Fetch(req *sluicev1.FetchRequest, stream grpc.ServerStreamingServer[sluicev1.FetchResponse]) error {
	if err := s.b.authorize(stream.Context(), opRead, resTopic, req.GetTopic()); err != nil {
		return err
	}
	caller, err := callerOf(stream.Context())
	if err != nil {
		return err
	}
	// A fetch call is one request; over the request rate it starts late.
	owed := s.quotas.delay(caller, quota.Requests, 1)
	if err := s.b.holdBack(stream.Context(), owed); err != nil {
		return err
	}
	topic := s.b.meta.Topic(req.GetTopic())
	if topic == nil {
		return topicNotFound(req.GetTopic())
	}
	cursors, remote, err := s.cursors(stream.Context(), topic, req)
	if err != nil {
		return err
	}
	lim := fetchLimits{records: int(req.GetMaxRecords()), bytes: int(req.GetMaxBytes())}
	if lim.records == 0 {
		lim.records = defaultMaxRecs
	}
	if lim.bytes == 0 {
		lim.bytes = defaultMaxBytes
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	sk := &sink{stream: stream, total: req.GetMaxTotalRecords(), owed: owed, hold: s.b.holdBack,
		throttle: func(n int) time.Duration { return s.quotas.delay(caller, quota.FetchBytes, n) }}
	sources := make(chan error, len(remote)+1)
	for addr, parts := range remote {
		go func() { sources <- s.relay(ctx, addr, relayRequest(req, parts), sk) }()
	}
	n := len(remote)
	if len(cursors) > 0 {
		f := &fetcher{s: s, ctx: ctx, sink: sk, topic: topic, cursors: cursors, lim: lim, follow: req.GetFollow(), accept: acceptedCodecs(req),
			counters: s.b.metrics.topic(topic.GetName())}
		go func() { sources <- f.run() }()
		n++
	}
	return awaitSources(sources, n, cancel, sk)
}

// awaitSources waits for every source of a stream; the first error, or the
// total limit being reached, stops the others.
func awaitSources(sources <-chan error, n int, cancel context.CancelFunc, sk *sink) error {
	var first error
	for range n {
		err := <-sources
		if err != nil && first == nil {
			first = err
			cancel()
		}
		if sk.remaining() == 0 {
			cancel()
		}
	}
	if sk.remaining() == 0 {
		return nil // stopped at max_total_records
	}
	return first
}

// cursors sets up reading of the requested partitions hosted here, and groups
// the others by the broker they are relayed from. A request that was itself
// relayed is never relayed again.
func (s *fetchService) cursors(ctx context.Context, topic *internalv1.TopicInfo, req *sluicev1.FetchRequest) ([]*cursor, map[string][]*sluicev1.FetchPartition, error) {
	parts := req.GetPartitions()
	if len(parts) == 0 {
		for _, p := range topic.GetPartitions() {
			parts = append(parts, &sluicev1.FetchPartition{Partition: p.GetPartition(), Start: req.GetStartAll()})
		}
	}
	var local []*cursor
	remote := map[string][]*sluicev1.FetchPartition{}
	for _, fp := range parts {
		n := len(topic.GetPartitions())
		if int(fp.GetPartition()) >= n {
			return nil, nil, partitionNotFound(topic.GetName(), fp.GetPartition(), n)
		}
		info := topic.GetPartitions()[fp.GetPartition()]
		if s.b.replica(info.GetGroup()) == nil {
			addr, ok := s.b.peerAddr(s.b.otherReplica(info))
			if !ok || isForwarded(ctx) {
				return nil, nil, s.b.notHosted(topic.GetName(), info)
			}
			remote[addr] = append(remote[addr], fp)
			continue
		}
		c, err := s.cursor(topic, fp)
		if err != nil {
			return nil, nil, err
		}
		local = append(local, c)
	}
	return local, remote, nil
}

func (s *fetchService) cursor(topic *internalv1.TopicInfo, fp *sluicev1.FetchPartition) (*cursor, error) {
	info := topic.GetPartitions()[fp.GetPartition()]
	r := s.b.replica(info.GetGroup())
	if r == nil {
		// The replica went away since cursors looked.
		return nil, s.b.notHosted(topic.GetName(), info)
	}
	c := &cursor{partition: fp.GetPartition(), r: r}
	switch pos := fp.GetStart().GetPosition().(type) {
	case *sluicev1.StartPosition_Offset:
		c.next = pos.Offset
		if hw, ls := r.HighWatermark(), r.LogStartOffset(); c.next < ls || c.next > hw {
			return nil, &replica.OutOfRangeError{Topic: topic.GetName(), Partition: fp.GetPartition(), Offset: c.next, LogStart: ls, HighWatermark: hw}
		}
	case *sluicev1.StartPosition_Boundary:
		c.next = r.LogStartOffset()
		if pos.Boundary == sluicev1.Boundary_BOUNDARY_LATEST {
			c.next = r.HighWatermark()
		}
	case *sluicev1.StartPosition_TimestampMs:
		// The first record at or after the time; with none yet, the high
		// watermark, so a follow stream gets the records still to come.
		at, err := offsetForTime(r, pos.TimestampMs)
		if err != nil {
			return nil, err
		}
		c.next = at.offset
	default:
		c.next = r.LogStartOffset()
	}
	return c, nil
}

// idleResponseBytes is the largest response buffer a fetch stream keeps while
// it waits for records; a larger one is dropped.
const idleResponseBytes = 64 << 10

// fetcher is one Fetch stream's state.
type fetcher struct {
	s       *fetchService
	ctx     context.Context
	sink    *sink
	topic   *internalv1.TopicInfo
	cursors []*cursor
	lim     fetchLimits
	follow  bool
	resp    wire.FetchResponse
	accept  []sluicev1.Compression // codecs sent as compressed batches
	memo    plainMemo
	// counters are the topic's metrics, resolved once per stream.
	counters *topicCounters
}

func (f *fetcher) run() error {
	for {
		// Take the wake-up channels before reading, so that a commit between the
		// read and the wait is not missed.
		waits := make([]<-chan struct{}, 0, len(f.cursors))
		for _, c := range f.cursors {
			waits = append(waits, c.r.Changed())
		}
		// Each round is held to the ACLs as they are now: revoking READ
		// ends a follow stream at its next records.
		if err := f.s.b.authorize(f.ctx, opRead, resTopic, f.topic.GetName()); err != nil {
			return err
		}
		progressed, finished, err := f.readAll()
		if err != nil || finished {
			return err
		}
		if progressed {
			continue
		}
		if f.resp.Size() > idleResponseBytes {
			// A stream that caught up may wait for hours: it should not
			// keep its largest response's buffer all that time.
			f.resp = wire.FetchResponse{}
		}
		if err := f.wait(waits); err != nil {
			return err
		}
	}
}

// readAll sends one response from each partition that has records. finished
// reports that the stream is complete.
func (f *fetcher) readAll() (progressed, finished bool, err error) {
	allDone := true
	for _, c := range f.cursors {
		if c.done {
			continue
		}
		n, hw, full, err := f.sendFrom(c)
		if err != nil {
			return false, false, err
		}
		progressed = progressed || n > 0
		if full {
			return progressed, true, nil
		}
		if !f.follow && c.next >= hw {
			c.done = true
		}
		allDone = allDone && c.done
	}
	return progressed, !f.follow && allDone, nil
}

// sendFrom sends one response of records from c.next, if there are any, and
// reports whether the stream's total limit is reached.
func (f *fetcher) sendFrom(c *cursor) (n int, hw int64, full bool, err error) {
	maxRecs := f.lim.records
	if left := f.sink.remaining(); left >= 0 {
		if left == 0 {
			return 0, c.r.HighWatermark(), true, nil
		}
		maxRecs = min(maxRecs, int(left))
	}
	start := time.Now()
	f.resp.Reset(c.partition)
	var decodeErr error
	var logStart int64
	hw, logStart, err = c.r.Read(c.next, f.lim.bytes, func(b replica.Batch) bool {
		var more bool
		more, decodeErr = f.addBatch(c, b, maxRecs)
		return more
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return 0, hw, false, err
	}
	n = f.resp.Records()
	if n == 0 {
		return 0, hw, false, nil
	}
	resp := f.resp.Finish(hw, logStart)
	f.s.b.metrics.fetchDuration.Observe(time.Since(start).Seconds())
	full, err = f.sink.send(resp, n)
	if err == nil {
		f.counters.fetched(n, len(resp))
	}
	return n, hw, full, err
}

// wait blocks until a partition's high watermark moves, the client leaves, the
// broker stops, or the topic is deleted.
func (f *fetcher) wait(waits []<-chan struct{}) error {
	ctx := f.ctx
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.s.b.stopping)},
	}
	for _, w := range waits {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w)})
	}
	switch i, _, _ := reflect.Select(cases); i {
	case 0:
		return ctx.Err()
	case 1:
		return errShuttingDown
	}
	if t := f.s.b.meta.Topic(f.topic.GetName()); t == nil || t.GetTopicId() != f.topic.GetTopicId() {
		return fmt.Errorf("%w (deleted while reading)", topicNotFound(f.topic.GetName()))
	}
	for _, c := range f.cursors {
		if c.r.Closed() {
			// The replica left this broker (reassigned, or the broker stops).
			return f.s.b.notHosted(f.topic.GetName(), f.topic.GetPartitions()[c.partition])
		}
	}
	return nil
}

package server

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/partitioner"
	"github.com/sluice-io/sluice/server/quota"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// maxInFlightPerStream bounds the requests of one produce stream that wait for
// their commit; past it the broker stops reading the stream, and gRPC flow
// control pushes back on the producer.
const maxInFlightPerStream = 256

type produceService struct {
	sluicev1.UnimplementedProduceServiceServer
	b *Broker
	// buffer admits requests by size (Config.ProduceBufferBytes). Without
	// it a broker accepts as much as its producers pipeline: under more
	// load than it can write, requests queue for seconds, and so do the
	// raft messages behind them, until leaders miss their followers'
	// answers and step down.
	buffer *semaphore.Weighted
	// spread picks the partition of keyless records, round-robin per request.
	spread atomic.Uint32
	// quotas throttles clients over their produce quotas (quota.go).
	quotas *quotaEnforcer
}

// Produce reads requests as they come, hands each to its partitions'
// replicas, and sends each response when its records commit. The stream ends
// when the client closes its side, or when the broker stops (requests already
// accepted are answered first).
func (s *produceService) Produce(stream grpc.BidiStreamingServer[sluicev1.ProduceRequest, sluicev1.ProduceResponse]) error {
	caller, err := callerOf(stream.Context())
	if err != nil {
		return err
	}
	// A request holds a slot from its arrival until its commit, so at most
	// maxInFlightPerStream wait. It holds an unsent place from its arrival
	// until its response has gone to the client, so out (of that capacity)
	// never fills: the completions, which run on the raft engine's loop,
	// never block on a client that does not read its responses. Such a
	// client costs its own stream (at most maxInFlightPerStream responses
	// held, then the broker stops reading it) and nothing else.
	out := make(chan heldResponse, maxInFlightPerStream)
	slots := make(chan struct{}, maxInFlightPerStream)
	unsent := make(chan struct{}, maxInFlightPerStream)
	sendDone := make(chan error, 1)
	go func() { sendDone <- s.sendResponses(stream, out, unsent) }()
	// The receiver runs apart so that a stopping broker need not wait for an
	// idle client's next message; it exits once the stream ends.
	recvDone := make(chan error, 1)
	fw := newForwarders(stream.Context(), s.b)
	go func() { recvDone <- s.receive(stream, caller, fw, slots, unsent, out) }()

	var recvErr error
	select {
	case recvErr = <-recvDone:
	case <-s.b.stopping:
		recvErr = errShuttingDown
	}
	// Taking every slot waits for every accepted request's response.
	for range cap(slots) {
		slots <- struct{}{}
	}
	fw.wait()
	close(out)
	sendErr := <-sendDone
	if recvErr != nil {
		return recvErr
	}
	return sendErr
}

// heldResponse is a response and the time before which it is not sent: a
// throttled request's response is held until its throttle time has passed.
type heldResponse struct {
	resp      *sluicev1.ProduceResponse
	notBefore time.Time
}

// sendResponses sends until out is closed, freeing a request's unsent place
// once its response went out. A throttled response waits here, on the
// stream's own goroutine, holding only its unsent place; responses queue
// behind it in order (the receiver reads no request meanwhile, so none is
// due earlier), and a stopping broker sends them at once. After a failed
// send it keeps draining, so that the receiver never waits on a dead stream.
func (s *produceService) sendResponses(stream grpc.ServerStream, out <-chan heldResponse, unsent <-chan struct{}) error {
	var err error
	for h := range out {
		if err == nil {
			err = s.b.holdBack(stream.Context(), time.Until(h.notBefore))
			if errors.Is(err, errShuttingDown) {
				err = nil
			}
		}
		if err == nil {
			err = stream.SendMsg(h.resp)
		}
		<-unsent
	}
	return err
}

func (s *produceService) receive(stream grpc.ServerStream, caller quotaCaller, fw *forwarders, slots, unsent chan struct{}, out chan<- heldResponse) error {
	ctx := stream.Context()
	// admitCtx also ends when the broker starts stopping, so that a request
	// waiting for buffer space does not hold up the shutdown.
	admitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.b.lifetime, cancel)
	defer stop()
	for {
		var raw rawMessage
		if err := stream.RecvMsg(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		received := time.Now()
		select {
		case <-s.b.stopping:
			return errShuttingDown
		default:
		}
		// unsent first: a request waits here, not holding a slot, while
		// the client is not reading its responses.
		if err := s.take(ctx, unsent); err != nil {
			return err
		}
		if err := s.take(ctx, slots); err != nil {
			<-unsent
			return err
		}
		// One request larger than the whole buffer takes all of it.
		size := min(int64(len(raw.b)), int64(s.b.cfg.Limits.ProduceBufferBytes))
		if err := s.buffer.Acquire(admitCtx, size); err != nil {
			<-slots
			<-unsent
			if s.b.isStopping() {
				return errShuttingDown
			}
			return ctx.Err()
		}
		// Over a quota, the request is handled now; its response waits
		// out the throttle time, and so does the next read of the stream.
		throttle := s.quotas.requestAndBytes(caller, quota.ProduceBytes, len(raw.b))
		notBefore := time.Now().Add(throttle)
		s.handle(ctx, fw, raw.b, func(resp *sluicev1.ProduceResponse) {
			s.b.metrics.produceDuration.Observe(time.Since(received).Seconds())
			s.buffer.Release(size)
			resp.ThrottleTimeMs = throttleMs(throttle)
			out <- heldResponse{resp: resp, notBefore: notBefore}
			<-slots
		})
		if err := s.b.holdBack(ctx, throttle); err != nil {
			return err
		}
	}
}

// take acquires a place of sem, unless the stream ends or the broker stops.
func (s *produceService) take(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.b.stopping:
		return errShuttingDown
	}
}

// pending collects the per-partition results of one request; the response
// goes out when the last partition answers.
type pending struct {
	mu      sync.Mutex
	resp    *sluicev1.ProduceResponse
	waiting int
	reply   func(*sluicev1.ProduceResponse)
}

func (p *pending) finish(i int, base int64, err error) {
	p.mu.Lock()
	res := p.resp.Results[i]
	if err != nil {
		res.Error = toError(err)
	} else {
		res.BaseOffset = base
	}
	p.waiting--
	last := p.waiting == 0
	p.mu.Unlock()
	if last {
		p.reply(p.resp)
	}
}

// handle parses one request and appends its records, forwarding through fw
// those this broker does not lead; reply is called exactly once.
func (s *produceService) handle(ctx context.Context, fw *forwarders, raw []byte, reply func(*sluicev1.ProduceResponse)) {
	fail := func(seq uint64, err error) {
		reply(&sluicev1.ProduceResponse{Sequence: seq, Error: toError(err)})
	}
	lim := &s.b.cfg.Limits
	// Records are held to the topic's max.message.bytes once the topic is
	// known (checkRecordLimit); here only to the request size.
	req, err := wire.ParseProduceRequestWith(raw, wire.ParseLimits{
		MaxRecordBytes: lim.MaxRequestBytes, MaxDecompressedBytes: lim.MaxDecompressedBytes, MaxHeaders: lim.MaxRecordHeaders,
	})
	if err != nil {
		fail(wire.PeekSequence(raw), err)
		return
	}
	if err := s.b.authorize(ctx, opWrite, resTopic, req.Topic); err != nil {
		// Refused before the topic is looked up, so that a caller learns
		// nothing of topics it may not write. The refusal is this
		// request's alone: the stream goes on. A request for a named
		// partition gets it in that partition's result, as Kafka reports
		// TOPIC_AUTHORIZATION_FAILED per partition.
		if req.HasPartition {
			reply(&sluicev1.ProduceResponse{Sequence: req.Sequence, Results: []*sluicev1.ProduceResult{
				{Partition: req.Partition, RecordCount: int32(len(req.Records)), Error: toError(err)},
			}})
			return
		}
		fail(req.Sequence, err)
		return
	}
	topic, parts, err := s.route(ctx, req)
	if err == nil {
		err = compressParts(topic, req, parts)
	}
	if err == nil {
		err = checkEntrySizes(req, parts, lim)
	}
	if err != nil {
		fail(req.Sequence, err)
		return
	}
	p := &pending{resp: &sluicev1.ProduceResponse{Sequence: req.Sequence}, waiting: len(parts), reply: reply}
	for _, part := range parts {
		p.resp.Results = append(p.resp.Results, &sluicev1.ProduceResult{Partition: part.partition, RecordCount: int32(part.count)})
	}
	acks := req.Acks
	if req.ProducerID != 0 {
		// Only the commit decides whether an idempotent request is new or
		// a duplicate, so it is acknowledged then, whatever acks asked.
		acks = sluicev1.Acks_ACKS_ALL
	}
	tc := s.b.metrics.topic(topic.GetName())
	for i, part := range parts {
		s.append(ctx, fw, topic, tc, acks, part, p, i)
	}
}

// part is the records of one request bound for one partition.
type part struct {
	partition int32
	records   []byte
	codec     sluicev1.Compression // of records
	count     int
	maxTS     int64
	// plain is the size of records before any compression: what a reader
	// of the stored batch decompresses.
	plain int
	// producer is set for an idempotent request (which has one part).
	producer *replica.Producer
}

// route checks a request against the topic and splits its records by
// partition, in the order of each partition's first record.
func (s *produceService) route(ctx context.Context, req *wire.ProduceRequest) (*internalv1.TopicInfo, []*part, error) {
	if err := validateTopicName("topic", req.Topic); err != nil {
		return nil, nil, err
	}
	switch {
	case len(req.Records) == 0:
		return nil, nil, badRequest("records", "at least one record (or a batch) is required")
	case req.Acks < sluicev1.Acks_ACKS_UNSPECIFIED || req.Acks > sluicev1.Acks_ACKS_ALL:
		return nil, nil, badRequest("acks", "unknown value %d", req.Acks)
	case req.HasPartition && req.Partition < 0:
		return nil, nil, badRequest("partition", "must not be negative (got %d)", req.Partition)
	}
	topic := s.b.meta.Topic(req.Topic)
	if topic == nil {
		return nil, nil, topicNotFound(req.Topic)
	}
	if isInternalTopic(req.Topic) {
		return nil, nil, badRequest("topic", "%q is internal to the group coordinator and takes no records from clients", req.Topic)
	}
	n := int32(len(topic.GetPartitions()))
	if req.HasPartition && req.Partition >= n {
		return nil, nil, partitionNotFound(req.Topic, req.Partition, int(n))
	}
	if err := checkRecordLimit(topic, req, s.b.cfg.Limits.MaxRecordBytes); err != nil {
		return nil, nil, err
	}
	if err := checkTimestamps(topic, req, time.Now().UnixMilli(), &s.b.cfg.Limits); err != nil {
		return nil, nil, err
	}
	if err := checkIdempotent(req); err != nil {
		return nil, nil, err
	}
	if req.ProducerID != 0 {
		if err := s.b.checkProducerIssued(ctx, req.ProducerID); err != nil {
			return nil, nil, err
		}
	}
	parts := s.split(req, n, logAppendTime(topic))
	if req.ProducerID != 0 {
		parts[0].producer = &replica.Producer{ID: req.ProducerID, Epoch: req.ProducerEpoch, BaseSequence: req.BaseSequence}
	}
	return topic, parts, nil
}

// checkIdempotent checks the producer fields of a request: sequences count
// per partition, so an idempotent request names its partition, and only an
// acknowledged request tells its producer whether it was a duplicate.
func checkIdempotent(req *wire.ProduceRequest) error {
	switch {
	case req.ProducerID == 0:
		if req.ProducerEpoch != 0 || req.BaseSequence != 0 {
			return badRequest("producer_id", "producer_epoch and base_sequence need a producer_id (from InitProducer)")
		}
		return nil
	case req.ProducerID < 0:
		return badRequest("producer_id", "must be positive, from InitProducer (got %d); 0 is not idempotent", req.ProducerID)
	case req.ProducerEpoch < 0:
		return badRequest("producer_epoch", "must not be negative (got %d)", req.ProducerEpoch)
	case req.BaseSequence < 0:
		return badRequest("base_sequence", "must not be negative (got %d)", req.BaseSequence)
	case !req.HasPartition:
		return badRequest("partition", "an idempotent request (producer_id set) must name its partition: sequences count per partition")
	case req.Acks == sluicev1.Acks_ACKS_NONE:
		return badRequest("acks", "ACKS_NONE cannot be idempotent: the producer would never learn which requests were written; use ACKS_ALL")
	}
	return nil
}

// checkRecordLimit applies the topic's max.message.bytes, or else the
// broker's default, to every record.
func checkRecordLimit(topic *internalv1.TopicInfo, req *wire.ProduceRequest, brokerLimit int) error {
	limit, source := brokerLimit, "the broker's max record size"
	if v, ok := topic.GetConfigs()[cfgMaxMessageBytes]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			limit, source = n, "the topic's max.message.bytes"
		}
	}
	for i, r := range req.Records {
		if len(r.Data) > limit {
			return badRequest(req.RecordField(i), "record is %d bytes, over the limit of %d bytes (%s)", len(r.Data), limit, source)
		}
	}
	return nil
}

// checkInSync refuses an acks=all write to a partition this broker leads
// when fewer of its replicas are in sync (heard from by the leader within
// about an election timeout) than the topic's min.insync.replicas, as Kafka
// does: the write could commit on too few copies. Other acks are not held
// to it.
func (b *Broker) checkInSync(topic *internalv1.TopicInfo, partition int32, acks sluicev1.Acks) error {
	if acks != sluicev1.Acks_ACKS_ALL && acks != sluicev1.Acks_ACKS_UNSPECIFIED {
		return nil
	}
	need := topicInt(topic, cfgMinInsync, 1)
	if need <= 1 {
		return nil
	}
	n, voters, leading := b.eng.InSync(topic.GetPartitions()[partition].GetGroup())
	if !leading || int64(n) >= need {
		return nil // not leading after all: Append says so
	}
	return &notEnoughReplicasError{topic: topic.GetName(), partition: partition, inSync: n, replicas: voters, need: int(need)}
}

// split groups the records by partition and stores each with its
// timestamp: the producer's (the broker's time when it set none) or, with
// logAppend, the broker's time. Only the leader's split counts: a broker that
// forwards records sends them on to the leader, which splits them again, so
// log-append time is the leader's, decided before it proposes the records
// and carried in them to every replica.
func (s *produceService) split(req *wire.ProduceRequest, n int32, logAppend bool) []*part {
	now := time.Now().UnixMilli()
	// First each record's partition and each partition's size, so that every
	// part's buffer is allocated once: growing them was a tenth of a busy
	// leader's CPU.
	dest := make([]int32, len(req.Records))
	size := map[int32]int{}
	keyless := int32(-1)
	for i, rec := range req.Records {
		p := req.Partition
		if !req.HasPartition {
			if rec.Key != nil {
				p = partitioner.ForKey(rec.Key, n)
			} else {
				if keyless < 0 {
					keyless = int32(s.spread.Add(1) % uint32(n))
				}
				p = keyless
			}
		}
		dest[i] = p
		size[p] += len(rec.Data) + wire.MaxRecordOverhead
	}
	var parts []*part
	byPartition := make(map[int32]*part, len(size))
	for i, rec := range req.Records {
		p := dest[i]
		pt := byPartition[p]
		if pt == nil {
			pt = &part{partition: p, records: make([]byte, 0, size[p])}
			byPartition[p] = pt
			parts = append(parts, pt)
		}
		ts := rec.TimestampMs
		if logAppend {
			pt.records = wire.AppendRecordAt(pt.records, rec, now)
			ts = now
		} else {
			pt.records = wire.AppendRecord(pt.records, rec, now)
		}
		pt.count++
		if ts == 0 {
			ts = now
		}
		pt.maxTS = max(pt.maxTS, ts)
	}
	for _, pt := range parts {
		pt.plain = len(pt.records)
	}
	return parts
}

// append hands a part to the partition's local leader replica, or forwards it
// to the leader elsewhere, in the order of the stream's requests (fw). A
// request waits here, in the stream's receive loop, while the partition's
// replica here settles its leader, so no later request overtakes it.
//
// The records count in the topic's metrics here, on the leader, once
// acknowledged (accepted, with acks=NONE); a forwarded part counts on its
// leader.
func (s *produceService) append(ctx context.Context, fw *forwarders, topic *internalv1.TopicInfo, tc *topicCounters, acks sluicev1.Acks, pt *part, p *pending, i int) {
	r, lead := s.b.settledReplica(ctx, topic.GetPartitions()[pt.partition])
	if r == nil || lead != s.b.cfg.NodeID {
		if isForwarded(ctx) || (r != nil && lead == 0) {
			p.finish(i, -1, s.b.notLeader(topic.GetName(), pt.partition, lead))
			return
		}
		fw.forward(topic, pt, acks, lead, func(base int64, err error) { p.finish(i, base, err) })
		return
	}
	if err := s.b.checkInSync(topic, pt.partition, acks); err != nil {
		p.finish(i, -1, err)
		return
	}
	done := func(base int64, err error) {
		if err == nil {
			tc.produced(pt)
		}
		p.finish(i, base, err)
	}
	if acks == sluicev1.Acks_ACKS_NONE {
		done = func(int64, error) {}
	}
	if err := appendPart(r, pt, acks, done); err != nil {
		var nl *replica.NotLeaderError
		if errors.As(err, &nl) {
			err = s.b.notLeader(topic.GetName(), pt.partition, nl.Leader)
		}
		p.finish(i, -1, err)
		return
	}
	if acks == sluicev1.Acks_ACKS_NONE {
		tc.produced(pt)
		p.finish(i, -1, nil)
	}
}

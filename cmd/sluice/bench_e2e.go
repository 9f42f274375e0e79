package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// sendTimeBytes is the size of the send time at the start of each e2e value.
const sendTimeBytes = 8

// benchE2EOptions holds the flags of bench e2e as given.
type benchE2EOptions struct {
	topic       string
	rate        float64
	duration    time.Duration
	recordSize  int
	partitions  int32
	acks        string
	batchSize   int
	maxInFlight int
	json        bool
	quiet       bool
	viaBroker   bool
}

func newBenchE2ECmd(g *globalOptions) *cobra.Command {
	o := &benchE2EOptions{}
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Measure the latency from produce to a following consumer",
		Long: "Start a following consumer at the end of the topic, then produce at a fixed\n" +
			"--rate for --duration. Each value starts with its send time (8 bytes, big-endian\n" +
			"nanoseconds since the benchmark started). For every record it reports the time\n" +
			"from its acknowledgement to its arrival at the consumer, and from its send to\n" +
			"its arrival. Use a new topic: records produced by others are counted but not\n" +
			"timed correctly.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			load, err := o.load()
			if err != nil {
				return err
			}
			return benchE2E(cmd, g, o, load)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.topic, "topic", "", "`TOPIC` to use, best a new one (required)")
	f.Float64Var(&o.rate, "rate", 1000, "`R` records/s to produce")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "produce for `D`")
	f.IntVar(&o.recordSize, "record-size", 100, "value size in `BYTES` (at least 8)")
	f.Int32Var(&o.partitions, "partitions", 1, "`P` partitions for a topic that does not exist yet")
	f.StringVar(&o.acks, "acks", "all", "when the broker answers (`MODE`: all or leader)")
	f.IntVar(&o.batchSize, "batch-size", 1, "`B` records per request")
	f.IntVar(&o.maxInFlight, "max-in-flight", 256, "at most `M` unanswered requests")
	f.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	f.BoolVar(&o.viaBroker, "via-broker", false, "send every request to --broker, which forwards what it does not lead (default: straight to each partition's leader)")
	return cmd
}

func (o *benchE2EOptions) load() (*producerLoad, error) {
	acks, err := parseAcks(o.acks)
	if err != nil {
		return nil, err
	}
	switch {
	case o.topic == "":
		return nil, errors.New("--topic is required")
	case acks == sluicev1.Acks_ACKS_NONE:
		return nil, errors.New("--acks none gives no offsets to time: use all or leader")
	case o.rate <= 0:
		return nil, fmt.Errorf("invalid --rate %g: must be positive", o.rate)
	case o.duration <= 0:
		return nil, fmt.Errorf("invalid --duration %s: must be positive", o.duration)
	case o.recordSize < sendTimeBytes:
		return nil, fmt.Errorf("invalid --record-size %d: must be at least %d", o.recordSize, sendTimeBytes)
	case o.partitions < 1:
		return nil, fmt.Errorf("invalid --partitions %d: must be at least 1", o.partitions)
	case o.batchSize < 1:
		return nil, fmt.Errorf("invalid --batch-size %d: must be at least 1", o.batchSize)
	case o.maxInFlight < 1:
		return nil, fmt.Errorf("invalid --max-in-flight %d: must be at least 1", o.maxInFlight)
	}
	// The rate limiter spreads the records over the duration; twice the
	// duration bounds a run that cannot keep up.
	return &producerLoad{
		topic: o.topic, partitions: o.partitions, acks: acks, producers: 1,
		batchSize: o.batchSize, maxInFlight: o.maxInFlight, rate: o.rate,
		records:  max(1, int64(math.Round(o.rate*o.duration.Seconds()))),
		duration: 2 * o.duration,
	}, nil
}

func benchE2E(cmd *cobra.Command, g *globalOptions, o *benchE2EOptions, load *producerLoad) error {
	ctx := cmd.Context()
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	admin := sluicev1.NewAdminServiceClient(conn)
	if load.partitions, err = ensureTopic(ctx, admin, load.topic, load.partitions); err != nil {
		return err
	}
	if !o.viaBroker {
		if load.leaders, err = partitionLeaders(ctx, admin, load.topic, load.partitions, g.broker); err != nil {
			return err
		}
	}
	fetchReq, err := followFromEnd(ctx, admin, load.topic)
	if err != nil {
		return err
	}

	base := time.Now()
	join := newE2EJoin(base)
	load.source = &timestampSource{base: base, size: o.recordSize, fill: randomBytes(o.recordSize)}
	load.onAck = join.acked

	// The consumer is positioned at explicit offsets before anything is
	// produced, so it sees every benchmark record whenever its stream starts.
	consumerCtx, stopConsumer := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsumer()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(consumerCtx, fetchReq)
	if err != nil {
		return fmt.Errorf("fetch %q: %w", load.topic, err)
	}
	var consumerErr error
	consumerDone := make(chan struct{})
	go func() {
		defer close(consumerDone)
		consumerErr = join.consume(stream)
	}()

	produceLat := newLatencyRecorder()
	stopProgress := startProgress(cmd.ErrOrStderr(), o.quiet, &join.progress, join.ackToReceive)
	totals, err := runProducers(ctx, g, load, produceLat, &counters{})
	if err == nil && !join.waitFor(totals.acked, consumerDone) {
		err = fmt.Errorf("following consumer: %w", consumerErr)
	}
	stopProgress()
	stopConsumer()
	<-consumerDone
	if err != nil {
		return err
	}
	s := join.summary(o, load, totals, produceLat.stats())
	if o.json {
		err = writeJSON(cmd.OutOrStdout(), s)
	} else {
		_, err = io.WriteString(cmd.OutOrStdout(), s.String())
	}
	if err != nil {
		return err
	}
	if totals.failed > 0 {
		return fmt.Errorf("%s: %s", failedCount(int(totals.failed)), totals.firstErr)
	}
	return nil
}

// followFromEnd returns a follow request for every partition of topic from
// its current high watermark.
func followFromEnd(ctx context.Context, admin sluicev1.AdminServiceClient, topic string) (*sluicev1.FetchRequest, error) {
	resp, err := admin.ListOffsets(ctx, &sluicev1.ListOffsetsRequest{
		Topic: topic,
		Spec:  &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST},
	})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %q: %w", topic, err)
	}
	req := &sluicev1.FetchRequest{Topic: topic, Follow: true}
	for _, po := range resp.GetOffsets() {
		req.Partitions = append(req.Partitions, &sluicev1.FetchPartition{
			Partition: po.GetPartition(),
			Start:     &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: po.GetOffset()}},
		})
	}
	return req, nil
}

// timestampSource encodes records whose values start with the time they are
// encoded, just before they are sent.
type timestampSource struct {
	base time.Time
	size int
	fill []byte // random bytes for the rest of each value
}

func (s *timestampSource) batch(n int) ([]byte, int64) {
	buf := make([]byte, n*s.size)
	values := splitValues(buf, s.size, n)
	sent := uint64(time.Since(s.base))
	for _, v := range values {
		binary.BigEndian.PutUint64(v, sent)
		copy(v[sendTimeBytes:], s.fill)
	}
	return encodeRecords(values), int64(len(buf))
}

// recordID names a record.
type recordID struct {
	partition int32
	offset    int64
}

// e2eJoin matches each record's acknowledgement with its arrival at the
// consumer, whichever comes first.
type e2eJoin struct {
	base         time.Time
	ackToReceive *latencyRecorder
	sendToRecv   *latencyRecorder
	progress     counters // records and bytes received

	mu           sync.Mutex
	acks         map[recordID]time.Time // acknowledged, not yet received
	arrivals     map[recordID]time.Time // received, not yet acknowledged
	matched      int64
	beforeAck    int64 // received before the producer saw the acknowledgement
	matchedAcked chan struct{}
}

func newE2EJoin(base time.Time) *e2eJoin {
	return &e2eJoin{
		base: base, ackToReceive: newLatencyRecorder(), sendToRecv: newLatencyRecorder(),
		acks: make(map[recordID]time.Time), arrivals: make(map[recordID]time.Time),
	}
}

// acked notes the acknowledgement of a response's records.
func (j *e2eJoin) acked(resp *sluicev1.ProduceResponse, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range resp.GetResults() {
		for i := range int64(r.GetRecordCount()) {
			id := recordID{r.GetPartition(), r.GetBaseOffset() + i}
			if at, ok := j.arrivals[id]; ok {
				delete(j.arrivals, id)
				j.beforeAck++
				j.matched++
				j.ackToReceive.record(at.Sub(now)) // negative: recorded as 0
				continue
			}
			j.acks[id] = now
		}
	}
}

// received notes the arrival of a record.
func (j *e2eJoin) received(id recordID, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if at, ok := j.acks[id]; ok {
		delete(j.acks, id)
		j.matched++
		j.ackToReceive.record(now.Sub(at))
		return
	}
	j.arrivals[id] = now
}

// consume reads the follow stream until it fails or is cancelled.
func (j *e2eJoin) consume(stream sluicev1.FetchService_FetchClient) error {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		now := time.Now()
		since := now.Sub(j.base)
		var size int64
		for _, r := range resp.GetRecords() {
			v := r.GetValue()
			size += int64(len(v))
			if len(v) >= sendTimeBytes {
				sent := time.Duration(binary.BigEndian.Uint64(v))
				j.sendToRecv.record(since - sent)
			}
			j.received(recordID{resp.GetPartition(), r.GetOffset()}, now)
		}
		j.progress.add(int64(len(resp.GetRecords())), size)
	}
}

// matchedCount is how many acknowledged records have arrived.
func (j *e2eJoin) matchedCount() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.matched
}

// waitFor waits until acked records have arrived at the consumer, for at
// most drainTimeout, even after Ctrl-C: the records are on their way. It
// returns false if the consumer ended first (failed); a consumer that is
// merely late leaves records missing from the summary.
func (j *e2eJoin) waitFor(acked int64, consumerDone <-chan struct{}) bool {
	deadline := time.NewTimer(drainTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for j.matchedCount() < acked {
		select {
		case <-consumerDone:
			return false
		case <-deadline.C:
			return true
		case <-tick.C:
		}
	}
	return true
}

// e2eSummary is the result of bench e2e.
type e2eSummary struct {
	Bench        string  `json:"bench"`
	Topic        string  `json:"topic"`
	Partitions   int32   `json:"partitions"`
	RecordSize   int     `json:"record_size"`
	Acks         string  `json:"acks"`
	BatchSize    int     `json:"batch_size"`
	Rate         float64 `json:"rate"`
	DurationSecs float64 `json:"duration_seconds"`
	throughput
	Failed            int64        `json:"failed"`
	Received          int64        `json:"received"`
	Missing           int64        `json:"missing"`
	ReceivedBeforeAck int64        `json:"received_before_ack"`
	ProduceLatency    latencyStats `json:"produce_latency_ms"`
	AckToReceive      latencyStats `json:"ack_to_receive_ms"`
	SendToReceive     latencyStats `json:"send_to_receive_ms"`
	Interrupted       bool         `json:"interrupted"`
	Error             string       `json:"error,omitempty"`
}

func (j *e2eJoin) summary(o *benchE2EOptions, load *producerLoad, t *produceTotals, produceLat latencyStats) e2eSummary {
	j.mu.Lock()
	matched, beforeAck := j.matched, j.beforeAck
	j.mu.Unlock()
	return e2eSummary{
		Bench: "e2e", Topic: load.topic, Partitions: load.partitions, RecordSize: o.recordSize,
		Acks: o.acks, BatchSize: load.batchSize, Rate: load.rate, DurationSecs: o.duration.Seconds(),
		throughput: newThroughput(t.acked, t.ackedBytes, t.elapsed),
		Failed:     t.failed, Received: j.progress.records.Load(), Missing: t.acked - matched,
		ReceivedBeforeAck: beforeAck,
		ProduceLatency:    produceLat, AckToReceive: j.ackToReceive.stats(), SendToReceive: j.sendToRecv.stats(),
		Interrupted: t.interrupted, Error: t.firstErr,
	}
}

// String renders the summary for people.
func (s e2eSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "e2e %s: %s records/s for %gs, %d-byte records, %s, acks=%s, batch %d\n",
		s.Topic, groupDigits(int64(s.Rate)), s.DurationSecs, s.RecordSize,
		plural(int64(s.Partitions), "partition"), s.Acks, s.BatchSize)
	fmt.Fprintf(&b, "acknowledged %s; received %s\n", s.throughput, groupDigits(s.Received))
	fmt.Fprintf(&b, "produce (send to ack)     %s\n", s.ProduceLatency)
	fmt.Fprintf(&b, "end-to-end (ack to recv)  %s\n", s.AckToReceive)
	fmt.Fprintf(&b, "end-to-end (send to recv) %s\n", s.SendToReceive)
	if s.ReceivedBeforeAck > 0 {
		fmt.Fprintf(&b, "%s records arrived before their acknowledgement (counted as 0 ms)\n",
			groupDigits(s.ReceivedBeforeAck))
	}
	if s.Missing > 0 {
		fmt.Fprintf(&b, "missing %s acknowledged records never received\n", groupDigits(s.Missing))
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, "failed %s records: %s\n", groupDigits(s.Failed), s.Error)
	}
	if s.Interrupted {
		b.WriteString("interrupted\n")
	}
	return b.String()
}

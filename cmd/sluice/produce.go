package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// maxBatchBytes ends a batch early once its records hold this many bytes, so a
// request stays near 2 MiB at most (one record may be 1 MiB), under the 4 MiB
// message limit gRPC servers apply by default.
const maxBatchBytes = 1 << 20

// produceOptions holds the produce flags as given.
type produceOptions struct {
	key          string
	keySeparator string
	partition    int32
	acks         string
	headers      []string
	batchSize    int
	maxInFlight  int
	timestamp    string
	compression  string
}

// produceConfig is the validated form of the produce flags.
type produceConfig struct {
	topic       string
	partition   *int32 // nil lets the broker choose by key
	acks        sluicev1.Acks
	batchSize   int
	maxInFlight int
	parser      lineParser
	codec       sluicev1.Compression // compresses each request's records when set
}

func newProduceCmd(g *globalOptions) *cobra.Command {
	var o produceOptions
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Send stdin to a topic, one record per line",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.config(args[0], cmd.Flags().Changed("partition"))
			if err != nil {
				return err
			}
			conn, err := g.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			client := sluicev1.NewProduceServiceClient(conn)
			return produce(cmd.Context(), client, cfg, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "key `K` for every record")
	f.StringVar(&o.keySeparator, "key-separator", "", "split each line at the first `SEP` into key and value")
	f.Int32Var(&o.partition, "partition", 0, "partition `P` to write to (default: chosen by the broker from the key)")
	f.StringVar(&o.acks, "acks", "all", "when the broker answers (`MODE`: all, leader or none)")
	f.StringArrayVar(&o.headers, "header", nil, "header `k=v` added to every record (repeatable)")
	f.IntVar(&o.batchSize, "batch-size", 1000, "`N` records per request")
	f.IntVar(&o.maxInFlight, "max-in-flight", 32, "at most `N` requests sent and not yet answered")
	f.StringVar(&o.timestamp, "timestamp", "", "create time `TIME` (RFC 3339) of every record (default: the broker's time on arrival)")
	f.StringVar(&o.compression, "compression", "none", "compress each request's records with `CODEC` (none, gzip, snappy, lz4 or zstd); "+
		"records then carry this machine's time unless --timestamp is given")
	return cmd
}

// config validates the flags. partitionSet says whether --partition was given,
// since 0 is a valid partition and cannot mean "unset".
func (o *produceOptions) config(topic string, partitionSet bool) (*produceConfig, error) {
	acks, err := parseAcks(o.acks)
	if err != nil {
		return nil, err
	}
	headers, err := parseHeaders(o.headers)
	if err != nil {
		return nil, err
	}
	if o.key != "" && o.keySeparator != "" {
		return nil, errors.New("--key and --key-separator cannot be used together")
	}
	if o.batchSize < 1 {
		return nil, fmt.Errorf("invalid --batch-size %d: must be at least 1", o.batchSize)
	}
	if o.maxInFlight < 1 {
		return nil, fmt.Errorf("invalid --max-in-flight %d: must be at least 1", o.maxInFlight)
	}
	codec := compress.None
	if o.compression != "" {
		if codec, err = compress.Parse(o.compression); err != nil {
			return nil, fmt.Errorf("invalid --compression: %w", err)
		}
	}
	cfg := &produceConfig{
		codec:       codec,
		topic:       topic,
		acks:        acks,
		batchSize:   o.batchSize,
		maxInFlight: o.maxInFlight,
		parser:      lineParser{headers: headers},
	}
	if partitionSet {
		if o.partition < 0 {
			return nil, fmt.Errorf("invalid --partition %d: partitions start at 0", o.partition)
		}
		p := o.partition
		cfg.partition = &p
	}
	if o.key != "" {
		cfg.parser.key = []byte(o.key)
	}
	if o.keySeparator != "" {
		cfg.parser.separator = []byte(o.keySeparator)
	}
	if o.timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, o.timestamp)
		if err != nil || ts.UnixMilli() <= 0 {
			return nil, fmt.Errorf("invalid --timestamp %q: want an RFC 3339 time after 1970, like 2026-11-23T10:00:00Z", o.timestamp)
		}
		cfg.parser.timestampMs = ts.UnixMilli()
	}
	return cfg, nil
}

// errSendStopped tells the sender's caller that the stream, not the input,
// ended sending; the receiver sees and reports the cause.
var errSendStopped = errors.New("send stopped")

// producer runs one pipelined Produce stream. A sender goroutine reads the input
// and sends requests while at most maxInFlight are unanswered; the goroutine
// that called produce receives the responses and counts records.
type producer struct {
	cfg    *produceConfig
	stream sluicev1.ProduceService_ProduceClient
	slots  chan struct{} // holds one token per unanswered request

	mu        sync.Mutex
	seq       uint64         // last sequence sent
	pending   map[uint64]int // sequence -> record count, until answered
	finished  bool           // input consumed (or failed) and send side closed
	abandoned bool           // the receiver stopped; send nothing more
	inputErr  error          // why reading the input stopped early, if it did

	// Owned by the receiving goroutine.
	acked, failed int
	firstErr      string
}

// produce sends in as records and prints how many were acknowledged. It fails
// if any record was not acknowledged.
func produce(ctx context.Context, client sluicev1.ProduceServiceClient, cfg *produceConfig,
	in io.Reader, out io.Writer) error {
	// Cancelling on return ends the stream and unblocks a sender still waiting
	// for a slot when the stream has failed.
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Produce(streamCtx)
	if err != nil {
		return fmt.Errorf("open produce stream: %w", err)
	}
	p := &producer{
		cfg:     cfg,
		stream:  stream,
		slots:   make(chan struct{}, cfg.maxInFlight),
		pending: make(map[uint64]int),
	}
	go p.send(streamCtx, newLineReader(in))
	streamErr := p.receive()
	// The sender may still be blocked reading the input (a terminal); it is
	// not waited for. abandon stops it from sending anything more.
	unanswered, inputErr := p.abandon()
	if streamErr != nil {
		p.failed += unanswered
		p.noteError(streamErrorMessage(ctx, streamErr))
	}
	if _, err := fmt.Fprintf(out, "%d records acknowledged\n", p.acked); err != nil {
		return err
	}
	switch {
	case p.failed > 0:
		return fmt.Errorf("%d records failed: %s", p.failed, p.firstErr)
	case streamErr != nil:
		return fmt.Errorf("produce to %q: %w", cfg.topic, streamErr)
	case inputErr != nil:
		return fmt.Errorf("reading input: %w", inputErr)
	}
	return nil
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

// send is the sender goroutine.
func (p *producer) send(ctx context.Context, lines *lineReader) {
	err := p.sendAll(ctx, lines)
	if errors.Is(err, errSendStopped) {
		return
	}
	p.mu.Lock()
	p.inputErr = err
	p.finished = true
	p.mu.Unlock()
	// Closing our side tells the broker no more requests are coming: it ends
	// the stream once it has answered those sent. It always returns nil.
	_ = p.stream.CloseSend()
}

// sendAll sends the input in batches. A batch goes out when it is full or when
// the input has nothing more buffered, so a slow source is not held back
// waiting for a full batch. Records read before an input error are still sent.
func (p *producer) sendAll(ctx context.Context, lines *lineReader) error {
	batch := p.newBatch()
	size := 0
	for {
		rec, err := p.nextRecord(lines)
		if err != nil {
			if sendErr := p.sendBatch(ctx, batch); sendErr != nil {
				return sendErr
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		batch = append(batch, rec)
		size += len(rec.Key) + len(rec.Value)
		if len(batch) >= p.cfg.batchSize || size >= maxBatchBytes || lines.drained() {
			if err := p.sendBatch(ctx, batch); err != nil {
				return err
			}
			batch, size = p.newBatch(), 0
		}
	}
}

// newBatch returns an empty batch. Each request gets a fresh slice because
// gRPC may still read a message after Send returns.
func (p *producer) newBatch() []*sluicev1.Record {
	return make([]*sluicev1.Record, 0, min(p.cfg.batchSize, 1024))
}

func (p *producer) nextRecord(lines *lineReader) (*sluicev1.Record, error) {
	line, err := lines.next()
	if err != nil {
		return nil, err
	}
	rec, err := p.cfg.parser.parse(line)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", lines.n, err)
	}
	return rec, nil
}

// sendBatch sends one request once fewer than maxInFlight are unanswered. The
// request is registered as pending before it is sent, so its response always
// finds it.
func (p *producer) sendBatch(ctx context.Context, batch []*sluicev1.Record) error {
	if len(batch) == 0 {
		return nil
	}
	req := &sluicev1.ProduceRequest{Topic: p.cfg.topic, Partition: p.cfg.partition, Records: batch, Acks: p.cfg.acks}
	if err := compressRequest(req, p.cfg.codec); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return errSendStopped
	}
	p.mu.Lock()
	if p.abandoned {
		p.mu.Unlock()
		return errSendStopped
	}
	p.seq++
	seq := p.seq
	p.pending[seq] = len(batch)
	p.mu.Unlock()
	req.Sequence = seq
	if err := p.stream.Send(req); err != nil {
		// Send only says the stream is gone; Recv returns the reason.
		return errSendStopped
	}
	return nil
}

// receive handles responses until the stream ends. It returns nil when the
// broker ended the stream after answering everything the sender sent.
func (p *producer) receive() error {
	for {
		resp, err := p.stream.Recv()
		if err == io.EOF {
			return p.checkComplete()
		}
		if err != nil {
			return err
		}
		if err := p.settle(resp); err != nil {
			return err
		}
	}
}

// checkComplete reports an early end: the broker closed the stream before the
// sender finished or without answering every request.
func (p *producer) checkComplete() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.finished {
		return errors.New("broker ended the stream before all records were sent")
	}
	if len(p.pending) > 0 {
		return fmt.Errorf("broker ended the stream with %d requests unanswered", len(p.pending))
	}
	return nil
}

// settle matches a response to its request, frees its slot and counts it.
func (p *producer) settle(resp *sluicev1.ProduceResponse) error {
	seq := resp.GetSequence()
	p.mu.Lock()
	n, ok := p.pending[seq]
	delete(p.pending, seq)
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("broker answered unknown request sequence %d", seq)
	}
	<-p.slots
	p.count(resp, n)
	return nil
}

// count adds a response for n records to the acknowledged and failed counts.
// Results are per partition: when only some partitions failed, the records of
// the others were appended and count as acknowledged (sending them again would
// duplicate them). A failed result without a record count fails the request.
func (p *producer) count(resp *sluicev1.ProduceResponse, n int) {
	if e := resp.GetError(); e != nil {
		p.failed += n
		p.noteError(protoErrorMessage(e))
		return
	}
	failed := 0
	for _, r := range resp.GetResults() {
		if e := r.GetError(); e != nil {
			c := int(r.GetRecordCount())
			if c <= 0 {
				c = n
			}
			failed += c
			p.noteError(protoErrorMessage(e))
		}
	}
	failed = min(failed, n)
	p.failed += failed
	p.acked += n - failed
}

// noteError keeps the first error message for the summary.
func (p *producer) noteError(msg string) {
	if p.firstErr == "" {
		p.firstErr = msg
	}
}

func protoErrorMessage(e *sluicev1.Error) string {
	if e.GetMessage() != "" {
		return e.GetMessage()
	}
	return codes.Code(e.GetCode()).String()
}

// abandon stops further sends and returns how many sent records were never
// answered, and the input error, if any.
func (p *producer) abandon() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.abandoned = true
	unanswered := 0
	for _, n := range p.pending {
		unanswered += n
	}
	clear(p.pending)
	return unanswered, p.inputErr
}

// compressRequest replaces the records of req by one batch compressed with
// c (nothing to do for none). Records without a timestamp get this
// machine's time first, as the Go SDK's, so the broker can store the batch
// as it is sent rather than add its own times and compress it again.
func compressRequest(req *sluicev1.ProduceRequest, c sluicev1.Compression) error {
	if c == compress.None {
		return nil
	}
	now := time.Now().UnixMilli()
	for _, r := range req.GetRecords() {
		if r.GetTimestampMs() == 0 {
			r.TimestampMs = now
		}
	}
	batch, err := compress.NewBatch(c, req.GetRecords())
	if err != nil {
		return fmt.Errorf("compress records: %w", err)
	}
	req.Records, req.Batch = nil, batch
	return nil
}

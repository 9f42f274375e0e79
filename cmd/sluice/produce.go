package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// interruptGrace is how long an interrupted produce still waits for the
// records it already sent before it reports the rest as failed.
const interruptGrace = 5 * time.Second

// produceOptions holds the produce flags as given.
type produceOptions struct {
	key             string
	keySeparator    string
	partition       int32
	acks            string
	headers         []string
	batchSize       int
	linger          time.Duration
	deliveryTimeout time.Duration
	idempotence     bool
	timestamp       string
	compression     string
}

// produceConfig is the validated form of the produce flags.
type produceConfig struct {
	topic     string
	partition *int32 // nil lets the producer choose by key
	producer  sluice.ProducerConfig
	parser    lineParser
	broker    string // --broker, for error messages
}

func newProduceCmd(g *globalOptions) *cobra.Command {
	var o produceOptions
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Send stdin to a topic, one record per line",
		Long: "Send stdin to a topic, one record per line, with the Go SDK's producer: records are\n" +
			"batched per partition and sent to each partition's leader; keyed records go to\n" +
			"murmur2(key) mod partitions as with Kafka's default partitioner. The producer is\n" +
			"idempotent by default: a batch sent again after a timeout or a leader change is\n" +
			"stored once.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.config(args[0], cmd.Flags().Changed("partition"))
			if err != nil {
				return err
			}
			cfg.broker = g.broker
			client, err := connectFor(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			defer client.Close()
			return produce(cmd.Context(), client, cfg, cmd.InOrStdin(), cmd.OutOrStdout(), newProgress(cmd.ErrOrStderr()))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "key `K` for every record")
	f.StringVar(&o.keySeparator, "key-separator", "", "split each line at the first `SEP` into key and value")
	f.Int32Var(&o.partition, "partition", 0, "partition `P` to write to (default: murmur2(key) mod partitions; keyless records are spread)")
	f.StringVar(&o.acks, "acks", "all", "when the broker answers (`MODE`: all, leader or none)")
	f.StringArrayVar(&o.headers, "header", nil, "header `k=v` added to every record (repeatable)")
	f.IntVar(&o.batchSize, "batch-size", 1000, "at most `N` records per request")
	f.DurationVar(&o.linger, "linger", 5*time.Millisecond, "how long a batch waits for more records (`DURATION`)")
	f.DurationVar(&o.deliveryTimeout, "delivery-timeout", 2*time.Minute,
		"fail a record not acknowledged within `DURATION`, retries included")
	f.BoolVar(&o.idempotence, "idempotence", true,
		"number each partition's records so that a retried batch is stored once (off with --acks none)")
	f.StringVar(&o.timestamp, "timestamp", "", "create time `TIME` (RFC 3339) of every record (default: the broker's time on arrival)")
	f.StringVar(&o.compression, "compression", "none", "compress each batch with `CODEC` (none, gzip, snappy, lz4 or zstd); "+
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
	if o.linger < 0 {
		return nil, fmt.Errorf("invalid --linger %v: must not be negative", o.linger)
	}
	if o.deliveryTimeout <= 0 {
		return nil, fmt.Errorf("invalid --delivery-timeout %v: must be positive", o.deliveryTimeout)
	}
	codec, err := sluice.ParseCompression(o.compression)
	if err != nil {
		return nil, fmt.Errorf("invalid --compression: %w", err)
	}
	cfg := &produceConfig{
		topic: topic,
		producer: sluice.ProducerConfig{
			Acks:               sdkAcks(acks),
			BatchMaxRecords:    o.batchSize,
			Linger:             o.linger,
			DeliveryTimeout:    o.deliveryTimeout,
			DisableIdempotence: !o.idempotence,
			Compression:        codec,
		},
		parser: lineParser{headers: headers},
	}
	if o.linger == 0 {
		cfg.producer.Linger = -1 // the SDK's "send at once"; its zero means the default
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

func sdkAcks(a sluicev1.Acks) sluice.Acks {
	switch a {
	case sluicev1.Acks_ACKS_LEADER:
		return sluice.AcksLeader
	case sluicev1.Acks_ACKS_NONE:
		return sluice.AcksNone
	}
	return sluice.AcksAll
}

// failedCount is "1 record failed", "3 records failed".
func failedCount(n int) string {
	return countNoun(n, "record") + " failed"
}

// countNoun is "1 record", "0 records", "100000 records": plural without
// digit grouping, for lines that scripts read.
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tally counts the producer's reports; callbacks run on its goroutines.
type tally struct {
	// sent and sentBytes count the records handed to the producer, for the
	// progress line.
	sent, sentBytes atomic.Int64

	mu       sync.Mutex
	acked    int
	failed   int
	firstErr error
	// anyFailed stops the input: the command fails anyway, and a topic that
	// does not exist would otherwise fail every line of a long input.
	anyFailed atomic.Bool
}

func (t *tally) report(_ sluice.RecordMetadata, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		t.acked++
		return
	}
	t.failed++
	if t.firstErr == nil {
		t.firstErr = err
	}
	t.anyFailed.Store(true)
}

// produce sends in as records and prints how many were acknowledged. It fails
// if any record was not acknowledged. Once ctx ends (an interrupt) it stops
// reading, waits up to interruptGrace for what it sent, and counts the rest
// as failed. On a terminal, pr shows the records sent and acknowledged while
// it runs (a nil pr shows nothing).
func produce(ctx context.Context, client *sluice.Client, cfg *produceConfig, in io.Reader, out io.Writer, pr *progress) error {
	p, err := sluice.NewProducer(client, cfg.producer)
	if err != nil {
		return err
	}
	var t tally
	stopProgress := pr.start(func() string {
		t.mu.Lock()
		acked := t.acked
		t.mu.Unlock()
		return fmt.Sprintf("produce %s: %s sent (%s), %s acknowledged", cfg.topic, plural(t.sent.Load(), "record"),
			formatBytes(t.sentBytes.Load()), groupDigits(int64(acked)))
	})
	inputErr := sendLines(ctx, p, cfg, newLineReader(in), &t)
	shutdownCtx := context.Background()
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		shutdownCtx, cancel = context.WithTimeout(shutdownCtx, interruptGrace)
		defer cancel()
	}
	_ = p.Shutdown(shutdownCtx) // records it fails are counted by their reports
	stopProgress()

	t.mu.Lock()
	defer t.mu.Unlock()
	// The count of records acknowledged is the result; when nothing was
	// acknowledged and something failed, the error alone says what happened.
	if t.acked > 0 || t.failed == 0 {
		if _, err := fmt.Fprintf(out, "%s acknowledged\n", countNoun(t.acked, "record")); err != nil {
			return err
		}
	}
	switch {
	case t.failed > 0 && t.acked == 0:
		return fmt.Errorf("%s, none acknowledged: %s", failedCount(t.failed), reportMessage(t.firstErr, cfg.broker))
	case t.failed > 0:
		return fmt.Errorf("%s: %s", failedCount(t.failed), reportMessage(t.firstErr, cfg.broker))
	case ctx.Err() != nil:
		return nil // interrupted, and everything read was delivered
	case inputErr != nil:
		return fmt.Errorf("reading input: %w", inputErr)
	}
	return nil
}

// sendLines hands each input line to the producer until the input ends, a
// line is bad, a record failed, or ctx ends. Records read before an input
// error are still sent. The producer batches: a record waits at most the
// linger time, so a slow source (a terminal, tail -f) gets each line out at
// once.
func sendLines(ctx context.Context, p *sluice.Producer, cfg *produceConfig, lines *lineReader, t *tally) error {
	for ctx.Err() == nil && !t.anyFailed.Load() {
		line, err := lines.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rec, err := cfg.parser.parse(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", lines.n, err)
		}
		t.sent.Add(1)
		t.sentBytes.Add(int64(len(line)) + 1)
		p.Produce(ctx, cfg.record(rec), t.report)
	}
	return nil
}

// record turns a parsed line into the SDK's record for the topic.
func (cfg *produceConfig) record(pr *sluicev1.Record) *sluice.Record {
	r := &sluice.Record{Topic: cfg.topic, Key: pr.Key, Value: pr.Value}
	if cfg.partition != nil {
		r.Partition, r.ManualPartition = *cfg.partition, true
	}
	if pr.TimestampMs != 0 {
		r.Timestamp = time.UnixMilli(pr.TimestampMs)
	}
	for _, h := range pr.Headers {
		r.Headers = append(r.Headers, sluice.Header{Key: h.GetKey(), Value: h.GetValue()})
	}
	return r
}

// reportMessage is the failure summary's reason: the broker's own message
// when it refused the records (in errorMessage's plain words), else the
// error.
func reportMessage(err error, broker string) string {
	var e *sluice.Error
	if errors.As(err, &e) && e.Message != "" {
		msg := errorMessage(e, broker)
		if errors.Is(err, sluice.ErrDeliveryTimeout) {
			return fmt.Sprintf("delivery timeout: %s", msg)
		}
		return msg
	}
	return err.Error()
}

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// benchProduceOptions holds the flags of bench produce as given.
type benchProduceOptions struct {
	topic       string
	records     int64
	recordSize  int
	partitions  int32
	acks        string
	producers   int
	batchSize   int
	maxInFlight int
	rate        float64
	duration    time.Duration
	json        bool
	quiet       bool
	compression string
	values      string
	viaBroker   bool
}

func newBenchProduceCmd(g *globalOptions) *cobra.Command {
	o := &benchProduceOptions{}
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Measure produce throughput and per-request latency",
		Long: "Send --records records of --record-size random bytes (no key) from --producers\n" +
			"producers, each with one pipelined stream of up to --max-in-flight requests of\n" +
			"--batch-size records, spread round-robin over the partitions. Latency is the\n" +
			"time from sending a request to its response. The topic is created with\n" +
			"--partitions partitions if it does not exist.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			load, err := o.load()
			if err != nil {
				return err
			}
			return benchProduce(cmd, g, o, load)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.topic, "topic", "", "`TOPIC` to produce to (required)")
	f.Int64Var(&o.records, "records", 1_000_000, "`N` records to send in total (0 = until --duration)")
	f.IntVar(&o.recordSize, "record-size", 100, "value size in `BYTES`")
	f.Int32Var(&o.partitions, "partitions", 1, "`P` partitions for a topic that does not exist yet")
	f.StringVar(&o.acks, "acks", "all", "when the broker answers (`MODE`: all, leader or none)")
	f.IntVar(&o.producers, "producers", 1, "`K` concurrent producers, each with its own connection and stream")
	f.IntVar(&o.batchSize, "batch-size", 1000, "`B` records per request")
	f.IntVar(&o.maxInFlight, "max-in-flight", 8, "at most `M` unanswered requests per producer")
	f.Float64Var(&o.rate, "rate", 0, "at most `R` records/s over all producers (0 = no limit)")
	f.DurationVar(&o.duration, "duration", 0, "stop sending after `D` even if --records are not sent (0 = no limit)")
	f.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	f.StringVar(&o.compression, "compression", "none", "send each request's records as one batch compressed with `CODEC` (none, gzip, snappy, lz4 or zstd)")
	f.StringVar(&o.values, "values", "random", "record values: `KIND` random (--record-size random bytes, incompressible) or json (JSON events of about 1 KiB; --record-size is ignored)")
	f.BoolVar(&o.viaBroker, "via-broker", false, "send every request to --broker, which forwards what it does not lead (default: straight to each partition's leader)")
	return cmd
}

// load validates the flags and returns the load they describe (without its
// record source and partition count, which need the broker).
func (o *benchProduceOptions) load() (*producerLoad, error) {
	acks, err := parseAcks(o.acks)
	if err != nil {
		return nil, err
	}
	switch {
	case o.topic == "":
		return nil, errors.New("--topic is required")
	case o.records < 0:
		return nil, fmt.Errorf("invalid --records %d: must not be negative", o.records)
	case o.records == 0 && o.duration <= 0:
		return nil, errors.New("--records 0 needs a --duration")
	case o.recordSize < 0:
		return nil, fmt.Errorf("invalid --record-size %d: must not be negative", o.recordSize)
	case o.partitions < 1:
		return nil, fmt.Errorf("invalid --partitions %d: must be at least 1", o.partitions)
	case o.producers < 1:
		return nil, fmt.Errorf("invalid --producers %d: must be at least 1", o.producers)
	case o.batchSize < 1:
		return nil, fmt.Errorf("invalid --batch-size %d: must be at least 1", o.batchSize)
	case o.maxInFlight < 1:
		return nil, fmt.Errorf("invalid --max-in-flight %d: must be at least 1", o.maxInFlight)
	case o.rate < 0:
		return nil, fmt.Errorf("invalid --rate %g: must not be negative", o.rate)
	case o.duration < 0:
		return nil, fmt.Errorf("invalid --duration %s: must not be negative", o.duration)
	case o.values != "random" && o.values != "json":
		return nil, fmt.Errorf("invalid --values %q: must be random or json", o.values)
	}
	if _, err := compress.Parse(o.compression); err != nil {
		return nil, fmt.Errorf("invalid --compression: %w", err)
	}
	return &producerLoad{
		topic: o.topic, partitions: o.partitions, acks: acks,
		producers: o.producers, batchSize: o.batchSize, maxInFlight: o.maxInFlight,
		rate: o.rate, records: o.records, duration: o.duration,
	}, nil
}

func benchProduce(cmd *cobra.Command, g *globalOptions, o *benchProduceOptions, load *producerLoad) error {
	ctx := cmd.Context()
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	admin := sluicev1.NewAdminServiceClient(conn)
	load.partitions, err = ensureTopic(ctx, admin, load.topic, load.partitions)
	if err != nil {
		return err
	}
	if !o.viaBroker {
		if load.leaders, err = partitionLeaders(ctx, admin, load.topic, load.partitions, g.broker); err != nil {
			return err
		}
	}
	codec, _ := compress.Parse(o.compression) // checked by load
	if codec == compress.None && o.values == "random" {
		load.source = newRandomSource(o.recordSize, load.batchSize)
	} else if load.source, err = newBatchSource(o.recordSize, load.batchSize, codec, o.values == "json"); err != nil {
		return err
	}

	lat, prog := newLatencyRecorder(), &counters{}
	stopProgress := startProgress(cmd.ErrOrStderr(), o.quiet, prog, lat)
	totals, err := runProducers(ctx, g, load, lat, prog)
	stopProgress()
	if err != nil {
		return err
	}
	s := newProduceSummary(o, load, totals, lat.stats())
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

// produceSummary is the result of bench produce.
type produceSummary struct {
	Bench       string  `json:"bench"`
	Topic       string  `json:"topic"`
	Partitions  int32   `json:"partitions"`
	RecordSize  int     `json:"record_size"`
	Acks        string  `json:"acks"`
	Producers   int     `json:"producers"`
	BatchSize   int     `json:"batch_size"`
	MaxInFlight int     `json:"max_in_flight"`
	Rate        float64 `json:"rate"`
	Compression string  `json:"compression"`
	Values      string  `json:"values"`
	throughput
	Failed      int64        `json:"failed"`
	Requests    int64        `json:"requests"`
	Latency     latencyStats `json:"latency_ms"`
	Interrupted bool         `json:"interrupted"`
	Error       string       `json:"error,omitempty"`
}

func newProduceSummary(o *benchProduceOptions, load *producerLoad, t *produceTotals, lat latencyStats) produceSummary {
	return produceSummary{
		Bench: "produce", Topic: load.topic, Partitions: load.partitions, RecordSize: o.recordSize,
		Acks: o.acks, Producers: load.producers, BatchSize: load.batchSize,
		MaxInFlight: load.maxInFlight, Rate: load.rate, Compression: o.compression, Values: o.values,
		throughput: newThroughput(t.acked, t.ackedBytes, t.elapsed),
		Failed:     t.failed, Requests: t.requests, Latency: lat,
		Interrupted: t.interrupted, Error: t.firstErr,
	}
}

// String renders the summary for people.
func (s produceSummary) String() string {
	var b strings.Builder
	rate := "no rate limit"
	if s.Rate > 0 {
		rate = fmt.Sprintf("rate %s records/s", groupDigits(int64(s.Rate)))
	}
	size := fmt.Sprintf("%d-byte records", s.RecordSize)
	if s.Values == "json" {
		size = "JSON records of about 1 KiB"
	}
	if s.Compression != "" && s.Compression != "none" {
		size += ", " + s.Compression
	}
	fmt.Fprintf(&b, "produce %s: %s, %s, acks=%s, %s, batch %d, %d in flight each, %s\n",
		s.Topic, size, plural(int64(s.Partitions), "partition"), s.Acks,
		plural(int64(s.Producers), "producer"), s.BatchSize, s.MaxInFlight, rate)
	fmt.Fprintf(&b, "acknowledged %s\n", s.throughput)
	fmt.Fprintf(&b, "request latency %s (%s requests)\n", s.Latency, groupDigits(s.Requests))
	if s.Failed > 0 {
		fmt.Fprintf(&b, "failed %s records: %s\n", groupDigits(s.Failed), s.Error)
	}
	if s.Interrupted {
		b.WriteString("interrupted\n")
	}
	return b.String()
}

// plural writes "1 partition", "8 partitions".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return groupDigits(n) + " " + noun + "s"
}

// randomSource serves requests from a few pre-encoded batches of random
// values, so producing costs no per-record work. Values are distinct random
// bytes, so a batch does not compress.
type randomSource struct {
	size, batchSize int
	full            [][]byte // pre-encoded batches of batchSize records
	next            atomic.Uint32
	partial         []byte // random bytes for a last, shorter batch
}

// maxPoolBytes bounds the memory of the pre-encoded batches.
const maxPoolBytes = 64 << 20

func newRandomSource(size, batchSize int) *randomSource {
	pool := min(16, max(1, maxPoolBytes/max(batchSize*(size+8), 1)))
	s := &randomSource{size: size, batchSize: batchSize, partial: randomBytes(size * batchSize)}
	for range pool {
		s.full = append(s.full, encodeRecords(splitValues(randomBytes(size*batchSize), size, batchSize)))
	}
	return s
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], rand.Uint64())
	binary.LittleEndian.PutUint64(seed[8:], rand.Uint64())
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seed).Read(b) // never fails
	return b
}

// splitValues cuts buf into n values of size bytes.
func splitValues(buf []byte, size, n int) [][]byte {
	values := make([][]byte, n)
	for i := range values {
		values[i] = buf[i*size : (i+1)*size : (i+1)*size]
	}
	return values
}

func (s *randomSource) batch(n int) ([]byte, int64) {
	size := int64(n) * int64(s.size)
	if n != s.batchSize { // the last batch of a run
		return encodeRecords(splitValues(s.partial, s.size, n)), size
	}
	i := int(s.next.Add(1)) % len(s.full)
	return s.full[i], size
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// benchConsumeOptions holds the flags of bench consume as given.
type benchConsumeOptions struct {
	topic      string
	partitions []int
	records    int64
	maxBytes   int32
	decode     bool
	json       bool
	quiet      bool
}

func newBenchConsumeCmd(g *globalOptions) *cobra.Command {
	o := &benchConsumeOptions{}
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Measure fetch throughput",
		Long: "Read partitions from the earliest offset up to their end (or until --records\n" +
			"records), one stream and connection per partition, all at once, counting\n" +
			"records and bytes. Records are counted in their wire form; --decode decodes\n" +
			"every response into messages, as a consumer that uses them would.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return benchConsume(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.topic, "topic", "", "`TOPIC` to read (required)")
	f.IntSliceVar(&o.partitions, "partitions", nil, "partitions `P,Q,...` to read (default all)")
	f.Int64Var(&o.records, "records", 0, "stop after `N` records in total (0 = read to the end)")
	f.Int32Var(&o.maxBytes, "max-bytes", 0, "about `B` bytes of records per response (0 = broker default, 1 MiB)")
	f.BoolVar(&o.decode, "decode", false, "decode responses into messages instead of scanning them")
	f.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	return cmd
}

func (o *benchConsumeOptions) validate() error {
	switch {
	case o.topic == "":
		return errors.New("--topic is required")
	case o.records < 0:
		return fmt.Errorf("invalid --records %d: must not be negative", o.records)
	case o.maxBytes < 0:
		return fmt.Errorf("invalid --max-bytes %d: must not be negative", o.maxBytes)
	}
	for _, p := range o.partitions {
		if p < 0 || p > math.MaxInt32 {
			return fmt.Errorf("invalid --partitions %d", p)
		}
	}
	return nil
}

// partitionList returns the partitions to read: those given, without
// repeats and sorted, or all n of the topic.
func (o *benchConsumeOptions) partitionList(n int32) []int32 {
	var out []int32
	if len(o.partitions) == 0 {
		for p := range n {
			out = append(out, p)
		}
		return out
	}
	for _, p := range o.partitions {
		out = append(out, int32(p))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func benchConsume(cmd *cobra.Command, g *globalOptions, o *benchConsumeOptions) error {
	ctx := cmd.Context()
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	n, err := topicPartitions(ctx, sluicev1.NewAdminServiceClient(conn), o.topic)
	if err != nil {
		return err
	}
	partitions := o.partitionList(n)

	prog := &counters{}
	stopProgress := startProgress(cmd.ErrOrStderr(), o.quiet, prog, nil)
	elapsed, err := fetchAll(ctx, g, o, partitions, prog)
	stopProgress()
	if err != nil {
		return err
	}
	s := consumeSummary{
		Bench: "consume", Topic: o.topic, Partitions: partitions, MaxBytes: o.maxBytes, Decode: o.decode,
		throughput:  newThroughput(prog.records.Load(), prog.bytes.Load(), elapsed),
		Interrupted: ctx.Err() != nil,
	}
	if o.json {
		return writeJSON(cmd.OutOrStdout(), s)
	}
	_, err = io.WriteString(cmd.OutOrStdout(), s.String())
	return err
}

// fetchAll reads the partitions concurrently and returns how long it took.
// Reaching --records and Ctrl-C end it early without an error.
func fetchAll(ctx context.Context, g *globalOptions, o *benchConsumeOptions, partitions []int32,
	prog *counters) (time.Duration, error) {
	codec, err := benchCallOption()
	if err != nil {
		return 0, err
	}
	fetchCtx, stop := context.WithCancel(ctx)
	defer stop()
	count := scanFetchResponse
	if o.decode {
		count = decodeFetchResponse
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for _, p := range partitions {
		wg.Go(func() {
			err := fetchPartition(fetchCtx, g, codec, o, p, count, prog, stop)
			if err != nil && fetchCtx.Err() == nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				stop()
			}
		})
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// fetchPartition reads one partition on its own connection until its end,
// counting into prog, and calls reached once --records records are counted.
func fetchPartition(ctx context.Context, g *globalOptions, codec grpc.CallOption, o *benchConsumeOptions,
	partition int32, count func([]byte) (fetchCount, error), prog *counters, reached func()) error {
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true},
		sluicev1.FetchService_Fetch_FullMethodName, codec)
	if err != nil {
		return fmt.Errorf("fetch %q partition %d: %w", o.topic, partition, err)
	}
	req := &sluicev1.FetchRequest{
		Topic: o.topic,
		Partitions: []*sluicev1.FetchPartition{{
			Partition: partition,
			Start:     boundaryStart(sluicev1.Boundary_BOUNDARY_EARLIEST),
		}},
		MaxBytes:        o.maxBytes,
		MaxTotalRecords: o.records,
	}
	if err := stream.SendMsg(req); err != nil {
		return fmt.Errorf("fetch %q partition %d: %w", o.topic, partition, err)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	var msg benchMessage
	for {
		err := stream.RecvMsg(&msg)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fetch %q partition %d: %w", o.topic, partition, err)
		}
		c, err := count(msg.bytes())
		if err != nil {
			return err
		}
		prog.add(c.records, c.bytes)
		if o.records > 0 && prog.records.Load() >= o.records {
			reached()
			return nil
		}
	}
}

// consumeSummary is the result of bench consume.
type consumeSummary struct {
	Bench      string  `json:"bench"`
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
	MaxBytes   int32   `json:"max_bytes"`
	Decode     bool    `json:"decode"`
	throughput
	Interrupted bool `json:"interrupted"`
}

// String renders the summary for people.
func (s consumeSummary) String() string {
	var b strings.Builder
	maxBytes := "default"
	if s.MaxBytes > 0 {
		maxBytes = groupDigits(int64(s.MaxBytes))
	}
	how := "scanned"
	if s.Decode {
		how = "decoded"
	}
	fmt.Fprintf(&b, "consume %s: %s, max bytes %s, records %s\n",
		s.Topic, plural(int64(len(s.Partitions)), "partition"), maxBytes, how)
	fmt.Fprintf(&b, "fetched %s\n", s.throughput)
	if s.Interrupted {
		b.WriteString("interrupted\n")
	}
	return b.String()
}
